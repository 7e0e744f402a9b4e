import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { log } from "../../src/lib/log";
import { channelRoom } from "../../src/lib/stubs";
import type { ChannelReadState } from "../../src/protocol/channels";
import { CloseCode } from "../../src/protocol/closeCodes";
import { type ClientFrame, errorFrame, MAX_CLIENT_FRAME_BYTES, parseClientFrame, readyFrame } from "../../src/protocol/frames";
import { ROLE_HEADER, SESSION_ID_HEADER, USER_ID_HEADER } from "../../src/protocol/internalHeaders";
import type { PresenceView } from "../../src/protocol/presence";
import type { UserEventType } from "../../src/protocol/userEvents";
import { runMigrations } from "../shared/runMigrations";
import { closeQuietly, sendQuietly } from "../shared/sockets";
import { Resume } from "./Resume";
import { SessionCore } from "./SessionCore";
import { userSessionMigrations } from "./schema";

export { CHANNELS_RECHECK_MS } from "./ChannelList";

/** The channel a channel.added / channel.removed / read.updated user event is about. */
function channelOf(type: UserEventType, data: unknown): string | undefined {
  if (type !== "channel.added" && type !== "channel.removed" && type !== "read.updated") return undefined;
  const parsed = z
    .object({ channel: z.object({ id: z.string() }) })
    .or(z.object({ channel_id: z.string() }))
    .safeParse(data);
  if (!parsed.success) return undefined;
  return "channel" in parsed.data ? parsed.data.channel.id : parsed.data.channel_id;
}

/**
 * One per user, addressed by the user's id: the user's hibernating sockets (all devices), their
 * event log and presence.
 *
 * This class is the RPC surface the Worker and the ChannelRooms call, and the WebSocket endpoint;
 * SessionCore holds its parts: SocketRegistry and SocketDelivery (held frames in the first-frame
 * grace, dedup, gaps), UserEventLog, Tickets, ChannelList and RoomRegistration (online in the
 * user's rooms), OwnPresence and PresenceSubscriptions, and SessionAlarm. Resume replays a
 * socket's missed events.
 */
