import type { Channel, ChannelMember, ChannelReadState } from "../src/protocol/channels";
import type { Message } from "../src/protocol/messages";
import type { Pin } from "../src/protocol/pins";
import type { PresenceView } from "../src/protocol/presence";
import type { ThreadState } from "../src/protocol/threads";
import type { UserView } from "../src/protocol/users";
import type { ColinkApi, SendRequest } from "./api.ts";
import type { FileInfo, MessageWithFiles } from "./contract.ts";
import { ColinkApiError } from "./errors.ts";
import type { ChannelEvent, PresenceFrame, TypingFrame, UnknownChannelEvent, UserEvent } from "./events.ts";

// The client's copy of the state it has loaded (the channel list with read state, histories,
// threads, pins, members, users, presence) and the one place every event is applied to it.
// Applying events to a stale copy gives what a fresh load gives (test/e2e/client/store.e2e.ts
// checks it, like the server's own verify_action test).
//
// Content (messages, pins, members, channel fields) is applied convergently: an event that the
// loaded copy already reflects changes nothing, so a load racing the socket is exact once the
// events that arrived during the load are applied again. Counters (unread, mentions) cannot be
// rebuilt from a partial history; where an event's effect on them cannot be known locally the
// store asks the server again.

export type MessageList = {
  /** Oldest first. */
  items: MessageWithFiles[];
  /** Older messages exist on the server beyond `items[0]`. */
  hasMoreBefore: boolean;
};

export type ChannelView = {
  channel: Channel;
  /** Seq of the channel's newest message (thread replies included). */
  lastSeq: number;
  lastReadSeq: number;
  unread: number;
  mentions: number;
  history: MessageList | null;
  pins: Pin[] | null;
  /** By user id, as the server lists them. */
  members: ChannelMember[] | null;
};

export type ThreadView = { channelId: string; rootId: string; replies: MessageWithFiles[]; hasMore: boolean };

export type PendingMessage = {
  clientMsgId: string;
  channelId: string;
  threadRootId: string | null;
  text: string;
  fileIds: string[];
  status: "sending" | "failed";
  error: string | null;
  createdAt: string;
};

export type Typist = { userId: string; threadRootId: string | null; until: number };

export type StoreState = {
  me: UserView | null;
  users: Record<string, UserView>;
  channels: Record<string, ChannelView>;
  threads: Record<string, ThreadView>;
  myThreads: ThreadState[] | null;
  presence: Record<string, PresenceView>;
  /** channel id → user id → who is typing there, until when (epoch ms). */
  typing: Record<string, Record<string, Typist>>;
  pending: Record<string, PendingMessage>;
};

/** How long a typing indicator lasts after its last `typing` frame (README "Presence and typing"). */
export const TYPING_TTL_MS = 6_000;

const emptyState = (): StoreState => ({
  me: null,
  users: {},
  channels: {},
  threads: {},
  myThreads: null,
  presence: {},
  typing: {},
  pending: {},
});

const bySeq = (a: { seq: number }, b: { seq: number }) => a.seq - b.seq;
const byUserId = (a: ChannelMember, b: ChannelMember) => (a.user_id < b.user_id ? -1 : a.user_id > b.user_id ? 1 : 0);

/** Inserts or replaces `m` (by id) in a seq-ordered list. */
function upsert<T extends { id: string; seq: number }>(list: T[], m: T): T[] {
  const i = list.findIndex((x) => x.id === m.id);
  if (i >= 0) {
    const next = list.slice();
    next[i] = m;
    return next;
  }
  const next = [...list, m];
  if (list.length && (list[list.length - 1] as T).seq > m.seq) next.sort(bySeq);
  return next;
}

function mapIfAny<T>(list: T[], change: (x: T) => T): T[] {
  let changed = false;
  const next = list.map((x) => {
    const y = change(x);
    if (y !== x) changed = true;
    return y;
  });
  return changed ? next : list;
}

/** reaction.added appends to its emoji's group (a new group goes last); removed takes away and drops an empty group. Idempotent. */
export function applyReaction<M extends Message>(m: M, emoji: string, userId: string, added: boolean): M {
  const group = m.reactions.find((r) => r.emoji === emoji);
  if (added) {
    if (group?.user_ids.includes(userId)) return m;
    return {
      ...m,
      reactions: group
        ? m.reactions.map((r) => (r === group ? { ...r, count: r.count + 1, user_ids: [...r.user_ids, userId] } : r))
        : [...m.reactions, { emoji, count: 1, user_ids: [userId] }],
    };
  }
  if (!group?.user_ids.includes(userId)) return m;
  return {
    ...m,
    reactions: m.reactions
      .map((r) => (r === group ? { ...r, count: r.count - 1, user_ids: r.user_ids.filter((u) => u !== userId) } : r))
      .filter((r) => r.count > 0),
  };
}

