// Presence: what a user's status is, computed from what they set by hand, their sockets and
// their last activity. Pure, so the rules are tested on their own.

import type { PresenceStatus } from "../../src/protocol/presence";

/** A device counts as active for this long after its last activity. */
export const ACTIVE_WINDOW_MS = 5 * 60_000;
/** At most one presence update per user per this interval reaches subscribers. */
export const PRESENCE_COALESCE_MS = 1_000;
/**
 * A socket silent (no frame, no ping) for this long is considered gone. The check runs when the
 * quietest open socket would reach it, so a vanished device is dropped about this long after its
 * last sign of life, and a user whose devices ping wakes up about once per ping interval at most.
 */
export const HEARTBEAT_TIMEOUT_MS = 40_000;
/** The heartbeat check never runs sooner than this after it was armed. */
export const HEARTBEAT_MIN_WAIT_MS = 1_000;

export type PresenceInputs = {
  manual: "away" | "dnd" | null;
  dndUntil: number | null;
  lastActiveAt: number | null;
  connected: boolean;
};

export function presenceStatus(p: PresenceInputs, now: number): PresenceStatus {
  if (!p.connected) return "offline";
  if (p.manual === "dnd" && (p.dndUntil === null || p.dndUntil > now)) return "dnd";
  if (p.manual === "away") return "away";
  return p.lastActiveAt !== null && now - p.lastActiveAt < ACTIVE_WINDOW_MS ? "active" : "away";
}

/** When the computed status next changes on its own (DND expiring, activity going stale). */
export function nextPresenceChange(p: PresenceInputs, now: number): number | null {
  if (!p.connected) return null;
  if (p.manual === "dnd" && p.dndUntil !== null && p.dndUntil > now) return p.dndUntil;
  if (p.manual !== null) return null;
  if (p.lastActiveAt !== null && now - p.lastActiveAt < ACTIVE_WINDOW_MS) return p.lastActiveAt + ACTIVE_WINDOW_MS;
  return null;
}
