import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { requireUser } from "../middleware/requireUser";
import { ChannelSchema, OpenDmBodySchema } from "../protocol/channels";
import { openDm } from "../services/actions/dms";

export const dmsRoutes = createRouter().openapi(
  createRoute({
    tags: ["Channels"],
    middleware: [requireUser],
    security: bearerSecurity,
    method: "post",
    path: "/",
    summary: "Open the DM (2 people) or group DM (3 to 9) between the caller and these users",
    request: { body: jsonBody(OpenDmBodySchema) },
    responses: {
      201: jsonContent(ChannelSchema, "A new DM"),
      200: jsonContent(ChannelSchema, "The DM these people already have"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const { channel, created } = await openDm(c.env, c.var.db, c.var.user, c.req.valid("json").user_ids);
    return created ? c.json(channel, 201) : c.json(channel, 200);
  },
);
