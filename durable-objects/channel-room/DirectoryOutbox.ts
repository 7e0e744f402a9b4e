import { log } from "../../src/lib/log";

/** The alarm purpose that flushes the outbox (AlarmSchedule). */
export const DIRECTORY_OUTBOX_ALARM = "directory_outbox";

/** An audit row flushes within this long even if the Worker that asked for it never calls back. */
const AUDIT_FLUSH_DELAY_MS = 5_000;
/** Message counts are batched: one D1 write per room per this long at most. */
const COUNT_FLUSH_DELAY_MS = 30_000;
const FLUSH_BATCH = 100;

/** An audit row as the room records it; the Worker's audit reader sees it as any other. */
export type RoomAuditEntry = {
  /** Null for what the room does on its own (a retention run). */
  actorId: string | null;
  action: string;
  target: { type: string; id: string };
  details: Record<string, unknown>;
  requestId: string | null;
};

type OutboxRow = {
  id: number;
  at: string;
  actor_id: string | null;
  action: string;
  target_type: string;
  target_id: string;
  details: string;
  request_id: string | null;
};

/**
 * What the room owes the D1 directory: audit rows for moderation done here (a moderator deleting
 * someone's message, removing a member, archiving, a retention run), per-day message counts for
 * the stats, and the files retention left no message of the room carrying.
 *
 * Why an outbox rather than the caller writing D1 after the room answers: the change commits in the
 * room's SQLite, and a D1 write made afterwards by the Worker can be lost (the Worker dies, D1
 * refuses) with the change already done, leaving a moderation action with no audit row. Here the
 * row is written in the very transaction of the change, so it exists exactly when the change does,
 * and leaves for D1 (1) at once, when the calling action awaits `flush` right after the room
 * answers (so GET /admin/audit shows it immediately), and (2) otherwise from the room's alarm,
 * which retries until D1 takes it. Both may run: the D1 insert is keyed by `<channel_id>:<row id>`
 * (audit_log.source_key), so a row is recorded once. Flushes of one room run one at a time, so a
 * count is added once (a crash between D1's commit and the local delete can count a batch twice:
 * acceptable for a statistic, never for the audit log, which is keyed).
 */
