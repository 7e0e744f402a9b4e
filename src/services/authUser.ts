import type { Role } from "../db/schema";

/** The caller, as the auth middleware resolved it for this request (fresh from D1). */
export type AuthUser = {
  id: string;
  username: string;
  role: Role;
  displayName: string;
};

export const isAdminRole = (role: Role) => role === "owner" || role === "admin";
