import { and, eq, inArray, isNotNull, isNull, notExists } from "drizzle-orm";
import type { Database } from "../../db/client";
import { filePosts, files, memberships } from "../../db/schema";
import { ColinkError, conflict, forbidden, notFound } from "../../lib/ColinkError";
import { config } from "../../lib/config";
import { newId, newSecret, sha256Hex } from "../../lib/ids";
import { log } from "../../lib/log";
import type { CreatedFile, CreateFileBody, FileInfo, FileScanJob } from "../../protocol/files";
import { isAdminRole } from "../../protocol/roles";
import { type AuditActor, auditEntry } from "../audit";
import type { AuthUser } from "../auth/authUser";
import { announceFile } from "../files/announceFile";
import { storageKeys, uploadInstructions } from "../files/uploadUrl";
import { type FileRow, fileFromRow, fileRow, mayReadFile } from "../queries/files";

const now = () => new Date().toISOString();

const invalidUploadUrl = () =>
  forbidden("This upload URL is not valid (altered, used already, or for another file).", "invalid_upload_url");

/**
 * Step 1: records the file (`uploading`) and signs where its bytes go. Over MAX_UPLOAD_BYTES: 413.
 * A `channel_id` must name a channel the uploader may post in (404 otherwise, as for one they
 * cannot see).
 */
export async function createFile(env: Env, db: Database, user: AuthUser, body: CreateFileBody, origin: string): Promise<CreatedFile> {
  const { MAX_UPLOAD_BYTES: max, UPLOAD_URL_TTL_SECONDS } = config(env);
  if (body.size > max) throw new ColinkError(413, "file_too_large", `Files are limited to ${max} bytes.`);
  if (body.channel_id !== undefined) {
    const member = await db
      .select({ userId: memberships.userId })
      .from(memberships)
      .where(and(eq(memberships.channelId, body.channel_id), eq(memberships.userId, user.id)))
      .get();
    if (!member) throw notFound("channel");
  }
  const id = newId("f");
  const token = newSecret();
  const expiresAt = new Date(Date.now() + UPLOAD_URL_TTL_SECONDS * 1000);
  const [row] = await db
    .insert(files)
    .values({
      id,
      uploadedBy: user.id,
      filename: body.filename,
      contentType: body.content_type,
      size: body.size,
      channelId: body.channel_id ?? null,
      storageKey: storageKeys(id).upload,
      uploadTokenHash: await sha256Hex(token),
      uploadExpiresAt: expiresAt.toISOString(),
    })
    .returning();
  if (!row) throw new Error("file insert returned nothing");
  const upload = await uploadInstructions(env, origin, { id, size: body.size, contentType: body.content_type }, token, expiresAt);
  return { file: fileFromRow(row), upload };
}

/**
 * Step 2 without R2 S3 credentials: streams the request body into R2, never holding it. The URL's
 * token works once, for this file, until it expires (403 otherwise). Exactly the declared size must
 * arrive: a longer Content-Length is 413 before anything is read, and a body that turns out longer
 * or shorter fails the fixed-length stream, so nothing is stored (and the same URL may be tried
 * again while it lasts).
 */
export async function receiveUpload(env: Env, db: Database, fileId: string, token: string, request: Request): Promise<void> {
  const row = await fileRow(db, fileId);
  const tokenHash = await sha256Hex(token);
  if (!row || row.uploadTokenHash === null || row.uploadTokenHash !== tokenHash || row.status !== "uploading") throw invalidUploadUrl();
  if (Date.parse(row.uploadExpiresAt) <= Date.now())
    throw forbidden("This upload URL has expired; create the file again.", "upload_url_expired");
  const lengthHeader = request.headers.get("content-length");
  if (lengthHeader !== null) {
    const length = Number(lengthHeader);
    if (length > row.size) throw new ColinkError(413, "upload_too_large", `This file was declared as ${row.size} bytes.`);
    if (length !== row.size) throw new ColinkError(400, "upload_size_mismatch", `Send exactly ${row.size} bytes.`);
  }
  // Claim the token, so a concurrent second PUT cannot write too.
  const claimed = await db
    .update(files)
    .set({ uploadTokenHash: null, updatedAt: now() })
    .where(and(eq(files.id, fileId), eq(files.uploadTokenHash, tokenHash), eq(files.status, "uploading")))
    .returning({ id: files.id });
  if (claimed.length === 0) throw invalidUploadUrl();
  const fixed = new FixedLengthStream(row.size);
  const body = request.body ?? new ReadableStream({ start: (c) => c.close() });
  const piped = body.pipeTo(fixed.writable).then(
    () => null,
    (error: unknown) => error,
  );
  try {
    await env.FILES.put(row.storageKey, fixed.readable, { httpMetadata: { contentType: row.contentType } });
    const pipeError = await piped;
    if (pipeError) throw pipeError;
  } catch (error) {
    // Give the URL back: the bytes did not all arrive, and the client may try again while it lasts.
    await db
      .update(files)
      .set({ uploadTokenHash: tokenHash })
      .where(and(eq(files.id, fileId), isNull(files.uploadTokenHash), eq(files.status, "uploading")));
    const pipeError = await piped;
    const tooLong = String(pipeError ?? error).includes("too many") || String(pipeError ?? error).includes("exceed");
    log("info", "upload refused", { file_id: fileId, error: pipeError ?? error });
    if (tooLong) throw new ColinkError(413, "upload_too_large", `This file was declared as ${row.size} bytes.`);
    throw new ColinkError(400, "upload_size_mismatch", `The body was not exactly the declared ${row.size} bytes.`);
  }
}

