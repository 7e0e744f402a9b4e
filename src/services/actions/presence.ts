import { userSession } from "../../lib/stubs";

/** Sets the caller's presence by hand; their UserSession stores it and tells the subscribers. */
export async function setPresence(env: Env, userId: string, status: "active" | "away" | "dnd", dndUntil: string | null | undefined) {
  return userSession(env, userId).setPresence(status, dndUntil ? Date.parse(dndUntil) : null);
}
