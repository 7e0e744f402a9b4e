import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { requireUser } from "../middleware/requireUser";
import { MessageParamsSchema } from "../protocol/messages";
import { MarkThreadReadBodySchema, RepliesQuerySchema, ReplyPageSchema, ThreadStateSchema } from "../protocol/threads";
import { markThreadRead, setThreadFollowing } from "../services/actions/threads";
import { listReplies } from "../services/queries/messages";

const common = { tags: ["Threads"], middleware: [requireUser], security: bearerSecurity };
const stateResponse = (description: string) => ({ 200: jsonContent(ThreadStateSchema, description), ...errorResponses });

const follow = (method: "put" | "delete") =>
  createRoute({
    ...common,
    method,
    path: "/{channel_id}/messages/{message_id}/follow",
    summary: method === "put" ? "Follow a thread (members only; idempotent)" : "Unfollow a thread (members only; idempotent)",
    description:
      "Any top-level message is a thread root; a reply is not (422 `invalid_thread_root`). No channel event: following is the caller's own state. " +
      (method === "put"
        ? "Followers get the user event `thread.reply` for every reply by others."
        : "Unfollowing on purpose sticks: writing or being mentioned in the root no longer makes you follow; replying or being mentioned in a reply does."),
    request: { params: MessageParamsSchema },
    responses: stateResponse("The caller's state in the thread"),
  });

export const threadsRoutes = createRouter()
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/{channel_id}/messages/{message_id}/replies",
      summary: "A thread's replies after a message seq, oldest first",
      description: "For whoever may read the channel. `message_id` must be a top-level message (else 422 `invalid_thread_root`).",
      request: { params: MessageParamsSchema, query: RepliesQuerySchema },
      responses: { 200: jsonContent(ReplyPageSchema, "A page of replies"), ...errorResponses },
    }),
    async (c) => {
      const { channel_id, message_id } = c.req.valid("param");
      return c.json(await listReplies(c.env, c.var.user, channel_id, message_id, c.req.valid("query")), 200);
    },
  )
  .openapi(follow("put"), async (c) => {
    const { channel_id, message_id } = c.req.valid("param");
    return c.json(await setThreadFollowing(c.env, c.var.db, c.var.user, channel_id, message_id, true), 200);
  })
  .openapi(follow("delete"), async (c) => {
    const { channel_id, message_id } = c.req.valid("param");
    return c.json(await setThreadFollowing(c.env, c.var.db, c.var.user, channel_id, message_id, false), 200);
  })
  .openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/{channel_id}/messages/{message_id}/replies/read",
      summary: "Mark a thread's replies read up to a message seq (members only; the marker never moves backwards)",
      description: "Capped at the thread's newest reply. No event.",
      request: { params: MessageParamsSchema, body: jsonBody(MarkThreadReadBodySchema) },
      responses: stateResponse("The caller's state in the thread"),
    }),
    async (c) => {
      const { channel_id, message_id } = c.req.valid("param");
      return c.json(await markThreadRead(c.env, c.var.user, channel_id, message_id, c.req.valid("json").seq), 200);
    },
  );
