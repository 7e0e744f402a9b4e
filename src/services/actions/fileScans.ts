import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { files } from "../../db/schema";
import { ClamdStreamTooLong, clamdScan } from "../../lib/clamd";
import { config, parseHostPort } from "../../lib/config";
import { log } from "../../lib/log";
import type { FileScanJob } from "../../protocol/files";
import { auditEntry } from "../audit";
import { announceFile } from "../files/announceFile";
import { describeImage, type ImageFacts } from "../files/describeImage";
import { storageKeys } from "../files/uploadUrl";
import { type FileRow, fileRow } from "../queries/files";

// The scan of a completed upload (the consumer is src/queues/fileScan.ts). Queues deliver at least
// once, so every step may run twice: each verdict is written only while the file is still
// `scanning` with the object version `complete` saw, and the consumer retries what throws.

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** The file as the job saw it is still waiting for this verdict. */
const stillScanning = (job: FileScanJob) => and(eq(files.id, job.file_id), eq(files.status, "scanning"), eq(files.etag, job.etag));

/**
 * Scans one file: streams it from R2 to clamd (hashing it on the way), then records `clean` (with
 * image facts and a thumbnail) or `quarantined` (bytes moved under quarantine/, audited), and tells
 * the file's channels. Throws ClamdUnavailable when clamd cannot be reached or gives no verdict:
 * the consumer retries with backoff and never marks the file clean. Without CLAMD_ADDRESS (and
 * FILE_SCAN=required) the file is left `scanning`: the sweep puts it on the queue again later.
 */
export async function scanFile(env: Env, db: Database, job: FileScanJob): Promise<void> {
  const row = await fileRow(db, job.file_id);
  if (!row) return;
  if (row.status === "quarantined") {
    // A repeat delivery after the verdict was written but before the bytes were moved away.
    await env.FILES.delete(row.storageKey);
    return;
  }
  if (row.status !== "scanning" || row.etag !== job.etag) return;
  const cfg = config(env);
  const address = parseHostPort(cfg.CLAMD_ADDRESS);
  if (cfg.FILE_SCAN === "required" && !address) {
    log("warn", "file left scanning: CLAMD_ADDRESS is not set", { file_id: row.id });
    return;
  }
  if (cfg.FILE_SCAN === "required" && row.size > cfg.CLAMD_STREAM_MAX_BYTES)
    return failScan(env, db, job, `larger than clamd's StreamMaxLength (${cfg.CLAMD_STREAM_MAX_BYTES} bytes)`);
  const object = await env.FILES.get(row.storageKey, { onlyIf: { etagMatches: job.etag } });
  if (!object || !("body" in object)) return failScan(env, db, job, "the stored bytes are missing or were replaced after complete");

  const digest = new crypto.DigestStream("SHA-256");
  const hashing = digest.getWriter();
  let signature: string | null = null;
  if (cfg.FILE_SCAN === "required" && address) {
    try {
      const verdict = await clamdScan(address, object.body, {
        maxBytes: cfg.CLAMD_STREAM_MAX_BYTES,
        onChunk: (chunk) => hashing.write(chunk),
      });
      if (!verdict.clean) signature = verdict.signature;
    } catch (error) {
      // Aborting also rejects the digest, which nobody will read.
      digest.digest.catch(() => {});
      hashing.abort().catch(() => {});
      if (error instanceof ClamdStreamTooLong) return failScan(env, db, job, error.message);
      throw error;
    }
  } else {
    for await (const chunk of object.body) await hashing.write(chunk);
  }
  await hashing.close();
  const sha256 = hex(await digest.digest);
  if (signature !== null) return quarantine(env, db, row, job, signature, sha256);

  const image: ImageFacts | null = await describeImage(env, row, job.etag).catch((error: unknown) => {
    log("warn", "image facts failed; the file stays without them", { file_id: row.id, error });
    return null;
  });
  const at = new Date().toISOString();
  const [updated] = await db
    .update(files)
    .set({
      status: "clean",
      sha256,
      imageWidth: image?.width ?? null,
      imageHeight: image?.height ?? null,
      thumbnail: image?.thumbnail ?? false,
      scanDetail: cfg.FILE_SCAN === "off" ? "not scanned (FILE_SCAN=off)" : "clamd: OK",
      updatedAt: at,
    })
    .where(stillScanning(job))
    .returning();
  if (updated) await announceFile(env, db, updated);
}

/**
 * clamd found `signature`: the bytes are copied under quarantine/ (kept for an admin, never
 * served), the verdict and its audit entry are written in one batch, then the original goes.
 */
async function quarantine(env: Env, db: Database, row: FileRow, job: FileScanJob, signature: string, sha256: string): Promise<void> {
  const keys = storageKeys(row.id);
  const object = await env.FILES.get(row.storageKey, { onlyIf: { etagMatches: job.etag } });
  if (object && "body" in object) {
    const fixed = new FixedLengthStream(object.size);
    const copied = object.body.pipeTo(fixed.writable);
    await env.FILES.put(keys.quarantine, fixed.readable, {
      customMetadata: { file_id: row.id, signature, sha256, uploaded_by: row.uploadedBy },
    });
    await copied;
  }
  const at = new Date().toISOString();
  const [, updated] = await db.batch([
    auditEntry(
      db,
      null,
      "file.quarantined",
      { type: "file", id: row.id },
      { signature, sha256, filename: row.filename, size: row.size, uploaded_by: row.uploadedBy },
      sql`EXISTS (SELECT 1 FROM ${files} WHERE ${stillScanning(job)})`,
    ),
    db
      .update(files)
      .set({ status: "quarantined", sha256, scanDetail: `clamd: ${signature} FOUND`, updatedAt: at })
      .where(stillScanning(job))
      .returning(),
  ]);
  await env.FILES.delete([row.storageKey, keys.thumbnail]);
  const quarantined = updated[0];
  if (quarantined) {
    log("warn", "file quarantined", { file_id: row.id, signature });
    await announceFile(env, db, quarantined);
  }
}

/** The scan cannot be done (after every retry, or ever): `scan_failed`, never served. */
export async function failScan(env: Env, db: Database, job: FileScanJob, detail: string): Promise<void> {
  const [updated] = await db
    .update(files)
    .set({ status: "scan_failed", scanDetail: detail, updatedAt: new Date().toISOString() })
    .where(stillScanning(job))
    .returning();
  if (updated) {
    log("warn", "file scan failed", { file_id: job.file_id, detail });
    await announceFile(env, db, updated);
  }
}