/**
 * Step 3: the uploader says the bytes are there. They must be, with the declared size (409
 * otherwise); the file becomes `scanning` and goes on the scan queue. Completing a file already
 * completed answers it as it is.
 */
export async function completeFile(env: Env, db: Database, user: AuthUser, fileId: string): Promise<FileInfo> {
  const row = await fileRow(db, fileId);
  if (!row) throw notFound("file");
  if (row.uploadedBy !== user.id) {
    if (await mayReadFile(env, db, user, row)) throw forbidden("Only the uploader completes an upload.", "not_uploader");
    throw notFound("file");
  }
  if (row.status !== "uploading") return fileFromRow(row);
  const object = await env.FILES.head(row.storageKey);
  if (!object) throw conflict("upload_incomplete", "The bytes have not arrived yet: send them to the upload URL first.");
  if (object.size !== row.size) {
    await env.FILES.delete(row.storageKey);
    throw conflict("upload_size_mismatch", `${object.size} bytes arrived, but ${row.size} were declared; upload again.`);
  }
  const scanQueuedAt = now();
  const [updated] = await db
    .update(files)
    .set({ status: "scanning", etag: object.etag, uploadTokenHash: null, scanQueuedAt, updatedAt: scanQueuedAt })
    .where(and(eq(files.id, fileId), eq(files.status, "uploading")))
    .returning();
  if (!updated) return fileFromRow((await fileRow(db, fileId)) ?? row);
  await enqueueScan(env, { file_id: fileId, etag: object.etag });
  await announceFile(env, db, updated);
  return fileFromRow(updated);
}

/** Puts a file on the scan queue. A failed send is logged: the sweep re-enqueues files left in `scanning`. */
export async function enqueueScan(env: Env, job: FileScanJob): Promise<void> {
  try {
    await env.FILE_SCAN_QUEUE.send(job, { contentType: "json" });
  } catch (error) {
    log("error", "file scan enqueue failed; the sweep will retry", { file_id: job.file_id, error });
  }
}

/**
 * The uploader or a workspace admin deletes a file: its bytes, thumbnail and every post of it. An
 * admin deleting someone else's file is audited (`file.deleted`, in the batch that deletes it).
 */
export async function deleteFile(env: Env, db: Database, actor: AuditActor, fileId: string): Promise<void> {
  const { user } = actor;
  const row = await fileRow(db, fileId);
  if (!row) throw notFound("file");
  if (row.uploadedBy !== user.id && !isAdminRole(user.role)) {
    if (await mayReadFile(env, db, user, row)) throw forbidden("Only the uploader or an admin may delete a file.", "cannot_delete_file");
    throw notFound("file");
  }
  const audit =
    row.uploadedBy === user.id
      ? undefined
      : auditEntry(db, actor, "file.deleted", { type: "file", id: row.id }, { uploaded_by: row.uploadedBy, filename: row.filename });
  await removeFiles(env, db, [row], audit ? [audit] : []);
}

/** One statement of a D1 batch (drizzle). */
export type BatchItem = Parameters<Database["batch"]>[0][number];

/**
 * Deletes files for good, in one D1 batch with `also` (the audit entry that records it, say): their
 * rows and posts, then their bytes (quarantined ones too) and thumbnails; then every channel that
 * showed one appends `file.deleted` and its messages stop carrying it.
 */
export async function removeFiles(
  env: Env,
  db: Database,
  rows: readonly FileRow[],
  also: readonly BatchItem[] = [],
  { unreferenced = [] }: { unreferenced?: readonly FileRow[] } = {},
): Promise<void> {
  if (rows.length === 0 && unreferenced.length === 0 && also.length === 0) return;
  const ids = rows.map((r) => r.id);
  const posts =
    rows.length === 0
      ? []
      : await db
          .select({ fileId: filePosts.fileId, channelId: filePosts.channelId })
          .from(filePosts)
          .where(inArray(filePosts.fileId, ids))
          .all();
  const deletes: BatchItem[] =
    rows.length === 0 ? [] : [db.delete(filePosts).where(inArray(filePosts.fileId, ids)), db.delete(files).where(inArray(files.id, ids))];
  // Files retention left posted nowhere go only if they still are: one posted again meanwhile stays.
  const claim =
    unreferenced.length === 0
      ? null
      : db
          .delete(files)
          .where(
            and(
              inArray(
                files.id,
                unreferenced.map((r) => r.id),
              ),
              isNotNull(files.unreferencedAt),
              notExists(db.select({ one: filePosts.fileId }).from(filePosts).where(eq(filePosts.fileId, files.id))),
            ),
          )
          .returning({ id: files.id });
  const [first, ...rest] = [...also, ...deletes, ...(claim ? [claim] : [])];
  const results = first ? await db.batch([first, ...rest]) : [];
  if (claim) {
    const claimed = new Set((results.at(-1) as { id: string }[]).map((r) => r.id));
    rows = [...rows, ...unreferenced.filter((r) => claimed.has(r.id))];
  }
  if (rows.length === 0) return;
  await env.FILES.delete(
    rows.flatMap((row) => {
      const keys = storageKeys(row.id);
      return [row.storageKey, keys.quarantine, keys.thumbnail];
    }),
  );
  for (const row of rows) {
    const channelIds = posts.filter((p) => p.fileId === row.id).map((p) => p.channelId);
    await announceFile(env, db, row, { deleted: true, channelIds });
  }
}
