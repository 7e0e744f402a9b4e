import { and, eq, inArray, isNull, ne, type SQL } from "drizzle-orm";
import type { Database } from "../../db/client";
import { refreshTokens, sessions, users } from "../../db/schema";
import { config } from "../../lib/config";
import { newId, newSecret, sha256Hex } from "../../lib/ids";
import { log } from "../../lib/log";
import { userSession } from "../../lib/stubs";
import { DAY_MS } from "../../lib/time";
import { CloseCode } from "../../protocol/closeCodes";
import type { UserView } from "../../protocol/users";
import { toUserView } from "../queries/users";
import { signAccessToken } from "./accessTokens";
import { unauthorized } from "./authenticate";

// A session is one refresh-token family. Refresh tokens are opaque 256-bit secrets stored as
// SHA-256 hashes and spent on use (rotation); presenting a spent one means it was copied, so the
// whole family is revoked (OAuth 2.0 Security BCP, refresh token rotation).

export type TokenPair = { access_token: string; refresh_token: string; token_type: "Bearer"; expires_in: number };
export type SignedIn = { user: UserView; tokens: TokenPair };

const isoNow = () => new Date().toISOString();

function sessionExpiry(env: Env): string {
  return new Date(Date.now() + config(env).REFRESH_TOKEN_TTL_DAYS * DAY_MS).toISOString();
}

async function tokenPair(env: Env, db: Database, userId: string, sessionId: string, refreshToken: string): Promise<TokenPair> {
  const access = await signAccessToken(env, db, userId, sessionId);
  return { access_token: access.token, refresh_token: refreshToken, token_type: "Bearer", expires_in: access.expiresIn };
}

export async function startSession(env: Env, db: Database, userId: string, userAgent: string | null): Promise<TokenPair> {
  const sessionId = newId("s");
  const refreshToken = newSecret();
  await db.batch([
    db.insert(sessions).values({
      id: sessionId,
      userId,
      expiresAt: sessionExpiry(env),
      userAgent: userAgent?.slice(0, 256) ?? null,
      lastUsedAt: isoNow(),
    }),
    db.insert(refreshTokens).values({ tokenHash: await sha256Hex(refreshToken), sessionId }),
  ]);
  return tokenPair(env, db, userId, sessionId, refreshToken);
}

const invalidRefreshToken = () => unauthorized("The refresh token is invalid or expired; sign in again.", "invalid_refresh_token");

/**
 * Spends a refresh token and returns a new pair for the same session, whose expiry slides forward.
 * Of two concurrent uses of one token exactly one wins: the other counts as reuse.
 */
export async function refreshSession(env: Env, db: Database, refreshToken: string): Promise<SignedIn> {
  const tokenHash = await sha256Hex(refreshToken);
  const row = await db
    .select({ spentAt: refreshTokens.spentAt, session: sessions, user: users })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(refreshTokens.tokenHash, tokenHash))
    .get();
  if (!row || row.session.revokedAt !== null || row.session.expiresAt <= isoNow() || row.user.deactivated) throw invalidRefreshToken();
  const { session, user } = row;

  const spent = row.spentAt === null && (await spend(db, tokenHash));
  if (!spent) {
    log("warn", "refresh token reused; session revoked", { session_id: session.id, user_id: user.id });
    await revokeSession(env, db, user.id, session.id, "refresh_token_reused");
    throw unauthorized("This refresh token was already used; the session has been ended. Sign in again.", "refresh_token_reused");
  }

  const next = newSecret();
  await db.batch([
    db.insert(refreshTokens).values({ tokenHash: await sha256Hex(next), sessionId: session.id }),
    db
      .update(sessions)
      .set({ expiresAt: sessionExpiry(env), lastUsedAt: isoNow() })
      .where(eq(sessions.id, session.id)),
  ]);
  return { user: toUserView(user), tokens: await tokenPair(env, db, user.id, session.id, next) };
}

/** Marks the token spent unless someone already did; the conditional UPDATE makes this the race's referee. */
async function spend(db: Database, tokenHash: string): Promise<boolean> {
  const rows = await db
    .update(refreshTokens)
    .set({ spentAt: isoNow() })
    .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.spentAt)))
    .returning({ tokenHash: refreshTokens.tokenHash });
  return rows.length === 1;
}

/** Ends one session: its refresh tokens stop working, its access tokens and sockets too. */
export async function revokeSession(env: Env, db: Database, userId: string, sessionId: string, reason: string): Promise<void> {
  await endSessions(env, db, userId, [sessionId], reason);
}

/**
 * The D1 half of ending sessions, as a query for the caller's own batch: the user's live sessions
 * among `only` (all of them when absent) except `except` are revoked, when `onlyIf` holds as the
 * batch reaches it, and their ids returned for `closeSessionSockets`. Revoked is enough for every token: refresh checks it, and every request's
 * access token is checked against it (authenticate.ts).
 */
export function revokeSessions(
  db: Database,
  userId: string,
  reason: string,
  scope: { only?: readonly string[]; except?: string | null; onlyIf?: SQL } = {},
) {
  return db
    .update(sessions)
    .set({ revokedAt: isoNow(), revokeReason: reason })
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        scope.only ? inArray(sessions.id, [...scope.only]) : undefined,
        scope.except ? ne(sessions.id, scope.except) : undefined,
        scope.onlyIf,
      ),
    )
    .returning({ id: sessions.id });
}

/** The socket half: every socket opened under these sessions closes with 4001 (sign in again). */
export async function closeSessionSockets(env: Env, userId: string, sessionIds: readonly string[], reason: string): Promise<void> {
  if (sessionIds.length === 0) return;
  const stub = userSession(env, userId);
  await Promise.all(sessionIds.map((sessionId) => stub.closeSessionSockets(sessionId, CloseCode.Unauthorized, reason)));
}

/**
 * Ends sessions of one user (`sessionIds` that are still live): their refresh tokens and access
 * tokens stop working, then their sockets close. Returns the ids it ended.
 */
export async function endSessions(
  env: Env,
  db: Database,
  userId: string,
  sessionIds: readonly string[],
  reason: string,
): Promise<string[]> {
  if (sessionIds.length === 0) return [];
  const ended = (await revokeSessions(db, userId, reason, { only: sessionIds })).map((r) => r.id);
  await closeSessionSockets(env, userId, ended, reason);
  return ended;
}

/**
 * Ends every live session of a user (the caller closes the sockets); a query, so it can join a
 * batch, and with `onlyIf` only when that condition holds as the batch reaches it.
 */
export function revokeUserSessions(db: Database, userId: string, reason: string, onlyIf?: SQL) {
  return db
    .update(sessions)
    .set({ revokedAt: isoNow(), revokeReason: reason })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), onlyIf));
}
