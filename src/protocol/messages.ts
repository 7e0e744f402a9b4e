import { z } from "@hono/zod-openapi";
import { channelIdParam } from "./channels";
import { FILE_ID_PATTERN, FileSchema, MAX_FILES_PER_MESSAGE } from "./files";

// Messages on the wire (API.md "Messages"). The ChannelRoom builds exactly these shapes; the
// routes validate requests with the body and query schemas below.

/** Longest message, in Unicode code points ("characters" as a person counts them, emoji included). */
export const MAX_MESSAGE_CHARS = 40_000;
export const MAX_CLIENT_MSG_ID_LENGTH = 64;
export const MAX_HISTORY_PAGE = 200;
export const DEFAULT_HISTORY_PAGE = 50;

export const MESSAGE_ID_PATTERN = /^m_[0-9a-z]{26}$/;
/** Most distinct repliers a thread root lists in `reply_user_ids`. */
export const MAX_REPLY_USER_IDS = 10;
/** Most distinct emoji on one message. */
export const MAX_REACTIONS_PER_MESSAGE = 50;

const seqValue = z.number().int().min(1);
/** A message or event sequence number in a query string: a non-negative safe integer. */
export const seqQuery = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const MentionsSchema = z
  .object({
    user_ids: z.array(z.string()).openapi({ description: "Members mentioned by `@username`." }),
    channel: z.boolean().openapi({ description: "`@channel`: everyone in the channel." }),
    here: z.boolean().openapi({ description: "`@here`: everyone online in the channel when it was sent." }),
  })
  .openapi("Mentions");
export type Mentions = z.infer<typeof MentionsSchema>;

export const ReactionSchema = z
  .object({
    emoji: z.string().openapi({ description: "The emoji in Unicode (a `:shortcode:` reaction is shown as the emoji it stands for)." }),
    count: z.number().int(),
    user_ids: z.array(z.string()).openapi({ description: "Who reacted, in the order they did." }),
  })
  .openapi("Reaction");
export type Reaction = z.infer<typeof ReactionSchema>;

export const MessageSchema = z
  .object({
    id: z.string(),
    channel_id: z.string(),
    seq: seqValue.openapi({ description: "Position in the channel: strictly increasing and gap-free among its messages." }),
    author_id: z.string(),
    text: z.string(),
    client_msg_id: z.string().nullable(),
    thread_root_id: z.string().nullable().openapi({ description: "For a thread reply, the top-level message it replies to." }),
    also_send_to_channel: z.boolean().openapi({ description: "A reply that is also shown in channel history." }),
    reply_count: z.number().int().openapi({ description: "On a thread root: its replies, not counting deleted ones." }),
    last_reply_at: z.string().nullable().openapi({ description: "On a thread root: when its newest reply (not deleted) was sent." }),
    reply_user_ids: z.array(z.string()).openapi({
      description: `On a thread root: up to ${MAX_REPLY_USER_IDS} distinct authors of its replies (not deleted), most recent replier first.`,
    }),
    mentions: MentionsSchema,
    reactions: z.array(ReactionSchema).openapi({
      description: `Grouped by emoji, in order of first use (a group that empties and comes back goes last); at most ${MAX_REACTIONS_PER_MESSAGE}.`,
    }),
    files: z.array(FileSchema).openapi({
      description:
        "Files attached when it was sent, each with its current status (`file.updated` events keep it current). A tombstone carries none.",
    }),
    edited_at: z.string().nullable(),
    deleted: z.boolean(),
    created_at: z.string(),
  })
  .openapi("Message");
export type Message = z.infer<typeof MessageSchema>;

const codePoints = (text: string) => {
  let n = 0;
  for (const _ of text) n++;
  return n;
};

/**
 * Message text: up to 40,000 characters, stored exactly as written. It may be empty only when the
 * message carries files (a file shared without a comment, as Slack allows); whitespace counts as
 * text, as it always has. `hasContent` is that rule, applied by the schemas below (HTTP body and
 * socket frame alike, so both refuse the same input with the same error) and by the ChannelRoom.
 */
export const MessageTextSchema = z
  .string()
  .refine((text) => text.length <= MAX_MESSAGE_CHARS || codePoints(text) <= MAX_MESSAGE_CHARS, {
    message: `Too long: at most ${MAX_MESSAGE_CHARS} characters.`,
  })
  .openapi({
    description: `Up to ${MAX_MESSAGE_CHARS} characters (Unicode code points), stored as written; empty only for a message that carries files.`,
  });