/** Shown in channel history: top-level messages and replies also sent to the channel. */
export const inHistory = (m: Message) => m.thread_root_id === null || m.also_send_to_channel;

export type StoreOptions = {
  api: ColinkApi;
  /** How a message is sent (default: `api.send`); Colink passes its own, which uses the socket when it is live. */
  send?: (channelId: string, body: SendRequest) => Promise<Message>;
  /** Debounce for asking the server for counts it alone can compute. */
  refreshDelayMs?: number;
  now?: () => number;
  newId?: () => string;
};

type Listener = (state: StoreState) => void;
/** A file's change as the channel events tell it (file.updated, file.deleted). */
export type FileChange = { file: FileInfo; deleted: false } | { fileId: string; deleted: true };
type Buffered = ChannelEvent | UnknownChannelEvent | UserEvent;

export class ColinkStore {
  #state: StoreState = emptyState();
  readonly #listeners = new Set<Listener>();
  readonly #fileListeners = new Set<(change: FileChange) => void>();
  readonly #api: ColinkApi;
  readonly #send: (channelId: string, body: SendRequest) => Promise<Message>;
  readonly #refreshDelayMs: number;
  readonly #now: () => number;
  readonly #newId: () => string;
  #notifyScheduled = false;
  /** Channel events seen while a load of that channel is in flight, applied again to what the load returns. */
  readonly #inFlight = new Map<string, { count: number; events: (ChannelEvent | UnknownChannelEvent)[] }>();
  /** Events seen while the channel list is in flight. */
  readonly #listBuffers = new Set<Buffered[]>();
  /** Bumped by every event that moves a channel's counters; a count refresh only lands where it did not move meanwhile. */
  readonly #countEpoch = new Map<string, number>();
  #countsTimer: ReturnType<typeof setTimeout> | null = null;
  #countsRunning: Promise<void> | null = null;
  #threadsEpoch = 0;
  #threadsTimer: ReturnType<typeof setTimeout> | null = null;
  #threadsRunning: Promise<void> | null = null;
  #typingTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #loadingUsers = new Set<string>();

  constructor(options: StoreOptions) {
    this.#api = options.api;
    this.#send = options.send ?? ((channelId, body) => options.api.send(channelId, body));
    this.#refreshDelayMs = options.refreshDelayMs ?? 250;
    this.#now = options.now ?? Date.now;
    this.#newId = options.newId ?? (() => crypto.randomUUID());
  }

