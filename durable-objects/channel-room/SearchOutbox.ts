import { log } from "../../src/lib/log";
import { indexedText } from "../../src/lib/search/searchText";
import type { Message } from "../../src/protocol/messages";
import type { SearchDocument, SearchIndexJob } from "../../src/protocol/search";
import type { MessageRow, MessageStore } from "./MessageStore";
import type { MetaRow, RoomMeta } from "./RoomMeta";

/** The alarm purpose of the outbox flush (AlarmSchedule). */
export const SEARCH_OUTBOX_ALARM = "search_outbox";

/** The outbox's table: one step of the room's migrations (schema.ts "0005_search_outbox"). */
export const SEARCH_OUTBOX_TABLE = `
-- Messages whose search index entry is out of date: written in the transaction that changes the
-- message, deleted once their index jobs are on the queue (SearchOutbox).
CREATE TABLE search_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message_seq INTEGER NOT NULL
);
`;

/**
 * A pruned message's last index document (deleted, no text): retention deletes the message row in
 * the transaction that writes the outbox row, so the flush cannot read it back (schema.ts
 * "0007_retention"). NULL for every other row.
 */
export const SEARCH_OUTBOX_PRUNED_COLUMN = "ALTER TABLE search_outbox ADD COLUMN pruned_doc TEXT;";

/** Sends index jobs to the colink-search-index queue (a test puts a failing one in). */
export type SendJobs = (jobs: SearchIndexJob[]) => Promise<void>;

/** How long a change waits for others to share its flush: a burst of sends goes as one batch. */
export const FLUSH_DELAY_MS = 100;
/** Rows one flush takes; more wait for the next run, at once. */
const FLUSH_ROWS = 500;
/** sendBatch takes at most 100 messages and 256 KB. */
const BATCH_MESSAGES = 100;
const BATCH_BYTES = 200_000;
const MAX_BACKOFF_MS = 5 * 60_000;

/** The search index document of a message, as the room has it now. */
export function searchDocument(meta: MetaRow, message: Message): SearchDocument {
  // Files are attached by the files feature (API.md "Files"): a message that carries them says so.
  const files = (message as { files?: unknown }).files;
  return {
    message_id: message.id,
    channel_id: meta.channel_id,
    seq: message.seq,
    author_id: message.author_id,
    created_at: message.created_at,
    thread_root_id: message.thread_root_id,
    reply_count: message.reply_count,
    has_file: Array.isArray(files) && files.length > 0,
    text: message.deleted ? "" : indexedText(message.text),
    deleted: message.deleted,
  };
}

/** Groups jobs into sendBatch calls within the queue's limits. */
export function batchesOf(jobs: SearchIndexJob[]): SearchIndexJob[][] {
  const out: SearchIndexJob[][] = [];
  let current: SearchIndexJob[] = [];
  let bytes = 0;
  const encoder = new TextEncoder();
  for (const job of jobs) {
    const size = encoder.encode(JSON.stringify(job)).length + 100;
    if (current.length > 0 && (current.length >= BATCH_MESSAGES || bytes + size > BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(job);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * The room's search outbox. Every change to a message (create, edit, delete, a thread root's
 * summary moving) adds a row in the same transaction as the change (RoomCore.commit), so a crash
 * after the commit loses no index job; the room's alarm flushes it: the messages' current state
 * goes to the queue, and only then are the rows deleted (a row added while the send was out stays
 * for the next flush). A failed send is retried with growing waits. Jobs carry the room's event
 * seq as their version, and the consumer keeps the newest, so a job sent twice (a crash after
 * sending, before deleting) does no harm.
 */
export class SearchOutbox {
  private failures = 0;

  constructor(
    private readonly sql: SqlStorage,
    private readonly meta: RoomMeta,
    private readonly messages: MessageStore,
    private readonly schedule: (at: number) => void,
    /** Not readonly: the crash test puts a failing one in. */
    public send: SendJobs,
  ) {}

  /** Call inside the transaction that changes the message. */
  add(seq: number, now: number): void {
    this.sql.exec("INSERT INTO search_outbox (message_seq) VALUES (?)", seq);
    this.schedule(now + FLUSH_DELAY_MS);
  }

  /**
   * Call inside the pruning transaction (MessageRetention): the index entries of these messages,
   * deleted from the room for good, must go too. Their jobs carry a version above anything the
   * room has sent (pruning appends no event), so they outrank every earlier job of the message.
   */
  addPruned(docs: readonly SearchDocument[], now: number): void {
    if (docs.length === 0) return;
    this.sql.exec(
      "INSERT INTO search_outbox (message_seq, pruned_doc) SELECT json_extract(value, '$.seq'), value FROM json_each(?)",
      JSON.stringify(docs),
    );
    this.schedule(now + FLUSH_DELAY_MS);
  }

  /**
   * For a rebuild of the index: the room's messages after `afterSeq` (deleted ones too, so their
   * entries go), at most `limit`, as index jobs at the room's current version.
   */
  documentsAfter(afterSeq: number, limit: number): { jobs: SearchIndexJob[]; last_seq: number | null } {
    const meta = this.meta.read();
    if (!meta) return { jobs: [], last_seq: null };
    const rows = this.sql.exec<MessageRow>("SELECT * FROM messages WHERE seq > ? ORDER BY seq LIMIT ?", afterSeq, limit).toArray();
    const version = meta.last_event_seq;
    const jobs: SearchIndexJob[] = this.messages
      .jsonMany(meta, rows)
      .map((message) => ({ kind: "message", version, doc: searchDocument(meta, message) }));
    return { jobs, last_seq: rows.length < limit ? null : (rows.at(-1)?.seq ?? null) };
  }

  /** How many changes wait to be sent. */
  pending(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM search_outbox").one().n;
  }

  /** The alarm's task: sends a batch; due again at once if more wait, later after a failure, else not until the next change. */
  async flush(now: number): Promise<number | null> {
    const meta = this.meta.read();
    const rows = this.sql
      .exec<{ id: number; message_seq: number; pruned_doc: string | null }>(
        "SELECT id, message_seq, pruned_doc FROM search_outbox ORDER BY id LIMIT ?",
        FLUSH_ROWS,
      )
      .toArray();
    const through = rows.at(-1)?.id;
    if (!meta || through === undefined) return null;
    const seqs = [...new Set(rows.filter((r) => r.pruned_doc === null).map((r) => r.message_seq))];
    const current = this.sql
      .exec<MessageRow>("SELECT * FROM messages WHERE seq IN (SELECT value FROM json_each(?))", JSON.stringify(seqs))
      .toArray();
    const version = meta.last_event_seq;
    const jobs: SearchIndexJob[] = this.messages
      .jsonMany(meta, current)
      .map((message) => ({ kind: "message", version, doc: searchDocument(meta, message) }));
    // A pruned message has no row left (and never will again): its deletion, one above every version sent.
    for (const row of rows)
      if (row.pruned_doc !== null) jobs.push({ kind: "message", version: version + 1, doc: JSON.parse(row.pruned_doc) as SearchDocument });
    try {
      for (const batch of batchesOf(jobs)) await this.send(batch);
    } catch (error) {
      this.failures++;
      const wait = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.failures - 1));
      log("warn", "search outbox flush failed", { channel_id: meta.channel_id, pending: rows.length, retry_in_ms: wait, error });
      return now + wait;
    }
    this.failures = 0;
    this.sql.exec("DELETE FROM search_outbox WHERE id <= ?", through);
    return rows.length === FLUSH_ROWS ? now : null;
  }
}
