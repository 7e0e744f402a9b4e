import { answer } from "../../durable-objects/channel-room/answer";
import { ChannelRoom } from "../../durable-objects/channel-room/ChannelRoom";
import { NO_MENTIONS } from "../../durable-objects/channel-room/MessageStore";
import type { RoomResult } from "../../durable-objects/channel-room/rpcTypes";
import { invalid } from "../../src/lib/ColinkError";
import { newId } from "../../src/lib/ids";
import { messageText, prng } from "./searchCorpus";

/** The most messages one search-seeding call writes (they travel back to the Worker for the index). */
export const MAX_SEARCH_SEED_BATCH = 5_000;

/** A seeded message as the search index needs it. */
export type SeededDoc = { id: string; seq: number; author_id: string; text: string; created_at: number };

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

  /**
   * Appends `count` messages of the bench's search corpus (searchCorpus.ts, drawn from `seed`) in
   * one transaction, authors taken in turn from `authorIds`, sent `stepMs` apart from `fromMs`; no
   * events or outbox rows: the seeding Worker writes their index rows to D1 in bulk.
   */
  seedSearchMessages(
    authorIds: string[],
    count: number,
    seed: number,
    fromMs: number,
    stepMs: number,
  ): RoomResult<{ docs: SeededDoc[]; version: number }> {
    return answer(() => {
      const { meta: metaStore, sql } = this.core;
      const meta = metaStore.require();
      if (!Number.isInteger(count) || count < 1 || count > MAX_SEARCH_SEED_BATCH) throw invalid("count", `1 to ${MAX_SEARCH_SEED_BATCH}.`);
      if (authorIds.length === 0) throw invalid("author_ids", "At least one.");
      const rand = prng(seed);
      const mentions = JSON.stringify(NO_MENTIONS);
      const docs: SeededDoc[] = [];
      const first = meta.last_message_seq + 1;
      this.core.transact(() => {
        for (let i = 0; i < count; i++) {
          const seq = first + i;
          const at = fromMs + i * stepMs;
          const doc = {
            id: newId("m", at),
            seq,
            author_id: authorIds[i % authorIds.length] as string,
            text: messageText(rand),
            created_at: at,
          };
          sql.exec(
            "INSERT INTO messages (seq, id, author_id, text, mentions, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            seq,
            doc.id,
            doc.author_id,
            doc.text,
            mentions,
            new Date(at).toISOString(),
          );
          docs.push(doc);
        }
        sql.exec("UPDATE meta SET last_message_seq = ? WHERE id = 1", first + count - 1);
        meta.last_message_seq = first + count - 1;
      });
      return { docs, version: meta.last_event_seq };
    });
  }
}
