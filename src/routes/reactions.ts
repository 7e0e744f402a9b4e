import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, createRouter, errorResponses, jsonContent } from "../lib/openapi";
import { requireUser } from "../middleware/requireUser";
import { MAX_EMOJI_LENGTH } from "../protocol/emoji";
import { MAX_REACTIONS_PER_MESSAGE, MessageSchema } from "../protocol/messages";
import { ReactionParamsSchema } from "../protocol/reactions";
import { setReaction } from "../services/actions/reactions";

const common = { tags: ["Reactions"], middleware: [requireUser], security: bearerSecurity };

const EMOJI_RULES =
  `\`emoji\` is one Unicode emoji (ZWJ sequences, skin tones, keycaps and flags included; at most ${MAX_EMOJI_LENGTH} UTF-16 code units) ` +
  "or a built-in `:shortcode:` such as `:+1:`, percent-encoded in the path; shortcodes are stored as the emoji they stand for, so " +
  "`:+1:` and 👍 are one reaction. Anything else: 422 `invalid_emoji`. Members only (a reader of a public channel: 403 " +
  "`not_a_member`); a deleted message or an archived channel: 409.";

const reaction = (method: "put" | "delete") =>
  createRoute({
    ...common,
    method,
    path: "/{channel_id}/messages/{message_id}/reactions/{emoji}",
    summary: method === "put" ? "React to a message (idempotent)" : "Remove the caller's reaction (idempotent)",
    description:
      `${EMOJI_RULES} ` +
      (method === "put"
        ? `Channel events: \`reaction.added\`, unless the caller had already reacted so. A new emoji beyond ${MAX_REACTIONS_PER_MESSAGE} per message: 409 \`too_many_reactions\`.`
        : "Channel events: `reaction.removed`, unless the caller had not reacted so."),
    request: { params: ReactionParamsSchema },
    responses: { 200: jsonContent(MessageSchema, "The message with its reactions"), ...errorResponses },
  });

export const reactionsRoutes = createRouter()
  .openapi(reaction("put"), async (c) => {
    const { channel_id, message_id, emoji } = c.req.valid("param");
    return c.json(await setReaction(c.env, c.var.user, channel_id, message_id, emoji, true), 200);
  })
  .openapi(reaction("delete"), async (c) => {
    const { channel_id, message_id, emoji } = c.req.valid("param");
    return c.json(await setReaction(c.env, c.var.user, channel_id, message_id, emoji, false), 200);
  });
