import { z } from "zod";
import { CHANNEL_ID_PATTERN } from "./channels";
import { MAX_CLIENT_MSG_ID_LENGTH, type Message, SEND_MESSAGE_FIELDS, withSendRules } from "./messages";

// The WebSocket protocol (API.md "Real time"). Every client frame is parsed into this tagged union;
// anything else is answered with an `error` frame and the socket stays open.

/** Largest client frame accepted; a bigger one closes the socket with 1009. */
export const MAX_CLIENT_FRAME_BYTES = 64 * 1024;
/** Most users one socket may watch the presence of. */
export const MAX_PRESENCE_SUBSCRIPTIONS = 500;
/** Most channels one resume may name. */
export const MAX_RESUME_CHANNELS = 5000;

const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const channelId = z.string().min(1).max(64);

/**
 * `{"type":"resume"}` with no cursors: nothing to replay (a first connect), which ends the
 * first-frame grace at once.
 */
export const ResumeFrame = z.strictObject({
  type: z.literal("resume"),
  user_seq: seq.optional(),
  channels: z
    .record(channelId, seq)
    .default({})
    .refine((c) => Object.keys(c).length <= MAX_RESUME_CHANNELS, `at most ${MAX_RESUME_CHANNELS} channels`),
});

export const PingFrame = z.object({ type: z.literal("ping") });

/** Watch these users' presence (replaces the socket's previous set). */
export const PresenceSubscribeFrame = z.strictObject({
  type: z.literal("presence.subscribe"),
  user_ids: z.array(z.string().min(1).max(64)).max(MAX_PRESENCE_SUBSCRIPTIONS),
});

/** The user is typing in a channel (or a thread of it). */
export const TypingFrame = z.strictObject({
  type: z.literal("typing"),
  channel_id: channelId,
  thread_root_id: z.string().min(1).max(64).nullish(),
});

/** The user did something on this device (keyboard, pointer): keeps presence `active`. */
export const ActiveFrame = z.strictObject({ type: z.literal("active") });

/**
 * Sends a message on the socket, as POST /channels/{channel_id}/messages does (the same fields and
 * rules, `withSendRules`, so the same input is refused with the same error; the same checks, rate
 * limit and `client_msg_id` key space), answered by `ack` or an `error` carrying the same problem.
 * `client_msg_id` is required: the answer names it.
 */
export const SendFrame = withSendRules(
  z.strictObject({
    type: z.literal("send"),
    channel_id: z.string().regex(CHANNEL_ID_PATTERN, "Not a channel id."),
    ...SEND_MESSAGE_FIELDS,
    client_msg_id: z.string().min(1).max(MAX_CLIENT_MSG_ID_LENGTH),
  }),
);
export type SendFrame = z.infer<typeof SendFrame>;

export const ClientFrame = z.discriminatedUnion("type", [
  ResumeFrame,
  PingFrame,
  PresenceSubscribeFrame,
  TypingFrame,
  ActiveFrame,
  SendFrame,
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

export const ERROR_CODES = [
  "invalid_json",
  "invalid_frame",
  "unknown_frame",
  "binary_not_supported",
  "not_a_member",
  "rate_limited",
  "already_resumed",
  "internal_error",
  "invalid_thread_root",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const errorFrame = (code: ErrorCode, detail: string) => JSON.stringify({ type: "error", code, detail });

/** The problem a refused `send` gets, as HTTP would give it (status, code, field errors, Retry-After in seconds). */
export type SendProblem = {
  status: number;
  code: string;
  detail: string;
  errors?: { path: string; message: string }[];
  retryAfterSeconds?: number;
};

/** A `send` refused: the problem+json fields HTTP would answer with, and the frame's `client_msg_id`. */
export const sendErrorFrame = (clientMsgId: string | null, p: SendProblem) =>
  JSON.stringify({
    type: "error",
    client_msg_id: clientMsgId,
    status: p.status,
    code: p.code,
    detail: p.detail,
    ...(p.errors ? { errors: p.errors } : {}),
    ...(p.retryAfterSeconds !== undefined ? { retry_after: Math.max(1, Math.ceil(p.retryAfterSeconds)) } : {}),
  });

/** A `send` is durable: the message (the first one, when the `client_msg_id` was used before). */
export const ackFrame = (clientMsgId: string, message: Message) => JSON.stringify({ type: "ack", client_msg_id: clientMsgId, message });
export const readyFrame = (userSeq: number) => JSON.stringify({ type: "ready", user_seq: userSeq });
export const gapFrame = (channelId: string, after: number, until: number) =>
  JSON.stringify({ type: "channel.gap", channel_id: channelId, after, until });
export const resyncFrame = (channelId?: string) =>
  JSON.stringify(channelId ? { type: "resync_required", channel_id: channelId } : { type: "resync_required" });

/** Parses a text frame; returns the frame or the error frame to answer with. */
export function parseClientFrame(text: string): { ok: true; frame: ClientFrame } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: errorFrame("invalid_json", "Frames are JSON text.") };
  }
  const type = typeof json === "object" && json !== null && "type" in json ? (json as { type: unknown }).type : undefined;
  if (typeof type !== "string" || !ClientFrame.options.some((o) => o.shape.type.value === type)) {
    return { ok: false, error: errorFrame("unknown_frame", `Unknown frame type ${JSON.stringify(type ?? null).slice(0, 40)}.`) };
  }
  const parsed = ClientFrame.safeParse(json);
  if (!parsed.success && type === "send") {
    // A refused send answers as HTTP's 422 would, naming the frame's client_msg_id when it has one.
    const raw = (json as { client_msg_id?: unknown }).client_msg_id;
    const clientMsgId = typeof raw === "string" && raw.length <= MAX_CLIENT_MSG_ID_LENGTH ? raw : null;
    // A channel id of the wrong shape names nothing: 404, as in a URL path.
    if (parsed.error.issues.some((i) => i.path[0] === "channel_id"))
      return { ok: false, error: sendErrorFrame(clientMsgId, { status: 404, code: "not_found", detail: "No such resource." }) };
    return {
      ok: false,
      error: sendErrorFrame(clientMsgId, {
        status: 422,
        code: "validation_failed",
        detail: "Some fields are invalid.",
        errors: fieldErrors(parsed.error),
      }),
    };
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: errorFrame("invalid_frame", `${issue?.path.join(".") || type}: ${issue?.message ?? "invalid"}`) };
  }
  return { ok: true, frame: parsed.data };
}

/** A zod error as problem+json field errors (the same shape as lib/openapi.ts fieldErrors; protocol/ imports nothing outside it). */
function fieldErrors(error: z.ZodError): { path: string; message: string }[] {
  const path = (p: PropertyKey[]) => p.map(String).join(".") || "(root)";
  return error.issues
    .flatMap((i) =>
      i.code === "unrecognized_keys"
        ? i.keys.map((k) => ({ path: path([...i.path, k]), message: "Unknown field." }))
        : [{ path: path(i.path), message: i.message }],
    )
    .slice(0, 50);
}
