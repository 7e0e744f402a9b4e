import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, createRouter, errorResponses, jsonContent } from "../lib/openapi";
import { requireUser } from "../middleware/requireUser";
import { MyChannelsSchema } from "../protocol/channels";
import { listMyChannels } from "../services/queries/myChannels";

/** `GET /users/me/channels`: the caller's channels and DMs with read state. */
export const myChannelsRoutes = createRouter().openapi(
  createRoute({
    tags: ["Channels"],
    middleware: [requireUser],
    security: bearerSecurity,
    method: "get",
    path: "/",
    summary: "Every channel and DM the caller is in, with unread and mention counts",
    responses: { 200: jsonContent(MyChannelsSchema, "The caller's channels"), ...errorResponses },
  }),
  async (c) => c.json(await listMyChannels(c.env, c.var.db, c.var.user), 200),
);
