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
    description:
      "Answered from the caller's own session object, which keeps each channel's read state and asks a channel again only once it changed: one directory query and one call, whatever the number of channels. A change made by someone else shows up as soon as the caller's socket has its event, and at most about 0.2 s after it otherwise; the caller's own read markers, joins and leaves show at once.",
    responses: { 200: jsonContent(MyChannelsSchema, "The caller's channels"), ...errorResponses },
  }),
  async (c) => c.json(await listMyChannels(c.env, c.var.db, c.var.user), 200),
);
