import type { FileInfo } from "../protocol/files";
import type { files } from "./schema";

export type FileRow = typeof files.$inferSelect;

/** A `files` row as the API's File. */
export function fileFromRow(row: FileRow): FileInfo {
  return {
    id: row.id,
    filename: row.filename,
    content_type: row.contentType,
    size: row.size,
    status: row.status,
    uploaded_by: row.uploadedBy,
    created_at: row.createdAt,
    sha256: row.sha256,
    image: row.imageWidth !== null && row.imageHeight !== null ? { width: row.imageWidth, height: row.imageHeight } : null,
    thumbnail: row.thumbnail,
  };
}
