import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { requireUser } from "../middleware/requireUser";
import { ChannelParamsSchema } from "../protocol/channels";
import {
  EditMessageBodySchema,
  MessageHistoryQuerySchema,
  MessagePageSchema,
  MessageParamsSchema,
  MessageSchema,
  SendMessageBodySchema,
} from "../protocol/messages";
import { deleteMessage, editMessage, sendMessage } from "../services/actions/messages";
import { listMessages } from "../services/queries/messages";

const common = { tags: ["Messages"], middleware: [requireUser], security: bearerSecurity };

export const messagesRoutes = createRouter()
  .openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/{channel_id}/messages",
      summary: "Send a message or a thread reply (members only)",
      description: [
        "A retry with the same `client_msg_id` returns the first message with 200: never a duplicate.",
        "",
        "Channel events: `message.created`. A thread reply (`thread_root_id`) appends `message.created` (the reply) then",
        "`message.updated` (the root, with its new `reply_count`, `last_reply_at` and `reply_user_ids`), and sends the",
        "user event `thread.reply` to every follower of the thread but its author. Replying, and being mentioned in a reply,",
        "makes you follow the thread; so does writing or being mentioned in its root (unless you unfollowed it).",
      ].join("\n"),
      request: { params: ChannelParamsSchema, body: jsonBody(SendMessageBodySchema) },
      responses: {
        201: jsonContent(MessageSchema, "The new message"),
        200: jsonContent(MessageSchema, "The message this `client_msg_id` already made"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { message, created } = await sendMessage(c.env, c.var.db, c.var.user, c.req.valid("param").channel_id, c.req.valid("json"));
      return created ? c.json(message, 201) : c.json(message, 200);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/{channel_id}/messages",
      summary: "History, newest first: top-level messages and replies also sent to the channel",
      description:
        "`before` pages backwards from a seq (down to `after`, if given); `after` alone pages forwards: the oldest `limit` messages after it, still newest first. Thread replies are listed by `GET /channels/{channel_id}/messages/{message_id}/replies`.",
      request: { params: ChannelParamsSchema, query: MessageHistoryQuerySchema },
      responses: { 200: jsonContent(MessagePageSchema, "A page of messages"), ...errorResponses },
    }),
    async (c) => c.json(await listMessages(c.env, c.var.user, c.req.valid("param").channel_id, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "patch",
      path: "/{channel_id}/messages/{message_id}",
      summary: "Edit a message's text (author only)",
      description: "Channel events: `message.updated`. Members a thread reply's edit newly mentions follow the thread.",
      request: { params: MessageParamsSchema, body: jsonBody(EditMessageBodySchema) },
      responses: { 200: jsonContent(MessageSchema, "The edited message"), ...errorResponses },
    }),
    async (c) => {
      const { channel_id, message_id } = c.req.valid("param");
      return c.json(await editMessage(c.env, c.var.db, c.var.user, channel_id, message_id, c.req.valid("json").text), 200);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: "delete",
      path: "/{channel_id}/messages/{message_id}",
      summary: "Delete a message (author, channel admin or workspace admin); it stays as a tombstone",
      description:
        "Channel events: `message.deleted` (the tombstone: no text, mentions or reactions), then `pin.removed` if it was pinned, then `message.updated` (the root, its summary counted again) if it was a thread reply.",
      request: { params: MessageParamsSchema },
      responses: { 204: { description: "Deleted" }, ...errorResponses },
    }),
    async (c) => {
      const { channel_id, message_id } = c.req.valid("param");
      await deleteMessage(c.env, c.var.user, channel_id, message_id, { requestId: c.var.requestId });
      return c.body(null, 204);
    },
  );
