import { DurableObject } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { activeUsersById } from "../../src/db/activeUsers";
import { createDb } from "../../src/db/client";
import { memberships } from "../../src/db/schema";
import { config } from "../../src/lib/config";
import { newId, newSecret, sha256Hex } from "../../src/lib/ids";
import { log } from "../../src/lib/log";
import { channelRoom, userSession } from "../../src/lib/stubs";
import { DAY_MS } from "../../src/lib/time";
import { CloseCode } from "../../src/protocol/closeCodes";
import {
  type ClientFrame,
  errorFrame,
  gapFrame,
  MAX_CLIENT_FRAME_BYTES,
  parseClientFrame,
  readyFrame,
  resyncFrame,
} from "../../src/protocol/frames";
import { SESSION_ID_HEADER, USER_ID_HEADER } from "../../src/protocol/internalHeaders";
import type { PresenceView } from "../../src/protocol/presence";
import type { UserEventType } from "../../src/protocol/userEvents";
import type { ReplayResult } from "../channel-room/rpcTypes";
import { runMigrations } from "../shared/runMigrations";
import { closeQuietly, OPEN, sendQuietly } from "../shared/sockets";
import {
  HEARTBEAT_MIN_WAIT_MS,
  HEARTBEAT_TIMEOUT_MS,
  nextPresenceChange,
  PRESENCE_COALESCE_MS,
  type PresenceInputs,
  presenceStatus,
} from "./presence";
import { userSessionMigrations } from "./schema";

const TICKET_TTL_MS = 30_000;
/**
 * A socket is "pending" from connect until its first frame (or this long): live events wait in
 * memory so that a `resume` sent as the first frame can merge them with the replay, in order and
 * without duplicates. Clients that never resume get their first events at most this late.
 */
const PENDING_GRACE_MS = 1_500;
const PRUNE_EVERY = 100;
/**
 * How long the user's own channel list is trusted before the next online/offline transition reads
 * it again from the directory. channel.added/removed keep it current; the recheck repairs a list
 * that missed one (an append that failed after the directory changed).
 */
export const CHANNELS_RECHECK_MS = 5 * 60_000;

/** The channel a channel.added / channel.removed user event is about. */
function channelOf(type: UserEventType, data: unknown): string | undefined {
  if (type !== "channel.added" && type !== "channel.removed") return undefined;
  const parsed = z
    .object({ channel: z.object({ id: z.string() }) })
    .or(z.object({ channel_id: z.string() }))
    .safeParse(data);
  if (!parsed.success) return undefined;
  return "channel" in parsed.data ? parsed.data.channel.id : parsed.data.channel_id;
}

/** Per-socket state that survives hibernation: ids only. */
const Attachment = z.object({
  id: z.string(),
  sid: z.string().nullable(),
  pendingSince: z.number().nullable(),
  seenAt: z.number(),
  /** One resume per socket: a second would replay everything again (duplicates, amplification). */
  resumed: z.boolean().default(false),
});
type Attachment = z.infer<typeof Attachment>;

/** A frame on its way to a socket, with what dedup and ordering need to know about it. */
type Outgoing = { frame: string; channelId?: string; seq?: number; userSeq?: number };

