import { DurableObject } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { createDb } from "../../src/db/client";
import { memberships } from "../../src/db/schema";
import { config } from "../../src/lib/config";
import { newId, newSecret, sha256Hex } from "../../src/lib/ids";
import { log } from "../../src/lib/log";
import { channelRoom } from "../../src/lib/stubs";
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
import { runMigrations } from "../shared/runMigrations";
import { closeQuietly, OPEN, sendQuietly } from "../shared/sockets";
import { userSessionMigrations } from "./schema";

/** User event types: what concerns one user alone, in their own `user_seq` order. */
export type UserEventType = "channel.added" | "channel.removed" | "read.updated" | "user.updated" | "thread.reply";

/** Headers the Worker sets on the internal upgrade request, after it has authenticated the caller. */
export const USER_ID_HEADER = "x-colink-user-id";
export const SESSION_ID_HEADER = "x-colink-session-id";

const TICKET_TTL_MS = 30_000;
/**
 * A socket is "pending" from connect until its first frame (or this long): live events wait in
 * memory so that a `resume` sent as the first frame can merge them with the replay, in order and
 * without duplicates. Clients that never resume get their first events at most this late.
 */
const PENDING_GRACE_MS = 1_500;
const PRUNE_EVERY = 100;
const DAY_MS = 86_400_000;

/** Per-socket state that survives hibernation: ids only. */
const Attachment = z.object({ id: z.string(), sid: z.string().nullable(), pendingSince: z.number().nullable() });
type Attachment = z.infer<typeof Attachment>;

/** A frame on its way to a socket, with what dedup and ordering need to know about it. */
type Outgoing = { frame: string; channelId?: string; seq?: number; userSeq?: number };

type ReplayResult =
  | { kind: "events"; frames: string[]; head: number }
  | { kind: "gap"; after: number; until: number }
  | { kind: "resync" }
  | { kind: "not_member" };

