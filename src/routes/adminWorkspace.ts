import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent, problem } from "../lib/openapi";
import { requireAdmin } from "../middleware/requireAdmin";
import { requireUser } from "../middleware/requireUser";
import { CreateExportBody, ExportIdParam, ExportSchema, RetentionBody, RetentionSchema, StatsSchema } from "../protocol/admin";
import { createExport, exportArchive, getExport } from "../services/actions/exports";
import { getRetention, setRetention } from "../services/actions/retention";
import { workspaceStats } from "../services/queries/stats";

// Workspace-wide settings, figures and data (under /admin): retention, statistics, exports.

const common = { tags: ["Admin"], middleware: [requireUser, requireAdmin], security: bearerSecurity };

export const adminWorkspaceRoutes = createRouter()
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/stats",
      summary: "Workspace statistics",
      description:
        "Counters kept up to date by the actions and database triggers, never computed by scanning: cheap enough to poll every few " +
        "seconds. `messages_last_30_days` counts messages sent in the last 30 UTC days (each channel reports its counts within " +
        "about 30 s); `online_now` counts people with a socket open; `file_bytes` the bytes of stored files.",
      responses: { 200: jsonContent(StatsSchema, "The statistics"), ...errorResponses },
    }),
    async (c) => c.json(await workspaceStats(c.var.db), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/retention",
      summary: "How long messages and files are kept",
      responses: { 200: jsonContent(RetentionSchema, "The retention windows (null: forever)"), ...errorResponses },
    }),
    async (c) => c.json(await getRetention(c.var.db), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "put",
      path: "/retention",
      summary: "Set how long messages and files are kept",
      description:
        "Content older than `message_days` is deleted for real by each channel's own retention alarm (within a day of the change): " +
        "messages with their thread replies, reactions, pins and search rows, and the payloads of their events (the events stay as " +
        "tombstones, so `seq` stays gap-free; a resume from before the kept range gets `resync_required`). Audited " +
        "`retention.changed`; each channel's run that deletes something is audited `retention.run`.",
      request: { body: jsonBody(RetentionBody) },
      responses: { 200: jsonContent(RetentionSchema, "The new retention windows"), ...errorResponses },
    }),
    async (c) => c.json(await setRetention(c.var.db, { user: c.var.user, requestId: c.var.requestId }, c.req.valid("json")), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/exports",
      summary: "Export the workspace in Slack's export layout",
      description:
        "A background job writes a ZIP to storage: users.json, channels.json (public), groups.json (private), dms.json and " +
        "mpims.json (DMs only when EXPORT_INCLUDE_DMS is on), and one `<channel>/<YYYY-MM-DD>.json` per channel and UTC day " +
        "with its messages, thread replies (`thread_ts`, `parent_user_id`), reactions and files, timestamps as Slack `ts` " +
        "strings. Mattermost and Zulip import this format. `channel_ids` limits it to those channels. Audited `export.created`.",
      request: { body: { ...jsonBody(CreateExportBody), required: false } },
      responses: { 202: jsonContent(ExportSchema, "The export, running"), ...errorResponses },
    }),
    async (c) => {
      const body = CreateExportBody.parse(c.req.valid("json") ?? {});
      return c.json(await createExport(c.env, c.var.db, { user: c.var.user, requestId: c.var.requestId }, body.channel_ids), 202);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/exports/{export_id}",
      summary: "An export's status; when done, where to download it",
      request: { params: ExportIdParam },
      responses: { 200: jsonContent(ExportSchema, "The export"), ...errorResponses },
    }),
    async (c) => c.json(await getExport(c.var.db, c.req.valid("param").export_id), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/exports/{export_id}/download",
      summary: "Download a finished export (application/zip)",
      description: "Archives are kept EXPORT_RETENTION_DAYS after they were written; then the export is `expired` and this is 410.",
      request: { params: ExportIdParam },
      responses: {
        200: { description: "The ZIP", content: { "application/zip": { schema: { type: "string", format: "binary" } } } },
        ...errorResponses,
        410: problem("The archive was deleted after EXPORT_RETENTION_DAYS (`export_expired`)"),
      },
    }),
    async (c) => {
      const { export_id } = c.req.valid("param");
      const object = await exportArchive(c.env, c.var.db, export_id);
      return new Response(object.body, {
        headers: {
          "content-type": "application/zip",
          "content-length": String(object.size),
          "content-disposition": `attachment; filename="colink-export-${export_id}.zip"`,
          "x-content-type-options": "nosniff",
        },
      });
    },
  );
