import { z } from "@hono/zod-openapi";
import { CHANNEL_ID_PATTERN } from "./channels";

// Files on the wire (API.md "Files"): the three-step upload (create, send the bytes, complete),
// the scan verdict, and what a message carries.

export const FILE_STATUSES = ["uploading", "scanning", "clean", "quarantined", "scan_failed"] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

export const FILE_ID_PATTERN = /^f_[0-9a-z]{26}$/;
export const MAX_FILENAME_LENGTH = 255;
/** Most files one message carries. */
export const MAX_FILES_PER_MESSAGE = 10;

export const FileSchema = z
  .object({
    id: z.string(),
    filename: z.string(),
    content_type: z.string().openapi({ description: "As the uploader declared it; downloads are served with a safe type." }),
    size: z.number().int().openapi({ description: "Bytes, as declared at `POST /files` and checked at `complete`." }),
    status: z.enum(FILE_STATUSES).openapi({
      description:
        "`uploading` until `complete`; `scanning` while clamd has not answered (also while it cannot be reached: never downloadable unscanned); then `clean`, `quarantined` (a signature matched; never served) or `scan_failed` (the scan could not be done after every retry; never served).",
    }),
    uploaded_by: z.string(),
    created_at: z.string(),
    sha256: z.string().nullable().openapi({ description: "Hex SHA-256 of the bytes, once scanned." }),
    image: z
      .object({ width: z.number().int(), height: z.number().int() })
      .nullable()
      .openapi({ description: "For a PNG, JPEG, WebP or GIF within the pixel budget, once scanned." }),
    thumbnail: z.boolean().openapi({ description: "`GET /files/{file_id}/thumbnail` has a preview (at most 360 px on the long side)." }),
  })
  .openapi("File");
export type FileInfo = z.infer<typeof FileSchema>;

/** Control characters, and the separators a filename must not carry into a path or a header. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to refuse them
const BAD_FILENAME = /[\u0000-\u001f\u007f/\\]/;
/** type/subtype with optional parameters, as in a Content-Type header. */
const MEDIA_TYPE =
  /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}(\s*;\s*[a-z0-9_.-]+=("[^"\\\r\n]*"|[a-z0-9_.+-]+))*$/i;

export const CreateFileBodySchema = z
  .strictObject({
    filename: z
      .string()
      .trim()
      .min(1)
      .max(MAX_FILENAME_LENGTH)
      .refine((name) => !BAD_FILENAME.test(name) && name !== "." && name !== "..", { message: "No control characters, / or \\." })
      .openapi({ description: `1 to ${MAX_FILENAME_LENGTH} characters, without control characters, / or \\.` }),
    content_type: z.string().max(255).regex(MEDIA_TYPE, "Not a media type.").openapi({ example: "image/png" }),
    size: z
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .openapi({ description: "Exactly how many bytes will be sent. Over MAX_UPLOAD_BYTES: 413 `file_too_large`." }),
    channel_id: z.string().regex(CHANNEL_ID_PATTERN, "Not a channel id.").optional().openapi({
      description: "The channel the file is for: the uploader must be able to post there (else 404). It hears of every status change.",
    }),
  })
  .openapi("CreateFile");
export type CreateFileBody = z.infer<typeof CreateFileBodySchema>;

export const UploadInstructionsSchema = z
  .object({
    url: z.string().openapi({ description: "Where to send the bytes: works for this file only, once, until `expires_at`." }),
    method: z.literal("PUT"),
    headers: z.record(z.string(), z.string()).openapi({ description: "Send exactly these headers with the bytes." }),
    expires_at: z.string(),
  })
  .openapi("UploadInstructions");

export const CreatedFileSchema = z.object({ file: FileSchema, upload: UploadInstructionsSchema }).openapi("CreatedFile");
export type CreatedFile = z.infer<typeof CreatedFileSchema>;

export const fileIdParam = z
  .string()
  .regex(FILE_ID_PATTERN)
  .openapi({ param: { name: "file_id", in: "path" }, example: "f_01jd0000000000000000000000" });

export const FileParamsSchema = z.object({ file_id: fileIdParam });

export const UploadQuerySchema = z.object({
  token: z.string().min(1).max(200).openapi({ description: "The upload URL's single-use token." }),
});

/** What the scan queue carries: the file, and the object version `complete` saw. */
export const FileScanJobSchema = z.object({ file_id: z.string().regex(FILE_ID_PATTERN), etag: z.string().min(1) });
export type FileScanJob = z.infer<typeof FileScanJobSchema>;

export const FileUpdatedEventDataSchema = z
  .object({ file: FileSchema })
  .openapi({ description: "A file posted here (or uploaded for this channel) changed status; messages carrying it show the new one." });
export const FileDeletedEventDataSchema = z
  .object({ file_id: z.string() })
  .openapi({ description: "A file posted here was deleted: messages no longer carry it." });