export class DirectoryOutbox {
  private flushing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly sql: SqlStorage,
    private readonly db: D1Database,
    private readonly channelId: () => string | null,
    private readonly schedule: (at: number) => void,
    /** Takes the flush off the alarm schedule: called when a flush leaves nothing behind. */
    private readonly unschedule: () => void,
  ) {}

  /** Records an audit row. Call inside the change's transaction. */
  audit(entry: RoomAuditEntry, at: Date): void {
    this.sql.exec(
      "INSERT INTO audit_outbox (at, actor_id, action, target_type, target_id, details, request_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
      at.toISOString(),
      entry.actorId,
      entry.action,
      entry.target.type,
      entry.target.id,
      JSON.stringify(entry.details),
      entry.requestId,
    );
    this.schedule(at.getTime() + AUDIT_FLUSH_DELAY_MS);
  }

  /**
   * Files no message of this room carries any more (message retention pruned the last): D1 takes
   * the channel off their posts, and a file then posted nowhere is marked unreferenced, for the
   * retention sweep to delete (src/services/actions/retentionSweep.ts). Call inside the pruning
   * transaction. A file posted here again takes its pending release back (FileStore.attach), and
   * posting clears `unreferenced_at` in D1; what is not covered is a post whose D1 listing lands
   * while this release is already on its way to D1 (a window of one flush, once a day at most).
   */
  releaseFiles(fileIds: readonly string[], at: Date): void {
    if (fileIds.length === 0) return;
    this.sql.exec(
      "INSERT INTO file_release_outbox (file_id, at) SELECT value, ? FROM json_each(?) WHERE true ON CONFLICT (file_id) DO NOTHING",
      at.toISOString(),
      JSON.stringify(fileIds),
    );
    this.schedule(at.getTime() + AUDIT_FLUSH_DELAY_MS);
  }

  /** Counts a sent message on its UTC day. Call inside the send's transaction. */
  countMessage(at: Date): void {
    this.sql.exec(
      "INSERT INTO message_day_pending (day, count) VALUES (?, 1) ON CONFLICT (day) DO UPDATE SET count = count + 1",
      at.toISOString().slice(0, 10),
    );
    this.schedule(at.getTime() + COUNT_FLUSH_DELAY_MS);
  }

  /** Sends what is pending to D1 (after any flush still running). Resolves when D1 has it; rejects if D1 refused. */
  flush(): Promise<void> {
    const run = this.flushing.then(
      () => this.flushAll(),
      () => this.flushAll(),
    );
    this.flushing = run.catch(() => undefined);
    return run;
  }

  /** The alarm's task: flushes; due again in a minute if D1 refused (AlarmSchedule retries), else not until the next entry. */
  async alarmTask(now: number): Promise<number | null> {
    try {
      await this.flush();
      return null;
    } catch (error) {
      log("warn", "directory outbox flush failed", { channel_id: this.channelId(), error });
      return now + 60_000;
    }
  }

  private async flushAll(): Promise<void> {
    while (await this.flushBatch()) {
      // more to send
    }
    if (this.isEmpty()) this.unschedule();
  }

  private isEmpty(): boolean {
    return (
      this.sql
        .exec<{ n: number }>(
          "SELECT (SELECT COUNT(*) FROM audit_outbox) + (SELECT COUNT(*) FROM message_day_pending) + (SELECT COUNT(*) FROM file_release_outbox) AS n",
        )
        .one().n === 0
    );
  }

  /** One batch; true if there may be more. */
  private async flushBatch(): Promise<boolean> {
    const channelId = this.channelId();
    const rows = this.sql.exec<OutboxRow>("SELECT * FROM audit_outbox ORDER BY id LIMIT ?", FLUSH_BATCH).toArray();
    const counts = this.sql.exec<{ day: string; count: number }>("SELECT day, count FROM message_day_pending").toArray();
    const releases = this.sql
      .exec<{ file_id: string; at: string }>("SELECT file_id, at FROM file_release_outbox LIMIT ?", FLUSH_BATCH)
      .toArray();
    if (rows.length === 0 && counts.length === 0 && releases.length === 0) return false;
    const statements = [
      ...rows.map((r) =>
        this.db
          .prepare(
            `INSERT INTO audit_log (created_at, actor_id, action, target_type, target_id, details, request_id, source_key)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source_key) DO NOTHING`,
          )
          .bind(r.at, r.actor_id, r.action, r.target_type, r.target_id, r.details, r.request_id, `${channelId}:${r.id}`),
      ),
      ...counts.map((c) =>
        this.db
          .prepare(
            "INSERT INTO message_day_counts (day, count) VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET count = count + excluded.count",
          )
          .bind(c.day, c.count),
      ),
      // Idempotent: a release sent twice deletes nothing more and marks nothing again.
      ...releases.flatMap((r) => [
        this.db.prepare("DELETE FROM file_posts WHERE file_id = ? AND channel_id = ?").bind(r.file_id, channelId),
        this.db
          .prepare(
            "UPDATE files SET unreferenced_at = ?2 WHERE id = ?1 AND unreferenced_at IS NULL AND NOT EXISTS (SELECT 1 FROM file_posts WHERE file_id = ?1)",
          )
          .bind(r.file_id, r.at),
      ]),
    ];
    await this.db.batch(statements);
    // Only what was sent goes: rows and counts added while D1 answered stay for the next batch.
    if (rows.length > 0) this.sql.exec("DELETE FROM audit_outbox WHERE id <= ?", rows.at(-1)?.id ?? 0);
    for (const c of counts) {
      this.sql.exec("UPDATE message_day_pending SET count = count - ? WHERE day = ?", c.count, c.day);
      this.sql.exec("DELETE FROM message_day_pending WHERE day = ? AND count <= 0", c.day);
    }
    if (releases.length > 0)
      this.sql.exec(
        "DELETE FROM file_release_outbox WHERE (file_id, at) IN (SELECT json_extract(value, '$.file_id'), json_extract(value, '$.at') FROM json_each(?))",
        JSON.stringify(releases),
      );
    return rows.length === FLUSH_BATCH || releases.length === FLUSH_BATCH;
  }
}
