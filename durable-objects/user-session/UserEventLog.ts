import { resyncFrame } from "../../src/protocol/frames";
import type { UserEventType } from "../../src/protocol/userEvents";
import type { SessionMeta } from "./SessionMeta";

/** Every this many appends, events older than the retention window are pruned. */
const PRUNE_EVERY = 100;

/**
 * The user's own event stream: one gap-free `user_seq` (its head in meta `user_seq`), each event
 * stored as the exact frame sockets and replays get, kept for the retention window.
 */
export class UserEventLog {
  private appendsSincePrune = 0;

  constructor(
    private readonly sql: SqlStorage,
    private readonly meta: SessionMeta,
    /** How long events are kept (EVENT_RETENTION_DAYS). */
    private readonly retentionMs: () => number,
  ) {}

  /** The last user_seq given out (0 before the first event). */
  head(): number {
    return Number(this.meta.get("user_seq") ?? "0");
  }

  /** Gives the event the next user_seq and stores its frame; returns both. */
  append(type: UserEventType, data: unknown, at: number): { userSeq: number; frame: string } {
    const userSeq = this.head() + 1;
    const frame = JSON.stringify({ type, user_seq: userSeq, at: new Date(at).toISOString(), data });
    this.sql.exec("INSERT INTO user_events (user_seq, type, at, frame) VALUES (?, ?, ?, ?)", userSeq, type, at, frame);
    this.meta.set("user_seq", String(userSeq));
    this.pruneSometimes(at);
    return { userSeq, frame };
  }

  /**
   * What a client that has seen up to `after` missed: the frames after it, oldest first, or a
   * resync when the cursor is ahead of the head or older than what is kept.
   */
  replay(after: number): string[] {
    const head = this.head();
    if (after > head) return [resyncFrame()];
    if (after === head) return [];
    const oldest = this.sql.exec<{ s: number | null }>("SELECT MIN(user_seq) AS s FROM user_events").one().s;
    if (oldest === null || after < oldest - 1) return [resyncFrame()];
    return this.sql
      .exec<{ frame: string }>("SELECT frame FROM user_events WHERE user_seq > ? ORDER BY user_seq", after)
      .toArray()
      .map((r) => r.frame);
  }

  private pruneSometimes(now: number): void {
    if (++this.appendsSincePrune < PRUNE_EVERY) return;
    this.appendsSincePrune = 0;
    // Keep the newest event whatever its age, so MIN(user_seq) still tells where the log starts.
    this.sql.exec("DELETE FROM user_events WHERE at < ? AND user_seq < ?", now - this.retentionMs(), this.head());
  }
}
