// Workspace roles, channel kinds and channel roles: the vocabulary the directory, the actors and
// clients share.

export const ROLES = ["owner", "admin", "member", "guest"] as const;
export type Role = (typeof ROLES)[number];

export const isAdminRole = (role: Role) => role === "owner" || role === "admin";

export const CHANNEL_KINDS = ["public", "private", "dm", "group_dm"] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export const CHANNEL_ROLES = ["admin", "member"] as const;
export type ChannelRole = (typeof CHANNEL_ROLES)[number];
