import { and, eq, isNull, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { sessions, users } from "../../db/schema";
import { ColinkError } from "../../lib/ColinkError";
import { config } from "../../lib/config";
import { unverifiedIssuer, verifyAccessToken } from "./accessTokens";
import type { AuthUser } from "./authUser";
import { authenticateExternalToken } from "./oidc";

export const unauthorized = (detail = "A valid access token is required.", code = "unauthorized") => new ColinkError(401, code, detail);

/** Extracts the token of an `Authorization: Bearer …` header, or throws 401. */
export function bearerToken(header: string | undefined): string {
  const match = header?.match(/^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i);
  if (!match?.[1]) throw unauthorized();
  return match[1];
}

const prepareLiveSessionUser = (db: Database) =>
  db
    .select({ id: users.id, username: users.username, role: users.role, displayName: users.displayName, mutedUntil: users.mutedUntil })
    .from(users)
    .innerJoin(sessions, eq(sessions.userId, users.id))
    .where(
      and(
        eq(users.id, sql.placeholder("userId")),
        eq(sessions.id, sql.placeholder("sessionId")),
        eq(users.deactivated, false),
        isNull(sessions.revokedAt),
      ),
    )
    .prepare();

const liveSessionUserQueries = new WeakMap<Database, ReturnType<typeof prepareLiveSessionUser>>();

/** The session-and-user check every request makes, built once per database handle. */
export function liveSessionUser(db: Database) {
  let query = liveSessionUserQueries.get(db);
  if (!query) {
    query = prepareLiveSessionUser(db);
    liveSessionUserQueries.set(db, query);
  }
  return query;
}

/**
 * Resolves a Bearer token to a live user. Colink's own tokens are checked against D1 on every
 * call (user not deactivated, session not revoked), so deactivation and logout take effect on the
 * very next request.
 */
export async function authenticate(env: Env, db: Database, token: string): Promise<{ user: AuthUser; sessionId: string | null }> {
  if (unverifiedIssuer(token) === config(env).JWT_ISSUER) {
    const claims = await verifyAccessToken(env, db, token);
    if (!claims) throw unauthorized("The access token is invalid or expired.", "invalid_token");
    const row = await liveSessionUser(db).get({ userId: claims.sub, sessionId: claims.sid });
    if (!row) throw unauthorized("The session has ended or the account is deactivated.", "invalid_token");
    return { user: row, sessionId: claims.sid };
  }
  const external = await authenticateExternalToken(env, db, token);
  if (!external) throw unauthorized("The access token is invalid or expired.", "invalid_token");
  return { user: external, sessionId: null };
}
