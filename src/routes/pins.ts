import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, createRouter, errorResponses, jsonContent } from "../lib/openapi";
import { requireUser } from "../middleware/requireUser";
import { ChannelParamsSchema } from "../protocol/channels";
import { MAX_PINS_PER_CHANNEL, PinListSchema, PinParamsSchema, PinSchema } from "../protocol/pins";
import { pinMessage, unpinMessage } from "../services/actions/pins";
import { listPins } from "../services/queries/pins";

const common = { tags: ["Pins"], middleware: [requireUser], security: bearerSecurity };

export const pinsRoutes = createRouter()
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/{channel_id}/pins",
      summary: "The channel's pinned messages, newest pin first",
      description: "For whoever may read the channel.",
      request: { params: ChannelParamsSchema },
      responses: { 200: jsonContent(PinListSchema, "The pins"), ...errorResponses },
    }),
    async (c) => c.json(await listPins(c.env, c.var.user, c.req.valid("param").channel_id), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "put",
      path: "/{channel_id}/pins/{message_id}",
      summary: "Pin a message (members only; idempotent)",
      description: `Channel events: \`pin.added\`, unless it was pinned already. At most ${MAX_PINS_PER_CHANNEL} pins per channel (409 \`too_many_pins\`); a deleted message or an archived channel: 409.`,
      request: { params: PinParamsSchema },
      responses: { 200: jsonContent(PinSchema, "The pin"), ...errorResponses },
    }),
    async (c) => {
      const { channel_id, message_id } = c.req.valid("param");
      return c.json(await pinMessage(c.env, c.var.user, channel_id, message_id), 200);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: "delete",
      path: "/{channel_id}/pins/{message_id}",
      summary: "Unpin a message (members only; idempotent)",
      description: "Channel events: `pin.removed`, unless it was not pinned. Deleting a pinned message unpins it too.",
      request: { params: PinParamsSchema },
      responses: { 204: { description: "Not pinned (any more)" }, ...errorResponses },
    }),
    async (c) => {
      const { channel_id, message_id } = c.req.valid("param");
      await unpinMessage(c.env, c.var.user, channel_id, message_id);
      return c.body(null, 204);
    },
  );
