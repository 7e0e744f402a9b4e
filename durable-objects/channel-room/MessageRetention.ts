import { DAY_MS } from "../../src/lib/time";
import type { SearchDocument } from "../../src/protocol/search";
import { type MessageRow, NO_MENTIONS } from "./MessageStore";
import type { RoomCore } from "./RoomCore";

/** The alarm purpose of the message retention check (AlarmSchedule). */
export const MESSAGE_RETENTION_ALARM = "message_retention";

/** A room with messages checks the workspace's retention this often (so a changed setting applies within a day). */
export const MESSAGE_RETENTION_CHECK_MS = DAY_MS;
/** Top-level messages pruned per transaction (with all their replies); a full batch runs again at once. */
const PRUNE_BATCH = 200;

/** A message that retention deleted: what the search index and the file store need to forget it too. */
export type PrunedMessage = {
  id: string;
  seq: number;
  thread_root_id: string | null;
  author_id: string;
  created_at: string;
  /** The files it carried (the room's copies are gone by the time the hooks run). */
  file_ids: string[];
};

/**
 * Called inside the pruning transaction with the messages it deletes, after the search and
 * directory outboxes have recorded what must forget them elsewhere, so that anything else that
 * must is recorded atomically with the delete too (tests listen here).
 */
export type MessagesPruned = (messages: readonly PrunedMessage[], channelId: string) => void;

/**
 * Workspace message retention, run from the room's own alarm (never from a request). When
 * `message_days` is set, top-level messages older than that go for real, with all their thread
 * replies, reactions, pins, mentions and thread followers. Every event that carries a pruned
 * message (its creation, edits, reactions, pins, and its root's summary updates) keeps its `seq`
 * but its frame becomes the `message.deleted` tombstone of that message: `seq` stays gap-free,
 * a replay holds no pruned content, and resume behaves exactly as before (events older than the
 * event log keeps still get `resync_required`). In the same transaction, the search outbox gets the
 * pruned messages' deletions (their index rows go) and the directory outbox the files no message
 * of the room carries any more (their bytes go, once no channel has them). Each run that deletes
 * something is audited (`retention.run`).
 */
export class MessageRetention {
  readonly onPruned: MessagesPruned[] = [];

  constructor(
    private readonly room: RoomCore,
    /** The workspace's `message_days` (null: keep forever), read from D1 at each check. */
    private readonly messageDays: () => Promise<number | null>,
  ) {}

  /** The alarm's task: prunes a batch; due again at once if more is left, else in a day (null for an empty room). */
  async check(now: number): Promise<number | null> {
    const meta = this.room.meta.read();
    if (!meta) return null;
    const days = await this.messageDays();
    if (days !== null && this.prune(now - days * DAY_MS, now) === PRUNE_BATCH) return now;
    const any = this.room.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM (SELECT 1 FROM messages LIMIT 1)").one().n;
    return any > 0 ? now + MESSAGE_RETENTION_CHECK_MS : null;
  }

  /** Asks for a check a day from `now` (or sooner, if one is due sooner): every send calls it, for free after the first. */
  scheduleAfterSend(now: number): void {
    this.room.alarms.schedule(MESSAGE_RETENTION_ALARM, now + MESSAGE_RETENTION_CHECK_MS);
  }