/** One per user: the user's hibernating sockets (all devices), their event log and presence. */
export class UserSession extends DurableObject<Env> {
  private userId: string | null = null;
  /** Frames held for pending sockets, by socket id. Lost on eviction, which cannot happen mid-grace. */
  private readonly held = new Map<string, Outgoing[]>();
  /** Per socket: the last channel event seq sent, by channel, to drop stragglers and spot gaps. */
  private readonly highWater = new Map<string, Map<string, number>>();
  private readonly resuming = new Set<string>();
  private readonly attachments = new WeakMap<WebSocket, Attachment>();
  /** Online/offline registrations with the user's ChannelRooms run one after another. */
  private transitions: Promise<void> = Promise.resolve();
  /** The `channels` table in memory; null until needed. */
  private channelIds: Set<string> | null = null;
  /** Counts channel.added/removed, so a directory read that raced one is done again. */
  private channelChanges = 0;
  private appendsSincePrune = 0;
  /** The `meta` table, read once per wake-up: presence reads it on every connect and frame. */
  private readonly metaValues = new Map<string, string>();
  /** When the alarm is set for, read at wake-up, so arming it is a write in the same turn. */
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
    ctx.blockConcurrencyWhile(async () => {
      runMigrations(ctx.storage.sql, userSessionMigrations);
      for (const { key, value } of ctx.storage.sql.exec<{ key: string; value: string }>("SELECT key, value FROM meta"))
        this.metaValues.set(key, value);
      // The object is addressed by the user's id (getByName); the copy in meta serves wake-ups that
      // do not carry the name.
      const name = ctx.id.name;
      if (name) this.setMeta("user_id", name);
      this.userId = name ?? this.meta("user_id");
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  // ── RPC surface ────────────────────────────────────────────────────────────────────────────

  /** The WebSocket upgrade; the Worker has authenticated the user and passes their id, which must be ours. */
  override async fetch(request: Request): Promise<Response> {
    const userId = request.headers.get(USER_ID_HEADER);
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !userId)
      return new Response("expected a websocket upgrade", { status: 426 });
    if (userId !== this.userId) return new Response("this is another user's session", { status: 400 });
    const { 0: client, 1: server } = new WebSocketPair();
    const sid = request.headers.get(SESSION_ID_HEADER);
    const now = Date.now();
    const attachment: Attachment = { id: newId("sock"), sid, pendingSince: now, seenAt: now, resumed: false };
    this.ctx.acceptWebSocket(server, sid ? [attachment.id, `sid:${sid}`] : [attachment.id]);
    server.serializeAttachment(attachment);
    server.send(readyFrame(this.userSeq()));
    if (this.openSockets().length === 1) this.schedule(true);
    if (!this.markActive(now)) this.presenceMayHaveChanged();
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Several events of one channel, in `seq` order, in one call (the room batches under load). */
  async deliverChannelEvents(channelId: string, events: { seq: number; frame: string }[]): Promise<boolean> {
    const sockets = this.openSockets();
    for (const ws of sockets) for (const { seq, frame } of events) this.push(ws, { frame, channelId, seq });
    return sockets.length > 0;
  }

  async appendUserEvent(type: UserEventType, data: unknown): Promise<number> {
    const at = Date.now();
    const userSeq = this.userSeq() + 1;
    const frame = JSON.stringify({ type, user_seq: userSeq, at: new Date(at).toISOString(), data });
    this.ctx.storage.sql.exec("INSERT INTO user_events (user_seq, type, at, frame) VALUES (?, ?, ?, ?)", userSeq, type, at, frame);
    this.setMeta("user_seq", String(userSeq));
    this.pruneSometimes(at);
    const sockets = this.openSockets();
    for (const ws of sockets) this.push(ws, { frame, userSeq });
    const channelId = channelOf(type, data);
    if (channelId && type === "channel.added") {
      this.ctx.storage.sql.exec("INSERT OR IGNORE INTO channels (channel_id) VALUES (?)", channelId);
      this.channelIds?.add(channelId);
      this.channelChanges++;
      if (sockets.length > 0) this.queueTransition(() => this.setOnlineIn([channelId], true));
    }
    if (channelId && type === "channel.removed") {
      this.ctx.storage.sql.exec("DELETE FROM channels WHERE channel_id = ?", channelId);
      this.channelIds?.delete(channelId);
      this.channelChanges++;
    }
    return userSeq;
  }

  /** Closes every socket of the user (deactivation), or those of one login session (logout). */
  async closeAllSockets(code: number, reason: string): Promise<void> {
    for (const ws of this.ctx.getWebSockets()) {
      closeQuietly(ws, code, reason);
      this.dropSubscriptions(this.attachment(ws).id);
    }
    this.forgetAll();
    this.schedule(false);
    this.presenceMayHaveChanged();
  }

  async closeSessionSockets(sessionId: string, code: number, reason: string): Promise<void> {
    this.ctx.storage.sql.exec("DELETE FROM tickets WHERE session_id = ?", sessionId);
    for (const ws of this.ctx.getWebSockets(`sid:${sessionId}`)) {
      closeQuietly(ws, code, reason);
      this.socketGone(ws);
    }
  }

  /**
   * A single-use ticket for browser handshakes: `<user id>.<secret>`, valid 30 s, bound to the
   * login session that minted it (null for an external identity provider's token).
   */
  async issueTicket(sessionId: string | null): Promise<{ ticket: string; expiresAt: number }> {
    const secret = newSecret();
    const expiresAt = Date.now() + TICKET_TTL_MS;
    this.ctx.storage.sql.exec("DELETE FROM tickets WHERE expires_at < ?", Date.now());
    this.ctx.storage.sql.exec(
      "INSERT INTO tickets (secret_hash, expires_at, session_id) VALUES (?, ?, ?)",
      await sha256Hex(secret),
      expiresAt,
      sessionId,
    );
    return { ticket: `${this.requireUserId()}.${secret}`, expiresAt };
  }

  /** Spends a ticket secret: the session it was minted under the first time within its lifetime, else undefined. */
  async redeemTicket(secret: string): Promise<{ sessionId: string | null } | undefined> {
    const hash = await sha256Hex(secret);
    const row = this.ctx.storage.sql
      .exec<{ expires_at: number; session_id: string | null }>(
        "DELETE FROM tickets WHERE secret_hash = ? RETURNING expires_at, session_id",
        hash,
      )
      .toArray()[0];
    return row !== undefined && row.expires_at >= Date.now() ? { sessionId: row.session_id } : undefined;
  }

  // ── Hibernation handlers ───────────────────────────────────────────────────────────────────

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const size =
      typeof message === "string"
        ? message.length > MAX_CLIENT_FRAME_BYTES / 3
          ? new TextEncoder().encode(message).byteLength
          : message.length
        : message.byteLength;
    if (size > MAX_CLIENT_FRAME_BYTES) {
      closeQuietly(ws, CloseCode.MessageTooBig, `frames are limited to ${MAX_CLIENT_FRAME_BYTES} bytes`);
      this.forget(this.attachment(ws).id);
      return;
    }
    if (typeof message !== "string") {
      sendQuietly(ws, errorFrame("binary_not_supported", "Frames are JSON text."));
      return;
    }
    // One catch for every frame, so a failure below (D1, storage, another object) still gets an
    // answer: the client never waits on silence.
    try {
      this.sawSocket(ws);
      const parsed = parseClientFrame(message);
      if (!parsed.ok) {
        sendQuietly(ws, parsed.error);
        return;
      }
      await this.handleFrame(ws, parsed.frame);
    } catch (error) {
      log("error", "socket frame failed", { user_id: this.userId, error });
      sendQuietly(ws, errorFrame("internal_error", "Something went wrong on our side; try again."));
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    closeQuietly(ws, code, reason);
    this.socketGone(ws);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    log("warn", "websocket error", { user_id: this.userId, error });
    this.socketGone(ws);
  }

  // ── Frames ─────────────────────────────────────────────────────────────────────────────────

  private async handleFrame(ws: WebSocket, frame: ClientFrame): Promise<void> {
    switch (frame.type) {
      case "ping":
        this.goLive(ws);
        sendQuietly(ws, JSON.stringify({ type: "pong" }));
        return;
      case "resume":
        if (this.attachment(ws).resumed) {
          sendQuietly(ws, errorFrame("already_resumed", "A socket resumes once; reconnect to resume again."));
          return;
        }
        this.markActive(Date.now());
        await this.resume(ws, frame.user_seq ?? null, frame.channels);
        return;
      case "active":
        this.goLive(ws);
        this.markActive(Date.now());
        return;
      case "presence.subscribe":
        this.goLive(ws);
        await this.subscribePresence(ws, frame.user_ids);
        return;
      case "typing": {
        this.goLive(ws);
        this.markActive(Date.now());
        const answer = (await this.myChannels()).has(frame.channel_id)
          ? await channelRoom(this.env, frame.channel_id).relayTyping(this.requireUserId(), frame.thread_root_id ?? null)
          : "not_member";
        if (answer === "not_member") sendQuietly(ws, errorFrame("not_a_member", "You can only type in channels you belong to."));
        if (answer === "invalid_thread_root")
          sendQuietly(ws, errorFrame("invalid_thread_root", "thread_root_id must be a top-level message of this channel."));
        return;
      }
    }
  }

  /**
   * Replays what the client missed, then releases the live events held meanwhile, dropping those
   * the replay already covered, then says `ready`. Exactly once, in order, per stream. Without a
   * user cursor (a client with nothing to resume) the user stream is not replayed: what was held
   * since `ready` goes out as it is.
   */
  private async resume(ws: WebSocket, afterUserSeq: number | null, cursors: Record<string, number>): Promise<void> {
    const att = this.attachment(ws);
    this.setAttachment(ws, { ...att, resumed: true, pendingSince: att.pendingSince ?? Date.now() });
    this.resuming.add(att.id);
    try {
      // Our ChannelRooms must know we are online before we read their heads, so that every event
      // past a head reaches us live.
      await this.transitions;
      const out: string[] = [];
      const userHead = afterUserSeq === null ? 0 : this.userSeq();
      if (afterUserSeq === null) {
        // Nothing to replay: the client starts from its `ready`.
      } else if (afterUserSeq > userHead) out.push(resyncFrame());
      else if (afterUserSeq < userHead) {
        const oldest = this.ctx.storage.sql.exec<{ s: number | null }>("SELECT MIN(user_seq) AS s FROM user_events").one().s;
        if (oldest === null || afterUserSeq < oldest - 1) out.push(resyncFrame());
        else
          for (const row of this.ctx.storage.sql.exec<{ frame: string }>(
            "SELECT frame FROM user_events WHERE user_seq > ? ORDER BY user_seq",
            afterUserSeq,
          ))
            out.push(row.frame);
      }
      const heads = new Map<string, number>();
      const excluded = new Set<string>();
      const limit = config(this.env).REPLAY_INLINE_LIMIT;
      const entries = Object.entries(cursors);
      const userId = this.requireUserId();
      // Only channels the user is in reach a ChannelRoom: a made-up id must not create one.
      const mine = await this.myChannels();
      const results = await Promise.all(
        entries.map(([channelId, after]) =>
          mine.has(channelId)
            ? channelRoom(this.env, channelId)
                .replay(userId, after, limit)
                .catch((error: unknown): ReplayResult => {
                  log("warn", "replay failed", { user_id: userId, channel_id: channelId, error });
                  return { kind: "resync" };
                })
            : ({ kind: "not_member" } as const),
        ),
      );
      entries.forEach(([channelId, after], i) => {
        const r = results[i] as ReplayResult;
        if (r.kind === "events" && after > r.head) out.push(resyncFrame(channelId));
        else if (r.kind === "events") {
          out.push(...r.frames);
          heads.set(channelId, r.head);
        } else if (r.kind === "gap") {
          out.push(gapFrame(channelId, after, r.until));
          heads.set(channelId, r.until);
        } else if (r.kind === "resync") out.push(resyncFrame(channelId));
        else excluded.add(channelId);
      });
      if (ws.readyState !== OPEN) return;
      for (const frame of out) sendQuietly(ws, frame);
      this.highWater.set(att.id, heads);
      this.release(ws, { userHead, excluded });
      sendQuietly(ws, readyFrame(this.userSeq()));
    } catch (error) {
      // A resume that failed did not happen: the client may send it again.
      this.setAttachment(ws, { ...this.attachment(ws), resumed: false });
      throw error;
    } finally {
      this.resuming.delete(att.id);
    }
  }

  // ── Delivery ───────────────────────────────────────────────────────────────────────────────

  private push(ws: WebSocket, out: Outgoing): void {
    const att = this.attachment(ws);
    if (att.pendingSince !== null) {
      if (this.resuming.has(att.id) || Date.now() - att.pendingSince < PENDING_GRACE_MS) {
        const held = this.held.get(att.id) ?? [];
        held.push(out);
        this.held.set(att.id, held);
        // The alarm ends the grace, not a timer: nothing keeps an idle object awake.
        if (held.length === 1) this.armAlarm(Date.now()).catch((error: unknown) => log("warn", "setAlarm failed", { error }));
        return;
      }
      this.goLive(ws);
    }
    this.send(ws, att.id, out);
  }

  /** Sends one frame to a live socket: drops a channel event it already has, flags a hole. */
  private send(ws: WebSocket, socketId: string, out: Outgoing): void {
    if (out.channelId !== undefined && out.seq !== undefined) {
      let marks = this.highWater.get(socketId);
      if (!marks) {
        marks = new Map();
        this.highWater.set(socketId, marks);
      }
      const last = marks.get(out.channelId);
      if (last !== undefined) {
        if (out.seq <= last) return;
        if (out.seq > last + 1) sendQuietly(ws, gapFrame(out.channelId, last, out.seq - 1));
      }
      marks.set(out.channelId, out.seq);
    }
    sendQuietly(ws, out.frame);
  }

  /** Ends a socket's pending state: sends what was held, in arrival order. */
  private goLive(ws: WebSocket): void {
    const att = this.attachment(ws);
    if (att.pendingSince === null || this.resuming.has(att.id)) return;
    this.release(ws, { userHead: 0, excluded: new Set() });
  }

  private release(ws: WebSocket, covered: { userHead: number; excluded: Set<string> }): void {
    const att = this.attachment(ws);
    const held = this.held.get(att.id) ?? [];
    this.held.delete(att.id);
    this.setAttachment(ws, { ...att, pendingSince: null });
    for (const out of held) {
      if (out.userSeq !== undefined && out.userSeq <= covered.userHead) continue;
      if (out.channelId !== undefined && covered.excluded.has(out.channelId)) continue;
      this.send(ws, att.id, out);
    }
  }

  /** When the first pending socket that holds frames must get them, or null. */
  private graceDue(): number | null {
    let due: number | null = null;
    for (const [socketId, held] of this.held) {
      if (held.length === 0) continue;
      const ws = this.ctx.getWebSockets(socketId)[0];
      const since = ws ? this.attachment(ws).pendingSince : null;
      if (since !== null) due = Math.min(due ?? Number.POSITIVE_INFINITY, since + PENDING_GRACE_MS);
    }
    return due;
  }

  // ── Online registration with ChannelRooms ──────────────────────────────────────────────────

  private schedule(online: boolean): void {
    this.queueTransition(async () => {
      // The state may have flipped back while we waited in line.
      if (!this.userId || online !== this.openSockets().length > 0) return;
      await this.setOnlineIn([...(await this.myChannels(CHANNELS_RECHECK_MS))], online);
    });
  }

  /** Runs after the transitions before it; a failure is logged and does not block the next. */
  private queueTransition(step: () => Promise<void>): void {
    this.transitions = this.transitions
      .then(step)
      .catch((error: unknown) => log("warn", "presence transition failed", { user_id: this.userId, error }));
  }

  /**
   * The user's channel ids: the kept list, read again from the directory first when it is older
   * than `maxAgeMs` (a transition) or was never read (Infinity: a frame that only needs the list).
   */
  private async myChannels(maxAgeMs = Number.POSITIVE_INFINITY): Promise<Set<string>> {
    const checkedAt = Number(this.meta("channels_checked_at") ?? "-1");
    if (checkedAt >= 0 && Date.now() - checkedAt <= maxAgeMs) {
      this.channelIds ??= new Set(
        this.ctx.storage.sql
          .exec<{ channel_id: string }>("SELECT channel_id FROM channels")
          .toArray()
          .map((r) => r.channel_id),
      );
      return this.channelIds;
    }
    for (;;) {
      const changes = this.channelChanges;
      const readAt = Date.now();
      const rows = await createDb(this.env.DB)
        .select({ channelId: memberships.channelId })
        .from(memberships)
        .where(eq(memberships.userId, this.requireUserId()));
      if (changes !== this.channelChanges) continue;
      const ids = new Set(rows.map((r) => r.channelId));
      this.ctx.storage.transactionSync(() => {
        this.ctx.storage.sql.exec("DELETE FROM channels");
        for (const id of ids) this.ctx.storage.sql.exec("INSERT INTO channels (channel_id) VALUES (?)", id);
      });
      this.setMeta("channels_checked_at", String(readAt));
      this.channelIds = ids;
      return ids;
    }
  }

  private async setOnlineIn(channelIds: string[], online: boolean): Promise<void> {
    const userId = this.requireUserId();
    await Promise.all(
      channelIds.map((id) =>
        channelRoom(this.env, id)
          .setOnline(userId, online)
          .catch((error: unknown) => log("warn", "setOnline failed", { user_id: userId, channel_id: id, error })),
      ),
    );
  }

  private socketGone(ws: WebSocket): void {
    const socketId = this.attachment(ws).id;
    this.forget(socketId);
    this.dropSubscriptions(socketId);
    if (this.openSockets().filter((s) => s !== ws).length === 0) this.schedule(false);
    this.presenceMayHaveChanged(ws);
  }

  // ── Presence ───────────────────────────────────────────────────────────────────────────────

  /** This user's presence, as others see it. */
  async getPresence(): Promise<PresenceView> {
    return this.presenceView(Date.now());
  }

  /** Sets presence by hand: `away`, `dnd` (optionally until a time), or back to automatic. */
  async setPresence(status: "active" | "away" | "dnd", dndUntil: number | null): Promise<PresenceView> {
    const now = Date.now();
    this.setMeta("presence_manual", status === "active" ? "" : status);
    this.setMeta("presence_dnd_until", status === "dnd" && dndUntil !== null ? String(dndUntil) : "");
    if (!(status === "active" && this.markActive(now, true))) this.presenceMayHaveChanged();
    return this.presenceView(now);
  }

  /** Another user's session watches this user's presence; answers the current presence. */
  async addPresenceSubscriber(subscriberId: string): Promise<PresenceView> {
    this.ctx.storage.sql.exec("INSERT OR IGNORE INTO presence_subscribers (user_id) VALUES (?)", subscriberId);
    return this.presenceView(Date.now());
  }

  async removePresenceSubscriber(subscriberId: string): Promise<void> {
    this.ctx.storage.sql.exec("DELETE FROM presence_subscribers WHERE user_id = ?", subscriberId);
  }

  /** A watched user's presence changed: tell the sockets watching them. False if none does. */
  async deliverPresence(view: PresenceView): Promise<boolean> {
    const frame = JSON.stringify({ type: "presence", data: view });
    let watching = false;
    for (const row of this.ctx.storage.sql.exec<{ socket_id: string }>(
      "SELECT socket_id FROM socket_subscriptions WHERE target_id = ?",
      view.user_id,
    )) {
      const ws = this.ctx.getWebSockets(row.socket_id)[0];
      if (ws?.readyState === OPEN) {
        watching = true;
        sendQuietly(ws, frame);
      }
    }
    return watching;
  }

  /**
   * Ephemeral frames (typing): never stored, never replayed; a pending socket holds them with the
   * rest, so one that has not sent its first frame yet still sees who is typing.
   */
  async deliverEphemeral(frame: string): Promise<boolean> {
    const sockets = this.openSockets();
    for (const ws of sockets) this.push(ws, { frame });
    return sockets.length > 0;
  }

  /** Heartbeats (a silent socket is a vanished device) and presence that changes with time. */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const now = Date.now();
    for (const ws of this.openSockets()) {
      if (now - this.lastSeen(ws) > HEARTBEAT_TIMEOUT_MS) {
        closeQuietly(ws, CloseCode.HeartbeatTimeout, "no heartbeat");
        this.socketGone(ws);
      }
    }
    for (const ws of this.openSockets()) {
      const since = this.attachment(ws).pendingSince;
      if (since !== null && now - since >= PENDING_GRACE_MS) this.goLive(ws);
    }
    const until = Number(this.meta("presence_dnd_until") || "0");
    if (this.meta("presence_manual") === "dnd" && until > 0 && until <= now) this.setMeta("presence_manual", "");
    this.presenceMayHaveChanged();
  }

  private async subscribePresence(ws: WebSocket, userIds: string[]): Promise<void> {
    const me = this.requireUserId();
    const socketId = this.attachment(ws).id;
    const wanted = [...new Set(userIds)];
    const known = new Set((await activeUsersById(createDb(this.env.DB), wanted)).keys());
    const previous = this.ctx.storage.sql
      .exec<{ target_id: string }>("SELECT target_id FROM socket_subscriptions WHERE socket_id = ?", socketId)
      .toArray();
    this.ctx.storage.sql.exec("DELETE FROM socket_subscriptions WHERE socket_id = ?", socketId);
    for (const id of known)
      this.ctx.storage.sql.exec("INSERT INTO socket_subscriptions (socket_id, target_id) VALUES (?, ?)", socketId, id);
    this.releaseTargets(previous.map((r) => r.target_id));
    const views = await Promise.all(
      [...known].map((id) =>
        id === me
          ? this.presenceView(Date.now())
          : userSession(this.env, id)
              .addPresenceSubscriber(me)
              .catch(() => null),
      ),
    );
    for (const view of views) if (view) sendQuietly(ws, JSON.stringify({ type: "presence", data: view }));
  }

  private dropSubscriptions(socketId: string): void {
    const targets = this.ctx.storage.sql
      .exec<{ target_id: string }>("DELETE FROM socket_subscriptions WHERE socket_id = ? RETURNING target_id", socketId)
      .toArray();
    this.releaseTargets(targets.map((r) => r.target_id));
  }

  /** Stops watching users no socket of ours watches any more (best effort; stale ones self-heal). */
  private releaseTargets(targetIds: string[]): void {
    const me = this.userId;
    if (!me) return;
    for (const id of targetIds) {
      if (id === me) continue;
      const still = this.ctx.storage.sql.exec("SELECT 1 FROM socket_subscriptions WHERE target_id = ? LIMIT 1", id).toArray().length > 0;
      if (!still)
        userSession(this.env, id)
          .removePresenceSubscriber(me)
          .catch(() => {});
    }
  }

  private presenceInputs(excluding?: WebSocket): PresenceInputs {
    const manual = this.meta("presence_manual");
    return {
      manual: manual === "away" || manual === "dnd" ? manual : null,
      dndUntil: Number(this.meta("presence_dnd_until") || "0") || null,
      lastActiveAt: Number(this.meta("presence_active_at") || "0") || null,
      connected: this.openSockets().some((ws) => ws !== excluding),
    };
  }

  private presenceView(now: number, excluding?: WebSocket): PresenceView {
    const inputs = this.presenceInputs(excluding);
    return {
      user_id: this.requireUserId(),
      status: presenceStatus(inputs, now),
      last_active_at: inputs.lastActiveAt === null ? null : new Date(inputs.lastActiveAt).toISOString(),
    };
  }

  /**
   * Records activity; written at most every 10 s, or at once when it changes the status. Returns
   * whether it already looked for a presence change (callers that would look too need not).
   */
  private markActive(now: number, force = false): boolean {
    const last = Number(this.meta("presence_active_at") || "0");
    if (!force && now - last < 10_000) return false;
    this.setMeta("presence_active_at", String(now));
    if (now - last < 10_000) return false;
    this.presenceMayHaveChanged();
    return true;
  }

  private sawSocket(ws: WebSocket): void {
    const att = this.attachment(ws);
    const now = Date.now();
    if (now - att.seenAt > 5_000) this.setAttachment(ws, { ...att, seenAt: now });
  }

  /**
   * Announces the status to subscribers if it changed since the last announcement, at most once
   * per second (later changes in the window are folded into one), then re-arms the alarm.
   */
  private presenceMayHaveChanged(excluding?: WebSocket): void {
    const now = Date.now();
    const view = this.presenceView(now, excluding);
    if (view.status !== this.meta("presence_announced")) {
      const wait = Number(this.meta("presence_announced_at") || "0") + PRESENCE_COALESCE_MS - now;
      // Within the window the alarm (armed below for the window's end) announces it.
      if (wait <= 0) {
        this.setMeta("presence_announced", view.status);
        this.setMeta("presence_announced_at", String(now));
        this.broadcastPresence(view);
      }
    }
    this.armAlarm(now, excluding).catch((error: unknown) => log("warn", "setAlarm failed", { error }));
  }

  private broadcastPresence(view: PresenceView): void {
    const me = this.requireUserId();
    for (const { user_id: subscriber } of this.ctx.storage.sql.exec<{ user_id: string }>("SELECT user_id FROM presence_subscribers")) {
      const delivered = subscriber === me ? this.deliverPresence(view) : userSession(this.env, subscriber).deliverPresence(view);
      delivered
        .then((watching) => {
          if (!watching) this.ctx.storage.sql.exec("DELETE FROM presence_subscribers WHERE user_id = ?", subscriber);
        })
        .catch((error: unknown) => log("warn", "presence delivery failed", { user_id: me, subscriber, error }));
    }
  }

  /** A socket's last sign of life: its last frame, or its last ping (answered without waking us). */
  private lastSeen(ws: WebSocket): number {
    const pinged = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
    return Math.max(this.attachment(ws).seenAt, pinged);
  }

  /** When the quietest open socket would time out, or null with none open. */
  private heartbeatDue(now: number, excluding?: WebSocket): number | null {
    let quietest = Number.POSITIVE_INFINITY;
    for (const ws of this.openSockets()) if (ws !== excluding) quietest = Math.min(quietest, this.lastSeen(ws));
    return quietest === Number.POSITIVE_INFINITY ? null : Math.max(now + HEARTBEAT_MIN_WAIT_MS, quietest + HEARTBEAT_TIMEOUT_MS + 1);
  }

  /** When a status change not yet announced may be (the end of the coalescing window), or null. */
  private announceDue(now: number, excluding?: WebSocket): number | null {
    if (this.presenceView(now, excluding).status === this.meta("presence_announced")) return null;
    return Number(this.meta("presence_announced_at") || "0") + PRESENCE_COALESCE_MS;
  }

  private async armAlarm(now: number, excluding?: WebSocket): Promise<void> {
    const due = [
      this.heartbeatDue(now, excluding),
      nextPresenceChange(this.presenceInputs(excluding), now),
      this.graceDue(),
      this.announceDue(now, excluding),
    ].filter((t): t is number => t !== null);
    // Offline, and nothing changes with time: an alarm already set fires once, finds nothing to do
    // and is not set again. Leaving it costs one wake-up; deleting it would cost a write now and
    // another when the user reconnects.
    if (due.length === 0) return;
    const at = Math.min(...due);
    const current = this.alarmAt;
    if (current === null || current > at || current < now) {
      this.alarmAt = at;
      await this.ctx.storage.setAlarm(at);
    }
  }

  // ── State ──────────────────────────────────────────────────────────────────────────────────

  private openSockets(): WebSocket[] {
    return this.ctx.getWebSockets().filter((ws) => ws.readyState === OPEN);
  }

  /** The socket's attachment, parsed once per wake-up: deliveries read it for every frame. */
  private attachment(ws: WebSocket): Attachment {
    let att = this.attachments.get(ws);
    if (!att) {
      const parsed = Attachment.safeParse(ws.deserializeAttachment());
      att = parsed.success ? parsed.data : { id: "unknown", sid: null, pendingSince: null, seenAt: 0, resumed: false };
      this.attachments.set(ws, att);
    }
    return att;
  }

  private setAttachment(ws: WebSocket, att: Attachment): void {
    ws.serializeAttachment(att);
    this.attachments.set(ws, att);
  }

  private forget(socketId: string): void {
    this.held.delete(socketId);
    this.highWater.delete(socketId);
    this.resuming.delete(socketId);
  }

  private forgetAll(): void {
    this.held.clear();
    this.highWater.clear();
    this.resuming.clear();
  }

  private userSeq(): number {
    return Number(this.meta("user_seq") ?? "0");
  }

  private pruneSometimes(now: number): void {
    if (++this.appendsSincePrune < PRUNE_EVERY) return;
    this.appendsSincePrune = 0;
    const cutoff = now - config(this.env).EVENT_RETENTION_DAYS * DAY_MS;
    // Keep the newest event whatever its age, so MIN(user_seq) still tells where the log starts.
    this.ctx.storage.sql.exec("DELETE FROM user_events WHERE at < ? AND user_seq < ?", cutoff, this.userSeq());
  }

  private requireUserId(): string {
    if (!this.userId) throw new Error("UserSession has no user yet");
    return this.userId;
  }

  private meta(key: string): string | null {
    return this.metaValues.get(key) ?? null;
  }

  private setMeta(key: string, value: string): void {
    if (this.metaValues.get(key) === value) return;
    this.metaValues.set(key, value);
    this.ctx.storage.sql.exec(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      key,
      value,
    );
  }
}
