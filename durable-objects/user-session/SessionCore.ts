import { config } from "../../src/lib/config";
import { DAY_MS } from "../../src/lib/time";
import { CloseCode } from "../../src/protocol/closeCodes";
import { closeQuietly } from "../shared/sockets";
import { ChannelList } from "./ChannelList";
import { ChannelSummaries } from "./ChannelSummaries";
import { EndedSessions } from "./EndedSessions";
import { OwnPresence } from "./OwnPresence";
import { PresenceSubscriptions } from "./PresenceSubscriptions";
import { RoomRegistration } from "./RoomRegistration";
import { SessionAlarm } from "./SessionAlarm";
import { SessionMeta } from "./SessionMeta";
import { SocketDelivery } from "./SocketDelivery";
import { SocketRegistry } from "./SocketRegistry";
import { SocketSend } from "./SocketSend";
import { Tickets } from "./Tickets";
import { UserEventLog } from "./UserEventLog";

/**
 * A UserSession's parts, wired together: its sockets and the delivery to them, the user event
 * log, tickets, the channel list and the online registration with the user's ChannelRooms, the
 * user's presence and who watches whom, and the one alarm. The UserSession builds it and hosts it.
 */
export class SessionCore {
  /** The user this object belongs to: its name (getByName), or the copy in meta. */
  userId: string | null = null;
  readonly meta: SessionMeta;
  readonly sockets: SocketRegistry;
  readonly delivery: SocketDelivery;
  readonly events: UserEventLog;
  readonly tickets: Tickets;
  readonly channels: ChannelList;
  readonly rooms: RoomRegistration;
  readonly presence: OwnPresence;
  readonly subscriptions: PresenceSubscriptions;
  readonly alarm: SessionAlarm;
  readonly sessions: EndedSessions;
  readonly sender: SocketSend;
  readonly summaries: ChannelSummaries;

  constructor(
    private readonly ctx: DurableObjectState,
    readonly env: Env,
  ) {
    const sql = ctx.storage.sql;
    const me = () => this.requireUserId();
    this.meta = new SessionMeta(sql);
    this.sockets = new SocketRegistry(ctx);
    this.alarm = new SessionAlarm(ctx.storage, (now, excluding) => [
      this.sockets.heartbeatDue(now, excluding),
      this.presence.nextChange(now, excluding),
      this.delivery.graceDue(),
      this.presence.announceDue(now, excluding),
    ]);
    this.delivery = new SocketDelivery(this.sockets, () => this.alarm.arm(Date.now()));
    this.events = new UserEventLog(sql, this.meta, () => config(env).EVENT_RETENTION_DAYS * DAY_MS);
    this.tickets = new Tickets(sql);
    this.sessions = new EndedSessions(sql);
    this.sender = new SocketSend(this);
    this.summaries = new ChannelSummaries(sql, env, me);
    this.channels = new ChannelList(ctx.storage, env.DB, this.meta, me);
    this.rooms = new RoomRegistration(
      env,
      this.channels,
      () => this.userId,
      () => this.sockets.open().length > 0,
    );
    this.subscriptions = new PresenceSubscriptions(
      sql,
      env,
      this.sockets,
      () => this.userId,
      () => this.presence.view(Date.now()),
    );
    this.presence = new OwnPresence(
      this.meta,
      this.sockets,
      me,
      (view) => this.subscriptions.broadcast(view),
      (now, excluding) => this.alarm.arm(now, excluding),
    );
  }

  /** At wake-up, after the migrations. */
  async load(): Promise<void> {
    this.meta.load();
    // The object is addressed by the user's id (getByName); the copy in meta serves wake-ups that
    // do not carry the name.
    const name = this.ctx.id.name;
    if (name) this.meta.set("user_id", name);
    this.userId = name ?? this.meta.get("user_id");
    await this.alarm.load();
  }

  requireUserId(): string {
    if (!this.userId) throw new Error("UserSession has no user yet");
    return this.userId;
  }

  /** A socket closed or failed: forget it, and go offline if it was the last. */
  socketGone(ws: WebSocket): void {
    const socketId = this.sockets.attachment(ws).id;
    this.delivery.forget(socketId);
    this.subscriptions.drop(socketId);
    if (this.sockets.open().filter((s) => s !== ws).length === 0) this.rooms.schedule(false);
    this.presence.mayHaveChanged(ws);
  }

  /** Closes every socket of the user (deactivation). */
  closeAll(code: number, reason: string): void {
    for (const ws of this.sockets.all()) {
      closeQuietly(ws, code, reason);
      this.subscriptions.drop(this.sockets.attachment(ws).id);
    }
    this.delivery.forgetAll();
    this.rooms.schedule(false);
    this.presence.mayHaveChanged();
  }

  /**
   * Closes the sockets of one login session (logout, revocation); its unspent tickets go too, and
   * the session is remembered as ended (no socket of it may open or send again).
   */
  closeSession(sessionId: string, code: number, reason: string): void {
    this.sessions.add(sessionId, Date.now());
    this.tickets.dropSession(sessionId);
    for (const ws of this.sockets.all(`sid:${sessionId}`)) {
      closeQuietly(ws, code, reason);
      this.socketGone(ws);
    }
  }

  /** Heartbeats (a silent socket is a vanished device), graces that ended, presence that changes with time. */
  runAlarm(now: number): void {
    this.alarm.fired();
    for (const ws of this.sockets.silentSince(now)) {
      closeQuietly(ws, CloseCode.HeartbeatTimeout, "no heartbeat");
      this.socketGone(ws);
    }
    this.delivery.endGraces(now);
    this.presence.expireDnd(now);
    this.presence.mayHaveChanged();
  }
}
