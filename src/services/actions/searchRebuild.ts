import { createDb } from "../../db/client";
import { channelRoom } from "../../lib/stubs";
import type { SearchIndexJob, SearchRebuild } from "../../protocol/search";
import { type AuditActor, auditEntry } from "../audit";
import { clearIndexStatements, type IndexEntry, writeIndexEntries } from "../directory/searchIndex";

// Rebuilding the search index from the ChannelRooms, which hold every message (README "Search":
// `wrangler d1 export` refuses a database with FTS5 tables, so a restored backup is re-indexed).
// A run walks the channels by id and each room's messages by seq, one page per queue job; its
// cursor is one D1 row, advanced compare-and-set, so a job delivered twice does its page twice
// (harmless: writes are idempotent) but never forks the run, and a run whose chain of jobs broke
// resumes from the cursor when the endpoint is called again.

/** Messages per rebuild step (one room call, one queue job). */
export const REBUILD_PAGE = 500;

type RebuildRow = {
  run_id: string;
  status: "running" | "done";
  channel_id: string | null;
  after_seq: number;
  channels_done: number;
  channels_total: number;
  messages_indexed: number;
  started_at: string;
  updated_at: string;
};

const toJson = (row: RebuildRow): SearchRebuild => ({
  run_id: row.run_id,
  status: row.status,
  channels_done: row.channels_done,
  channels_total: row.channels_total,
  messages_indexed: row.messages_indexed,
  started_at: row.started_at,
  updated_at: row.updated_at,
});

const readRun = (db: D1Database) => db.prepare("SELECT * FROM search_rebuild WHERE id = 1").first<RebuildRow>();

/** The current or last run, or null if the index was never rebuilt. */
export async function searchRebuildState(db: D1Database): Promise<SearchRebuild | null> {
  const row = await readRun(db);
  return row ? toJson(row) : null;
}

const nextChannel = async (db: D1Database, after: string | null) =>
  (
    await db
      .prepare("SELECT id FROM channels WHERE id > ? ORDER BY id LIMIT 1")
      .bind(after ?? "")
      .first<{ id: string }>()
  )?.id ?? null;

async function enqueue(env: Env, row: RebuildRow): Promise<void> {
  if (row.status !== "running" || row.channel_id === null) return;
  const job: SearchIndexJob = { kind: "rebuild", run_id: row.run_id, channel_id: row.channel_id, after_seq: row.after_seq };
  await env.SEARCH_INDEX_QUEUE.send(job, { contentType: "json" });
}

/** The audit entry of a start (or resume), as a raw statement for this module's D1 batches. */
function auditStatement(db: D1Database, actor: AuditActor, runId: string, details: Record<string, unknown>): D1PreparedStatement {
  const query = auditEntry(
    createDb(db),
    actor,
    "search.rebuild_started",
    { type: "workspace", id: "search_index" },
    { run_id: runId, ...details },
  ).toSQL();
  return db.prepare(query.sql).bind(...query.params);
}

/** Starts a run (or resumes the one in progress); returns its progress. Audited `search.rebuild_started`. */
export async function startSearchRebuild(env: Env, actor: AuditActor, fromScratch: boolean): Promise<SearchRebuild> {
  const db = env.DB;
  const current = await readRun(db);
  if (current && current.status === "running" && !fromScratch) {
    await auditStatement(db, actor, current.run_id, { from_scratch: false, resumed: true }).run();
    await enqueue(env, current);
    return toJson(current);
  }
  const now = new Date().toISOString();
  const first = await nextChannel(db, null);
  const total = (await db.prepare("SELECT COUNT(*) AS n FROM channels").first<{ n: number }>())?.n ?? 0;
  const row: RebuildRow = {
    run_id: crypto.randomUUID(),
    status: first === null ? "done" : "running",
    channel_id: first,
    after_seq: 0,
    channels_done: 0,
    channels_total: total,
    messages_indexed: 0,
    started_at: now,
    updated_at: now,
  };
  // The audit entry, the emptied index (from scratch) and the new run: one batch.
  await db.batch([
    auditStatement(db, actor, row.run_id, { from_scratch: fromScratch, resumed: false }),
    ...(fromScratch ? clearIndexStatements(db) : []),
    db
      .prepare(
        `INSERT INTO search_rebuild (id, run_id, status, channel_id, after_seq, channels_done, channels_total, messages_indexed, started_at, updated_at)
       VALUES (1, ?1, ?2, ?3, 0, 0, ?4, 0, ?5, ?5)
       ON CONFLICT (id) DO UPDATE SET run_id = ?1, status = ?2, channel_id = ?3, after_seq = 0, channels_done = 0, channels_total = ?4,
         messages_indexed = 0, started_at = ?5, updated_at = ?5`,
      )
      .bind(row.run_id, row.status, row.channel_id, row.channels_total, now),
  ]);
  await enqueue(env, row);
  return toJson(row);
}

/** Pages one rebuild job does before handing over to the next job (so one job stays short). */
const PAGES_PER_JOB = 8;

/**
 * One rebuild job: indexes up to PAGES_PER_JOB pages (moving on through the channels), advancing
 * the cursor after each, then enqueues the next job.
 */
export async function runSearchRebuildStep(env: Env, job: Extract<SearchIndexJob, { kind: "rebuild" }>): Promise<void> {
  const db = env.DB;
  let row = await readRun(db);
  for (let page = 0; page < PAGES_PER_JOB; page++) {
    if (!row || row.run_id !== job.run_id || row.status !== "running" || row.channel_id === null) return;
    if (page === 0 && (row.channel_id !== job.channel_id || row.after_seq !== job.after_seq)) return; // a stale or repeated job
    const moved = await indexPage(env, row, row.channel_id);
    if (!moved) return; // another job moved the cursor first
    row = await readRun(db);
  }
  if (row && row.run_id === job.run_id) await enqueue(env, row);
}

/** Indexes the page at the run's cursor and moves the cursor on (compare-and-set); false if it had moved. */
async function indexPage(env: Env, row: RebuildRow, channelId: string): Promise<boolean> {
  const db = env.DB;
  const page = await channelRoom(env, channelId).searchDocuments(row.after_seq, REBUILD_PAGE);
  await writeIndexEntries(
    db,
    page.jobs.flatMap((j): IndexEntry[] => (j.kind === "message" ? [{ version: j.version, doc: j.doc }] : [])),
  );
  const next =
    page.last_seq !== null
      ? { channel_id: channelId, after_seq: page.last_seq, done: 0 }
      : { channel_id: await nextChannel(db, channelId), after_seq: 0, done: 1 };
  const moved = await db
    .prepare(
      `UPDATE search_rebuild SET channel_id = ?1, after_seq = ?2, channels_done = channels_done + ?3,
         messages_indexed = messages_indexed + ?4, status = ?5, updated_at = ?6
       WHERE id = 1 AND run_id = ?7 AND channel_id = ?8 AND after_seq = ?9`,
    )
    .bind(
      next.channel_id,
      next.after_seq,
      next.done,
      page.jobs.length,
      next.channel_id === null ? "done" : "running",
      new Date().toISOString(),
      row.run_id,
      channelId,
      row.after_seq,
    )
    .run();
  return moved.meta.changes === 1;
}
