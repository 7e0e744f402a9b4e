import { and, inArray, isNotNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { auditLog, invites, loginThrottles, passwordResets, refreshTokens, sessions, throttles } from "../../db/schema";
import { DAY_MS } from "../../lib/time";

/** Ended sessions are kept this long for the audit trail, then removed with their tokens. */
export const ENDED_SESSION_RETENTION_DAYS = 30;

/**
 * Removes what can no longer matter: sessions that ended (expired or revoked) a while ago, with
 * their refresh tokens; invites and password resets that expired or were used a while ago;
 * finished throttle windows and sign-in buckets that have drained. Spent refresh tokens of live
 * sessions stay: reuse detection needs them. Audit rows older than AUDIT_RETENTION_DAYS go too.
 */
export async function pruneDirectory(db: Database, now = Date.now(), auditRetentionDays = 730) {
  const auditCutoff = new Date(now - auditRetentionDays * DAY_MS).toISOString();
  const cutoff = new Date(now - ENDED_SESSION_RETENTION_DAYS * DAY_MS).toISOString();
  const ended = db
    .select({ id: sessions.id })
    .from(sessions)
    .where(or(lt(sessions.expiresAt, cutoff), and(isNotNull(sessions.revokedAt), lt(sessions.revokedAt, cutoff))));
  const [tokens, oldSessions, oldInvites, windows, buckets, resets, audit] = await db.batch([
    db.delete(refreshTokens).where(inArray(refreshTokens.sessionId, ended)),
    db.delete(sessions).where(inArray(sessions.id, ended)),
    db.delete(invites).where(or(lt(invites.expiresAt, cutoff), and(isNotNull(invites.usedAt), lt(invites.usedAt, cutoff)))),
    db.delete(throttles).where(lt(throttles.resetAt, sql`${Math.floor(now / 1000)}`)),
    db.delete(loginThrottles).where(lt(loginThrottles.forgetAt, now)),
    db
      .delete(passwordResets)
      .where(or(lt(passwordResets.expiresAt, cutoff), and(isNotNull(passwordResets.spentAt), lt(passwordResets.spentAt, cutoff)))),
    // The audit log's only deletion: rows past AUDIT_RETENTION_DAYS (none is ever changed).
    db.delete(auditLog).where(lt(auditLog.at, auditCutoff)),
  ]);
  return {
    refreshTokens: tokens.meta.changes,
    sessions: oldSessions.meta.changes,
    invites: oldInvites.meta.changes,
    throttles: windows.meta.changes,
    loginThrottles: buckets.meta.changes,
    passwordResets: resets.meta.changes,
    auditRows: audit.meta.changes,
  };
}
