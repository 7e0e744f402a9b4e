import type { Database } from "../../db/client";
import { notFound } from "../../lib/ColinkError";
import { userSession } from "../../lib/stubs";
import { CloseCode } from "../../protocol/closeCodes";
import { endSessions, revokeSessions } from "../auth/sessions";

// A person ends their own sessions: one (a lost phone) or all of them. Ending a session stops its
// refresh token and access tokens and closes its sockets with 4001.

/** Ends one of the caller's live sessions (their current one too); 404 for anything else. */
export async function endOwnSession(env: Env, db: Database, userId: string, sessionId: string): Promise<void> {
  const ended = await endSessions(env, db, userId, [sessionId], "revoked_by_user");
  if (ended.length === 0) throw notFound("session");
}

/** Ends every session of the user, the caller's own included, and closes every socket they have. */
export async function endAllSessions(env: Env, db: Database, userId: string): Promise<void> {
  await revokeSessions(db, userId, "logout_all");
  await userSession(env, userId).closeAllSockets(CloseCode.Unauthorized, "logout_all");
}
