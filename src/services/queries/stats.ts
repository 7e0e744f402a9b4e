import { gte, inArray, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { messageDayCounts, statCounters } from "../../db/schema";
import { DAY_MS } from "../../lib/time";
import type { Stats } from "../../protocol/admin";

/** Bytes kept in R2, from `complete` until the file is deleted (D1 triggers, migrations/0009_file_bytes.sql). */
export const FILE_BYTES_COUNTER = "file_bytes";

const COUNTERS = [
  "users.active",
  "users.deactivated",
  "users.guests",
  "channels.public",
  "channels.private",
  "channels.dm",
  "online_now",
  FILE_BYTES_COUNTER,
] as const;

/**
 * Workspace statistics, cheap enough to poll every few seconds: two indexed reads in one batch,
 * of counters kept by D1 triggers (users, channels, who is online, file bytes) and
 * the ChannelRooms' outboxes (messages per day, which reach D1 within about 30 s of being sent).
 */
export async function workspaceStats(db: Database, now = Date.now()): Promise<Stats> {
  const since = new Date(now - 29 * DAY_MS).toISOString().slice(0, 10);
  const [counters, [messages]] = await db.batch([
    db
      .select()
      .from(statCounters)
      .where(inArray(statCounters.name, [...COUNTERS])),
    db
      .select({ total: sql<number>`coalesce(sum(${messageDayCounts.count}), 0)` })
      .from(messageDayCounts)
      .where(gte(messageDayCounts.day, since)),
  ]);
  const value = new Map(counters.map((c) => [c.name, c.value]));
  const get = (name: (typeof COUNTERS)[number]) => Math.max(0, value.get(name) ?? 0);
  return {
    users: { active: get("users.active"), deactivated: get("users.deactivated"), guests: get("users.guests") },
    channels: { public: get("channels.public"), private: get("channels.private"), dm: get("channels.dm") },
    messages_last_30_days: Number(messages?.total ?? 0),
    file_bytes: get(FILE_BYTES_COUNTER),
    online_now: get("online_now"),
  };
}
