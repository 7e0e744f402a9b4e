import { and, eq, inArray, lt } from "drizzle-orm";
import type { Database } from "../../db/client";
import { files } from "../../db/schema";
import { enqueueScan, removeFiles } from "./files";

/** A file `scanning` this long without a verdict is put on the queue again (queues deliver at least once; a send can fail). */
export const STUCK_SCAN_MS = 30 * 60 * 1000;
/** Uploads never completed are deleted after this long. */
export const ABANDONED_UPLOAD_MS = 24 * 60 * 60 * 1000;
const BATCH = 100;

/**
 * The file sweep (a cron every 10 minutes): re-enqueues files stuck in `scanning` (the consumer is
 * idempotent, so a file whose message is merely slow is scanned once more at worst) and deletes
 * uploads left unfinished for a day, bytes and all. Bounded per run; the next run does the rest.
 */
export async function sweepFiles(env: Env, db: Database, now = Date.now()): Promise<{ requeued: number; abandoned: number }> {
  const stuckBefore = new Date(now - STUCK_SCAN_MS).toISOString();
  const isStuck = and(eq(files.status, "scanning"), lt(files.scanQueuedAt, stuckBefore));
  const candidates = await db.select({ id: files.id }).from(files).where(isStuck).limit(BATCH).all();
  const stuck =
    candidates.length === 0
      ? []
      : await db
          .update(files)
          .set({ scanQueuedAt: new Date(now).toISOString() })
          .where(
            and(
              isStuck,
              inArray(
                files.id,
                candidates.map((c) => c.id),
              ),
            ),
          )
          .returning({ id: files.id, etag: files.etag });
  for (const file of stuck) if (file.etag) await enqueueScan(env, { file_id: file.id, etag: file.etag });

  const abandonedBefore = new Date(now - ABANDONED_UPLOAD_MS).toISOString();
  const abandoned = await db
    .select()
    .from(files)
    .where(and(eq(files.status, "uploading"), lt(files.createdAt, abandonedBefore)))
    .limit(BATCH)
    .all();
  for (const row of abandoned) await removeFiles(env, db, [row]);
  return { requeued: stuck.length, abandoned: abandoned.length };
}
