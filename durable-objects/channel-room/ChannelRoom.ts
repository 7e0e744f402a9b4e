import { DurableObject } from "cloudflare:workers";
import { ColinkError, conflict, forbidden, invalid, notFound } from "../../src/lib/ColinkError";
import { config } from "../../src/lib/config";
import { newId } from "../../src/lib/ids";
import { log } from "../../src/lib/log";
import { userSession } from "../../src/lib/stubs";
import { DAY_MS } from "../../src/lib/time";
import type { ChannelEventQuery } from "../../src/protocol/channelEvents";
import type { Channel, ChannelMember, ChannelReadState, MemberList, MemberListQuery, UpdateChannelBody } from "../../src/protocol/channels";
import {
  type Mentions,
  MentionsSchema,
  type Message,
  type MessageHistoryQuery,
  type MessagePage,
  type Reaction,
  type SendMessageBody,
} from "../../src/protocol/messages";
import { MAX_PINS_PER_CHANNEL, type Pin } from "../../src/protocol/pins";
import { type ChannelRole, isAdminRole } from "../../src/protocol/roles";
import type { RepliesQuery, ReplyPage, ThreadState } from "../../src/protocol/threads";
import { AlarmSchedule } from "../shared/AlarmSchedule";
import { runMigrations } from "../shared/runMigrations";
import { type Appended, EventLog, RETENTION_ALARM } from "./EventLog";
import { FanOut } from "./FanOut";
import { OnlineMembers } from "./OnlineMembers";
import { MAX_MENTION_NAMES, parseMentions } from "./parseMentions";
import { ReactionStore } from "./ReactionStore";
import { channelJson, isDm, type MetaRow, RoomMeta } from "./RoomMeta";
import { archivedError, channelNotFound, deletedError, invalidRoot, messageNotFound } from "./roomErrors";
import type { Actor, EditedMessage, NewMember, ReplayResult, RoomInit, RoomResult, SentMessage } from "./rpcTypes";
import { SendRateLimiter } from "./SendRateLimiter";
import { channelRoomMigrations } from "./schema";
import { type AutoFollow, replyUserIds, ThreadStore } from "./ThreadStore";

type MemberRow = { user_id: string; username: string; role: ChannelRole; online: number; joined_at: string };

type MessageRow = {
  seq: number;
  id: string;
  author_id: string;
  text: string;
  client_msg_id: string | null;
  thread_root_id: string | null;
  also_send_to_channel: number;
  reply_count: number;
  last_reply_at: string | null;
  /** JSON array of user ids. */
  reply_user_ids: string;
  mentions: string;
  edited_at: string | null;
  deleted: number;
  created_at: string;
};

type PinRow = { id: number; seq: number; pinned_by: string; pinned_at: string };

/** What history shows: top-level messages and replies also sent to the channel (matches an index). */
const IN_CHANNEL_VIEW = "(thread_root_id IS NULL OR also_send_to_channel = 1)";

const TYPING_INTERVAL_MS = 1000;
const MAX_SEED_BATCH = 50_000;
const NO_MENTIONS: Mentions = { user_ids: [], channel: false, here: false };

/** Runs an RPC body, turning a ColinkError into an error value (RPC would keep only its message). */
function answer<T>(body: () => T): RoomResult<T> {
  try {
    return { ok: true, value: body() };
  } catch (err) {
    if (!(err instanceof ColinkError)) throw err;
    const { errors, retryAfterSeconds } = err.extra;
    return { ok: false, error: { status: err.status, code: err.code, detail: err.detail, errors, retryAfterSeconds } };
  }
}

/**
 * One per channel and per DM: the authority on who is in it, its message history, its event log
 * (one gap-free `seq` for every event) and the fan-out of each event to online members.
 *
 * Every change runs synchronously in one SQLite transaction that also appends its event; the
 * fan-out is dispatched right after, with no `await` in between, so events leave in `seq` order and
 * the answer (held by the output gate) never precedes the durable write.
 */
