import type { PresenceView } from "../../src/protocol/presence";
import { nextPresenceChange, PRESENCE_COALESCE_MS, type PresenceInputs, presenceStatus } from "./presence";
import type { SessionMeta } from "./SessionMeta";
import type { SocketRegistry } from "./SocketRegistry";

/** Activity is written at most this often, unless it changes the status. */
const ACTIVITY_WRITE_MS = 10_000;

/**
 * This user's presence as others see it: what they set by hand, their activity and whether a
 * socket is open (the rules are in presence.ts), and its announcement to subscribers, at most
 * once per PRESENCE_COALESCE_MS. Kept in meta: `presence_manual`, `presence_dnd_until`,
 * `presence_active_at`, `presence_announced` and `presence_announced_at`.
 *
 * `excluding` leaves out a socket that is going away but is still listed as open.
 */
export class OwnPresence {
  constructor(
    private readonly meta: SessionMeta,
    private readonly sockets: SocketRegistry,
    private readonly me: () => string,
    /** Sends a new status to every subscriber (PresenceSubscriptions.broadcast). */
    private readonly announce: (view: PresenceView) => void,
    /** Re-arms the object's alarm for whatever is due next (SessionAlarm.arm). */
    private readonly armAlarm: (now: number, excluding?: WebSocket) => void,
  ) {}

  view(now: number, excluding?: WebSocket): PresenceView {
    const inputs = this.inputs(excluding);
    return {
      user_id: this.me(),
      status: presenceStatus(inputs, now),
      last_active_at: inputs.lastActiveAt === null ? null : new Date(inputs.lastActiveAt).toISOString(),
    };
  }

  /** Sets presence by hand: `away`, `dnd` (optionally until a time), or back to automatic. */
  setManual(status: "active" | "away" | "dnd", dndUntil: number | null, now: number): void {
    this.meta.set("presence_manual", status === "active" ? "" : status);
    this.meta.set("presence_dnd_until", status === "dnd" && dndUntil !== null ? String(dndUntil) : "");
    if (!(status === "active" && this.markActive(now, true))) this.mayHaveChanged();
  }

  /**
   * Records activity; written at most every 10 s, or at once when it changes the status. Returns
   * whether it already looked for a presence change (callers that would look too need not).
   */
  markActive(now: number, force = false): boolean {
    const last = Number(this.meta.get("presence_active_at") || "0");
    if (!force && now - last < ACTIVITY_WRITE_MS) return false;
    this.meta.set("presence_active_at", String(now));
    if (now - last < ACTIVITY_WRITE_MS) return false;
    this.mayHaveChanged();
    return true;
  }

  /** Ends a do-not-disturb whose time is up (from the alarm). */
  expireDnd(now: number): void {
    const until = Number(this.meta.get("presence_dnd_until") || "0");
    if (this.meta.get("presence_manual") === "dnd" && until > 0 && until <= now) this.meta.set("presence_manual", "");
  }

  /**
   * Announces the status to subscribers if it changed since the last announcement, at most once
   * per second (later changes in the window are folded into one), then re-arms the alarm.
   */
  mayHaveChanged(excluding?: WebSocket): void {
    const now = Date.now();
    const view = this.view(now, excluding);
    if (view.status !== this.meta.get("presence_announced")) {
      const wait = Number(this.meta.get("presence_announced_at") || "0") + PRESENCE_COALESCE_MS - now;
      // Within the window the alarm (armed below for the window's end) announces it.
      if (wait <= 0) {
        this.meta.set("presence_announced", view.status);
        this.meta.set("presence_announced_at", String(now));
        this.announce(view);
      }
    }
    this.armAlarm(now, excluding);
  }

  /** When a status change not yet announced may be (the end of the coalescing window), or null. */
  announceDue(now: number, excluding?: WebSocket): number | null {
    if (this.view(now, excluding).status === this.meta.get("presence_announced")) return null;
    return Number(this.meta.get("presence_announced_at") || "0") + PRESENCE_COALESCE_MS;
  }

  /** When the computed status next changes on its own (DND expiring, activity going stale), or null. */
  nextChange(now: number, excluding?: WebSocket): number | null {
    return nextPresenceChange(this.inputs(excluding), now);
  }

  private inputs(excluding?: WebSocket): PresenceInputs {
    const manual = this.meta.get("presence_manual");
    return {
      manual: manual === "away" || manual === "dnd" ? manual : null,
      dndUntil: Number(this.meta.get("presence_dnd_until") || "0") || null,
      lastActiveAt: Number(this.meta.get("presence_active_at") || "0") || null,
      connected: this.sockets.open().some((ws) => ws !== excluding),
    };
  }
}
