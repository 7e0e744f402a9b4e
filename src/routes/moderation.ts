import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../env";
import { bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { requireAdmin } from "../middleware/requireAdmin";
import { requireUser } from "../middleware/requireUser";
import {
  MuteBody,
  MuteSchema,
  ReportIdParam,
  ReportPageSchema,
  ReportQuerySchema,
  ReportSchema,
  ResolveReportBody,
} from "../protocol/admin";
import { MemberParamsSchema } from "../protocol/channels";
import { MessageParamsSchema } from "../protocol/messages";
import { UserIdParam } from "../protocol/users";
import { removeChannelMember } from "../services/actions/channels";
import { deleteMessage } from "../services/actions/messages";
import { listReports, resolveReport } from "../services/actions/reports";
import { muteUser, unmuteUser } from "../services/actions/userAdmin";
import type { AuditActor } from "../services/audit";

// Moderator tools (under /admin): the report queue, workspace mutes, and deleting any message or
// removing anyone from any channel, private channels and DMs the admin is not in included. The
// ordinary channel routes keep answering 404 for what an admin cannot see (invariant 5); these
// name the channel on purpose, and every one is audited.

const common = { tags: ["Moderation"], middleware: [requireUser, requireAdmin], security: bearerSecurity };

const actor = (c: Context<AppEnv>): AuditActor => ({ user: c.var.user, requestId: c.var.requestId });

export const moderationRoutes = createRouter()
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/reports",
      summary: "The moderation queue: reports of messages, newest first",
      request: { query: ReportQuerySchema },
      responses: { 200: jsonContent(ReportPageSchema, "A page of reports"), ...errorResponses },
    }),
    async (c) => c.json(await listReports(c.var.db, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/reports/{report_id}/resolve",
      summary: "Resolve a report: dismiss it, delete the message, or deactivate its author",
      description:
        "`delete_message` deletes it wherever it is (audited `message.deleted`); `deactivate_user` deactivates the author under the " +
        "usual role rules (an admin cannot deactivate an owner or admin: 403 `owner_required`, and the report stays open). Audited " +
        "`report.resolved`; the reporter gets the user event `report.resolved`. Already resolved: 409 `report_resolved`.",
      request: { params: ReportIdParam, body: jsonBody(ResolveReportBody) },
      responses: { 200: jsonContent(ReportSchema, "The resolved report"), ...errorResponses },
    }),
    async (c) => c.json(await resolveReport(c.env, c.var.db, actor(c), c.req.valid("param").report_id, c.req.valid("json")), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/users/{user_id}/mute",
      summary: "Mute a user workspace-wide for a while",
      description:
        "Until it ends they can read but not post, edit, react or open DMs: those answer 403 `muted` with `muted_until`. A new " +
        "mute replaces the running one. Audited `user.muted`. Admins may mute members and guests; owners anyone but themselves.",
      request: { params: UserIdParam, body: jsonBody(MuteBody) },
      responses: { 200: jsonContent(MuteSchema, "The mute"), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid("json");
      return c.json(await muteUser(c.var.db, actor(c), c.req.valid("param").user_id, body.minutes, body.reason), 200);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: "delete",
      path: "/users/{user_id}/mute",
      summary: "End a mute early",
      description: "Audited `user.unmuted`. No mute running: 409 `not_muted`.",
      request: { params: UserIdParam },
      responses: { 200: jsonContent(MuteSchema, "The user, no longer muted"), ...errorResponses },
    }),
    async (c) => c.json(await unmuteUser(c.var.db, actor(c), c.req.valid("param").user_id), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "delete",
      path: "/channels/{channel_id}/messages/{message_id}",
      summary: "Delete any message in any channel or DM",
      description:
        "Archived channels included. It becomes a tombstone, as any delete; another person's message is audited `message.deleted`.",
      request: { params: MessageParamsSchema },
      responses: { 204: { description: "Deleted" }, ...errorResponses },
    }),
    async (c) => {
      const { channel_id, message_id } = c.req.valid("param");
      await deleteMessage(c.env, c.var.user, channel_id, message_id, { requestId: c.var.requestId, moderator: true });
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: "delete",
      path: "/channels/{channel_id}/members/{user_id}",
      summary: "Remove anyone from any channel or group DM",
      description: "Audited `member.removed`. A 1:1 DM cannot lose a member (409 `dm_membership_fixed`).",
      request: { params: MemberParamsSchema },
      responses: { 204: { description: "Removed" }, ...errorResponses },
    }),
    async (c) => {
      const { channel_id, user_id } = c.req.valid("param");
      await removeChannelMember(c.env, c.var.db, c.var.user, channel_id, user_id, { requestId: c.var.requestId, moderator: true });
      return c.body(null, 204);
    },
  );
