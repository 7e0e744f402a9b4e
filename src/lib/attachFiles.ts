import { and, eq, inArray, isNotNull, isNull, notExists } from "drizzle-orm";
import type { Database } from "../db/client";
import { fileFromRow } from "../db/fileFromRow";
import { channels, filePosts, files } from "../db/schema";
import type { FileInfo } from "../protocol/files";
import { ColinkError, type FieldError, notFound } from "./ColinkError";
import { log } from "./log";
import { channelRoom } from "./stubs";

/**
 * The files a message will carry: the sender's own, in any status but quarantined (a file still
 * uploading or scanning may be shown), each once (422 naming each one that is not). They are
 * listed as posted in the channel before the message is sent, so a scan verdict written meanwhile
 * is announced there either way (see `announceChanges`). `undo` takes back the listings this call
 * made, for a send the room refused. Both send paths call it, HTTP (services/actions/messages.ts)
 * and the socket (UserSession's SocketSend), in the same order relative to the room's checks.
 */
export async function prepareAttachments(
  db: Database,
  senderId: string,
  channelId: string,
  fileIds: readonly string[],
): Promise<{ files: FileInfo[]; undo: () => Promise<void> }> {
  if (fileIds.length === 0) return { files: [], undo: async () => {} };
  const rows = await db
    .select()
    .from(files)
    .where(inArray(files.id, [...fileIds]))
    .all();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const errors: FieldError[] = [];
  fileIds.forEach((id, i) => {
    const row = byId.get(id);
    if (fileIds.indexOf(id) !== i) errors.push({ path: `file_ids.${i}`, message: "Listed twice." });
    else if (!row || row.uploadedBy !== senderId) errors.push({ path: `file_ids.${i}`, message: "No such file of yours." });
    else if (row.status === "quarantined") errors.push({ path: `file_ids.${i}`, message: "This file was quarantined." });
  });
  if (errors.length > 0) throw new ColinkError(422, "invalid_file", "Some files cannot be attached.", { errors });
  // The room has the last word on the channel; this only keeps the listing's foreign key valid.
  if (!(await db.select({ id: channels.id }).from(channels).where(eq(channels.id, channelId)).get())) throw notFound("channel");
  // Posted somewhere again: a file retention had left unreferenced is no longer the sweep's to delete.
  const [inserted] = await db.batch([
    db
      .insert(filePosts)
      .values(fileIds.map((fileId) => ({ fileId, channelId })))
      .onConflictDoNothing()
      .returning({ fileId: filePosts.fileId }),
    db
      .update(files)
      .set({ unreferencedAt: null })
      .where(and(inArray(files.id, [...fileIds]), isNotNull(files.unreferencedAt))),
  ]);
  const attached = fileIds.map((id) => fileFromRow(byId.get(id) as (typeof rows)[number]));
  return {
    files: attached,
    // The room refused: the posts made here go, and a file retention had released is released
    // again if it is still posted nowhere (else the sweep would never take it).
    undo: async () => {
      const released = rows.filter((r) => r.unreferencedAt !== null);
      if (inserted.length === 0 && released.length === 0) return;
      await db.batch([
        db
          .delete(filePosts)
          .where(
            and(
              eq(filePosts.channelId, channelId),
              inArray(filePosts.fileId, inserted.length === 0 ? [""] : inserted.map((r) => r.fileId)),
            ),
          ),
        ...released.map((r) =>
          db
            .update(files)
            .set({ unreferencedAt: r.unreferencedAt })
            .where(
              and(
                eq(files.id, r.id),
                isNull(files.unreferencedAt),
                notExists(db.select({ one: filePosts.fileId }).from(filePosts).where(eq(filePosts.fileId, r.id))),
              ),
            ),
        ),
      ]);
    },
  };
}

/**
 * After the message is stored: a file whose status moved between the check and the send (the scan
 * consumer announces only to channels it saw listed) is announced to this channel now.
 */
export async function announceChanges(env: Env, db: Database, channelId: string, sent: readonly FileInfo[]): Promise<void> {
  if (sent.length === 0) return;
  const rows = await db
    .select()
    .from(files)
    .where(
      inArray(
        files.id,
        sent.map((f) => f.id),
      ),
    )
    .all();
  const before = new Map(sent.map((f) => [f.id, JSON.stringify(f)]));
  for (const row of rows) {
    const now = fileFromRow(row);
    if (before.get(row.id) === JSON.stringify(now)) continue;
    await channelRoom(env, channelId)
      .fileUpdated(now)
      .catch((error: unknown) => log("warn", "file announcement failed", { file_id: row.id, channel_id: channelId, error }));
  }
}
