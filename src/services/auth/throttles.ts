import { sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { throttles } from "../../db/schema";
import { ColinkError } from "../../lib/ColinkError";

/**
 * Counts one attempt against `key` in a fixed window and answers 429 (with Retry-After) once more
 * than `limit` attempts fall in the window. One atomic upsert, so concurrent attempts are all
 * counted: nobody gets more than `limit` tries by sending them at once. Sign-ins are throttled
 * differently (loginThrottle.ts): these windows are for things that cost whether they succeed or not.
 */
export async function countAttempt(
  db: Database,
  key: string,
  limit: number,
  windowSeconds: number,
  now = Date.now(),
  refusal: { code: string; detail: string } = { code: "too_many_attempts", detail: "Too many attempts; wait before trying again." },
): Promise<void> {
  const nowSec = Math.floor(now / 1000);
  const windowOver = sql`${throttles.resetAt} <= ${nowSec}`;
  const row = await db
    .insert(throttles)
    .values({ key, count: 1, resetAt: nowSec + windowSeconds })
    .onConflictDoUpdate({
      target: throttles.key,
      set: {
        count: sql`CASE WHEN ${windowOver} THEN 1 ELSE ${throttles.count} + 1 END`,
        resetAt: sql`CASE WHEN ${windowOver} THEN ${nowSec + windowSeconds} ELSE ${throttles.resetAt} END`,
      },
    })
    .returning({ count: throttles.count, resetAt: throttles.resetAt })
    .get();
  if (row && row.count > limit) {
    throw new ColinkError(429, refusal.code, refusal.detail, {
      retryAfterSeconds: row.resetAt - nowSec,
    });
  }
}

/** A per-user rate limit on an action (429 `rate_limited` with Retry-After past `limit` per window). */
export function rateLimit(db: Database, bucket: string, userId: string, limit: number, windowSeconds: number): Promise<void> {
  return countAttempt(db, `${bucket}:${userId}`, limit, windowSeconds, Date.now(), {
    code: "rate_limited",
    detail: "Too many requests of this kind; wait before trying again.",
  });
}
