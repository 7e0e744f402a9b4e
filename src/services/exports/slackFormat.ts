import type { channels, users } from "../../db/schema";
import { EMOJI_SHORTCODES } from "../../protocol/emojiShortcodes";
import type { Message } from "../../protocol/messages";

// Colink data in Slack's export layout (what Mattermost's and Zulip's Slack importers read):
// users.json, channels.json (public), groups.json (private), dms.json, mpims.json, and one
// `<folder>/<YYYY-MM-DD>.json` per channel and UTC day, a JSON array of messages, oldest first.

type UserRow = typeof users.$inferSelect;
type ChannelRow = typeof channels.$inferSelect;

/**
 * A Slack `ts`: seconds and microseconds since the epoch, unique per channel. Colink keeps
 * milliseconds, so the last three digits come from the message seq (unique while a channel sends
 * fewer than 1,000 messages in one millisecond).
 */
export function slackTs(iso: string, seq = 0): string {
  const ms = Date.parse(iso);
  const micros = (ms % 1000) * 1000 + (seq % 1000);
  return `${Math.floor(ms / 1000)}.${String(micros).padStart(6, "0")}`;
}

const unixSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

let shortcodeOf: Map<string, string> | undefined;
/** Slack names reactions by shortcode (`thumbsup`); an emoji with none keeps its own characters. */
function reactionName(emoji: string): string {
  if (!shortcodeOf) {
    shortcodeOf = new Map();
    for (const [code, value] of EMOJI_SHORTCODES) if (!shortcodeOf.has(value)) shortcodeOf.set(value, code);
  }
  return shortcodeOf.get(emoji) ?? emoji;
}

export function slackUser(u: UserRow) {
  return {
    id: u.id,
    name: u.username,
    real_name: u.displayName,
    deleted: u.deactivated,
    is_admin: u.role === "admin" || u.role === "owner",
    is_owner: u.role === "owner",
    is_restricted: u.role === "guest",
    is_bot: false,
    tz: u.timezone,
    profile: {
      real_name: u.displayName,
      display_name: u.displayName,
      title: u.title,
      email: u.email ?? undefined,
      status_text: u.statusText,
      status_emoji: u.statusEmoji,
    },
  };
}

/** A channel's folder in the archive: its name, or its id for DMs (which have none). */
export const channelFolder = (c: Pick<ChannelRow, "id" | "name">) => c.name ?? c.id;

export function slackChannel(c: ChannelRow, members: string[]) {
  const created = unixSeconds(c.createdAt);
  if (c.kind === "dm") return { id: c.id, created, members };
  const base = {
    id: c.id,
    name: channelFolder(c),
    created,
    creator: c.createdBy,
    is_archived: c.archived,
    members,
    topic: { value: c.topic, creator: "", last_set: 0 },
    purpose: { value: c.purpose, creator: "", last_set: 0 },
  };
  return c.kind === "public" ? { ...base, is_general: c.name === "general" } : base;
}

/**
 * One message as Slack exports it. A thread root carries `thread_ts` (its own ts), `reply_count`
 * and `reply_users`; a reply carries its root's `thread_ts` and `parent_user_id`.
 */
export function slackMessage(m: Message, root: { seq: number; author_id: string; created_at: string } | null) {
  const ts = slackTs(m.created_at, m.seq);
  const files = (m as Message & { files?: { id: string; filename: string; content_type: string; size: number }[] }).files;
  return {
    type: "message",
    user: m.author_id,
    text: m.text,
    ts,
    ...(m.client_msg_id ? { client_msg_id: m.client_msg_id } : {}),
    ...(m.edited_at ? { edited: { user: m.author_id, ts: slackTs(m.edited_at) } } : {}),
    ...(root
      ? { thread_ts: slackTs(root.created_at, root.seq), parent_user_id: root.author_id }
      : m.reply_count > 0
        ? {
            thread_ts: ts,
            reply_count: m.reply_count,
            reply_users: m.reply_user_ids,
            reply_users_count: m.reply_user_ids.length,
            ...(m.last_reply_at ? { latest_reply: slackTs(m.last_reply_at) } : {}),
          }
        : {}),
    ...(m.reactions.length > 0
      ? { reactions: m.reactions.map((r) => ({ name: reactionName(r.emoji), users: r.user_ids, count: r.count })) }
      : {}),
    ...(files && files.length > 0
      ? { files: files.map((f) => ({ id: f.id, name: f.filename, title: f.filename, mimetype: f.content_type, size: f.size })) }
      : {}),
  };
}

/** Slack's exports are indented with four spaces. */
export const exportJson = (value: unknown) => new TextEncoder().encode(JSON.stringify(value, null, 4));