/** One per user: the user's hibernating sockets (all devices), their event log and presence. */
export class UserSession extends DurableObject<Env> {
  private userId: string | null = null;
  /** Frames held for pending sockets, by socket id. Lost on eviction, which cannot happen mid-grace. */
  private readonly held = new Map<string, Outgoing[]>();
  /** Per socket: the last channel event seq sent, by channel, to drop stragglers and spot gaps. */
  private readonly highWater = new Map<string, Map<string, number>>();
  private readonly resuming = new Set<string>();
  /** Online/offline registrations with the user's ChannelRooms run one after another. */
  private transitions: Promise<void> = Promise.resolve();
  private appendsSincePrune = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
    ctx.blockConcurrencyWhile(async () => {
      runMigrations(ctx.storage.sql, userSessionMigrations);
      this.userId = this.meta("user_id");
    });
  }

  // ── RPC surface ────────────────────────────────────────────────────────────────────────────

  /** The WebSocket upgrade; the Worker has authenticated the user and passes their id. */
  override async fetch(request: Request): Promise<Response> {
    const userId = request.headers.get(USER_ID_HEADER);
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !userId) return new Response("expected a websocket upgrade", { status: 426 });
    this.rememberUser(userId);
    const { 0: client, 1: server } = new WebSocketPair();
    const sid = request.headers.get(SESSION_ID_HEADER);
    const attachment: Attachment = { id: newId("sock"), sid, pendingSince: Date.now() };
    this.ctx.acceptWebSocket(server, sid ? [attachment.id, `sid:${sid}`] : [attachment.id]);
    server.serializeAttachment(attachment);
    server.send(readyFrame(this.userSeq()));
    if (this.openSockets().length === 1) this.schedule(true);
    setTimeout(() => this.endGrace(attachment.id), PENDING_GRACE_MS + 50);
    return new Response(null, { status: 101, webSocket: client });
  }

  async deliverChannelEvent(userId: string, channelId: string, seq: number, frame: string): Promise<boolean> {
    this.rememberUser(userId);
    const sockets = this.openSockets();
    for (const ws of sockets) this.push(ws, { frame, channelId, seq });
    return sockets.length > 0;
  }

  async appendUserEvent(userId: string, type: UserEventType, data: unknown): Promise<number> {
    this.rememberUser(userId);
    const at = Date.now();
    const userSeq = this.userSeq() + 1;
    const frame = JSON.stringify({ type, user_seq: userSeq, at: new Date(at).toISOString(), data });
    this.ctx.storage.sql.exec("INSERT INTO user_events (user_seq, type, at, frame) VALUES (?, ?, ?, ?)", userSeq, type, at, frame);
    this.setMeta("user_seq", String(userSeq));
    this.pruneSometimes(at);
    const sockets = this.openSockets();
    for (const ws of sockets) this.push(ws, { frame, userSeq });
    if (type === "channel.added" && sockets.length > 0) {
      const channelId = (data as { channel?: { id?: unknown } } | null)?.channel?.id;
      if (typeof channelId === "string") this.transitions = this.transitions.then(() => this.setOnlineIn([channelId], true));
    }
    return userSeq;
  }

  /** Closes every socket of the user (deactivation), or those of one login session (logout). */
  async closeAllSockets(userId: string, code: number, reason: string): Promise<void> {
    this.rememberUser(userId);
    for (const ws of this.ctx.getWebSockets()) closeQuietly(ws, code, reason);
    this.forgetAll();
    this.schedule(false);
  }

  async closeSessionSockets(userId: string, sessionId: string, code: number, reason: string): Promise<void> {
    this.rememberUser(userId);
    for (const ws of this.ctx.getWebSockets(`sid:${sessionId}`)) {
      this.forget(this.attachment(ws).id);
      closeQuietly(ws, code, reason);
    }
    if (this.openSockets().length === 0) this.schedule(false);
  }

  /** A single-use ticket for browser handshakes: `<user id>.<secret>`, valid 30 s. */
  async issueTicket(userId: string): Promise<{ ticket: string; expiresAt: number }> {
    this.rememberUser(userId);
    const secret = newSecret();
    const expiresAt = Date.now() + TICKET_TTL_MS;
    this.ctx.storage.sql.exec("DELETE FROM tickets WHERE expires_at < ?", Date.now());
    this.ctx.storage.sql.exec("INSERT INTO tickets (secret_hash, expires_at) VALUES (?, ?)", await sha256Hex(secret), expiresAt);
    return { ticket: `${userId}.${secret}`, expiresAt };
  }

  /** Spends a ticket secret; true only the first time, and only within its lifetime. */
  async redeemTicket(secret: string): Promise<boolean> {
    const hash = await sha256Hex(secret);
    const row = this.ctx.storage.sql.exec<{ expires_at: number }>("DELETE FROM tickets WHERE secret_hash = ? RETURNING expires_at", hash).toArray()[0];
    return row !== undefined && row.expires_at >= Date.now();
  }

  // ── Hibernation handlers ───────────────────────────────────────────────────────────────────

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const size = typeof message === "string" ? (message.length > MAX_CLIENT_FRAME_BYTES / 3 ? new TextEncoder().encode(message).byteLength : message.length) : message.byteLength;
    if (size > MAX_CLIENT_FRAME_BYTES) {
      closeQuietly(ws, CloseCode.MessageTooBig, `frames are limited to ${MAX_CLIENT_FRAME_BYTES} bytes`);
      this.forget(this.attachment(ws).id);
      return;
    }
    if (typeof message !== "string") {
      sendQuietly(ws, errorFrame("binary_not_supported", "Frames are JSON text."));
      return;
    }
    const parsed = parseClientFrame(message);
    if (!parsed.ok) {
      sendQuietly(ws, parsed.error);
      return;
    }
    await this.handleFrame(ws, parsed.frame);
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
        await this.resume(ws, frame.user_seq, frame.channels);
        return;
    }
  }

  /**
   * Replays what the client missed, then releases the live events held meanwhile, dropping those
   * the replay already covered, then says `ready`. Exactly once, in order, per stream.
   */
  private async resume(ws: WebSocket, afterUserSeq: number, cursors: Record<string, number>): Promise<void> {
    const att = this.attachment(ws);
    if (att.pendingSince === null) this.setAttachment(ws, { ...att, pendingSince: Date.now() });
    this.resuming.add(att.id);
    try {
      // Our ChannelRooms must know we are online before we read their heads, so that every event
      // past a head reaches us live.
      await this.transitions;
      const out: string[] = [];
      const userHead = this.userSeq();
      if (afterUserSeq > userHead) out.push(resyncFrame());
      else if (afterUserSeq < userHead) {
        const oldest = this.ctx.storage.sql.exec<{ s: number | null }>("SELECT MIN(user_seq) AS s FROM user_events").one().s;
        if (oldest === null || afterUserSeq < oldest - 1) out.push(resyncFrame());
        else
          for (const row of this.ctx.storage.sql.exec<{ frame: string }>("SELECT frame FROM user_events WHERE user_seq > ? ORDER BY user_seq", afterUserSeq))
            out.push(row.frame);
      }
      const heads = new Map<string, number>();
      const excluded = new Set<string>();
      const limit = config(this.env).REPLAY_INLINE_LIMIT;
      const entries = Object.entries(cursors);
      const userId = this.requireUserId();
      const results = await Promise.all(
        entries.map(([channelId, after]) =>
          (channelRoom(this.env, channelId).replay(userId, after, limit) as Promise<ReplayResult>).catch((error: unknown) => {
            log("warn", "replay failed", { user_id: userId, channel_id: channelId, error });
            return { kind: "resync" } as const;
          }),
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

  private endGrace(socketId: string): void {
    const ws = this.ctx.getWebSockets(socketId)[0];
    if (ws && ws.readyState === OPEN) this.goLive(ws);
  }

  // ── Online registration with ChannelRooms ──────────────────────────────────────────────────

  private schedule(online: boolean): void {
    this.transitions = this.transitions.then(async () => {
      const userId = this.userId;
      if (!userId) return;
      // The state may have flipped back while we waited in line.
      if (online !== this.openSockets().length > 0) return;
      const rows = await createDb(this.env.DB).select({ channelId: memberships.channelId }).from(memberships).where(eq(memberships.userId, userId));
      await this.setOnlineIn(
        rows.map((r) => r.channelId),
        online,
      );
    });
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
    this.forget(this.attachment(ws).id);
    if (this.openSockets().filter((s) => s !== ws).length === 0) this.schedule(false);
  }

  // ── State ──────────────────────────────────────────────────────────────────────────────────

  private openSockets(): WebSocket[] {
    return this.ctx.getWebSockets().filter((ws) => ws.readyState === OPEN);
  }

  private attachment(ws: WebSocket): Attachment {
    const parsed = Attachment.safeParse(ws.deserializeAttachment());
    return parsed.success ? parsed.data : { id: "unknown", sid: null, pendingSince: null };
  }

  private setAttachment(ws: WebSocket, att: Attachment): void {
    ws.serializeAttachment(att);
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

  private rememberUser(userId: string): void {
    if (this.userId === userId) return;
    if (this.userId !== null) throw new Error(`UserSession for ${this.userId} called for ${userId}`);
    this.userId = userId;
    this.setMeta("user_id", userId);
  }

  private requireUserId(): string {
    if (!this.userId) throw new Error("UserSession has no user yet");
    return this.userId;
  }

  private meta(key: string): string | null {
    return this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value ?? null;
  }

  private setMeta(key: string, value: string): void {
    this.ctx.storage.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
  }
}
