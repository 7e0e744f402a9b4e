import { z } from "@hono/zod-openapi";
import { channelIdParam } from "./channels";
import { messageIdParam } from "./messages";

// Reactions on the wire (API.md "Reactions"). The emoji in the path is validated and made
// canonical by `canonicalEmoji` in the service, so a bad one is a 422, not a 404.

export const ReactionParamsSchema = z.object({
  channel_id: channelIdParam,
  message_id: messageIdParam,
  emoji: z.string().openapi({
    param: { name: "emoji", in: "path" },
    description: "One Unicode emoji or a built-in `:shortcode:`, percent-encoded.",
    example: "%F0%9F%91%8D",
  }),
});

/** `data` of `reaction.added` and `reaction.removed`. */
export const ReactionEventDataSchema = z
  .object({
    message_id: z.string(),
    message_seq: z.number().int().min(1),
    emoji: z.string(),
    user_id: z.string(),
  })
  .openapi("ReactionEventData");
export type ReactionEventData = z.infer<typeof ReactionEventDataSchema>;