  get state(): StoreState {
    return this.#state;
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Hears every file.updated and file.deleted of any channel, once each: what an upload not yet
   * sent in a message (so in no loaded message) needs to show its scan status live.
   */
  onFile(listener: (change: FileChange) => void): () => void {
    this.#fileListeners.add(listener);
    return () => this.#fileListeners.delete(listener);
  }

  #set(patch: Partial<StoreState>) {
    this.#state = { ...this.#state, ...patch };
    if (this.#notifyScheduled) return;
    this.#notifyScheduled = true;
    queueMicrotask(() => {
      this.#notifyScheduled = false;
      for (const l of this.#listeners) l(this.#state);
    });
  }

  #setChannel(id: string, change: (v: ChannelView) => ChannelView) {
    const view = this.#state.channels[id];
    if (!view) return;
    const next = change(view);
    if (next !== view) this.#set({ channels: { ...this.#state.channels, [id]: next } });
  }

  /** Resolves when no refresh the store asked for is pending. */
  async settled(): Promise<void> {
    for (;;) {
      const waits = [this.#countsRunning, this.#threadsRunning].filter(Boolean);
      if (!waits.length && !this.#countsTimer && !this.#threadsTimer && this.#inFlight.size === 0) return;
      await Promise.all(waits);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  reset(): void {
    this.#state = emptyState();
    this.#inFlight.clear();
    for (const l of this.#listeners) l(this.#state);
  }

  // ── Loading ───────────────────────────────────────────────────────────────────────────────

  /** The signed-in user, every user of the workspace, and the channel list with read state. */
  async loadInitial(): Promise<void> {
    const [me, users] = await Promise.all([this.#api.me(), this.#api.allUsers()]);
    this.#set({ me, users: Object.fromEntries([...users, me].map((u) => [u.id, u])) });
    await this.loadChannels();
  }

  /**
   * The channel list with read state; keeps what is loaded of channels still listed. Events that
   * arrive while the list is in flight are applied again to it; where they touched a channel's
   * counters, another refresh follows, until one lands with nothing moving.
   */
  async loadChannels(): Promise<void> {
    const epochs = new Map(this.#countEpoch);
    const buffer: Buffered[] = [];
    this.#listBuffers.add(buffer);
    let items: ChannelReadState[];
    try {
      ({ items } = await this.#api.myChannels());
    } finally {
      this.#listBuffers.delete(buffer);
    }
    let moved = false;
    const channels: Record<string, ChannelView> = {};
    for (const rs of items) {
      const id = rs.channel.id;
      const old = this.#state.channels[id];
      if ((epochs.get(id) ?? 0) !== (this.#countEpoch.get(id) ?? 0)) moved = true;
      const view: ChannelView = {
        ...fromReadState(rs),
        history: old?.history ?? null,
        pins: old?.pins ?? null,
        members: old?.members ?? null,
      };
      if (view.members) view.channel = { ...view.channel, member_count: view.members.length };
      channels[id] = view;
    }
    this.#set({ channels });
    for (const e of buffer) {
      if ("user_seq" in e) this.#applyUser(e, true);
      else {
        this.#applyCounts(e, true);
        this.#applyContent(e, true);
      }
    }
    if (moved) this.#scheduleCountsRefresh();
  }

  async #loading<T>(channelId: string, load: () => Promise<T>, land: (result: T) => void): Promise<void> {
    const entry = this.#inFlight.get(channelId) ?? { count: 0, events: [] };
    entry.count++;
    this.#inFlight.set(channelId, entry);
    try {
      const result = await load();
      land(result);
      for (const e of entry.events) this.#applyContent(e, true);
    } finally {
      if (--entry.count === 0) this.#inFlight.delete(channelId);
    }
  }

  /** The newest page of a channel's history (replacing what was loaded). */
  async loadHistory(channelId: string, limit = 50): Promise<void> {
    await this.#loading(
      channelId,
      () => this.#api.history(channelId, { limit }),
      (page) =>
        this.#setChannel(channelId, (v) => ({ ...v, history: { items: page.items.slice().reverse(), hasMoreBefore: page.has_more } })),
    );
  }

  /** The page before the oldest loaded message (infinite scroll back). */
  async loadOlder(channelId: string, limit = 50): Promise<void> {
    const history = this.#state.channels[channelId]?.history;
    if (!history) return this.loadHistory(channelId, limit);
    const oldest = history.items[0];
    if (!history.hasMoreBefore || !oldest) return;
    const page = await this.#api.history(channelId, { before: oldest.seq, limit });
    this.#setChannel(channelId, (v) => {
      if (!v.history) return v;
      let items = v.history.items;
      for (const m of page.items) items = upsert(items, m);
      return { ...v, history: { items, hasMoreBefore: page.has_more } };
    });
  }

  async loadPins(channelId: string): Promise<void> {
    await this.#loading(
      channelId,
      () => this.#api.pins(channelId),
      ({ items }) => this.#setChannel(channelId, (v) => ({ ...v, pins: items })),
    );
  }

  async loadMembers(channelId: string): Promise<void> {
    await this.#loading(
      channelId,
      () => this.#api.allMembers(channelId),
      (members) => this.#setChannel(channelId, (v) => ({ ...v, members: members.slice().sort(byUserId) })),
    );
  }

  /** Every reply of a thread. */
  async loadThread(channelId: string, rootId: string): Promise<void> {
    await this.#loading(
      channelId,
      async () => {
        const replies: Message[] = [];
        let after = 0;
        for (;;) {
          const page = await this.#api.replies(channelId, rootId, { after, limit: 200 });
          replies.push(...page.items);
          const last = page.items.at(-1);
          if (!page.has_more || !last) return replies;
          after = last.seq;
        }
      },
      (replies) => this.#set({ threads: { ...this.#state.threads, [rootId]: { channelId, rootId, replies, hasMore: false } } }),
    );
  }

  closeThread(rootId: string): void {
    if (!(rootId in this.#state.threads)) return;
    const { [rootId]: _, ...threads } = this.#state.threads;
    this.#set({ threads });
  }

  async loadMyThreads(): Promise<void> {
    const epoch = this.#threadsEpoch;
    const { items } = await this.#api.myThreads(200);
    if (epoch !== this.#threadsEpoch) return this.#scheduleThreadsRefresh();
    this.#set({ myThreads: items });
  }

  /** Reloads whatever is loaded of a channel (after `resync_required`, or a reconnect that could not resume it). */
  async reloadChannel(channelId: string): Promise<void> {
    const view = this.#state.channels[channelId];
    await this.loadChannels();
    if (!view || !this.#state.channels[channelId]) return;
    const loads: Promise<void>[] = [];
    if (view.history) loads.push(this.loadHistory(channelId));
    if (view.pins) loads.push(this.loadPins(channelId));
    if (view.members) loads.push(this.loadMembers(channelId));
    for (const t of Object.values(this.#state.threads)) if (t.channelId === channelId) loads.push(this.loadThread(channelId, t.rootId));
    await Promise.all(loads);
  }

  /** Reloads everything loaded (after the user stream could not be resumed). */
  async reloadAll(): Promise<void> {
    const me = await this.#api.me();
    this.#set({ me, users: { ...this.#state.users, [me.id]: me } });
    await this.loadChannels();
    await Promise.all(Object.keys(this.#state.channels).map((id) => this.reloadChannel(id)));
    if (this.#state.myThreads) await this.loadMyThreads();
  }

  /** Fetches users the store has not seen (a new member, an author), at most once each at a time. */
  ensureUsers(userIds: Iterable<string>): void {
    const missing = [...new Set(userIds)].filter((id) => !this.#state.users[id] && !this.#loadingUsers.has(id));
    for (const id of missing) {
      this.#loadingUsers.add(id);
      this.#api
        .user(id)
        .then((u) => this.#set({ users: { ...this.#state.users, [u.id]: u } }))
        .catch(() => {})
        .finally(() => this.#loadingUsers.delete(id));
    }
  }

  async loadPresence(userIds: string[]): Promise<void> {
    if (!userIds.length) return;
    const { items } = await this.#api.presence(userIds.slice(0, 500));
    const presence = { ...this.#state.presence };
    for (const p of items) presence[p.user_id] = p;
    this.#set({ presence });
  }

  // ── Counters the server computes ──────────────────────────────────────────────────────────

  #bumpCounts(channelId: string) {
    this.#countEpoch.set(channelId, (this.#countEpoch.get(channelId) ?? 0) + 1);
  }

  #scheduleCountsRefresh() {
    if (this.#countsTimer) return;
    this.#countsTimer = setTimeout(() => {
      this.#countsTimer = null;
      const run = (this.#countsRunning ?? Promise.resolve()).then(() => this.#refreshCounts());
      this.#countsRunning = run;
      void run.finally(() => {
        if (this.#countsRunning === run) this.#countsRunning = null;
      });
    }, this.#refreshDelayMs);
  }

  async #refreshCounts(): Promise<void> {
    const epochs = new Map(this.#countEpoch);
    let items: ChannelReadState[];
    try {
      ({ items } = await this.#api.myChannels());
    } catch {
      return;
    }
    let moved = false;
    const channels = { ...this.#state.channels };
    for (const rs of items) {
      const id = rs.channel.id;
      const view = channels[id];
      if (!view) continue;
      if ((epochs.get(id) ?? 0) !== (this.#countEpoch.get(id) ?? 0)) {
        moved = true;
        continue;
      }
      channels[id] = { ...view, ...fromReadState(rs) };
      if (view.members) channels[id] = { ...(channels[id] as ChannelView), channel: { ...rs.channel, member_count: view.members.length } };
    }
    this.#set({ channels });
    if (moved) this.#scheduleCountsRefresh();
  }

  #scheduleThreadsRefresh() {
    if (this.#threadsTimer || !this.#state.myThreads) return;
    this.#threadsTimer = setTimeout(() => {
      this.#threadsTimer = null;
      const run = (this.#threadsRunning ?? Promise.resolve()).then(() => this.loadMyThreads().catch(() => {}));
      this.#threadsRunning = run;
      void run.finally(() => {
        if (this.#threadsRunning === run) this.#threadsRunning = null;
      });
    }, this.#refreshDelayMs);
  }

  /** Whether `m` counts as a mention of the signed-in user; null when only the server knows (`@here` notifies who was online). */
  #mentionsMe(m: Message): boolean | null {
    const me = this.#state.me?.id;
    if (m.mentions.channel || (me && m.mentions.user_ids.includes(me))) return true;
    return m.mentions.here ? null : false;
  }

  /** A known message's contribution to the counters when after the read marker. */
  #counted(view: ChannelView, m: Message): { unread: number; mentions: number | null } {
    if (m.deleted || m.author_id === this.#state.me?.id || m.seq <= view.lastReadSeq || m.seq > view.lastSeq)
      return { unread: 0, mentions: 0 };
    const mention = this.#mentionsMe(m);
    return { unread: inHistory(m) ? 1 : 0, mentions: mention === null ? null : mention ? 1 : 0 };
  }

  /** Finds the copy of a message the store holds, if any. */
  #known(channelId: string, messageId: string): Message | undefined {
    const view = this.#state.channels[channelId];
    const inList = view?.history?.items.find((m) => m.id === messageId);
    if (inList) return inList;
    for (const t of Object.values(this.#state.threads)) {
      if (t.channelId !== channelId) continue;
      const r = t.replies.find((m) => m.id === messageId);
      if (r) return r;
    }
    return view?.pins?.find((p) => p.message_id === messageId)?.message;
  }

  // ── Applying events ───────────────────────────────────────────────────────────────────────

  /** Applies one channel event (the SDK's EventSync hands them on once each, in order). */
  applyChannelEvent(event: ChannelEvent | UnknownChannelEvent): void {
    this.#inFlight.get(event.channel_id)?.events.push(event);
    for (const b of this.#listBuffers) b.push(event);
    this.#bumpCounts(event.channel_id);
    this.#applyCounts(event, false);
    this.#applyContent(event, false);
    const known = "unknown" in event ? null : event;
    const change: FileChange | null =
      known?.type === "file.updated"
        ? { file: known.data.file, deleted: false }
        : known?.type === "file.deleted"
          ? { fileId: known.data.file_id, deleted: true }
          : null;
    if (change) for (const l of this.#fileListeners) l(change);
  }

  /**
   * Moves the counters. A message counts once: only past `lastSeq`, so a create the loaded
   * counts already include changes nothing. Again-applied edits and deletes are left to the
   * refresh that follows them.
   */
  #applyCounts(event: ChannelEvent | UnknownChannelEvent, replay: boolean) {
    const ch = event.channel_id;
    const view = this.#state.channels[ch];
    if (!view || "unknown" in event) return;
    const e = event;
    switch (e.type) {
      case "message.created": {
        const m = e.data;
        if (m.seq <= view.lastSeq) return;
        const next = { ...view, lastSeq: m.seq };
        const c = this.#counted(next, m);
        if (c.mentions === null) this.#scheduleCountsRefresh();
        this.#setChannel(ch, () => ({ ...next, unread: next.unread + c.unread, mentions: next.mentions + (c.mentions ?? 0) }));
        return;
      }
      case "message.updated":
      case "message.deleted": {
        const m = e.data;
        if (replay || m.author_id === this.#state.me?.id || m.seq <= view.lastReadSeq || m.seq > view.lastSeq) return;
        const old = this.#known(ch, m.id);
        if (!old) return this.#scheduleCountsRefresh();
        const before = this.#counted(view, old);
        const after = this.#counted(view, m);
        if (before.mentions === null || after.mentions === null) this.#scheduleCountsRefresh();
        const du = after.unread - before.unread;
        const dm = (after.mentions ?? 0) - (before.mentions ?? 0);
        if (du || dm) this.#setChannel(ch, (v) => ({ ...v, unread: Math.max(0, v.unread + du), mentions: Math.max(0, v.mentions + dm) }));
        return;
      }
    }
  }

  #applyContent(event: ChannelEvent | UnknownChannelEvent, replay: boolean) {
    const ch = event.channel_id;
    if ("unknown" in event) return this.#applyUnknown(event);
    const e = event;
    switch (e.type) {
      case "message.created": {
        const m = e.data;
        this.#setChannel(ch, (v) =>
          v.history && inHistory(m) && within(v.history, m) ? { ...v, history: { ...v.history, items: upsert(v.history.items, m) } } : v,
        );
        const thread = m.thread_root_id ? this.#state.threads[m.thread_root_id] : undefined;
        if (thread) this.#set({ threads: { ...this.#state.threads, [thread.rootId]: { ...thread, replies: upsert(thread.replies, m) } } });
        if (!replay) {
          this.#settlePending(m);
          this.#stopTyping(ch, m.author_id);
          this.ensureUsers([m.author_id]);
        }
        return;
      }
      case "message.updated":
      case "message.deleted": {
        const m = e.data;
        if (
          !replay &&
          e.type === "message.deleted" &&
          m.thread_root_id &&
          this.#state.myThreads?.some((t) => t.root.id === m.thread_root_id)
        ) {
          // A followed thread's unread replies and last reply may have changed: only the server can say.
          this.#threadsEpoch++;
          this.#scheduleThreadsRefresh();
        }
        this.#replaceMessage(ch, m.id, (old) => ({
          ...m,
          ...("files" in old && !("files" in m) ? { files: (old as MessageWithFiles).files } : {}),
        }));
        return;
      }
      case "reaction.added":
      case "reaction.removed": {
        const { message_id, emoji, user_id } = e.data;
        this.#replaceMessage(ch, message_id, (m) => applyReaction(m, emoji, user_id, e.type === "reaction.added"));
        return;
      }
      case "pin.added":
        this.#setChannel(ch, (v) => (v.pins ? { ...v, pins: [e.data, ...v.pins.filter((p) => p.message_id !== e.data.message_id)] } : v));
        return;
      case "pin.removed":
        this.#setChannel(ch, (v) =>
          v.pins?.some((p) => p.message_id === e.data.message_id)
            ? { ...v, pins: v.pins.filter((p) => p.message_id !== e.data.message_id) }
            : v,
        );
        return;
      case "member.joined":
        this.ensureUsers([e.data.user_id]);
        this.#setChannel(ch, (v) => {
          if (v.members) {
            if (v.members.some((m) => m.user_id === e.data.user_id)) return v;
            const members = [...v.members, e.data].sort(byUserId);
            return { ...v, members, channel: { ...v.channel, member_count: members.length } };
          }
          return replay ? v : { ...v, channel: { ...v.channel, member_count: v.channel.member_count + 1 } };
        });
        return;
      case "member.left":
        this.#setChannel(ch, (v) => {
          if (v.members) {
            if (!v.members.some((m) => m.user_id === e.data.user_id)) return v;
            const members = v.members.filter((m) => m.user_id !== e.data.user_id);
            return { ...v, members, channel: { ...v.channel, member_count: members.length } };
          }
          return replay ? v : { ...v, channel: { ...v.channel, member_count: Math.max(0, v.channel.member_count - 1) } };
        });
        return;
      case "channel.updated":
      case "channel.archived":
      case "channel.unarchived":
        this.#setChannel(ch, (v) => ({ ...v, channel: { ...e.data, member_count: v.members ? v.members.length : e.data.member_count } }));
        return;
      case "file.updated": {
        const file = e.data.file;
        this.#replaceFiles(ch, (files) => (files.some((f) => f.id === file.id) ? files.map((f) => (f.id === file.id ? file : f)) : files));
        return;
      }
      case "file.deleted": {
        const id = e.data.file_id;
        this.#replaceFiles(ch, (files) => (files.some((f) => f.id === id) ? files.filter((f) => f.id !== id) : files));
        return;
      }
    }
  }

  /** Channel events of types newer than this SDK: they only move the cursor. */
  #applyUnknown(_event: UnknownChannelEvent) {}

  #replaceFiles(channelId: string, change: (files: FileInfo[]) => FileInfo[]) {
    const each = (m: MessageWithFiles): MessageWithFiles => {
      if (!m.files) return m;
      const files = change(m.files);
      return files === m.files ? m : { ...m, files };
    };
    this.#mapMessages(channelId, (m) => each(m));
  }

  /** Replaces message `id` wherever the store holds a copy: history, threads (root or reply), pins, followed threads. */
  #replaceMessage(channelId: string, id: string, change: (m: MessageWithFiles) => MessageWithFiles) {
    this.#mapMessages(channelId, (m) => (m.id === id ? change(m) : m));
  }

  #mapMessages(channelId: string, each: (m: MessageWithFiles) => MessageWithFiles) {
    this.#setChannel(channelId, (v) => {
      const items = v.history ? mapIfAny(v.history.items, each) : null;
      const pins = v.pins
        ? mapIfAny(v.pins, (p) => {
            const message = each(p.message);
            return message === p.message ? p : { ...p, message };
          })
        : null;
      if (items === (v.history?.items ?? null) && pins === v.pins) return v;
      return { ...v, history: v.history && items ? { ...v.history, items } : v.history, pins };
    });
    let threadsChanged = false;
    const threads: Record<string, ThreadView> = {};
    for (const [rootId, t] of Object.entries(this.#state.threads)) {
      const replies = t.channelId === channelId ? mapIfAny(t.replies, each) : t.replies;
      if (replies !== t.replies) threadsChanged = true;
      threads[rootId] = replies === t.replies ? t : { ...t, replies };
    }
    if (threadsChanged) this.#set({ threads });
    if (this.#state.myThreads) {
      const mine = mapIfAny(this.#state.myThreads, (t) => {
        if (t.channel_id !== channelId) return t;
        const root = each(t.root);
        return root === t.root ? t : { ...t, root };
      });
      if (mine !== this.#state.myThreads) this.#set({ myThreads: mine });
    }
  }

  /** Applies one user event. */
  applyUserEvent(event: UserEvent): void {
    for (const b of this.#listBuffers) b.push(event);
    this.#applyUser(event, false);
  }

  #applyUser(event: UserEvent, replay: boolean): void {
    switch (event.type) {
      case "channel.added": {
        const { channel } = event.data;
        const view = this.#state.channels[channel.id];
        this.#bumpCounts(channel.id);
        if (view) this.#setChannel(channel.id, (v) => ({ ...v, channel }));
        else {
          this.#set({
            channels: {
              ...this.#state.channels,
              [channel.id]: { channel, lastSeq: 0, lastReadSeq: 0, unread: 0, mentions: 0, history: null, pins: null, members: null },
            },
          });
          // Only the server knows where the new member's read marker starts.
          this.#scheduleCountsRefresh();
        }
        return;
      }
      case "channel.removed": {
        const id = event.data.channel_id;
        if (!(id in this.#state.channels)) return;
        const { [id]: _, ...channels } = this.#state.channels;
        const threads = Object.fromEntries(Object.entries(this.#state.threads).filter(([, t]) => t.channelId !== id));
        const myThreads = this.#state.myThreads?.filter((t) => t.channel_id !== id) ?? null;
        this.#set({ channels, threads, myThreads });
        return;
      }
      case "read.updated": {
        const { channel_id, seq } = event.data;
        const view = this.#state.channels[channel_id];
        if (!view || seq <= view.lastReadSeq) return;
        this.#bumpCounts(channel_id);
        if (seq >= view.lastSeq) this.#setChannel(channel_id, (v) => ({ ...v, lastReadSeq: seq, unread: 0, mentions: 0 }));
        else {
          this.#setChannel(channel_id, (v) => ({ ...v, lastReadSeq: seq }));
          this.#scheduleCountsRefresh();
        }
        return;
      }
      case "user.updated": {
        if (replay) return;
        const { user } = event.data;
        this.#set({ users: { ...this.#state.users, [user.id]: user }, me: this.#state.me?.id === user.id ? user : this.#state.me });
        return;
      }
      case "thread.reply": {
        if (replay) return;
        const { channel_id, root_id, message } = event.data;
        const thread = this.#state.threads[root_id];
        if (thread) this.#set({ threads: { ...this.#state.threads, [root_id]: { ...thread, replies: upsert(thread.replies, message) } } });
        const mine = this.#state.myThreads;
        if (!mine) return;
        this.#threadsEpoch++;
        const entry = mine.find((t) => t.root.id === root_id);
        if (!entry) {
          this.#scheduleThreadsRefresh();
          return;
        }
        if (entry.last_reply_at !== null && message.created_at <= entry.last_reply_at) return;
        const updated = {
          ...entry,
          channel_id,
          last_reply_at: message.created_at,
          unread_reply_count:
            entry.unread_reply_count + (message.author_id !== this.#state.me?.id && message.seq > entry.last_read_seq ? 1 : 0),
        };
        this.#set({ myThreads: [updated, ...mine.filter((t) => t !== entry)] });
        return;
      }
      case "thread.read": {
        if (replay) return;
        const { root_id, seq } = event.data;
        const mine = this.#state.myThreads;
        if (!mine) return;
        this.#threadsEpoch++;
        const entry = mine.find((t) => t.root.id === root_id);
        if (!entry || seq <= entry.last_read_seq) return;
        const newest = this.#state.threads[root_id]?.replies.at(-1)?.seq;
        if (newest !== undefined && seq >= newest)
          this.#set({ myThreads: mine.map((t) => (t === entry ? { ...t, last_read_seq: seq, unread_reply_count: 0 } : t)) });
        else {
          this.#set({ myThreads: mine.map((t) => (t === entry ? { ...t, last_read_seq: seq } : t)) });
          this.#scheduleThreadsRefresh();
        }
        return;
      }
    }
  }

  /** Typing and presence frames. */
  applyEphemeral(frame: TypingFrame | PresenceFrame): void {
    if (frame.type === "presence") {
      this.#set({ presence: { ...this.#state.presence, [frame.data.user_id]: frame.data } });
      return;
    }
    if (frame.data.user_id === this.#state.me?.id) return;
    const here = { ...(this.#state.typing[frame.channel_id] ?? {}) };
    here[frame.data.user_id] = { userId: frame.data.user_id, threadRootId: frame.data.thread_root_id, until: this.#now() + TYPING_TTL_MS };
    this.#set({ typing: { ...this.#state.typing, [frame.channel_id]: here } });
    this.ensureUsers([frame.data.user_id]);
    this.#scheduleTypingExpiry();
  }

  #stopTyping(channelId: string, userId: string) {
    const here = this.#state.typing[channelId];
    if (!here?.[userId]) return;
    const { [userId]: _, ...rest } = here;
    this.#set({ typing: { ...this.#state.typing, [channelId]: rest } });
  }

  #scheduleTypingExpiry() {
    if (this.#typingTimer) clearTimeout(this.#typingTimer);
    const all = Object.values(this.#state.typing).flatMap((m) => Object.values(m));
    if (!all.length) return;
    const next = Math.min(...all.map((t) => t.until));
    this.#typingTimer = setTimeout(
      () => {
        this.#typingTimer = null;
        const now = this.#now();
        const typing: StoreState["typing"] = {};
        for (const [ch, m] of Object.entries(this.#state.typing)) {
          const live = Object.fromEntries(Object.entries(m).filter(([, t]) => t.until > now));
          if (Object.keys(live).length) typing[ch] = live;
        }
        this.#set({ typing });
        this.#scheduleTypingExpiry();
      },
      Math.max(0, next - this.#now()) + 5,
    );
  }

  // ── Actions with local effects ────────────────────────────────────────────────────────────

  /**
   * Sends a message: shown at once as pending, sent with a fresh client_msg_id (so the SDK's
   * retries never duplicate it), then replaced by the real message. A failed send stays, marked
   * failed, until `retrySend` or `discardPending`.
   */
  send(
    channelId: string,
    text: string,
    options: { threadRootId?: string | null; alsoSendToChannel?: boolean; fileIds?: string[] } = {},
  ): Promise<Message | null> {
    const clientMsgId = this.#newId();
    const pending: PendingMessage = {
      clientMsgId,
      channelId,
      threadRootId: options.threadRootId ?? null,
      text,
      fileIds: options.fileIds ?? [],
      status: "sending",
      error: null,
      createdAt: new Date(this.#now()).toISOString(),
    };
    this.#set({ pending: { ...this.#state.pending, [clientMsgId]: pending } });
    return this.#deliver(pending, options.alsoSendToChannel ?? false);
  }

  retrySend(clientMsgId: string): Promise<Message | null> {
    const p = this.#state.pending[clientMsgId];
    if (!p) return Promise.resolve(null);
    const again = { ...p, status: "sending" as const, error: null };
    this.#set({ pending: { ...this.#state.pending, [clientMsgId]: again } });
    return this.#deliver(again, false);
  }

  discardPending(clientMsgId: string): void {
    if (!(clientMsgId in this.#state.pending)) return;
    const { [clientMsgId]: _, ...pending } = this.#state.pending;
    this.#set({ pending });
  }

  async #deliver(p: PendingMessage, alsoSendToChannel: boolean): Promise<Message | null> {
    const body: SendRequest = { text: p.text, client_msg_id: p.clientMsgId };
    if (p.threadRootId) body.thread_root_id = p.threadRootId;
    if (alsoSendToChannel) body.also_send_to_channel = true;
    if (p.fileIds.length) body.file_ids = p.fileIds;
    try {
      const m = await this.#send(p.channelId, body);
      // The socket brings the same message as message.created; both paths land it once.
      this.#applyContent({ type: "message.created", channel_id: p.channelId, seq: 0, at: m.created_at, data: m }, true);
      this.#settlePending(m);
      return m;
    } catch (error) {
      if (!this.#state.pending[p.clientMsgId]) return null;
      const detail = error instanceof ColinkApiError ? error.detail : error instanceof Error ? error.message : String(error);
      this.#set({ pending: { ...this.#state.pending, [p.clientMsgId]: { ...p, status: "failed", error: detail } } });
      return null;
    }
  }

  #settlePending(m: Message) {
    if (m.client_msg_id && m.author_id === this.#state.me?.id) this.discardPending(m.client_msg_id);
  }

  /** Marks a channel read up to its newest message, locally at once. */
  async markRead(channelId: string): Promise<void> {
    const view = this.#state.channels[channelId];
    if (!view || (view.lastReadSeq >= view.lastSeq && view.unread === 0 && view.mentions === 0)) return;
    const seq = view.lastSeq;
    this.#bumpCounts(channelId);
    this.#setChannel(channelId, (v) => ({ ...v, lastReadSeq: Math.max(v.lastReadSeq, seq), unread: 0, mentions: 0 }));
    await this.#api.markRead(channelId, seq).catch(() => this.#scheduleCountsRefresh());
  }

  /** Adds a channel the caller just joined or opened (the user event follows; this avoids waiting for it). */
  addChannel(channel: Channel): void {
    this.applyUserEvent({ type: "channel.added", user_seq: 0, at: channel.created_at, data: { channel } });
  }
}

/** Whether `m` belongs in the loaded window of history (not before its oldest message while older ones are not loaded). */
function within(list: MessageList, m: Message): boolean {
  const oldest = list.items[0];
  return !list.hasMoreBefore || !oldest || m.seq >= oldest.seq;
}

function fromReadState(rs: ChannelReadState): Omit<ChannelView, "history" | "pins" | "members"> {
  return { channel: rs.channel, lastSeq: rs.last_seq, lastReadSeq: rs.last_read_seq, unread: rs.unread_count, mentions: rs.mention_count };
}
