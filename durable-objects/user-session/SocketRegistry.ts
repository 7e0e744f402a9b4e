import { z } from "zod";
import { newId } from "../../src/lib/ids";
import { OPEN } from "../shared/sockets";
import { HEARTBEAT_MIN_WAIT_MS, HEARTBEAT_TIMEOUT_MS } from "./presence";

/** Per-socket state that survives hibernation: ids only. */
const Attachment = z.object({
  id: z.string(),
  sid: z.string().nullable(),
  pendingSince: z.number().nullable(),
  seenAt: z.number(),
  /** One resume per socket: a second would replay everything again (duplicates, amplification). */
  resumed: z.boolean().default(false),
});
export type Attachment = z.infer<typeof Attachment>;

/**
 * The user's hibernating sockets (every device): accepting them, their attachments (parsed once
 * per wake-up, as deliveries read them for every frame) and their signs of life.
 */
export class SocketRegistry {
  private readonly attachments = new WeakMap<WebSocket, Attachment>();

  constructor(private readonly ctx: DurableObjectState) {}

  /**
   * Accepts a new socket, tagged with its id and its login session (so the session's end can
   * close it); it starts pending (SocketDelivery).
   */
  accept(server: WebSocket, sid: string | null, now: number): void {
    const attachment: Attachment = { id: newId("sock"), sid, pendingSince: now, seenAt: now, resumed: false };
    this.ctx.acceptWebSocket(server, sid ? [attachment.id, `sid:${sid}`] : [attachment.id]);
    server.serializeAttachment(attachment);
  }

  open(): WebSocket[] {
    return this.ctx.getWebSockets().filter((ws) => ws.readyState === OPEN);
  }

  /** Every socket, open or not, or those with a tag (a socket id, `sid:<session id>`). */
  all(tag?: string): WebSocket[] {
    return this.ctx.getWebSockets(tag);
  }

  /** The open socket with this id, if any. */
  byId(socketId: string): WebSocket | undefined {
    return this.ctx.getWebSockets(socketId)[0];
  }

  attachment(ws: WebSocket): Attachment {
    let att = this.attachments.get(ws);
    if (!att) {
      const parsed = Attachment.safeParse(ws.deserializeAttachment());
      att = parsed.success ? parsed.data : { id: "unknown", sid: null, pendingSince: null, seenAt: 0, resumed: false };
      this.attachments.set(ws, att);
    }
    return att;
  }

  setAttachment(ws: WebSocket, att: Attachment): void {
    ws.serializeAttachment(att);
    this.attachments.set(ws, att);
  }

  /** Records a frame as a sign of life, written at most every 5 s. */
  saw(ws: WebSocket): void {
    const att = this.attachment(ws);
    const now = Date.now();
    if (now - att.seenAt > 5_000) this.setAttachment(ws, { ...att, seenAt: now });
  }

  /** A socket's last sign of life: its last frame, or its last ping (answered without waking us). */
  lastSeen(ws: WebSocket): number {
    const pinged = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
    return Math.max(this.attachment(ws).seenAt, pinged);
  }

  /** When the quietest open socket would time out, or null with none open. */
  heartbeatDue(now: number, excluding?: WebSocket): number | null {
    let quietest = Number.POSITIVE_INFINITY;
    for (const ws of this.open()) if (ws !== excluding) quietest = Math.min(quietest, this.lastSeen(ws));
    return quietest === Number.POSITIVE_INFINITY ? null : Math.max(now + HEARTBEAT_MIN_WAIT_MS, quietest + HEARTBEAT_TIMEOUT_MS + 1);
  }

  /** The open sockets silent for longer than the heartbeat timeout (vanished devices). */
  silentSince(now: number): WebSocket[] {
    return this.open().filter((ws) => now - this.lastSeen(ws) > HEARTBEAT_TIMEOUT_MS);
  }
}
