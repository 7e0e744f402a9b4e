import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { FieldError } from "../../src/lib/ColinkError";
import type { Channel } from "../../src/protocol/channels";
import type { Message } from "../../src/protocol/messages";
import type { ChannelRole, Role } from "../../src/protocol/roles";

// Values crossing the Worker ↔ ChannelRoom RPC boundary. Errors travel as values: RPC keeps only
// an exception's message, and callers need the status and stable code.

/**
 * Who is asking: the caller's id and workspace role, fresh from the request's authentication, and
 * the request's id (for the audit rows of moderation the room records).
 */
export type Actor = { id: string; role: Role; requestId?: string };

/** A user being put into a channel; the username feeds @mention resolution. */
export type NewMember = { user_id: string; username: string; role: ChannelRole };

export type RoomInit = {
  channel: Omit<Channel, "archived" | "member_count">;
  members: NewMember[];
};

export type RoomError = {
  status: ContentfulStatusCode;
  code: string;
  detail: string;
  errors?: FieldError[];
  retryAfterSeconds?: number;
};

export type RoomResult<T> = { ok: true; value: T } | { ok: false; error: RoomError };

/** What a resuming socket gets for one channel (API.md "Resume guarantee"). */
export type ReplayResult =
  | { kind: "events"; frames: string[]; head: number }
  | { kind: "gap"; after: number; until: number }
  | { kind: "resync" }
  | { kind: "not_member" };

/**
 * A sent message; `created: false` when a retry named an existing `client_msg_id`. For a new
 * thread reply, `thread` says what the Worker does after the write: record `new_followers` in the
 * directory and send `thread.reply` to `notify` (followers but the author).
 */
export type SentMessage = {
  message: Message;
  created: boolean;
  thread: { root_id: string; new_followers: string[]; notify: string[] } | null;
};

/** An edited message; for a reply, the members its edit made follow the thread (to record in the directory). */
export type EditedMessage = { message: Message; thread: { root_id: string; new_followers: string[] } | null };

/** A page of a channel's history for a workspace export: each message with its thread root's seq, author and time. */
export type ExportPage = {
  channel: Channel | null;
  messages: { message: Message; root: { seq: number; author_id: string; created_at: string } | null }[];
  has_more: boolean;
};
