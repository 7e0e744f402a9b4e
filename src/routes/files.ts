import { createRoute, z } from "@hono/zod-openapi";
import { bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent, problem } from "../lib/openapi";
import { requireUser } from "../middleware/requireUser";
import { CreatedFileSchema, CreateFileBodySchema, FileParamsSchema, FileSchema, UploadQuerySchema } from "../protocol/files";
import { completeFile, createFile, deleteFile, receiveUpload } from "../services/actions/files";
import { fileDownload } from "../services/queries/fileDownload";
import { getFile } from "../services/queries/files";

const common = { tags: ["Files"], middleware: [requireUser], security: bearerSecurity };

const bytes = (description: string) => ({
  description,
  content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } },
});

const downloadDescription = [
  "Streams the bytes of a `clean` file to the uploader or whoever may read a channel it was posted in (404 for anyone else),",
  "with `Content-Disposition: attachment` (the filename RFC 6266-encoded), `X-Content-Type-Options: nosniff`,",
  "`Content-Security-Policy: sandbox` and a safe `Content-Type` (HTML, SVG and any type a browser could run are served as",
  "`application/octet-stream`). Not scanned yet: 409 `file_not_ready`; quarantined or unscannable: 403 `file_quarantined` /",
  "`file_scan_failed`, also when the stored bytes are not the ones scanned.",
].join(" ");

export const filesRoutes = createRouter()
  .openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/",
      summary: "Start an upload: record the file and get where to send its bytes",
      description:
        "Step 1 of 3 (Slack's external upload flow). Then send exactly `size` bytes to `upload.url` with `upload.method` and `upload.headers` (step 2), then `POST /files/{file_id}/complete` (step 3). The URL works for this file only, once, for UPLOAD_URL_TTL_SECONDS (15 minutes by default): an expired or altered one is refused (403). With R2 S3 credentials configured it is an R2 presigned PUT; otherwise `PUT /files/{file_id}/upload` on this service.",
      request: { body: jsonBody(CreateFileBodySchema) },
      responses: {
        201: jsonContent(CreatedFileSchema, "The file (`uploading`) and the upload instructions"),
        413: problem("`size` is over MAX_UPLOAD_BYTES (`file_too_large`)"),
        ...errorResponses,
      },
    }),
    async (c) => c.json(await createFile(c.env, c.var.db, c.var.user, c.req.valid("json"), new URL(c.req.url).origin), 201),
  )
  .openapi(
    createRoute({
      tags: ["Files"],
      method: "put",
      path: "/{file_id}/upload",
      summary: "Send a file's bytes (the upload URL when no R2 S3 credentials are configured)",
      description:
        "Step 2 of 3 without R2 S3 credentials: the body is streamed into storage, never held in memory. No bearer token: the URL's single-use `token` is the permission. Send exactly the declared size: a larger `Content-Length` is 413 `upload_too_large`, a body that turns out longer is refused too (413), a shorter one 400 `upload_size_mismatch`; nothing is stored then, and the URL may be used again until it expires. An expired, used or altered URL: 403 (`upload_url_expired`, `invalid_upload_url`).",
      request: { params: FileParamsSchema, query: UploadQuerySchema, body: { required: true, ...bytes("The file's bytes") } },
      responses: {
        204: { description: "Stored" },
        400: problem("The body was shorter than declared (`upload_size_mismatch`)"),
        403: problem("Expired, used or altered upload URL"),
        404: problem("No such resource"),
        413: problem("More bytes than declared (`upload_too_large`)"),
      },
    }),
    async (c) => {
      await receiveUpload(c.env, c.var.db, c.req.valid("param").file_id, c.req.valid("query").token, c.req.raw);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/{file_id}/complete",
      summary: "Finish an upload: the file is scanned, then served if clean",
      description:
        "Step 3 of 3 (the uploader only). The bytes must have arrived with the declared size (409 `upload_incomplete` / `upload_size_mismatch` otherwise). The file becomes `scanning` and goes on the scan queue; calling it again returns the file as it is. Channel events: `file.updated` in the upload's channel and wherever the file was posted, now and at every later status change.",
      request: { params: FileParamsSchema },
      responses: { 200: jsonContent(FileSchema, "The file, now `scanning`"), ...errorResponses },
    }),
    async (c) => c.json(await completeFile(c.env, c.var.db, c.var.user, c.req.valid("param").file_id), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/{file_id}",
      summary: "A file's metadata (the uploader and readers of a channel it was posted in)",
      request: { params: FileParamsSchema },
      responses: { 200: jsonContent(FileSchema, "The file"), ...errorResponses },
    }),
    async (c) => c.json(await getFile(c.env, c.var.db, c.var.user, c.req.valid("param").file_id), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/{file_id}/content",
      summary: "Download a clean file",
      description: downloadDescription,
      request: { params: FileParamsSchema },
      responses: { 200: bytes("The bytes, as an attachment"), ...errorResponses },
    }),
    (c) => fileDownload(c.env, c.var.db, c.var.user, c.req.valid("param").file_id, "content"),
  )
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/{file_id}/thumbnail",
      summary: "A clean image's thumbnail (WebP, at most 360 px on the long side)",
      description: `For files whose \`thumbnail\` is true (404 \`thumbnail_not_found\` otherwise); the same rules and headers as the content. ${downloadDescription}`,
      request: { params: FileParamsSchema },
      responses: { 200: bytes("The thumbnail (image/webp), as an attachment"), ...errorResponses },
    }),
    (c) => fileDownload(c.env, c.var.db, c.var.user, c.req.valid("param").file_id, "thumbnail"),
  )
  .openapi(
    createRoute({
      ...common,
      method: "delete",
      path: "/{file_id}",
      summary: "Delete a file and its bytes (uploader or workspace admin)",
      description:
        "Deleting a message does not delete its files; this does (and so does retention). Channel events: `file.deleted` in every channel where a message carried it. An admin deleting someone else's file is audited `file.deleted`.",
      request: { params: FileParamsSchema },
      responses: { 204: { description: "Deleted" }, ...errorResponses },
    }),
    async (c) => {
      await deleteFile(c.env, c.var.db, { user: c.var.user, requestId: c.var.requestId }, c.req.valid("param").file_id);
      return c.body(null, 204);
    },
  );
