import { log } from "../../src/lib/log";

/** Tells an offline member's UserSession that this channel changed up to an event seq. */
export type Nudge = (userId: string, seq: number) => Promise<void>;

/**
 * Offline members get no fan-out, and their channel lists learn of new events from the head the
 * room publishes a moment later (HeadPublisher). For what matters most to them, a message that
 * mentions them by name or one in a DM, the room tells their UserSession at once instead: a
 * handful of members per message (the names it mentions, a DM's few members), never the whole
 * channel (`@channel` in a big room is left to the published head). Coalesced per member: one
 * call in flight each; what arrives meanwhile goes in the next, carrying the newest seq.
 */
export class OfflineNudges {
  private readonly pending = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly isOnline: (userId: string) => boolean,
    private readonly nudge: Nudge,
  ) {}

  push(userIds: Iterable<string>, seq: number): void {
    for (const userId of userIds) if (!this.isOnline(userId)) this.pending.set(userId, Math.max(seq, this.pending.get(userId) ?? 0));
    if (this.pending.size > 0) this.timer ??= setTimeout(() => this.flush(), 0);
  }

  private flush(): void {
    this.timer = null;
    for (const [userId, seq] of this.pending) {
      if (this.inFlight.has(userId)) continue;
      this.pending.delete(userId);
      this.inFlight.add(userId);
      this.nudge(userId, seq)
        .catch((error: unknown) => log("warn", "offline nudge failed", { user_id: userId, seq, error }))
        .finally(() => {
          this.inFlight.delete(userId);
          if (this.pending.has(userId)) this.timer ??= setTimeout(() => this.flush(), 0);
        });
    }
  }
}
