import type { Role } from "../../protocol/roles";

/** The caller, as the auth middleware resolved it for this request (fresh from D1). */
export type AuthUser = {
  id: string;
  username: string;
  role: Role;
  displayName: string;
  /** Until when a workspace mute keeps them from posting, reacting and opening DMs (null or absent: not muted). */
  mutedUntil?: string | null;
};
