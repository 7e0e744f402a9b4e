import type { ChannelEvent, ChannelEventType } from "../src/protocol/channelEvents";
import type { Channel } from "../src/protocol/channels";
import type { Message } from "../src/protocol/messages";
import type { PresenceView } from "../src/protocol/presence";
import type { ThreadReplyEventData } from "../src/protocol/threads";
import type { UserEventType } from "../src/protocol/userEvents";
import type { UserView } from "../src/protocol/users";

// What the server sends on the socket (API.md "Real time"), as the SDK hands it on. The shapes
// come from src/protocol; the data of user events, which protocol/ names but does not shape, is
// spelled out here from what the server emits.

export type { ChannelEvent, ChannelEventType };

type UserFrame<T extends UserEventType, D> = { type: T; user_seq: number; at: string; data: D };

export type UserEvent =
  | UserFrame<"channel.added", { channel: Channel }>
  | UserFrame<"channel.removed", { channel_id: string }>
  | UserFrame<"read.updated", { channel_id: string; seq: number }>
  | UserFrame<"user.updated", { user: UserView }>
  | UserFrame<"thread.reply", ThreadReplyEventData>
  | UserFrame<"thread.read", { channel_id: string; root_id: string; seq: number }>;

/** A channel event of a type this SDK version does not know yet: it still occupies its seq. */
export type UnknownChannelEvent = { type: string; channel_id: string; seq: number; at: string; data: unknown; unknown: true };

export type TypingFrame = { type: "typing"; channel_id: string; data: { user_id: string; thread_root_id: string | null } };
export type PresenceFrame = { type: "presence"; data: PresenceView };

export type ControlFrame =
  | { type: "ready"; user_seq: number }
  | { type: "pong" }
  /** A `send` on the socket is durable (docs/realtime.md "Sending on the socket"). */
  | { type: "ack"; client_msg_id: string; message: Message }
  /** A refused frame; a refused `send` also carries the HTTP problem's status and its client_msg_id. */
  | {
      type: "error";
      code: string;
      detail: string;
      client_msg_id?: string | null;
      status?: number;
      errors?: { path: string; message: string }[];
      retry_after?: number;
    }
  | { type: "channel.gap"; channel_id: string; after: number; until: number }
  | { type: "resync_required"; channel_id?: string };

export type ServerFrame = ChannelEvent | UnknownChannelEvent | UserEvent | TypingFrame | PresenceFrame | ControlFrame;

/** Every channel event type the store applies; the type check below fails when protocol/ adds one. */
export const CHANNEL_EVENT_TYPES = [
  "message.created",
  "message.updated",
  "message.deleted",
  "member.joined",
  "member.left",
  "channel.updated",
  "channel.archived",
  "channel.unarchived",
  "reaction.added",
  "reaction.removed",
  "pin.added",
  "pin.removed",
  "file.updated",
  "file.deleted",
] as const satisfies readonly ChannelEventType[];
type Missing = Exclude<ChannelEventType, (typeof CHANNEL_EVENT_TYPES)[number]>;
const _everyChannelEventType: [Missing] extends [never] ? true : Missing = true;
void _everyChannelEventType;

const KNOWN_CHANNEL_EVENTS = new Set<string>(CHANNEL_EVENT_TYPES);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * Reads one text frame. The SDK trusts the shapes of the service it talks to, but checks what
 * its bookkeeping depends on (type, channel id, sequence numbers): a frame without them is
 * dropped (null) rather than corrupting cursors. Full zod validation would put zod and the
 * OpenAPI extension (≈ 100 KB gzipped) into every browser bundle.
 */
export function parseServerFrame(text: string): ServerFrame | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(json) || typeof json.type !== "string") return null;
  const { type } = json;
  switch (type) {
    case "ready":
      return isSeq(json.user_seq) ? (json as ServerFrame) : null;
    case "pong":
      return { type: "pong" };
    case "error":
      return {
        type: "error",
        code: String(json.code ?? "unknown"),
        detail: String(json.detail ?? ""),
        ...(typeof json.client_msg_id === "string" ? { client_msg_id: json.client_msg_id } : {}),
        ...(typeof json.status === "number" ? { status: json.status } : {}),
        ...(Array.isArray(json.errors) ? { errors: json.errors as { path: string; message: string }[] } : {}),
        ...(typeof json.retry_after === "number" ? { retry_after: json.retry_after } : {}),
      };
    case "ack":
      return typeof json.client_msg_id === "string" && isObject(json.message) ? (json as ServerFrame) : null;
    case "channel.gap":
      return typeof json.channel_id === "string" && isSeq(json.after) && isSeq(json.until) ? (json as ServerFrame) : null;
    case "resync_required":
      return json.channel_id === undefined || typeof json.channel_id === "string" ? (json as ServerFrame) : null;
    case "typing":
      return typeof json.channel_id === "string" && isObject(json.data) && typeof json.data.user_id === "string"
        ? {
            type,
            channel_id: json.channel_id,
            data: { user_id: json.data.user_id, thread_root_id: (json.data.thread_root_id as string) ?? null },
          }
        : null;
    case "presence":
      return isObject(json.data) && typeof json.data.user_id === "string" ? (json as ServerFrame) : null;
  }
  if (typeof json.channel_id === "string" && isSeq(json.seq)) {
    if (!isObject(json.data)) return null;
    return KNOWN_CHANNEL_EVENTS.has(type) ? (json as ChannelEvent) : ({ ...(json as object), unknown: true } as UnknownChannelEvent);
  }
  if (isSeq(json.user_seq)) return isObject(json.data) ? (json as UserEvent) : null;
  return null;
}

export const isChannelEvent = (f: ServerFrame): f is ChannelEvent | UnknownChannelEvent =>
  "channel_id" in f && "seq" in f && typeof f.seq === "number";
export const isUserEvent = (f: ServerFrame): f is UserEvent => "user_seq" in f && f.type !== "ready";