/** The field error of a message with neither text nor files, wherever it is refused. */
export const EMPTY_MESSAGE_ERROR = { path: "text", message: "Empty: a message needs text or at least one file." } as const;

/** A message says something: it has text, or it carries files. */
export const hasContent = (text: string, fileCount: number): boolean => text.length > 0 || fileCount > 0;

/** The fields of a send, shared by POST /channels/{channel_id}/messages and the socket's `send` frame. */
export const SEND_MESSAGE_FIELDS = {
  text: MessageTextSchema,
  client_msg_id: z
    .string()
    .min(1)
    .max(MAX_CLIENT_MSG_ID_LENGTH)
    .optional()
    .openapi({ description: "Idempotency key, unique per author: a retry with the same key returns the first message (200)." }),
  thread_root_id: z
    .string()
    .regex(MESSAGE_ID_PATTERN, "Not a message id.")
    .optional()
    .openapi({ description: "A top-level, not deleted message of this channel to reply to." }),
  also_send_to_channel: z
    .boolean()
    .default(false)
    .openapi({ description: 'With `thread_root_id`: show the reply in channel history too (Slack\'s "also send to channel").' }),
  file_ids: z
    .array(z.string().regex(FILE_ID_PATTERN, "Not a file id."))
    .max(MAX_FILES_PER_MESSAGE)
    .optional()
    .openapi({
      description: `Up to ${MAX_FILES_PER_MESSAGE} of the sender's own files, in any status but quarantined (a file still being scanned may be shown). With files, \`text\` may be empty. A retry with the same \`client_msg_id\` attaches nothing new.`,
    }),
};

type SendShape = { text: string; thread_root_id?: string | undefined; also_send_to_channel: boolean; file_ids?: string[] | undefined };

/**
 * The rules across a send's fields, for both send schemas: one function, so the HTTP body and the
 * socket frame refuse the same input with the same field errors. The content rule runs whenever
 * `text` and `file_ids` are themselves valid, whatever else is wrong, so its error is listed with
 * the others.
 */
export function withSendRules<T extends z.ZodType<SendShape>>(schema: T) {
  return schema
    .refine((body) => !body.also_send_to_channel || body.thread_root_id !== undefined, {
      message: "Only a thread reply can also be sent to the channel.",
      path: ["also_send_to_channel"],
    })
    .refine((body) => hasContent(body.text, body.file_ids?.length ?? 0), {
      ...EMPTY_MESSAGE_ERROR,
      path: [EMPTY_MESSAGE_ERROR.path],
      // Only on an object whose text and file_ids parsed (not on `null`, which OpenAPI generation also tries).
      when: (payload) =>
        typeof payload.value === "object" &&
        payload.value !== null &&
        payload.issues.every(
          (i) => i.path?.[0] !== "text" && i.path?.[0] !== "file_ids" && !(i.code === "invalid_type" && !i.path?.length),
        ),
    });
}

export const SendMessageBodySchema = withSendRules(z.strictObject(SEND_MESSAGE_FIELDS)).openapi("SendMessage");
/** What a send carries; `also_send_to_channel` may be left out (false), so direct RPC callers need not name it. */
export type SendMessageBody = z.input<typeof SendMessageBodySchema>;

/** `text` may be emptied while the message still carries files (the ChannelRoom decides: it knows them). */
export const EditMessageBodySchema = z.strictObject({ text: MessageTextSchema }).openapi("EditMessage");

export const MessageHistoryQuerySchema = z.object({
  before: seqQuery.optional().openapi({ description: "Only messages with a smaller `seq` (page backwards)." }),
  after: seqQuery.optional().openapi({ description: "Only messages with a larger `seq`; alone, it pages forwards from there." }),
  limit: z.coerce.number().int().min(1).max(MAX_HISTORY_PAGE).default(DEFAULT_HISTORY_PAGE),
});
export type MessageHistoryQuery = z.infer<typeof MessageHistoryQuerySchema>;

export const MessagePageSchema = z.object({ items: z.array(MessageSchema), has_more: z.boolean() }).openapi("MessagePage");
export type MessagePage = z.infer<typeof MessagePageSchema>;

export const messageIdParam = z
  .string()
  .regex(MESSAGE_ID_PATTERN)
  .openapi({ param: { name: "message_id", in: "path" }, example: "m_01jd0000000000000000000000" });

export const MessageParamsSchema = z.object({ channel_id: channelIdParam, message_id: messageIdParam });
