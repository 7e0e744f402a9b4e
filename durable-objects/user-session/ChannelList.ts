import { eq } from "drizzle-orm";
import { createDb } from "../../src/db/client";
import { memberships } from "../../src/db/schema";
import type { SessionMeta } from "./SessionMeta";

/**
 * How long the user's own channel list is trusted before the next online/offline transition reads
 * it again from the directory. channel.added/removed keep it current; the recheck repairs a list
 * that missed one (an append that failed after the directory changed).
 */
export const CHANNELS_RECHECK_MS = 5 * 60_000;

/**
 * The user's channel ids: the `channels` table (in memory once read), copied from the directory
 * (D1) and kept current by channel.added / channel.removed; meta `channels_checked_at` says when
 * it last matched the directory.
 */
export class ChannelList {
  /** The `channels` table in memory; null until needed. */
  private ids: Set<string> | null = null;
  /** Counts channel.added/removed, so a directory read that raced one is done again. */
  private changes = 0;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly db: D1Database,
    private readonly meta: SessionMeta,
    private readonly me: () => string,
  ) {}

  /**
   * The kept list, read again from the directory first when it is older than `maxAgeMs` (a
   * transition) or was never read (Infinity: a frame that only needs the list).
   */
  async mine(maxAgeMs = Number.POSITIVE_INFINITY): Promise<Set<string>> {
    const sql = this.storage.sql;
    const checkedAt = Number(this.meta.get("channels_checked_at") ?? "-1");
    if (checkedAt >= 0 && Date.now() - checkedAt <= maxAgeMs) {
      this.ids ??= new Set(
        sql
          .exec<{ channel_id: string }>("SELECT channel_id FROM channels")
          .toArray()
          .map((r) => r.channel_id),
      );
      return this.ids;
    }
    for (;;) {
      const changes = this.changes;
      const readAt = Date.now();
      const rows = await createDb(this.db)
        .select({ channelId: memberships.channelId })
        .from(memberships)
        .where(eq(memberships.userId, this.me()));
      if (changes !== this.changes) continue;
      const ids = new Set(rows.map((r) => r.channelId));
      this.storage.transactionSync(() => {
        sql.exec("DELETE FROM channels");
        for (const id of ids) sql.exec("INSERT INTO channels (channel_id) VALUES (?)", id);
      });
      this.meta.set("channels_checked_at", String(readAt));
      this.ids = ids;
      return ids;
    }
  }

  added(channelId: string): void {
    this.storage.sql.exec("INSERT OR IGNORE INTO channels (channel_id) VALUES (?)", channelId);
    this.ids?.add(channelId);
    this.changes++;
  }

  removed(channelId: string): void {
    this.storage.sql.exec("DELETE FROM channels WHERE channel_id = ?", channelId);
    this.ids?.delete(channelId);
    this.changes++;
  }
}
