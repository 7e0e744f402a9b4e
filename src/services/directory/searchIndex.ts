import { hasLink, indexColumns } from "../../lib/search/searchText";
import type { SearchDocument } from "../../protocol/search";

// The search index in D1 (migrations/0005_search.sql): what the colink-search-index consumer and a
// rebuild write. Raw SQL, because drizzle has no model for FTS5 tables.

/**
 * search_messages rowids are time-ordered: created_at (ms) × SEARCH_ROWID_SLOTS plus the next free
 * slot of that millisecond, so newest-first is reverse rowid order and a date range a rowid range.
 */
export const SEARCH_ROWID_SLOTS = 1024;

/** The first rowid of a millisecond (an instant's lower bound in rowid terms). */
export const rowidAt = (ms: number): number => Math.max(0, Math.floor(ms)) * SEARCH_ROWID_SLOTS;

/** One message's index entry at `version`, as statements to run in one D1 batch. */
export type IndexEntry = { version: number; doc: SearchDocument };

/**
 * Idempotent and order-proof: every statement is guarded by the version, so a job delivered twice,
 * or after a newer one, changes nothing. A newer version replaces the FTS row (delete + insert,
 * keeping the rowid), a delete keeps the metadata row as a tombstone (deleted = 1, no FTS row).
 */
export function indexStatements(db: D1Database, { version, doc }: IndexEntry): D1PreparedStatement[] {
  const { body, cjk } = indexColumns(doc.text);
  const parsed = Date.parse(doc.created_at);
  const createdAt = Number.isFinite(parsed) ? parsed : 0;
  return [
    db
      .prepare(
        "DELETE FROM search_fts WHERE rowid = (SELECT rowid FROM search_messages WHERE message_id = ?1 AND version < ?2 AND indexed = 1)",
      )
      .bind(doc.message_id, version),
    db
      .prepare(
        `INSERT INTO search_messages (rowid, message_id, channel_id, seq, author_id, created_at, in_thread, has_file, has_link, deleted, version, indexed)
         VALUES ((SELECT ?11 + COUNT(*) FROM search_messages WHERE rowid >= ?11 AND rowid < ?11 + ${SEARCH_ROWID_SLOTS}),
           ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0)
         ON CONFLICT (message_id) DO UPDATE SET in_thread = excluded.in_thread, has_file = excluded.has_file, has_link = excluded.has_link,
           deleted = excluded.deleted, version = excluded.version, indexed = 0
         WHERE excluded.version > search_messages.version`,
      )
      .bind(
        doc.message_id,
        doc.channel_id,
        doc.seq,
        doc.author_id,
        createdAt,
        doc.thread_root_id !== null || doc.reply_count > 0 ? 1 : 0,
        doc.has_file ? 1 : 0,
        hasLink(doc.text) ? 1 : 0,
        doc.deleted ? 1 : 0,
        version,
        rowidAt(createdAt),
      ),
    db
      .prepare(
        "INSERT INTO search_fts (rowid, body, cjk) SELECT rowid, ?3, ?4 FROM search_messages WHERE message_id = ?1 AND version = ?2 AND indexed = 0 AND deleted = 0",
      )
      .bind(doc.message_id, version, body, cjk),
    db
      .prepare("UPDATE search_messages SET indexed = 1 WHERE message_id = ?1 AND version = ?2 AND indexed = 0 AND deleted = 0")
      .bind(doc.message_id, version),
  ];
}

/** The newest entry per message: a batch may carry several versions of one message. */
export function newestEntries(entries: readonly IndexEntry[]): IndexEntry[] {
  const newest = new Map<string, IndexEntry>();
  for (const e of entries) {
    const seen = newest.get(e.doc.message_id);
    if (!seen || e.version > seen.version) newest.set(e.doc.message_id, e);
  }
  return [...newest.values()];
}

/** Most statements per D1 batch (each entry is 4). */
const STATEMENTS_PER_BATCH = 400;

/** Writes the entries, in D1 batches (each one transaction). */
export async function writeIndexEntries(db: D1Database, entries: readonly IndexEntry[]): Promise<void> {
  const statements = newestEntries(entries).flatMap((e) => indexStatements(db, e));
  for (let i = 0; i < statements.length; i += STATEMENTS_PER_BATCH) await db.batch(statements.slice(i, i + STATEMENTS_PER_BATCH));
}

/** The statements that empty the index (before a rebuild from scratch), for the caller's batch. */
export function clearIndexStatements(db: D1Database): D1PreparedStatement[] {
  return [db.prepare("INSERT INTO search_fts (search_fts) VALUES ('delete-all')"), db.prepare("DELETE FROM search_messages")];
}
