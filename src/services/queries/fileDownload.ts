import type { Database } from "../../db/client";
import { ColinkError, conflict, forbidden, notFound } from "../../lib/ColinkError";
import { downloadHeaders } from "../../lib/contentDisposition";
import type { AuthUser } from "../auth/authUser";
import { storageKeys } from "../files/uploadUrl";
import { type FileRow, readableFile } from "./files";

/** Only a clean file is ever served: 409 while it is not scanned yet, 403 when it never will be. */
export function requireClean(row: FileRow): void {
  switch (row.status) {
    case "clean":
      return;
    case "uploading":
    case "scanning":
      throw conflict("file_not_ready", "This file has not been scanned yet; try again shortly.");
    case "quarantined":
      throw forbidden("This file was quarantined: a virus scanner matched it.", "file_quarantined");
    case "scan_failed":
      throw forbidden("This file could not be scanned, so it is not served.", "file_scan_failed");
  }
}

const notTheScannedBytes = () =>
  forbidden("The stored bytes are not the ones that were scanned, so they are not served.", "file_scan_failed");

/**
 * The bytes of a clean file (or its thumbnail), streamed from R2 to whoever may read it, as an
 * attachment that is never sniffed. R2 is asked for the object version the scan saw (its ETag):
 * bytes replaced since are refused.
 */
export async function fileDownload(
  env: Env,
  db: Database,
  user: AuthUser,
  fileId: string,
  part: "content" | "thumbnail",
): Promise<Response> {
  const row = await readableFile(env, db, user, fileId);
  requireClean(row);
  if (row.etag === null) throw notTheScannedBytes();
  if (part === "thumbnail") {
    if (!row.thumbnail) throw notFound("thumbnail");
    const thumb = await env.FILES.get(storageKeys(row.id).thumbnail);
    if (!thumb) throw notFound("thumbnail");
    const name = `${row.filename.replace(/\.[^.]*$/, "")}-thumbnail.webp`;
    return new Response(thumb.body, { headers: downloadHeaders(name, "image/webp", thumb.size) });
  }
  const object = await env.FILES.get(row.storageKey, { onlyIf: { etagMatches: row.etag } });
  if (!object || !("body" in object)) throw notTheScannedBytes();
  if (object.size !== row.size) throw new ColinkError(403, "file_scan_failed", "The stored bytes changed size since the scan.");
  const headers = downloadHeaders(row.filename, row.contentType, row.size);
  headers.set("etag", object.httpEtag);
  return new Response(object.body, { headers });
}
