import { answer } from "../../durable-objects/channel-room/answer";
import { ChannelRoom } from "../../durable-objects/channel-room/ChannelRoom";
import { NO_MENTIONS } from "../../durable-objects/channel-room/MessageStore";
import type { RoomResult } from "../../durable-objects/channel-room/rpcTypes";
import { invalid } from "../../src/lib/ColinkError";
import { newId } from "../../src/lib/ids";

/** The most messages one seeding call writes (one transaction). */
export const MAX_SEED_BATCH = 50_000;

/**
 * Colink's ChannelRoom plus bulk seeding, for the bench's `history` scenario only (bench/README.md
 * "Seeding history"). It exists only in the bench's seeding Worker (bench/seeding/wrangler.toml),
 * never in Colink's.
 */
export class BenchChannelRoom extends ChannelRoom {
  /**
   * Appends `count` plain messages by `authorId` in one transaction, continuing the message seq:
   * no events, fan-out, mention rows or D1 writes.
   */
  seedMessages(authorId: string, count: number): RoomResult<{ first_seq: number; last_seq: number }> {
    return answer(() => {
      const { meta: metaStore, sql } = this.core;
      const meta = metaStore.require();
      if (!Number.isInteger(count) || count < 1 || count > MAX_SEED_BATCH) throw invalid("count", `1 to ${MAX_SEED_BATCH}.`);
      const now = Date.now();
      const createdAt = new Date(now).toISOString();
      const mentions = JSON.stringify(NO_MENTIONS);
      const first = meta.last_message_seq + 1;
      const last = meta.last_message_seq + count;
      this.core.transact(() => {
        for (let seq = first; seq <= last; seq++) {
          sql.exec(
            "INSERT INTO messages (seq, id, author_id, text, mentions, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            seq,
            newId("m", now),
            authorId,
            `seeded message ${seq}`,
            mentions,
            createdAt,
          );
        }
        sql.exec("UPDATE meta SET last_message_seq = ? WHERE id = 1", last);
        meta.last_message_seq = last;
      });
      return { first_seq: first, last_seq: last };
    });
  }
}
