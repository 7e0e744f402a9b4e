import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { requireAdmin } from "../middleware/requireAdmin";
import { requireUser } from "../middleware/requireUser";
import { RetentionBody, RetentionSchema, StatsSchema } from "../protocol/admin";
import { getRetention, setRetention } from "../services/actions/retention";
import { workspaceStats } from "../services/queries/stats";

// Workspace-wide settings and figures (under /admin): retention and statistics.

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
  );
