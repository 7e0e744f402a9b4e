import { and, asc, eq, isNotNull, lt, notExists, notInArray } from "drizzle-orm";
import type { Database } from "../../db/client";
import { exportEntries, exportsTable, filePosts, files } from "../../db/schema";
import { config } from "../../lib/config";
import { DAY_MS } from "../../lib/time";
import { auditEntry } from "../audit";
import type { FileRow } from "../queries/files";
import { type BatchItem, removeFiles } from "./files";
import { getRetention } from "./retention";

/** Files deleted per kind per run (D1 binds at most 100 values a query); the next run does the rest. */
const FILE_BATCH = 40;
const EXPORT_BATCH = 20;

export type RetentionSweepResult = { files_unreferenced: number; files_expired: number; exports_expired: number };

/**
 * The retention sweep (the 10-minute cron, after the file sweep). What goes, for real:
 * - files message retention left posted nowhere (a ChannelRoom's directory outbox set
 *   `unreferenced_at` when it pruned the last message carrying them in the last channel);
 * - files older than the workspace's `file_days`, wherever they were posted;
 * - finished export archives older than EXPORT_RETENTION_DAYS (the export becomes `expired`).
 * A file goes with its bytes, quarantined bytes and thumbnail, and each channel that showed it
 * appends `file.deleted`. A run that deletes something writes one `retention.run` audit row with
 * the counts, in the batch that deletes the rows. Bounded per run.
 */
export async function sweepRetention(env: Env, db: Database, now = Date.now()): Promise<RetentionSweepResult> {
  const { file_days } = await getRetention(db);
  const unreferenced = await db
    .select()
    .from(files)
    .where(
      and(
        isNotNull(files.unreferencedAt),
        notExists(db.select({ one: filePosts.fileId }).from(filePosts).where(eq(filePosts.fileId, files.id))),
      ),
    )
    .orderBy(asc(files.unreferencedAt))
    .limit(FILE_BATCH)
    .all();
  const fileCutoff = file_days === null ? null : new Date(now - file_days * DAY_MS).toISOString();
  const expired: FileRow[] =
    fileCutoff === null
      ? []
      : await db
          .select()
          .from(files)
          .where(
            unreferenced.length === 0
              ? lt(files.createdAt, fileCutoff)
              : and(
                  lt(files.createdAt, fileCutoff),
                  notInArray(
                    files.id,
                    unreferenced.map((f) => f.id),
                  ),
                ),
          )
          .orderBy(asc(files.createdAt))
          .limit(FILE_BATCH)
          .all();
  const exportCutoff = new Date(now - config(env).EXPORT_RETENTION_DAYS * DAY_MS).toISOString();
  const oldExports = await db
    .select()
    .from(exportsTable)
    .where(and(eq(exportsTable.status, "done"), lt(exportsTable.finishedAt, exportCutoff)))
    .orderBy(asc(exportsTable.finishedAt))
    .limit(EXPORT_BATCH)
    .all();

  const result: RetentionSweepResult = {
    files_unreferenced: unreferenced.length,
    files_expired: expired.length,
    exports_expired: oldExports.length,
  };
  if (unreferenced.length + expired.length + oldExports.length === 0) return result;

  const audit = auditEntry(
    db,
    null,
    "retention.run",
    { type: "workspace", id: "retention" },
    {
      ...result,
      file_days,
      files_before: fileCutoff,
      export_retention_days: config(env).EXPORT_RETENTION_DAYS,
      file_ids: [...unreferenced, ...expired].map((f) => f.id),
      export_ids: oldExports.map((e) => e.id),
    },
  );
  // One batch: the audit row, the exports marked expired (a download then answers 410, never a
  // half-deleted object), the files' rows; then the bytes go.
  const expiredAt = new Date(now).toISOString();
  const marks: BatchItem[] = oldExports.flatMap((e) => [
    db
      .update(exportsTable)
      .set({ status: "expired", expiredAt, version: e.version + 1 })
      .where(and(eq(exportsTable.id, e.id), eq(exportsTable.status, "done"))),
    db.delete(exportEntries).where(eq(exportEntries.exportId, e.id)),
  ]);
  await removeFiles(env, db, expired, [audit, ...marks], { unreferenced });
  const keys = oldExports.flatMap((e) => (e.objectKey ? [e.objectKey] : []));
  if (keys.length > 0) await env.FILES.delete(keys);
  return result;
}
