import { eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { exportsTable } from "../../db/schema";
import { ColinkError, notFound } from "../../lib/ColinkError";
import { config } from "../../lib/config";
import { newId } from "../../lib/ids";
import { log } from "../../lib/log";
import type { ExportView } from "../../protocol/admin";
import type { ExportMessage } from "../../queues/exportJob";
import { type AuditActor, auditEntry } from "../audit";

// Workspace exports: the row and its audit entry in one batch, then the first slice on the queue
// (src/queues/exportJob.ts does the work).

const view = (row: typeof exportsTable.$inferSelect): ExportView => ({
  id: row.id,
  status: row.status,
  ...(row.status === "done" ? { download_url: `/api/v1/admin/exports/${row.id}/download`, size: row.size ?? 0 } : {}),
  ...(row.status === "failed" && row.error ? { error: row.error } : {}),
});

export async function createExport(env: Env, db: Database, actor: AuditActor, channelIds: string[] | undefined): Promise<ExportView> {
  const id = newId("exp");
  const includeDms = config(env).EXPORT_INCLUDE_DMS;
  const [, [row]] = await db.batch([
    auditEntry(db, actor, "export.created", { type: "export", id }, { channel_ids: channelIds ?? null, include_dms: includeDms }),
    db
      .insert(exportsTable)
      .values({ id, createdBy: actor.user.id, channelIds: channelIds ?? null, includeDms })
      .returning(),
  ]);
  if (!row) throw new Error("export insert returned no row");
  try {
    await env.EXPORT_QUEUE.send({ export_id: id, version: 0 } satisfies ExportMessage);
  } catch (error) {
    log("error", "export could not be queued", { export_id: id, error });
    await db.update(exportsTable).set({ status: "failed", error: "could not be queued" }).where(eq(exportsTable.id, id));
    return { id, status: "failed", error: "could not be queued" };
  }
  return view(row);
}

export async function getExport(db: Database, exportId: string): Promise<ExportView> {
  const row = await db.select().from(exportsTable).where(eq(exportsTable.id, exportId)).get();
  if (!row) throw notFound("export");
  return view(row);
}

/** The finished archive's bytes, streamed from R2; 404 until it is done, 410 `export_expired` once the sweep deleted it. */
export async function exportArchive(env: Env, db: Database, exportId: string): Promise<R2ObjectBody> {
  const row = await db.select().from(exportsTable).where(eq(exportsTable.id, exportId)).get();
  if (row?.status === "expired")
    throw new ColinkError(
      410,
      "export_expired",
      `This export's archive was deleted ${config(env).EXPORT_RETENTION_DAYS} days after it was written; start a new export.`,
    );
  if (row?.status !== "done" || !row.objectKey) throw notFound("export");
  const object = await env.FILES.get(row.objectKey);
  if (!object) throw notFound("export");
  return object;
}