  /** Prunes one batch of top-level messages created before `cutoff` (epoch ms); returns how many. */
  prune(cutoff: number, now = Date.now()): number {
    const { sql, meta: metaStore, messages } = this.room;
    const meta = metaStore.read();
    if (!meta) return 0;
    const roots = sql
      .exec<MessageRow>(
        "SELECT * FROM messages WHERE thread_root_id IS NULL AND created_at < ? ORDER BY seq LIMIT ?",
        new Date(cutoff).toISOString(),
        PRUNE_BATCH,
      )
      .toArray();
    if (roots.length === 0) return 0;
    const rootIds = JSON.stringify(roots.map((r) => r.id));
    const replies = sql
      .exec<MessageRow>("SELECT * FROM messages WHERE thread_root_id IN (SELECT value FROM json_each(?)) ORDER BY seq", rootIds)
      .toArray();
    const doomed = [...roots, ...replies];
    const seqs = JSON.stringify(doomed.map((r) => r.seq));
    const ids = JSON.stringify(doomed.map((r) => r.id));
    const tombstones = new Map(
      doomed.map((row) => [
        row.id,
        messages.from(meta, { ...row, text: "", mentions: JSON.stringify(NO_MENTIONS), deleted: 1, reply_count: 0 }, NO_MENTIONS, [], []),
      ]),
    );
    const filesOf = new Map<number, string[]>();
    for (const { seq, file_id } of sql
      .exec<{ seq: number; file_id: string }>("SELECT seq, file_id FROM message_files WHERE seq IN (SELECT value FROM json_each(?))", seqs)
      .toArray())
      filesOf.set(seq, [...(filesOf.get(seq) ?? []), file_id]);
    const pruned: PrunedMessage[] = doomed.map((r) => ({
      id: r.id,
      seq: r.seq,
      thread_root_id: r.thread_root_id,
      author_id: r.author_id,
      created_at: r.created_at,
      file_ids: filesOf.get(r.seq) ?? [],
    }));
    const at = new Date(now);
    this.room.transact(() => {
      // The events that carry a pruned message, whatever their type, become its tombstone.
      const carriers = sql
        .exec<{ seq: number; message_id: string }>(
          `SELECT seq, message_id FROM (
             SELECT seq, coalesce(json_extract(frame, '$.data.message_id'), json_extract(frame, '$.data.message.id'),
                                  CASE WHEN type LIKE 'message.%' THEN json_extract(frame, '$.data.id') END) AS message_id
             FROM events)
           WHERE message_id IN (SELECT value FROM json_each(?))`,
          ids,
        )
        .toArray();
      for (const { seq, message_id } of carriers) {
        const frame = sql.exec<{ frame: string; at: number }>("SELECT frame, at FROM events WHERE seq = ?", seq).one();
        const data = tombstones.get(message_id);
        const when = new Date(frame.at).toISOString();
        const tombstone = JSON.stringify({ type: "message.deleted", channel_id: meta.channel_id, seq, at: when, data });
        sql.exec("UPDATE events SET type = 'message.deleted', frame = ? WHERE seq = ?", tombstone, seq);
      }
      sql.exec("DELETE FROM reactions WHERE seq IN (SELECT value FROM json_each(?))", seqs);
      sql.exec("DELETE FROM pins WHERE seq IN (SELECT value FROM json_each(?))", seqs);
      sql.exec("DELETE FROM message_mentions WHERE seq IN (SELECT value FROM json_each(?))", seqs);
      sql.exec("DELETE FROM message_files WHERE seq IN (SELECT value FROM json_each(?))", seqs);
      sql.exec("DELETE FROM thread_followers WHERE root_id IN (SELECT value FROM json_each(?))", rootIds);
      sql.exec("DELETE FROM messages WHERE seq IN (SELECT value FROM json_each(?))", seqs);
      this.room.searchOutbox.addPruned(
        pruned.map((m) => prunedDocument(meta.channel_id, m)),
        now,
      );
      const released = this.releaseFiles(pruned, at);
      for (const hook of this.onPruned) hook(pruned, meta.channel_id);
      this.room.outbox.audit(
        {
          actorId: null,
          action: "retention.run",
          target: { type: "channel", id: meta.channel_id },
          details: {
            messages: doomed.length,
            before: new Date(cutoff).toISOString(),
            events_tombstoned: carriers.length,
            files_released: released,
          },
          requestId: null,
        },
        at,
      );
    });
    return roots.length;
  }

  /**
   * Inside the pruning transaction, after the deletes: the files that no message left in the room
   * carries go to the directory outbox, which takes the channel off their posts in D1 (and marks
   * a file posted nowhere else unreferenced, for the retention sweep to delete). Returns how many.
   */
  private releaseFiles(pruned: readonly PrunedMessage[], at: Date): number {
    const candidates = [...new Set(pruned.flatMap((m) => m.file_ids))];
    if (candidates.length === 0) return 0;
    const orphans = this.room.sql
      .exec<{ value: string }>(
        "SELECT value FROM json_each(?) WHERE NOT EXISTS (SELECT 1 FROM message_files WHERE file_id = value)",
        JSON.stringify(candidates),
      )
      .toArray()
      .map((r) => r.value);
    this.room.outbox.releaseFiles(orphans, at);
    return orphans.length;
  }
}

/** The index document that removes a pruned message (SearchOutbox.addPruned). */
function prunedDocument(channelId: string, m: PrunedMessage): SearchDocument {
  return {
    message_id: m.id,
    channel_id: channelId,
    seq: m.seq,
    author_id: m.author_id,
    created_at: m.created_at,
    thread_root_id: m.thread_root_id,
    reply_count: 0,
    has_file: false,
    text: "",
    deleted: true,
  };
}
