import { sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { loginThrottles } from "../../db/schema";
import { ColinkError } from "../../lib/ColinkError";
import { config } from "../../lib/config";
import { newSecret } from "../../lib/ids";

// Password guessing is slowed per (account, client address) and per client address, never per
// account alone: a stranger's failures from elsewhere must not slow the owner down (OWASP
// Authentication Cheat Sheet, "Account lockout"). Each key is a leaky bucket: every attempt not yet
// proven right adds one, the level drains at threshold/window, and once it reaches the threshold
// each further attempt waits 1 s, 2 s, 4 s … (capped) after the one before. A sign-in that turns out
// right takes its unit back, so successes never count: 60 people behind one NAT signing in are
// never slowed, and an owner who typed the password right starts afresh from that address.
//
// An attempt is counted *before* the password is checked, in one D1 transaction for both keys, so
// a burst of concurrent guesses cannot all slip in before any of them is recorded.

/** The account part of a key: a known user by id (so username and e-mail share it), else the login as typed. */
export const knownAccount = (userId: string) => `user:${userId}`;
export const unknownAccount = (login: string) => `login:${login}`;

/** One admitted attempt, to settle with `loginSucceeded` once the password proves right. */
export type LoginAttempt = { nonce: string; accountKey: string; addressKey: string };

type Bucket = { threshold: number; windowMs: number; capMs: number };

const tooManyAttempts = (retryAfterMs: number) =>
  new ColinkError(429, "too_many_attempts", "Too many failed sign-ins; wait before trying again.", {
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
  });

/**
 * One key's upsert. `admitted` is an SQL condition on the table as this statement finds it; when it
 * holds, the level rises by one (after draining) and the wait past the threshold is set.
 * Parameters: ?1 key, ?2 now (ms), ?3 nonce, ?4 threshold, ?5 window (ms), ?6 cap (ms), ?7 the other key.
 */
function upsert(admitted: string): string {
  const drained = "max(0.0, level - (?2 - updated_at) * ?4 / ?5)";
  // Doubling per failure past the threshold. The level is rounded: what drained in the moments
  // between quick tries must not keep the count just under the threshold or the exponent.
  const units = (level: string) => `CAST(round(${level}) AS INTEGER)`;
  const wait = (level: string) => `CASE WHEN ${units(level)} >= ?4 THEN ?2 + min(?6, 1000 << min(30, ${units(level)} - ?4)) ELSE 0 END`;
  const forget = (level: string) => `max(?2, ${wait(level)}) + CAST(${level} * ?5 / ?4 AS INTEGER) + 1`;
  const raised = `(${drained} + 1)`;
  return `INSERT INTO login_throttles (key, level, updated_at, blocked_until, prev_blocked_until, attempt, forget_at)
    SELECT ?1, CASE WHEN ${admitted} THEN 1 ELSE 0 END, ?2, CASE WHEN ${admitted} THEN ${wait("1")} ELSE 0 END, 0,
           CASE WHEN ${admitted} THEN ?3 ELSE '' END, CASE WHEN ${admitted} THEN ${forget("1")} ELSE ?2 END
    WHERE true
    ON CONFLICT (key) DO UPDATE SET
      level = CASE WHEN ${admitted} THEN ${raised} ELSE level END,
      updated_at = CASE WHEN ${admitted} THEN ?2 ELSE updated_at END,
      prev_blocked_until = CASE WHEN ${admitted} THEN blocked_until ELSE prev_blocked_until END,
      blocked_until = CASE WHEN ${admitted} THEN ${wait(raised)} ELSE blocked_until END,
      attempt = CASE WHEN ${admitted} THEN ?3 ELSE attempt END,
      forget_at = CASE WHEN ${admitted} THEN ${forget(raised)} ELSE forget_at END
    RETURNING blocked_until, attempt`;
}

// The address goes first: it is admitted when neither key is waiting. The (account, address) key
// then follows the address's verdict, which the address row now carries as its `attempt`.
const ADDRESS_UPSERT = upsert("NOT EXISTS (SELECT 1 FROM login_throttles WHERE key IN (?1, ?7) AND blocked_until > ?2)");
const ACCOUNT_UPSERT = upsert("coalesce((SELECT attempt FROM login_throttles WHERE key = ?7), '') = ?3");

/**
 * Counts a sign-in attempt for `account` (`knownAccount`, or `unknownAccount` so that unknown
 * accounts are slowed alike) from `address`, or answers 429 with Retry-After while either key is
 * waiting.
 */
export async function admitLoginAttempt(env: Env, account: string, address: string, now = Date.now()): Promise<LoginAttempt> {
  const cfg = config(env);
  const attempt: LoginAttempt = { nonce: newSecret(16), accountKey: `account:${account}@${address}`, addressKey: `address:${address}` };
  const bucket = (threshold: number): Bucket => ({
    threshold,
    windowMs: cfg.LOGIN_WINDOW_SECONDS * 1000,
    capMs: cfg.LOGIN_MAX_DELAY_SECONDS * 1000,
  });
  const bind = (sql: string, key: string, other: string, b: Bucket) =>
    env.DB.prepare(sql).bind(key, now, attempt.nonce, b.threshold, b.windowMs, b.capMs, other);
  const [byAddress, byAccount] = await env.DB.batch<{ blocked_until: number; attempt: string }>([
    bind(ADDRESS_UPSERT, attempt.addressKey, attempt.accountKey, bucket(cfg.LOGIN_FAILURES_PER_IP)),
    bind(ACCOUNT_UPSERT, attempt.accountKey, attempt.addressKey, bucket(cfg.LOGIN_FAILURES_PER_ACCOUNT_AND_IP)),
  ]);
  const rows = [byAddress?.results[0], byAccount?.results[0]];
  if (rows[1]?.attempt === attempt.nonce) return attempt;
  throw tooManyAttempts(Math.max(...rows.map((r) => r?.blocked_until ?? 0)) - now);
}

/**
 * The attempt's password was right: it was no failure. The (account, address) bucket empties; the
 * address takes its unit back, and the wait it set, unless a later attempt has set its own since.
 */
export async function loginSucceeded(env: Env, attempt: LoginAttempt): Promise<void> {
  await env.DB.batch([
    env.DB.prepare("DELETE FROM login_throttles WHERE key = ?1").bind(attempt.accountKey),
    env.DB.prepare(
      `UPDATE login_throttles SET level = max(0.0, level - 1),
         blocked_until = CASE WHEN attempt = ?2 THEN prev_blocked_until ELSE blocked_until END
       WHERE key = ?1`,
    ).bind(attempt.addressKey, attempt.nonce),
  ]);
}

/**
 * Forgets the account's failures from every address: its password was just set anew, so the
 * person who forgot it and kept trying can sign in at once.
 */
export async function forgetAccountFailures(db: Database, userId: string): Promise<void> {
  const prefix = `account:${knownAccount(userId)}@`;
  await db.delete(loginThrottles).where(sql`substr(${loginThrottles.key}, 1, ${prefix.length}) = ${prefix}`);
}
