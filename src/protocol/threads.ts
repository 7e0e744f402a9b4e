import { z } from "@hono/zod-openapi";
import { MessageSchema, seqQuery } from "./messages";

// Threads on the wire (API.md "Threads"): the replies of a root, following, and the caller's
// followed threads with their unread replies.

export const MAX_REPLIES_PAGE = 200;
export const DEFAULT_REPLIES_PAGE = 50;
export const MAX_THREADS_PAGE = 200;
export const DEFAULT_THREADS_PAGE = 50;

export const RepliesQuerySchema = z.object({
  after: seqQuery.default(0).openapi({ description: "Only replies with a larger message `seq` (page forwards)." }),
  limit: z.coerce.number().int().min(1).max(MAX_REPLIES_PAGE).default(DEFAULT_REPLIES_PAGE),
});
export type RepliesQuery = z.infer<typeof RepliesQuerySchema>;

export const ReplyPageSchema = z
  .object({
    items: z.array(MessageSchema).openapi({ description: "Oldest first; deleted replies stay as tombstones." }),
    has_more: z.boolean(),
  })
  .openapi("ReplyPage");
export type ReplyPage = z.infer<typeof ReplyPageSchema>;

export const MarkThreadReadBodySchema = z
  .strictObject({
    seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).openapi({ description: "A message seq: every reply up to it is read." }),
  })
  .openapi("MarkThreadRead");

export const ThreadStateSchema = z
  .object({
    channel_id: z.string(),
    root: MessageSchema,
    following: z.boolean(),
    last_read_seq: z.number().int().openapi({ description: "The caller's thread read marker: replies up to this message seq are read." }),
    unread_reply_count: z.number().int().openapi({ description: "Replies after last_read_seq by others, not deleted." }),
    last_reply_at: z.string().nullable(),
  })
  .openapi("ThreadState");
export type ThreadState = z.infer<typeof ThreadStateSchema>;

export const MyThreadsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_THREADS_PAGE).default(DEFAULT_THREADS_PAGE),
});
export type MyThreadsQuery = z.infer<typeof MyThreadsQuerySchema>;

export const MyThreadsSchema = z
  .object({
    items: z.array(ThreadStateSchema).openapi({
      description: "Followed threads the caller can still read, newest activity (last reply, else the root) first.",
    }),
  })
  .openapi("MyThreads");

/** `data` of the user event `thread.reply`, sent to each follower of a thread but the reply's author. */
export const ThreadReplyEventDataSchema = z
  .object({ channel_id: z.string(), root_id: z.string(), message: MessageSchema })
  .openapi("ThreadReplyEventData");
export type ThreadReplyEventData = z.infer<typeof ThreadReplyEventDataSchema>;
