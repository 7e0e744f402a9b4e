import { gapFrame } from "../../src/protocol/frames";
import { sendQuietly } from "../shared/sockets";
import type { SocketRegistry } from "./SocketRegistry";

/**
 * A socket is "pending" from connect until its first frame (or this long): live events wait in
 * memory so that a `resume` sent as the first frame can merge them with the replay, in order and
 * without duplicates. Clients that never resume get their first events at most this late.
 */
export const PENDING_GRACE_MS = 1_500;

/** A frame on its way to a socket, with what dedup and ordering need to know about it. */
export type Outgoing = { frame: string; channelId?: string; seq?: number; userSeq?: number };

/** What a resume's replay already covered: held frames it makes redundant are dropped. */
export type Covered = { userHead: number; excluded: Set<string> };

/**
 * Gets frames onto the user's sockets: holds them for a pending socket (through the first-frame
 * grace and a running resume), then sends each once, in order, per stream: a channel event a
 * socket already has is dropped, a hole in a channel's seq is flagged with a gap frame.
 */
export class SocketDelivery {
  /** Frames held for pending sockets, by socket id. Lost on eviction, which cannot happen mid-grace. */
  private readonly held = new Map<string, Outgoing[]>();
  /** Per socket: the last channel event seq sent, by channel, to drop stragglers and spot gaps. */
  private readonly highWater = new Map<string, Map<string, number>>();
  private readonly resuming = new Set<string>();

  constructor(
    private readonly sockets: SocketRegistry,
    /** Re-arms the object's alarm, which ends the grace: nothing keeps an idle object awake. */
    private readonly armAlarm: () => void,
  ) {}

  push(ws: WebSocket, out: Outgoing): void {
    const att = this.sockets.attachment(ws);
    if (att.pendingSince !== null) {
      if (this.resuming.has(att.id) || Date.now() - att.pendingSince < PENDING_GRACE_MS) {
        const held = this.held.get(att.id) ?? [];
        held.push(out);
        this.held.set(att.id, held);
        if (held.length === 1) this.armAlarm();
        return;
      }
      this.goLive(ws);
    }
    this.send(ws, att.id, out);
  }

  /** Ends a socket's pending state: sends what was held, in arrival order. */
  goLive(ws: WebSocket): void {
    const att = this.sockets.attachment(ws);
    if (att.pendingSince === null || this.resuming.has(att.id)) return;
    this.release(ws, { userHead: 0, excluded: new Set() });
  }

  /** Ends the grace of every pending socket whose grace is over (from the alarm). */
  endGraces(now: number): void {
    for (const ws of this.sockets.open()) {
      const since = this.sockets.attachment(ws).pendingSince;
      if (since !== null && now - since >= PENDING_GRACE_MS) this.goLive(ws);
    }
  }

  /** When the first pending socket that holds frames must get them, or null. */
  graceDue(): number | null {
    let due: number | null = null;
    for (const [socketId, held] of this.held) {
      if (held.length === 0) continue;
      const ws = this.sockets.byId(socketId);
      const since = ws ? this.sockets.attachment(ws).pendingSince : null;
      if (since !== null) due = Math.min(due ?? Number.POSITIVE_INFINITY, since + PENDING_GRACE_MS);
    }
    return due;
  }

  /** A resume starts: the socket is marked resumed, and holds everything live until `finishResume`. */
  beginResume(ws: WebSocket): void {
    const att = this.sockets.attachment(ws);
    this.sockets.setAttachment(ws, { ...att, resumed: true, pendingSince: att.pendingSince ?? Date.now() });
    this.resuming.add(att.id);
  }

  /** After the replay was sent: channel heads it reached, then what was held meanwhile, less what it covered. */
  finishResume(ws: WebSocket, heads: Map<string, number>, covered: Covered): void {
    this.highWater.set(this.sockets.attachment(ws).id, heads);
    this.release(ws, covered);
  }

  /** A resume that failed did not happen: the client may send it again. */
  undoResume(ws: WebSocket): void {
    this.sockets.setAttachment(ws, { ...this.sockets.attachment(ws), resumed: false });
  }

  /** The resume is over, however it ended. */
  endResume(socketId: string): void {
    this.resuming.delete(socketId);
  }

  forget(socketId: string): void {
    this.held.delete(socketId);
    this.highWater.delete(socketId);
    this.resuming.delete(socketId);
  }

  forgetAll(): void {
    this.held.clear();
    this.highWater.clear();
    this.resuming.clear();
  }

  private release(ws: WebSocket, covered: Covered): void {
    const att = this.sockets.attachment(ws);
    const held = this.held.get(att.id) ?? [];
    this.held.delete(att.id);
    this.sockets.setAttachment(ws, { ...att, pendingSince: null });
    for (const out of held) {
      if (out.userSeq !== undefined && out.userSeq <= covered.userHead) continue;
      if (out.channelId !== undefined && covered.excluded.has(out.channelId)) continue;
      this.send(ws, att.id, out);
    }
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
}