export class ChannelRoom extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly meta: RoomMeta;
  private readonly online: OnlineMembers;
  private readonly fanOut: FanOut;
  private readonly events: EventLog;
  /** One stub per user: calls on the same stub arrive in the order they were made. */
  private readonly sessions = new Map<string, ReturnType<typeof userSession>>();
  private readonly sendLimiter: SendRateLimiter;
  private readonly lastTyping = new Map<string, number>();
  private readonly reactions: ReactionStore;
  private readonly threads: ThreadStore;
  /** Member ids, read once per wake-up and kept like the meta row: online and replay calls ask often. */
  private memberIds: Set<string> | undefined;
  /** The object's one alarm, shared by its purposes: so far the retention check of the event log. */
  private readonly alarms: AlarmSchedule<typeof RETENTION_ALARM>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sendLimiter = new SendRateLimiter(config(env).SEND_RATE_PER_MINUTE);
    this.reactions = new ReactionStore(this.sql);
    this.threads = new ThreadStore(this.sql);
    const transact = <T>(body: () => T): T => this.transact(body);
    this.meta = new RoomMeta(this.sql);
    this.online = new OnlineMembers(this.sql, transact);
    this.fanOut = new FanOut(
      this.online.generations,
      (userId, channelId, events) => this.session(userId).deliverChannelEvents(userId, channelId, events),
      (userId) => this.setOnline(userId, false),
    );
    this.alarms = new AlarmSchedule(ctx.storage, { [RETENTION_ALARM]: (now: number) => this.events.retentionCheck(now) });
    const retentionMs = config(env).EVENT_RETENTION_DAYS * DAY_MS;
    this.events = new EventLog(this.sql, this.meta, retentionMs, (at) => this.alarms.schedule(RETENTION_ALARM, at), transact);
    ctx.blockConcurrencyWhile(async () => {
      runMigrations(this.sql, channelRoomMigrations);
      this.online.load();
      await this.alarms.load();
    });
  }

  // ── Lifecycle ──────────────────────────────────────────────────────────────────────────────

  /** Creates the channel with its first members (no events: they learn of it as `channel.added`). */
  create(init: RoomInit): RoomResult<Channel> {
    return answer(() => {
      if (this.meta.read()) throw conflict("channel_exists", "This channel already exists.");
      const { channel, members } = init;
      this.transact(() => {
        this.sql.exec(
          `INSERT INTO meta (id, channel_id, kind, name, topic, purpose, created_by, created_at, member_count)
           VALUES (1, ?, ?, ?, ?, ?, ?, ?, 0)`,
          channel.id,
          channel.kind,
          channel.name,
          channel.topic,
          channel.purpose,
          channel.created_by,
          channel.created_at,
        );
        for (const m of members) this.insertMember(m, 0, channel.created_at);
      });
      this.meta.forget();
      for (const m of members) this.online.add(m.user_id);
      return channelJson(this.meta.require());
    });
  }

  /** Forgets everything: for a room whose creation lost a race in the directory and was never announced. */
  async discard(): Promise<void> {
    this.online.clear();
    this.meta.forget();
    this.memberIds = undefined;
    this.alarms.forget();
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    runMigrations(this.sql, channelRoomMigrations);
  }

  // ── The channel ────────────────────────────────────────────────────────────────────────────

  getChannel(actor: Actor): RoomResult<Channel> {
    return answer(() => {
      const meta = this.meta.require();
      this.see(meta, actor);
      return channelJson(meta);
    });
  }

  /**
   * Topic and purpose: any member. Name: the creator, a channel admin or a workspace admin (who
   * need not be members of a public channel). The caller has checked the name is free in the
   * directory (after `checkUpdate`) and mirrors the change there.
   */
  updateChannel(actor: Actor, patch: UpdateChannelBody): RoomResult<{ channel: Channel; previousName: string | null }> {
    return answer(() => {
      const meta = this.meta.require();
      this.authorizeUpdate(meta, actor, patch);
      const next = { name: patch.name ?? meta.name, topic: patch.topic ?? meta.topic, purpose: patch.purpose ?? meta.purpose };
      const previousName = meta.name;
      if (next.name === meta.name && next.topic === meta.topic && next.purpose === meta.purpose)
        return { channel: channelJson(meta), previousName };
      return { channel: this.changeChannel(meta, next), previousName };
    });
  }

  /** Whether `updateChannel(actor, patch)` would be allowed, without changing anything. */
  checkUpdate(actor: Actor, patch: UpdateChannelBody): RoomResult<Channel> {
    return answer(() => {
      const meta = this.meta.require();
      this.authorizeUpdate(meta, actor, patch);
      return channelJson(meta);
    });
  }

  /** Undoes a rename the directory refused (the name was taken meanwhile), if nothing renamed it since. */
  restoreName(from: string, to: string | null): RoomResult<Channel> {
    return answer(() => {
      const meta = this.meta.require();
      if (meta.name !== from) return channelJson(meta);
      return this.changeChannel(meta, { name: to, topic: meta.topic, purpose: meta.purpose });
    });
  }

  /** Archive or unarchive: the creator, a channel admin or a workspace admin. */
  setArchived(actor: Actor, archived: boolean): RoomResult<Channel> {
    return answer(() => {
      const meta = this.meta.require();
      const member = this.see(meta, actor);
      if (isDm(meta)) throw conflict("dm_not_archivable", "DMs cannot be archived.");
      if (!this.isManager(meta, actor, member))
        throw forbidden("Only the channel's creator, its admins or a workspace admin may archive or unarchive it.", "not_channel_admin");
      if (Boolean(meta.archived) === archived)
        throw archived
          ? conflict("already_archived", "The channel is already archived.")
          : conflict("not_archived", "The channel is not archived.");
      const at = new Date();
      const event = this.transact(() => {
        this.sql.exec("UPDATE meta SET archived = ? WHERE id = 1", archived ? 1 : 0);
        meta.archived = archived ? 1 : 0;
        return this.events.append(archived ? "channel.archived" : "channel.unarchived", channelJson(meta), at);
      });
      this.fanOut.push(event);
      return channelJson(meta);
    });
  }

  // ── Membership ─────────────────────────────────────────────────────────────────────────────

  /** Joins a public channel; joining one you are in is a no-op. Guests and private channels: 404. */
  join(actor: Actor, username: string): RoomResult<{ channel: Channel; joined: boolean }> {
    return answer(() => {
      const meta = this.meta.require();
      if (this.see(meta, actor)) return { channel: channelJson(meta), joined: false };
      if (meta.archived) throw archivedError();
      this.addMembersNow(meta, [{ user_id: actor.id, username, role: "member" }]);
      return { channel: channelJson(meta), joined: true };
    });
  }

  /** A member adds others (guests may not); adding someone already in is a no-op. DMs are fixed. */
  addMembers(actor: Actor, users: { user_id: string; username: string }[]): RoomResult<{ channel: Channel; added: string[] }> {
    return answer(() => {
      const meta = this.meta.require();
      this.requireMember(meta, actor);
      if (actor.role === "guest") throw forbidden("Guests cannot add people to channels.", "guest_not_allowed");
      if (isDm(meta)) throw conflict("dm_membership_fixed", "People cannot be added to a DM; open a new one.");
      if (meta.archived) throw archivedError();
      const fresh = users.filter((u, i) => users.findIndex((v) => v.user_id === u.user_id) === i && !this.isMember(u.user_id));
      this.addMembersNow(
        meta,
        fresh.map((u) => ({ ...u, role: "member" })),
      );
      return { channel: channelJson(meta), added: fresh.map((u) => u.user_id) };
    });
  }

  /** Puts a participant back into a DM they left (reopening it). Only the DM service calls this. */
  restoreDmMember(user: { user_id: string; username: string }): RoomResult<{ channel: Channel; added: boolean }> {
    return answer(() => {
      const meta = this.meta.require();
      if (!isDm(meta)) throw channelNotFound();
      if (this.isMember(user.user_id)) return { channel: channelJson(meta), added: false };
      this.addMembersNow(meta, [{ ...user, role: "member" }]);
      return { channel: channelJson(meta), added: true };
    });
  }

  /**
   * Removes a member: themselves (leaving; a 1:1 DM cannot be left), or someone else (a channel
   * admin or workspace admin). They are off the online list before `member.left` fans out, so they
   * receive nothing more from this channel, and they stop following its threads.
   */
  removeMember(actor: Actor, userId: string): RoomResult<{ channel: Channel; removed: boolean }> {
    return answer(() => {
      const meta = this.meta.require();
      const member = this.see(meta, actor);
      if (userId === actor.id) {
        if (meta.kind === "dm") throw conflict("cannot_leave_dm", "A DM between two people cannot be left.");
        if (!member) return { channel: channelJson(meta), removed: false };
      } else {
        if (isDm(meta)) throw conflict("dm_membership_fixed", "People cannot be removed from a DM.");
        if (!this.isManager(meta, actor, member))
          throw forbidden("Only channel admins or workspace admins may remove members.", "not_channel_admin");
        if (!this.isMember(userId)) throw notFound("member");
      }
      const at = new Date();
      const event = this.transact(() => {
        this.sql.exec("DELETE FROM members WHERE user_id = ?", userId);
        this.memberIds?.delete(userId);
        this.sql.exec("DELETE FROM read_markers WHERE user_id = ?", userId);
        this.threads.forget(userId);
        this.sql.exec("UPDATE meta SET member_count = member_count - 1 WHERE id = 1");
        meta.member_count -= 1;
        return this.events.append("member.left", { user_id: userId }, at);
      });
      this.goOffline(userId);
      this.fanOut.push(event);
      return { channel: channelJson(meta), removed: true };
    });
  }

  listMembers(actor: Actor, query: MemberListQuery): RoomResult<MemberList> {
    return answer(() => {
      const meta = this.meta.require();
      this.see(meta, actor);
      const rows = this.sql
        .exec<MemberRow>("SELECT * FROM members WHERE user_id > ? ORDER BY user_id LIMIT ?", query.cursor ?? "", query.limit + 1)
        .toArray();
      const page = rows.slice(0, query.limit);
      return { items: page.map(memberJson), next_cursor: rows.length > query.limit ? (page.at(-1)?.user_id ?? null) : null };
    });
  }

  // ── Messages ───────────────────────────────────────────────────────────────────────────────

  /**
   * Sends a message: members only, not in an archived channel, within the author's send rate. A
   * retry with a `client_msg_id` already used by this author returns that message (`created:
   * false`); check and insert happen in one synchronous turn, so concurrent retries cannot race.
   *
   * A thread reply also moves its root's summary forward and makes its author, those it mentions,
   * and the root's author and mentions follow the thread, in the same transaction: it appends
   * `message.created` (the reply) then `message.updated` (the root).
   */
  appendMessage(actor: Actor, input: SendMessageBody): RoomResult<SentMessage> {
    return answer(() => {
      const meta = this.meta.require();
      this.requireMember(meta, actor);
      if (input.client_msg_id !== undefined) {
        const existing = this.sql
          .exec<MessageRow>("SELECT * FROM messages WHERE author_id = ? AND client_msg_id = ?", actor.id, input.client_msg_id)
          .toArray()[0];
        if (existing) return { message: this.messageJson(meta, existing), created: false, thread: null };
      }
      if (meta.archived) throw archivedError();
      const root = input.thread_root_id === undefined ? null : this.messageById(input.thread_root_id);
      if (input.thread_root_id !== undefined && (!root || root.deleted || root.thread_root_id !== null))
        throw invalidRoot("thread_root_id");
      const now = Date.now();
      this.takeSendToken(actor, now);
      const at = new Date(now);
      const { mentions, notify } = this.resolveMentions(input.text, actor.id);
      const row: MessageRow = {
        seq: meta.last_message_seq + 1,
        id: newId("m", now),
        author_id: actor.id,
        text: input.text,
        client_msg_id: input.client_msg_id ?? null,
        thread_root_id: root?.id ?? null,
        also_send_to_channel: root && input.also_send_to_channel ? 1 : 0,
        reply_count: 0,
        last_reply_at: null,
        reply_user_ids: "[]",
        mentions: JSON.stringify(mentions),
        edited_at: null,
        deleted: 0,
        created_at: at.toISOString(),
      };
      const message = this.messageFrom(meta, row, mentions, []);
      const { events, thread } = this.transact(() => {
        this.sql.exec(
          `INSERT INTO messages (seq, id, author_id, text, client_msg_id, thread_root_id, also_send_to_channel, mentions, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          row.seq,
          row.id,
          row.author_id,
          row.text,
          row.client_msg_id,
          row.thread_root_id,
          row.also_send_to_channel,
          row.mentions,
          row.created_at,
        );
        for (const userId of notify) this.sql.exec("INSERT INTO message_mentions (user_id, seq) VALUES (?, ?)", userId, row.seq);
        this.sql.exec("UPDATE meta SET last_message_seq = ? WHERE id = 1", row.seq);
        meta.last_message_seq = row.seq;
        const created = this.events.append("message.created", message, at);
        if (!root) return { events: [created], thread: null };
        const summary = this.threads.withReply(root, actor.id, row.created_at);
        this.threads.writeSummary(root.seq, summary);
        const newFollowers = this.followOnReply(root, row, mentions);
        const updated = this.events.append("message.updated", this.messageJson(meta, { ...root, ...summary }), at);
        return {
          events: [created, updated],
          thread: { root_id: root.id, new_followers: newFollowers, notify: this.threads.followersToNotify(root.id, actor.id) },
        };
      });
      for (const event of events) this.fanOut.push(event);
      return { message, created: true, thread };
    });
  }

  /**
   * Channel history, newest first: top-level messages and replies also sent to the channel.
   * `before` pages backwards (down to `after`, if given); `after` alone pages forwards: the oldest
   * `limit` messages after it, still newest first.
   */
  listMessages(actor: Actor, query: MessageHistoryQuery): RoomResult<MessagePage> {
    return answer(() => {
      const meta = this.meta.require();
      this.see(meta, actor);
      const take = query.limit + 1;
      const forwards = query.before === undefined && query.after !== undefined;
      const rows = forwards
        ? this.sql
            .exec<MessageRow>(`SELECT * FROM messages WHERE seq > ? AND ${IN_CHANNEL_VIEW} ORDER BY seq ASC LIMIT ?`, query.after, take)
            .toArray()
        : this.sql
            .exec<MessageRow>(
              `SELECT * FROM messages WHERE seq < ? AND seq > ? AND ${IN_CHANNEL_VIEW} ORDER BY seq DESC LIMIT ?`,
              query.before ?? Number.MAX_SAFE_INTEGER,
              query.after ?? 0,
              take,
            )
            .toArray();
      const page = rows.slice(0, query.limit);
      if (forwards) page.reverse();
      return { items: this.messagesJson(meta, page), has_more: rows.length > query.limit };
    });
  }

  /** A thread's replies after a message seq, oldest first (tombstones included). */
  listReplies(actor: Actor, rootId: string, query: RepliesQuery): RoomResult<ReplyPage> {
    return answer(() => {
      const meta = this.meta.require();
      this.see(meta, actor);
      this.requireRoot(rootId);
      const rows = this.sql
        .exec<MessageRow>(
          "SELECT * FROM messages WHERE thread_root_id = ? AND seq > ? ORDER BY seq LIMIT ?",
          rootId,
          query.after,
          query.limit + 1,
        )
        .toArray();
      return { items: this.messagesJson(meta, rows.slice(0, query.limit)), has_more: rows.length > query.limit };
    });
  }

  /**
   * The author edits their message's text; mentions are parsed again. Members a reply's edit newly
   * mentions follow its thread, as if the reply had mentioned them from the start.
   */
  editMessage(actor: Actor, messageId: string, text: string): RoomResult<EditedMessage> {
    return answer(() => {
      const meta = this.meta.require();
      this.requireMember(meta, actor);
      const row = this.requireMessage(messageId);
      if (row.author_id !== actor.id) throw forbidden("Only the author may edit a message.", "not_author");
      if (row.deleted) throw deletedError();
      if (meta.archived) throw archivedError();
      if (row.text === text) return { message: this.messageJson(meta, row), thread: null };
      const at = new Date();
      const { mentions, notify } = this.resolveMentions(text, actor.id);
      const edited: MessageRow = { ...row, text, mentions: JSON.stringify(mentions), edited_at: at.toISOString() };
      const message = this.messageFrom(meta, edited, mentions, this.reactionsOf(row.seq));
      const mentionedBefore = new Set(MentionsSchema.parse(JSON.parse(row.mentions)).user_ids);
      const { event, newFollowers } = this.transact(() => {
        this.sql.exec(
          "UPDATE messages SET text = ?, mentions = ?, edited_at = ? WHERE seq = ?",
          text,
          edited.mentions,
          edited.edited_at,
          row.seq,
        );
        this.sql.exec("DELETE FROM message_mentions WHERE seq = ?", row.seq);
        for (const userId of notify) this.sql.exec("INSERT INTO message_mentions (user_id, seq) VALUES (?, ?)", userId, row.seq);
        const rootId = row.thread_root_id;
        const newFollowers =
          rootId === null
            ? []
            : mentions.user_ids.filter((userId) => !mentionedBefore.has(userId) && this.threads.autoFollow(rootId, userId, "acted"));
        return { event: this.events.append("message.updated", message, at), newFollowers };
      });
      this.fanOut.push(event);
      const thread = row.thread_root_id === null ? null : { root_id: row.thread_root_id, new_followers: newFollowers };
      return { message, thread };
    });
  }

  /**
   * The author, a channel admin or a workspace admin deletes a message: it stays in history as a
   * tombstone (empty text, no mentions or reactions, `deleted: true`) so `seq` stays gap-free.
   * Deleting a tombstone is a no-op. In the same transaction a pinned message is unpinned
   * (`pin.removed`) and a reply's root summary is counted again (`message.updated`).
   */
  deleteMessage(actor: Actor, messageId: string): RoomResult<Message> {
    return answer(() => {
      const meta = this.meta.require();
      const member = this.see(meta, actor);
      const row = this.requireMessage(messageId);
      if (row.author_id !== actor.id && !this.isManager(meta, actor, member))
        throw forbidden("Only the author, a channel admin or a workspace admin may delete a message.", "cannot_delete_message");
      if (meta.archived) throw archivedError();
      if (row.deleted) return this.messageJson(meta, row);
      const at = new Date();
      const tombstone: MessageRow = { ...row, text: "", mentions: JSON.stringify(NO_MENTIONS), deleted: 1 };
      const message = this.messageFrom(meta, tombstone, NO_MENTIONS, []);
      const events = this.transact(() => {
        this.sql.exec("UPDATE messages SET text = '', mentions = ?, deleted = 1 WHERE seq = ?", tombstone.mentions, row.seq);
        this.sql.exec("DELETE FROM message_mentions WHERE seq = ?", row.seq);
        this.reactions.clear(row.seq);
        const out = [this.events.append("message.deleted", message, at)];
        const pin = this.pinOf(row.seq);
        if (pin) out.push(this.removePin(row, pin, actor.id, at));
        const root = row.thread_root_id === null ? null : this.messageById(row.thread_root_id);
        if (root) {
          const summary = this.threads.recount(root.id);
          this.threads.writeSummary(root.seq, summary);
          out.push(this.events.append("message.updated", this.messageJson(meta, { ...root, ...summary }), at));
        }
        return out;
      });
      for (const event of events) this.fanOut.push(event);
      return message;
    });
  }

  // ── Threads ────────────────────────────────────────────────────────────────────────────────

  /** A member follows or unfollows a thread on purpose (idempotent; no event). Archived channels too. */
  setThreadFollowing(actor: Actor, rootId: string, following: boolean): RoomResult<ThreadState> {
    return answer(() => {
      const meta = this.meta.require();
      this.requireMember(meta, actor);
      const root = this.requireRoot(rootId);
      this.threads.setFollowing(root.id, actor.id, following);
      return this.threadStateOf(meta, root, actor.id);
    });
  }

  /** Moves a member's read marker in a thread forward to `seq` (capped at its newest reply); never back. */
  markThreadRead(actor: Actor, rootId: string, seq: number): RoomResult<{ state: ThreadState; moved: boolean }> {
    return answer(() => {
      const meta = this.meta.require();
      this.requireMember(meta, actor);
      const root = this.requireRoot(rootId);
      const moved = this.threads.markRead(root.id, actor.id, Math.min(seq, this.threads.lastReplySeq(root.id)));
      return { state: this.threadStateOf(meta, root, actor.id), moved };
    });
  }

  /**
   * The threads of this channel a user follows, newest activity first: for "my threads", which
   * asks every room the directory names. Fails closed: someone who is not a member gets none.
   */
  followedThreads(actor: Actor, limit: number): RoomResult<ThreadState[]> {
    return answer(() => {
      const meta = this.meta.require();
      if (!this.isMember(actor.id)) return [];
      return this.threads.followedBy(actor.id, limit).flatMap(({ root_id }) => {
        const root = this.messageById(root_id);
        return root ? [this.threadStateOf(meta, root, actor.id)] : [];
      });
    });
  }

  // ── Reactions ──────────────────────────────────────────────────────────────────────────────

  /**
   * A member adds (`present`) or removes their reaction; `emoji` is canonical (the Worker made it
   * so). Idempotent: a repeat changes nothing and appends no event. Otherwise it appends
   * `reaction.added` or `reaction.removed`, and counts against the member's send rate.
   */
  setReaction(actor: Actor, messageId: string, emoji: string, present: boolean): RoomResult<Message> {
    return answer(() => {
      const { meta, row } = this.messageMembersMayChange(actor, messageId);
      if (this.reactions.has(row.seq, emoji, actor.id) === present) return this.messageJson(meta, row);
      const now = Date.now();
      this.takeSendToken(actor, now);
      const event = this.transact(() => {
        if (present) this.reactions.add(row.seq, emoji, actor.id);
        else this.reactions.remove(row.seq, emoji, actor.id);
        const data = { message_id: row.id, message_seq: row.seq, emoji, user_id: actor.id };
        return this.events.append(present ? "reaction.added" : "reaction.removed", data, new Date(now));
      });
      this.fanOut.push(event);
      return this.messageJson(meta, row);
    });
  }

  // ── Pins ───────────────────────────────────────────────────────────────────────────────────

  /** The channel's pins, newest first: for anyone who may read the channel. */
  listPins(actor: Actor): RoomResult<Pin[]> {
    return answer(() => {
      const meta = this.meta.require();
      this.see(meta, actor);
      const pins = this.sql.exec<PinRow>("SELECT * FROM pins ORDER BY id DESC").toArray();
      const rows = this.sql.exec<MessageRow>("SELECT * FROM messages WHERE seq IN (SELECT seq FROM pins) ORDER BY seq").toArray();
      const messages = new Map(this.messagesJson(meta, rows).map((m) => [m.seq, m]));
      return pins.flatMap((pin) => {
        const message = messages.get(pin.seq);
        return message ? [pinJson(pin, message)] : [];
      });
    });
  }

  /** A member pins a message (idempotent: pinning it again returns the pin, no event): `pin.added`. */
  pin(actor: Actor, messageId: string): RoomResult<Pin> {
    return answer(() => {
      const { meta, row } = this.messageMembersMayChange(actor, messageId);
      const existing = this.pinOf(row.seq);
      if (existing) return pinJson(existing, this.messageJson(meta, row));
      const count = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM pins").one().n;
      if (count >= MAX_PINS_PER_CHANNEL)
        throw conflict("too_many_pins", `A channel keeps at most ${MAX_PINS_PER_CHANNEL} pins; unpin one first.`);
      const now = Date.now();
      this.takeSendToken(actor, now);
      const at = new Date(now);
      const { pin, event } = this.transact(() => {
        const pinRow = this.sql
          .exec<PinRow>("INSERT INTO pins (seq, pinned_by, pinned_at) VALUES (?, ?, ?) RETURNING *", row.seq, actor.id, at.toISOString())
          .one();
        const pin = pinJson(pinRow, this.messageJson(meta, row));
        return { pin, event: this.events.append("pin.added", pin, at) };
      });
      this.fanOut.push(event);
      return pin;
    });
  }

  /** A member unpins a message (idempotent: a message that is not pinned is a no-op): `pin.removed`. */
  unpin(actor: Actor, messageId: string): RoomResult<null> {
    return answer(() => {
      const meta = this.meta.require();
      this.requireMember(meta, actor);
      const row = this.requireMessage(messageId);
      if (meta.archived) throw archivedError();
      const existing = this.pinOf(row.seq);
      if (!existing) return null;
      const now = Date.now();
      this.takeSendToken(actor, now);
      const event = this.transact(() => this.removePin(row, existing, actor.id, new Date(now)));
      this.fanOut.push(event);
      return null;
    });
  }

  // ── Read state ─────────────────────────────────────────────────────────────────────────────

  /** Moves the member's read marker forward to `seq` (capped at the newest message); never back. */
  markRead(actor: Actor, seq: number): RoomResult<{ state: ChannelReadState; moved: boolean }> {
    return answer(() => {
      const meta = this.meta.require();
      this.requireMember(meta, actor);
      const target = Math.min(seq, meta.last_message_seq);
      const moved = target > this.lastRead(actor.id);
      if (moved) this.sql.exec("UPDATE read_markers SET last_read_seq = ? WHERE user_id = ?", target, actor.id);
      return { state: this.readStateOf(meta, actor.id), moved };
    });
  }

  /** A member's position and counts, for "my channels". */
  readState(userId: string): RoomResult<ChannelReadState> {
    return answer(() => {
      const meta = this.meta.require();
      if (!this.isMember(userId)) throw channelNotFound();
      return this.readStateOf(meta, userId);
    });
  }

  // ── Events, presence, resume ───────────────────────────────────────────────────────────────

  /** The event log, oldest first, as the stored frames. A cursor below what was pruned: 410. */
  listEvents(actor: Actor, query: ChannelEventQuery): RoomResult<{ frames: string[]; has_more: boolean }> {
    return answer(() => {
      this.see(this.meta.require(), actor);
      return this.events.page(query);
    });
  }

  /**
   * A member's UserSession reports their first socket opening (true) or last closing (false).
   * Returns false when they are not a member: the session should stop asking.
   */
  setOnline(userId: string, online: boolean): boolean {
    if (!this.isMember(userId)) {
      this.goOffline(userId);
      return false;
    }
    const was = this.online.has(userId);
    if (online) this.online.add(userId);
    else this.goOffline(userId);
    if (was !== online) this.online.writeSoon(userId, online);
    return true;
  }

  /**
   * Relays "user is typing" to the other online members: ephemeral, never stored or replayed, at
   * most once a second per user so a chatty client cannot amplify through the fan-out.
   */
  relayTyping(userId: string, threadRootId: string | null): "ok" | "not_member" {
    const meta = this.meta.read();
    if (!meta || !this.isMember(userId)) return "not_member";
    const now = Date.now();
    if (meta.archived || now - (this.lastTyping.get(userId) ?? 0) < TYPING_INTERVAL_MS) return "ok";
    this.lastTyping.set(userId, now);
    const frame = JSON.stringify({ type: "typing", channel_id: meta.channel_id, data: { user_id: userId, thread_root_id: threadRootId } });
    for (const other of this.online.ids()) {
      if (other === userId) continue;
      this.session(other)
        .deliverEphemeral(other, frame)
        .catch((error: unknown) => log("warn", "typing relay failed", { channel_id: meta.channel_id, user_id: other, error }));
    }
    return "ok";
  }

  /**
   * What a member missed after `afterSeq`: the frames (at most `inlineLimit`), a gap to fetch over
   * HTTP, or a resync when the cursor is older than what is kept (or newer than anything sent).
   */
  replay(userId: string, afterSeq: number, inlineLimit: number): ReplayResult {
    if (!this.meta.read() || !this.isMember(userId)) return { kind: "not_member" };
    return this.events.replay(afterSeq, inlineLimit);
  }

  /** Deletes a bounded batch of events older than EVENT_RETENTION_DAYS; returns how many. */
  pruneExpiredEvents(now = Date.now()): number {
    return this.events.prune(now);
  }

  override async alarm(): Promise<void> {
    await this.alarms.run(Date.now());
  }

  /**
   * Bench only (bench/README.md "Seeding history"): appends `count` plain messages by `authorId` in
   * one transaction, without events, fan-out or mention rows. Reached only through the bench route,
   * which exists only while BENCH_SEED_TOKEN is set.
   */
  seedMessages(authorId: string, count: number): RoomResult<{ first_seq: number; last_seq: number }> {
    return answer(() => {
      const meta = this.meta.require();
      if (!Number.isInteger(count) || count < 1 || count > MAX_SEED_BATCH) throw invalid("count", `1 to ${MAX_SEED_BATCH}.`);
      const now = Date.now();
      const createdAt = new Date(now).toISOString();
      const mentions = JSON.stringify(NO_MENTIONS);
      const first = meta.last_message_seq + 1;
      const last = meta.last_message_seq + count;
      this.transact(() => {
        for (let seq = first; seq <= last; seq++) {
          this.sql.exec(
            "INSERT INTO messages (seq, id, author_id, text, mentions, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            seq,
            newId("m", now),
            authorId,
            `seeded message ${seq}`,
            mentions,
            createdAt,
          );
        }
        this.sql.exec("UPDATE meta SET last_message_seq = ? WHERE id = 1", last);
        meta.last_message_seq = last;
      });
      return { first_seq: first, last_seq: last };
    });
  }

  // ── Internals ──────────────────────────────────────────────────────────────────────────────

  private transact<T>(body: () => T): T {
    try {
      return this.ctx.storage.transactionSync(body);
    } catch (err) {
      this.meta.forget();
      this.memberIds = undefined;
      this.alarms.forget();
      throw err;
    }
  }

  /** A live message of an unarchived channel, for a member to react to or pin. */
  private messageMembersMayChange(actor: Actor, messageId: string): { meta: MetaRow; row: MessageRow } {
    const meta = this.meta.require();
    this.requireMember(meta, actor);
    const row = this.requireMessage(messageId);
    if (row.deleted) throw deletedError();
    if (meta.archived) throw archivedError();
    return { meta, row };
  }

  private isMember(userId: string): boolean {
    this.memberIds ??= new Set(
      this.sql
        .exec<{ user_id: string }>("SELECT user_id FROM members")
        .toArray()
        .map((r) => r.user_id),
    );
    return this.memberIds.has(userId);
  }

  private member(userId: string): MemberRow | null {
    return this.sql.exec<MemberRow>("SELECT * FROM members WHERE user_id = ?", userId).toArray()[0] ?? null;
  }

  /**
   * Who may look: members; and any non-guest in a public channel. Everyone else gets the same 404
   * as for a channel that does not exist. Returns the caller's membership, if any.
   */
  private see(meta: MetaRow, actor: Actor): MemberRow | null {
    const member = this.member(actor.id);
    if (member) return member;
    if (meta.kind === "public" && actor.role !== "guest") return null;
    throw channelNotFound();
  }

  /** Posting, reacting, editing, marking read: members only. */
  private requireMember(meta: MetaRow, actor: Actor): MemberRow {
    const member = this.see(meta, actor);
    if (!member) throw forbidden("Join the channel first.", "not_a_member");
    return member;
  }

  private authorizeUpdate(meta: MetaRow, actor: Actor, patch: UpdateChannelBody): void {
    const member = this.see(meta, actor);
    const manager = this.isManager(meta, actor, member);
    if (!member && !manager) throw forbidden("Join the channel first.", "not_a_member");
    if (patch.name !== undefined && patch.name !== meta.name) {
      if (isDm(meta)) throw invalid("name", "DMs have no name.");
      if (!manager) throw forbidden("Only the channel's creator, its admins or a workspace admin may rename it.", "not_channel_admin");
    }
    if (meta.archived) throw archivedError();
  }

  /** Workspace admins anywhere they can see; in channels (not DMs) also channel admins and the creator. */
  private isManager(meta: MetaRow, actor: Actor, member: MemberRow | null): boolean {
    if (isAdminRole(actor.role)) return true;
    if (isDm(meta)) return false;
    return member?.role === "admin" || meta.created_by === actor.id;
  }

  private lastRead(userId: string): number {
    return this.sql.exec<{ s: number }>("SELECT last_read_seq AS s FROM read_markers WHERE user_id = ?", userId).toArray()[0]?.s ?? 0;
  }

  private messageById(id: string): MessageRow | null {
    return this.sql.exec<MessageRow>("SELECT * FROM messages WHERE id = ?", id).toArray()[0] ?? null;
  }

  private requireMessage(id: string): MessageRow {
    const row = this.messageById(id);
    if (!row) throw messageNotFound();
    return row;
  }

  /** A message that can have replies: any top-level one (deleted roots keep their thread). */
  private requireRoot(id: string): MessageRow {
    const row = this.requireMessage(id);
    if (row.thread_root_id !== null) throw invalidRoot("message_id");
    return row;
  }

  /** Spends one of the author's send tokens (messages, reactions, pins), or answers 429. */
  private takeSendToken(actor: Actor, now: number): void {
    const retryAfter = this.sendLimiter.take(actor.id, now);
    if (retryAfter !== null)
      throw new ColinkError(429, "rate_limited", "Sending too fast; try again shortly.", { retryAfterSeconds: retryAfter });
  }

  /**
   * Automatic following after a reply: its author (who has read the thread up to it) and the
   * members it mentions follow, even if they had unfollowed; the root's author and the members it
   * mentions follow unless they had unfollowed. Returns who started following. Call inside the
   * reply's transaction.
   */
  private followOnReply(root: MessageRow, reply: MessageRow, mentions: Mentions): string[] {
    const started = new Set<string>();
    const follow = (userId: string, how: AutoFollow, readThrough?: number) => {
      if (this.threads.autoFollow(root.id, userId, how, readThrough)) started.add(userId);
    };
    follow(reply.author_id, "acted", reply.seq);
    for (const userId of mentions.user_ids) follow(userId, "acted");
    const rootMentions = MentionsSchema.parse(JSON.parse(root.mentions)).user_ids;
    for (const userId of new Set([root.author_id, ...rootMentions])) if (this.isMember(userId)) follow(userId, "involved");
    return [...started];
  }

  private threadStateOf(meta: MetaRow, root: MessageRow, userId: string): ThreadState {
    const { following, last_read_seq } = this.threads.follower(root.id, userId);
    return {
      channel_id: meta.channel_id,
      root: this.messageJson(meta, root),
      following,
      last_read_seq,
      unread_reply_count: this.threads.unreadReplies(root.id, userId, last_read_seq),
      last_reply_at: root.last_reply_at,
    };
  }

  private pinOf(seq: number): PinRow | null {
    return this.sql.exec<PinRow>("SELECT * FROM pins WHERE seq = ?", seq).toArray()[0] ?? null;
  }

  /** Unpins and appends `pin.removed`. Call inside a transaction; fan out after it commits. */
  private removePin(row: MessageRow, pin: PinRow, by: string, at: Date): Appended {
    this.sql.exec("DELETE FROM pins WHERE id = ?", pin.id);
    const data = { message_id: row.id, pinned_by: pin.pinned_by, pinned_at: pin.pinned_at, unpinned_by: by };
    return this.events.append("pin.removed", data, at);
  }

  /**
   * A new member starts with everything before their arrival read, and online: their session may
   * hold a socket already, and it learns of the channel only later (`channel.added`). Until it
   * says otherwise, events are pushed; the first push that finds no socket takes them offline.
   * Call inside a transaction, then add them to `online`.
   */
  private insertMember(m: NewMember, lastReadSeq: number, joinedAt: string): void {
    this.sql.exec(
      "INSERT INTO members (user_id, username, role, online, joined_at) VALUES (?, ?, ?, 1, ?)",
      m.user_id,
      m.username.toLowerCase(),
      m.role,
      joinedAt,
    );
    this.sql.exec(
      "INSERT INTO read_markers (user_id, last_read_seq) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET last_read_seq = excluded.last_read_seq",
      m.user_id,
      lastReadSeq,
    );
    this.sql.exec("UPDATE meta SET member_count = member_count + 1 WHERE id = 1");
    this.memberIds?.add(m.user_id);
    this.online.written(m.user_id);
  }

  /** Adds members and announces each (to them too: see insertMember). */
  private addMembersNow(meta: MetaRow, members: NewMember[]): void {
    if (members.length === 0) return;
    const at = new Date();
    const joinedAt = at.toISOString();
    const events = this.transact(() =>
      members.map((m) => {
        this.insertMember(m, meta.last_message_seq, joinedAt);
        meta.member_count += 1;
        return this.events.append("member.joined", { user_id: m.user_id, role: m.role, joined_at: joinedAt }, at);
      }),
    );
    for (const m of members) this.online.add(m.user_id);
    for (const event of events) this.fanOut.push(event);
  }

  private changeChannel(meta: MetaRow, next: { name: string | null; topic: string; purpose: string }): Channel {
    const event = this.transact(() => {
      this.sql.exec("UPDATE meta SET name = ?, topic = ?, purpose = ? WHERE id = 1", next.name, next.topic, next.purpose);
      Object.assign(meta, next);
      return this.events.append("channel.updated", channelJson(meta), new Date());
    });
    this.fanOut.push(event);
    return channelJson(meta);
  }

  /** Takes a member off the push list; a delivery call still out tidies their outbox when it returns. */
  private goOffline(userId: string): void {
    this.online.remove(userId);
    this.fanOut.drop(userId);
  }

  private session(userId: string): ReturnType<typeof userSession> {
    let stub = this.sessions.get(userId);
    if (!stub) {
      stub = userSession(this.env, userId);
      this.sessions.set(userId, stub);
    }
    return stub;
  }

  /**
   * `@username` resolves among members only; `@here` notifies those online right now. Returns the
   * message's mentions and who to count a personal mention for (`@channel` is counted by flag).
   */
  private resolveMentions(text: string, authorId: string): { mentions: Mentions; notify: string[] } {
    const tokens = parseMentions(text);
    const names = tokens.usernames.slice(0, MAX_MENTION_NAMES);
    const userIds =
      names.length === 0
        ? []
        : this.sql
            .exec<{ user_id: string }>(`SELECT user_id FROM members WHERE username IN (${names.map(() => "?").join(",")})`, ...names)
            .toArray()
            .map((r) => r.user_id);
    const notify = new Set(userIds);
    if (tokens.here) for (const userId of this.online.ids()) notify.add(userId);
    notify.delete(authorId);
    return { mentions: { user_ids: userIds, channel: tokens.channel, here: tokens.here }, notify: [...notify] };
  }

  private readStateOf(meta: MetaRow, userId: string): ChannelReadState {
    const lastRead = this.lastRead(userId);
    const counts = this.sql
      .exec<{ unread: number; mentioned: number }>(
        `SELECT COALESCE(SUM(m.thread_root_id IS NULL OR m.also_send_to_channel = 1), 0) AS unread,
                COALESCE(SUM(json_extract(m.mentions, '$.channel') = 1
                  OR EXISTS (SELECT 1 FROM message_mentions mm WHERE mm.user_id = ? AND mm.seq = m.seq)), 0) AS mentioned
         FROM messages m WHERE m.seq > ? AND m.deleted = 0 AND m.author_id != ?`,
        userId,
        lastRead,
        userId,
      )
      .one();
    return {
      channel: channelJson(meta),
      last_seq: meta.last_message_seq,
      last_read_seq: lastRead,
      unread_count: counts.unread,
      mention_count: counts.mentioned,
    };
  }

  private reactionsOf(seq: number): Reaction[] {
    return this.reactions.of([seq]).get(seq) ?? [];
  }

  private messageJson(meta: MetaRow, row: MessageRow): Message {
    return this.messageFrom(meta, row, MentionsSchema.parse(JSON.parse(row.mentions)), this.reactionsOf(row.seq));
  }

  /** Many messages, with their reactions read in one query. */
  private messagesJson(meta: MetaRow, rows: MessageRow[]): Message[] {
    const reactions = this.reactions.of(rows.map((r) => r.seq));
    return rows.map((r) => this.messageFrom(meta, r, MentionsSchema.parse(JSON.parse(r.mentions)), reactions.get(r.seq) ?? []));
  }

  private messageFrom(meta: MetaRow, row: MessageRow, mentions: Mentions, reactions: Reaction[]): Message {
    return {
      id: row.id,
      channel_id: meta.channel_id,
      seq: row.seq,
      author_id: row.author_id,
      text: row.text,
      client_msg_id: row.client_msg_id,
      thread_root_id: row.thread_root_id,
      also_send_to_channel: Boolean(row.also_send_to_channel),
      reply_count: row.reply_count,
      last_reply_at: row.last_reply_at,
      reply_user_ids: replyUserIds(row.reply_user_ids),
      mentions,
      reactions,
      edited_at: row.edited_at,
      deleted: Boolean(row.deleted),
      created_at: row.created_at,
    };
  }
}

function memberJson(row: MemberRow): ChannelMember {
  return { user_id: row.user_id, role: row.role, joined_at: row.joined_at };
}

function pinJson(pin: PinRow, message: Message): Pin {
  return { message_id: message.id, pinned_by: pin.pinned_by, pinned_at: pin.pinned_at, message };
}
