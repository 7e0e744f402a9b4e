import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { requireUser } from "../middleware/requireUser";
import { CreateReportBody, ReportSchema } from "../protocol/admin";
import { MessageParamsSchema } from "../protocol/messages";
import { reportMessage } from "../services/actions/reports";

export const reportsRoutes = createRouter().openapi(
  createRoute({
    tags: ["Moderation"],
    middleware: [requireUser],
    security: bearerSecurity,
    method: "post",
    path: "/{channel_id}/messages/{message_id}/report",
    summary: "Report a message to the workspace's admins",
    description:
      "Any reader of the message may report it, once (409 `already_reported`). A message or channel the caller cannot see: 404. " +
      "A deleted message: 409 `message_deleted`. The report keeps the message as it is now; admins see it in GET /admin/reports, " +
      "and the reporter gets the user event `report.resolved` when one of them resolves it.",
    request: { params: MessageParamsSchema, body: jsonBody(CreateReportBody) },
    responses: { 201: jsonContent(ReportSchema, "The report"), ...errorResponses },
  }),
  async (c) => {
    const { channel_id, message_id } = c.req.valid("param");
    return c.json(await reportMessage(c.env, c.var.db, c.var.user, channel_id, message_id, c.req.valid("json")), 201);
  },
);
