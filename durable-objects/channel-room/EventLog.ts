import { ColinkError } from "../../src/lib/ColinkError";
import type { ChannelEventData, ChannelEventQuery, ChannelEventType } from "../../src/protocol/channelEvents";
import type { RoomMeta } from "./RoomMeta";
import type { ReplayResult } from "./rpcTypes";

/** An event appended to the log, ready to fan out. */
export type Appended = { channelId: string; seq: number; frame: string };

/** The alarm purpose of the retention check (AlarmSchedule). */
export const RETENTION_ALARM = "event_retention";

/** Every this many events, expired ones are pruned (a bounded batch, so a send never stalls). */
const PRUNE_EVERY = 100;
const PRUNE_BATCH = 1000;

/**
 * The channel's event log: one gap-free `seq` for every event, each stored as the exact frame
 * every socket and every replay gets, kept for the retention window. Expired events go in
 * bounded batches, every PRUNE_EVERY appends and from the retention alarm (so a channel gone
 * quiet forgets them too); `pruned_through` records where the log now starts, so an older cursor
 * gets a resync rather than a silent gap.
 */
export class EventLog {
  constructor(
    private readonly sql: SqlStorage,
    private readonly meta: RoomMeta,
    private readonly retentionMs: number,
    /** Asks for the retention check at a time (keeping an earlier one): AlarmSchedule.schedule. */
    private readonly scheduleRetention: (at: number) => void,
    private readonly transact: <T>(body: () => T) => T,
  ) {}

  /** Gives the event the channel's next seq and stores its frame. Call inside a transaction; fan out after it commits. */
  append<T extends ChannelEventType>(type: T, data: ChannelEventData<T>, at: Date): Appended {
    const meta = this.meta.require();
    const seq = meta.last_event_seq + 1;
    const frame = JSON.stringify({ type, channel_id: meta.channel_id, seq, at: at.toISOString(), data });
    this.sql.exec("INSERT INTO events (seq, type, at, frame) VALUES (?, ?, ?, ?)", seq, type, at.getTime(), frame);
    this.sql.exec("UPDATE meta SET last_event_seq = ? WHERE id = 1", seq);
    meta.last_event_seq = seq;
    if (seq % PRUNE_EVERY === 0) this.pruneWithin(at.getTime());
    // A no-op unless the log was empty: the check is already due when the oldest event expires.
    this.scheduleRetention(at.getTime() + this.retentionMs);
    return { channelId: meta.channel_id, seq, frame };
  }

  /** The stored frames after a seq, oldest first. A cursor below what was pruned: 410. */
  page(query: ChannelEventQuery): { frames: string[]; has_more: boolean } {
    const { pruned_through } = this.meta.require();
    if (query.after < pruned_through)
      throw new ColinkError(410, "resync_required", `Events up to seq ${pruned_through} are no longer kept; reload the channel.`);
    const frames = this.sql
      .exec<{ frame: string }>("SELECT frame FROM events WHERE seq > ? ORDER BY seq LIMIT ?", query.after, query.limit + 1)
      .toArray()
      .map((r) => r.frame);
    return { frames: frames.slice(0, query.limit), has_more: frames.length > query.limit };
  }

  /**
   * What a resuming member missed after `afterSeq`: the frames (at most `inlineLimit`), a gap to
   * fetch over HTTP, or a resync when the cursor is older than what is kept (or newer than anything sent).
   */
  replay(afterSeq: number, inlineLimit: number): Exclude<ReplayResult, { kind: "not_member" }> {
    const meta = this.meta.require();
    const head = meta.last_event_seq;
    if (!Number.isSafeInteger(afterSeq) || afterSeq < meta.pruned_through || afterSeq > head) return { kind: "resync" };
    if (head - afterSeq > inlineLimit) return { kind: "gap", after: afterSeq, until: head };
    const frames = this.sql
      .exec<{ frame: string }>("SELECT frame FROM events WHERE seq > ? ORDER BY seq", afterSeq)
      .toArray()
      .map((r) => r.frame);
    return { kind: "events", frames, head };
  }

  /** Deletes a bounded batch of events older than the retention window; returns how many. */
  prune(now: number): number {
    return this.meta.read() ? this.transact(() => this.pruneWithin(now)) : 0;
  }

  /**
   * The retention alarm's task: prunes a batch, and is due again when the oldest remaining event
   * expires (at once if a full batch left more), or not until the next append if none remain.
   */
  retentionCheck(now: number): number | null {
    if (!this.meta.read()) return null;
    this.prune(now);
    const oldest = this.sql.exec<{ at: number }>("SELECT at FROM events ORDER BY seq LIMIT 1").toArray()[0];
    return oldest ? oldest.at + this.retentionMs : null;
  }

  /** Call inside a transaction. */
  private pruneWithin(now: number): number {
    const cutoff = now - this.retentionMs;
    const through = this.sql
      .exec<{ s: number | null }>(
        "SELECT MAX(seq) AS s FROM (SELECT seq FROM events WHERE at < ? ORDER BY seq LIMIT ?)",
        cutoff,
        PRUNE_BATCH,
      )
      .one().s;
    if (through === null) return 0;
    const deleted = this.sql.exec("DELETE FROM events WHERE seq <= ?", through).rowsWritten;
    this.sql.exec("UPDATE meta SET pruned_through = MAX(pruned_through, ?) WHERE id = 1", through);
    const meta = this.meta.read();
    if (meta) meta.pruned_through = Math.max(meta.pruned_through, through);
    return deleted;
  }
}
