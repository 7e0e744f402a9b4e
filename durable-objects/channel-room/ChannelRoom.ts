import { DurableObject } from "cloudflare:workers";
import { conflict } from "../../src/lib/ColinkError";
import { log } from "../../src/lib/log";
import { userSession } from "../../src/lib/stubs";
import type { ChannelEventQuery } from "../../src/protocol/channelEvents";
import type { Channel, ChannelReadState, MemberList, MemberListQuery, UpdateChannelBody } from "../../src/protocol/channels";
import type { FileInfo } from "../../src/protocol/files";
import type { Message, MessageHistoryQuery, MessagePage, SendMessageBody } from "../../src/protocol/messages";
import type { Pin } from "../../src/protocol/pins";
import type { SearchIndexJob } from "../../src/protocol/search";
import type { RepliesQuery, ReplyPage, ThreadState } from "../../src/protocol/threads";
import { runMigrations } from "../shared/runMigrations";
import { answer } from "./answer";
import { ChannelSettings } from "./ChannelSettings";
import { FileActions } from "./FileActions";
import { Membership } from "./Membership";
import { MessageActions } from "./MessageActions";
import type { MessageRow } from "./MessageStore";
import { PinActions } from "./PinActions";
import { RoomCore } from "./RoomCore";
import { channelJson } from "./RoomMeta";
import type { Actor, EditedMessage, ExportPage, ReplayResult, RoomInit, RoomResult, SentMessage } from "./rpcTypes";
import { channelRoomMigrations } from "./schema";
import { ThreadActions } from "./ThreadActions";

const TYPING_INTERVAL_MS = 1000;

/**
 * One per channel and per DM: the authority on who is in it, its message history, its event log
 * (one gap-free `seq` for every event) and the fan-out of each event to online members.
 *
 * This class is the RPC surface the Worker calls (through src/lib/stubs.ts), and hosts the room:
 * RoomCore holds its parts (RoomAccess, the stores, OnlineMembers, EventLog, FanOut, the alarm),
 * and one module per resource acts on them (ChannelSettings, Membership, MessageActions,
 * ThreadActions, PinActions). Every change runs synchronously in one SQLite transaction that also
 * appends its events (RoomCore.commit); the fan-out is dispatched right after, with no `await` in
 * between, so events leave in `seq` order and the answer (held by the output gate) never precedes
 * the durable write.
 */