export class UserSession extends DurableObject<Env> {
  private readonly core: SessionCore;
  private readonly resumes: Resume;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
    this.core = new SessionCore(ctx, env);
    this.resumes = new Resume(this.core);
    ctx.blockConcurrencyWhile(async () => {
      runMigrations(ctx.storage.sql, userSessionMigrations);
      await this.core.load();
    });
  }

  // ── RPC surface ────────────────────────────────────────────────────────────────────────────

  /** The WebSocket upgrade; the Worker has authenticated the user and passes their id, which must be ours. */
  override async fetch(request: Request): Promise<Response> {
    const { sockets, events, presence, rooms } = this.core;
    const userId = request.headers.get(USER_ID_HEADER);
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !userId)
      return new Response("expected a websocket upgrade", { status: 426 });
    if (userId !== this.core.userId) return new Response("this is another user's session", { status: 400 });
    const sessionId = request.headers.get(SESSION_ID_HEADER);
    // A handshake that passed the D1 check just before its session ended, arriving just after.
    if (this.core.sessions.has(sessionId)) return new Response("the session has ended", { status: 401 });
    const role = request.headers.get(ROLE_HEADER);
    if (role) this.core.meta.set("role", role);
    const { 0: client, 1: server } = new WebSocketPair();
    const now = Date.now();
    sockets.accept(server, sessionId, now);
    server.send(readyFrame(events.head()));
    if (sockets.open().length === 1) rooms.schedule(true);
    if (!presence.markActive(now)) presence.mayHaveChanged();
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Several events of one channel, in `seq` order, in one call (the room batches under load). */
  async deliverChannelEvents(channelId: string, events: { seq: number; frame: string }[]): Promise<boolean> {
    const sockets = this.core.sockets.open();
    for (const ws of sockets) for (const { seq, frame } of events) this.core.delivery.push(ws, { frame, channelId, seq });
    const last = events.at(-1);
    if (last) this.core.summaries.saw(channelId, last.seq);
    return sockets.length > 0;
  }

  /** A room says a channel changed up to `seq` while the user was offline (a mention, a DM: OfflineNudges). */
  async channelChanged(channelId: string, seq: number): Promise<void> {
    this.core.summaries.saw(channelId, seq);
  }

  /**
   * The user's channels with read state, in the order given, each with the event head D1 knows
   * for it (ChannelSummaries: only rooms that changed since are asked).
   */
  async myChannels(channels: { channel_id: string; head: number }[]): Promise<ChannelReadState[]> {
    return this.core.summaries.list(channels);
  }

  async appendUserEvent(type: UserEventType, data: unknown): Promise<number> {
    const { events, sockets, delivery, channels, rooms } = this.core;
    const { userSeq, frame } = events.append(type, data, Date.now());
    const open = sockets.open();
    for (const ws of open) delivery.push(ws, { frame, userSeq });
    const channelId = channelOf(type, data);
    if (channelId && type === "channel.added") {
      channels.added(channelId);
      if (open.length > 0) rooms.joined(channelId);
    }
    if (channelId && type === "channel.removed") channels.removed(channelId);
    // The read marker moved, or the membership changed: the channel's cached read state is stale.
    if (channelId) this.core.summaries.drop(channelId);
    if (type === "user.updated") this.roleChanged(data);
    return userSeq;
  }

  /**
   * Ephemeral frames (typing): never stored, never replayed; a pending socket holds them with the
   * rest, so one that has not sent its first frame yet still sees who is typing.
   */
  async deliverEphemeral(frame: string): Promise<boolean> {
    const sockets = this.core.sockets.open();
    for (const ws of sockets) this.core.delivery.push(ws, { frame });
    return sockets.length > 0;
  }

  /** The role a socket's `send` acts with follows the user's (SocketSend). */
  private roleChanged(data: unknown): void {
    const parsed = z.object({ user: z.object({ role: z.string() }) }).safeParse(data);
    if (parsed.success) this.core.meta.set("role", parsed.data.user.role);
  }

  /** Closes every socket of the user (deactivation), or those of one login session (logout). */
  async closeAllSockets(code: number, reason: string): Promise<void> {
    this.core.closeAll(code, reason);
  }

  async closeSessionSockets(sessionId: string, code: number, reason: string): Promise<void> {
    this.core.closeSession(sessionId, code, reason);
  }

  /**
   * A single-use ticket for browser handshakes: `<user id>.<secret>`, valid 30 s, bound to the
   * login session that minted it (null for an external identity provider's token).
   */
  async issueTicket(sessionId: string | null): Promise<{ ticket: string; expiresAt: number }> {
    const { secret, expiresAt } = await this.core.tickets.issue(sessionId);
    return { ticket: `${this.core.requireUserId()}.${secret}`, expiresAt };
  }

  /** Spends a ticket secret: the session it was minted under the first time within its lifetime, else undefined. */
  async redeemTicket(secret: string): Promise<{ sessionId: string | null } | undefined> {
    return this.core.tickets.redeem(secret);
  }

  // ── Presence ───────────────────────────────────────────────────────────────────────────────

  /** This user's presence, as others see it. */
  async getPresence(): Promise<PresenceView> {
    return this.core.presence.view(Date.now());
  }

  /** Sets presence by hand: `away`, `dnd` (optionally until a time), or back to automatic. */
  async setPresence(status: "active" | "away" | "dnd", dndUntil: number | null): Promise<PresenceView> {
    const now = Date.now();
    this.core.presence.setManual(status, dndUntil, now);
    return this.core.presence.view(now);
  }

  /** Another user's session watches this user's presence; answers the current presence. */
  async addPresenceSubscriber(subscriberId: string): Promise<PresenceView> {
    this.core.subscriptions.addSubscriber(subscriberId);
    return this.core.presence.view(Date.now());
  }

  async removePresenceSubscriber(subscriberId: string): Promise<void> {
    this.core.subscriptions.removeSubscriber(subscriberId);
  }

  /** A watched user's presence changed: tell the sockets watching them. False if none does. */
  async deliverPresence(view: PresenceView): Promise<boolean> {
    return this.core.subscriptions.deliver(view);
  }

  /** Heartbeats, the end of first-frame graces, and presence that changes with time. */
  override async alarm(): Promise<void> {
    this.core.runAlarm(Date.now());
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
      this.core.delivery.forget(this.core.sockets.attachment(ws).id);
      return;
    }
    if (typeof message !== "string") {
      sendQuietly(ws, errorFrame("binary_not_supported", "Frames are JSON text."));
      return;
    }
    // One catch for every frame, so a failure below (D1, storage, another object) still gets an
    // answer: the client never waits on silence.
    try {
      this.core.sockets.saw(ws);
      const parsed = parseClientFrame(message);
      if (!parsed.ok) {
        sendQuietly(ws, parsed.error);
        return;
      }
      await this.handleFrame(ws, parsed.frame);
    } catch (error) {
      log("error", "socket frame failed", { user_id: this.core.userId, error });
      sendQuietly(ws, errorFrame("internal_error", "Something went wrong on our side; try again."));
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    closeQuietly(ws, code, reason);
    this.core.socketGone(ws);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    log("warn", "websocket error", { user_id: this.core.userId, error });
    this.core.socketGone(ws);
  }

  private async handleFrame(ws: WebSocket, frame: ClientFrame): Promise<void> {
    const { delivery, presence } = this.core;
    switch (frame.type) {
      case "ping":
        delivery.goLive(ws);
        sendQuietly(ws, JSON.stringify({ type: "pong" }));
        return;
      case "resume":
        if (this.core.sockets.attachment(ws).resumed) {
          sendQuietly(ws, errorFrame("already_resumed", "A socket resumes once; reconnect to resume again."));
          return;
        }
        presence.markActive(Date.now());
        await this.resumes.run(ws, frame.user_seq ?? null, frame.channels);
        return;
      case "active":
        delivery.goLive(ws);
        presence.markActive(Date.now());
        return;
      case "presence.subscribe":
        delivery.goLive(ws);
        await this.core.subscriptions.subscribe(ws, frame.user_ids);
        return;
      case "typing": {
        delivery.goLive(ws);
        presence.markActive(Date.now());
        const answer = (await this.core.channels.mine()).has(frame.channel_id)
          ? await channelRoom(this.env, frame.channel_id).relayTyping(this.core.requireUserId(), frame.thread_root_id ?? null)
          : "not_member";
        if (answer === "not_member") sendQuietly(ws, errorFrame("not_a_member", "You can only type in channels you belong to."));
        if (answer === "invalid_thread_root")
          sendQuietly(ws, errorFrame("invalid_thread_root", "thread_root_id must be a top-level message of this channel."));
        return;
      }
      case "send":
        delivery.goLive(ws);
        presence.markActive(Date.now());
        await this.core.sender.send(ws, frame);
        return;
    }
  }
}