export class ChannelRoom extends DurableObject<Env> {
  // Protected, not private: the bench's seeding subclass (bench/seeding/) writes history in bulk.
  protected readonly core: RoomCore;
  private readonly settings: ChannelSettings;
  private readonly membership: Membership;
  private readonly messages: MessageActions;
  private readonly threads: ThreadActions;
  private readonly pins: PinActions;
  private readonly files: FileActions;
  private readonly lastTyping = new Map<string, number>();
  /** One stub per user: calls on the same stub arrive in the order they were made. */
  private readonly sessions = new Map<string, ReturnType<typeof userSession>>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.core = new RoomCore(
      ctx.storage,
      env,
      (userId, channelId, events) => this.session(userId).deliverChannelEvents(channelId, events),
      (userId, seq) => this.session(userId).channelChanged(this.core.meta.require().channel_id, seq),
    );
    this.settings = new ChannelSettings(this.core);
    this.membership = new Membership(this.core);
    this.messages = new MessageActions(this.core);
    this.threads = new ThreadActions(this.core);
    this.pins = new PinActions(this.core);
    this.files = new FileActions(this.core);
    ctx.blockConcurrencyWhile(async () => {
      runMigrations(ctx.storage.sql, channelRoomMigrations);
      await this.core.load();
    });
  }

  // ── Lifecycle ──────────────────────────────────────────────────────────────────────────────

  /** Creates the channel with its first members (no events: they learn of it as `channel.added`). */
  create(init: RoomInit): RoomResult<Channel> {
    return answer(() => {
      const { meta, online } = this.core;
      if (meta.read()) throw conflict("channel_exists", "This channel already exists.");
      const { channel, members } = init;
      this.core.transact(() => {
        meta.insert(channel);
        for (const m of members) this.membership.insert(m, 0, channel.created_at);
      });
      meta.forget();
      for (const m of members) online.add(m.user_id);
      return channelJson(meta.require());
    });
  }

  /** Forgets everything: for a room whose creation lost a race in the directory and was never announced. */
  async discard(): Promise<void> {
    this.core.online.clear();
    this.core.forgetCaches();
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    runMigrations(this.ctx.storage.sql, channelRoomMigrations);
  }

  /** The room's one alarm runs whichever of its purposes are due (AlarmSchedule). */
  override async alarm(): Promise<void> {
    await this.core.alarms.run(Date.now());
  }

  // ── The channel and read state (ChannelSettings) ──────────────────────────────────────────

  getChannel(actor: Actor): RoomResult<Channel> {
    return answer(() => this.settings.get(actor));
  }

  updateChannel(actor: Actor, patch: UpdateChannelBody): RoomResult<{ channel: Channel; previousName: string | null }> {
    return answer(() => this.settings.update(actor, patch));
  }

  checkUpdate(actor: Actor, patch: UpdateChannelBody): RoomResult<Channel> {
    return answer(() => this.settings.checkUpdate(actor, patch));
  }

  restoreName(from: string, to: string | null): RoomResult<Channel> {
    return answer(() => this.settings.restoreName(from, to));
  }

  setArchived(actor: Actor, archived: boolean): RoomResult<Channel> {
    return answer(() => this.settings.setArchived(actor, archived));
  }

  markRead(actor: Actor, seq: number): RoomResult<{ state: ChannelReadState; moved: boolean }> {
    return answer(() => this.settings.markRead(actor, seq));
  }

  readState(userId: string): RoomResult<ChannelReadState> {
    return answer(() => this.settings.readState(userId));
  }

  /** A member's read state and the event head it is exact at (null: not a member), for their UserSession's channel list. */
  summaryFor(userId: string): { state: ChannelReadState; head: number } | null {
    return this.settings.summary(userId);
  }

  // ── Membership ─────────────────────────────────────────────────────────────────────────────

  join(actor: Actor, username: string): RoomResult<{ channel: Channel; joined: boolean }> {
    return answer(() => this.membership.join(actor, username));
  }

  addMembers(actor: Actor, users: { user_id: string; username: string }[]): RoomResult<{ channel: Channel; added: string[] }> {
    return answer(() => this.membership.add(actor, users));
  }

  restoreDmMember(user: { user_id: string; username: string }): RoomResult<{ channel: Channel; added: boolean }> {
    return answer(() => this.membership.restoreDmMember(user));
  }

  removeMember(actor: Actor, userId: string): RoomResult<{ channel: Channel; removed: boolean }> {
    return answer(() => this.membership.remove(actor, userId));
  }

  moderatorRemoveMember(actor: Actor, userId: string): RoomResult<{ channel: Channel; removed: boolean }> {
    return answer(() => this.membership.moderatorRemove(actor, userId));
  }

  listMembers(actor: Actor, query: MemberListQuery): RoomResult<MemberList> {
    return answer(() => this.membership.list(actor, query));
  }

  // ── Messages and reactions ─────────────────────────────────────────────────────────────────

  /** `files`: what the Worker checked `input.file_ids` name (the sender's own, not quarantined), as they are now. */
  appendMessage(actor: Actor, input: SendMessageBody, files: FileInfo[] = []): RoomResult<SentMessage> {
    return answer(() => this.messages.send(actor, input, files));
  }

  listMessages(actor: Actor, query: MessageHistoryQuery): RoomResult<MessagePage> {
    return answer(() => this.messages.history(actor, query));
  }

  getMessage(actor: Actor, messageId: string): RoomResult<Message> {
    return answer(() => this.messages.get(actor, messageId));
  }

  listReplies(actor: Actor, rootId: string, query: RepliesQuery): RoomResult<ReplyPage> {
    return answer(() => this.messages.replies(actor, rootId, query));
  }

  editMessage(actor: Actor, messageId: string, text: string): RoomResult<EditedMessage> {
    return answer(() => this.messages.edit(actor, messageId, text));
  }

  deleteMessage(actor: Actor, messageId: string): RoomResult<Message> {
    return answer(() => this.messages.delete(actor, messageId));
  }

  moderatorDeleteMessage(actor: Actor, messageId: string): RoomResult<Message> {
    return answer(() => this.messages.moderatorDelete(actor, messageId));
  }

  setReaction(actor: Actor, messageId: string, emoji: string, present: boolean): RoomResult<Message> {
    return answer(() => this.messages.setReaction(actor, messageId, emoji, present));
  }

  // ── Search ─────────────────────────────────────────────────────────────────────────────────

  /** The live messages among `ids`, as they are now, if the actor may read the channel (search results). */
  searchHits(actor: Actor, ids: string[]): RoomResult<Message[]> {
    return answer(() => this.messages.found(actor, ids));
  }

  /** For an index rebuild: the next `limit` messages after `afterSeq` as index jobs (`last_seq` null at the end). */
  searchDocuments(afterSeq: number, limit: number): { jobs: SearchIndexJob[]; last_seq: number | null } {
    return this.core.searchOutbox.documentsAfter(afterSeq, limit);
  }

  // ── Threads and pins ───────────────────────────────────────────────────────────────────────

  setThreadFollowing(actor: Actor, rootId: string, following: boolean): RoomResult<ThreadState> {
    return answer(() => this.threads.setFollowing(actor, rootId, following));
  }

  markThreadRead(actor: Actor, rootId: string, seq: number): RoomResult<{ state: ThreadState; moved: boolean }> {
    return answer(() => this.threads.markRead(actor, rootId, seq));
  }

  followedThreads(actor: Actor, limit: number): RoomResult<ThreadState[]> {
    return answer(() => this.threads.followed(actor, limit));
  }

  listPins(actor: Actor): RoomResult<Pin[]> {
    return answer(() => this.pins.list(actor));
  }

  pin(actor: Actor, messageId: string): RoomResult<Pin> {
    return answer(() => this.pins.pin(actor, messageId));
  }

  unpin(actor: Actor, messageId: string): RoomResult<null> {
    return answer(() => this.pins.unpin(actor, messageId));
  }

  // ── Files (announced by the Worker) ──────────────────────────────────────────────────────────

  /** A file's status changed: appends `file.updated` and updates the messages carrying it. False: no such channel. */
  fileUpdated(file: FileInfo): boolean {
    return this.files.updated(file);
  }

  /** A file was deleted: appends `file.deleted` where messages carried it, which no longer do. */
  fileDeleted(fileId: string): boolean {
    return this.files.deleted(fileId);
  }

  // ── Events, presence, resume ───────────────────────────────────────────────────────────────

  /** The event log, oldest first, as the stored frames. A cursor below what was pruned: 410. */
  listEvents(actor: Actor, query: ChannelEventQuery): RoomResult<{ frames: string[]; has_more: boolean }> {
    return answer(() => {
      this.core.access.see(this.core.meta.require(), actor);
      return this.core.events.page(query);
    });
  }

  /**
   * A member's UserSession reports their first socket opening (true) or last closing (false).
   * Returns false when they are not a member: the session should stop asking.
   */
  setOnline(userId: string, online: boolean): boolean {
    return this.core.setOnline(userId, online);
  }

  /**
   * Relays "user is typing" to the other online members: ephemeral, never stored or replayed, at
   * most once a second per user so a chatty client cannot amplify through the fan-out.
   */
  relayTyping(userId: string, threadRootId: string | null): "ok" | "not_member" | "invalid_thread_root" {
    const meta = this.core.meta.read();
    if (!meta || !this.core.members.has(userId)) return "not_member";
    if (threadRootId !== null) {
      // The same roots a reply may be sent to: a top-level, undeleted message of this channel.
      const root = this.core.messages.byId(threadRootId);
      if (!root || root.deleted || root.thread_root_id !== null) return "invalid_thread_root";
    }
    const now = Date.now();
    if (meta.archived || now - (this.lastTyping.get(userId) ?? 0) < TYPING_INTERVAL_MS) return "ok";
    this.lastTyping.set(userId, now);
    const frame = JSON.stringify({ type: "typing", channel_id: meta.channel_id, data: { user_id: userId, thread_root_id: threadRootId } });
    for (const other of this.core.online.ids()) {
      if (other === userId) continue;
      this.session(other)
        .deliverEphemeral(frame)
        .catch((error: unknown) => log("warn", "typing relay failed", { channel_id: meta.channel_id, user_id: other, error }));
    }
    return "ok";
  }

  /**
   * What a member missed after `afterSeq`: the frames (at most `inlineLimit`), a gap to fetch over
   * HTTP, or a resync when the cursor is older than what is kept (or newer than anything sent).
   */
  replay(userId: string, afterSeq: number, inlineLimit: number): ReplayResult {
    if (!this.core.meta.read() || !this.core.members.has(userId)) return { kind: "not_member" };
    return this.core.events.replay(afterSeq, inlineLimit);
  }

  /**
   * Sends the audit rows and message counts waiting in the room's outbox to D1; resolves once D1
   * has them (the alarm retries if this fails). Actions that audit call it right after the change.
   */
  async flushDirectoryOutbox(): Promise<void> {
    await this.core.outbox.flush();
  }

  /**
   * For a workspace export (a queue job, never a caller's request): the channel and a page of its
   * live messages and replies after `afterSeq`, in seq order, each with its thread root's seq,
   * author and time. Null channel for a room that does not exist.
   */
  exportPage(afterSeq: number, limit: number): ExportPage {
    const meta = this.core.meta.read();
    if (!meta) return { channel: null, messages: [], has_more: false };
    const { messages } = this.core;
    const rows = this.ctx.storage.sql
      .exec<MessageRow>("SELECT * FROM messages WHERE seq > ? AND deleted = 0 ORDER BY seq LIMIT ?", afterSeq, limit + 1)
      .toArray();
    const page = rows.slice(0, limit);
    const roots = new Map<string, MessageRow | null>();
    const rootOf = (id: string) => {
      if (!roots.has(id)) roots.set(id, messages.byId(id));
      return roots.get(id) ?? null;
    };
    return {
      channel: channelJson(meta),
      messages: messages.jsonMany(meta, page).map((message) => {
        const root = message.thread_root_id === null ? null : rootOf(message.thread_root_id);
        return { message, root: root && { seq: root.seq, author_id: root.author_id, created_at: root.created_at } };
      }),
      has_more: rows.length > limit,
    };
  }

  /** Deletes a bounded batch of events older than EVENT_RETENTION_DAYS; returns how many. */
  pruneExpiredEvents(now = Date.now()): number {
    return this.core.events.prune(now);
  }

  private session(userId: string): ReturnType<typeof userSession> {
    let stub = this.sessions.get(userId);
    if (!stub) {
      stub = userSession(this.env, userId);
      this.sessions.set(userId, stub);
    }
    return stub;
  }
}
