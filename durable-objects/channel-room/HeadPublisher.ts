import { sql } from "drizzle-orm";
import { createDb } from "../../src/db/client";
import { channelHeads } from "../../src/db/schema";
import { log } from "../../src/lib/log";
import type { RoomMeta } from "./RoomMeta";

/** The alarm purpose that publishes the room's event head to the directory (AlarmSchedule). */
export const HEAD_ALARM = "publish_head";
/** How long after a change the head is published: what a member's channel list may lag behind. */
export const PUBLISH_HEAD_DELAY_MS = 200;
const RETRY_MS = 5_000;

/**
 * Publishes the room's event head (`last_event_seq`) to D1 `channel_heads`, so the channel list
 * (GET /users/me/channels) knows which rooms changed without asking each one.
 *
 * Why this shape: a send must stay O(1) in the members (no per-member work, no D1 write per
 * message). Every event only asks for the alarm, an in-memory check once it is scheduled; the
 * alarm writes the head once for everything that happened in the last PUBLISH_HEAD_DELAY_MS. A
 * busy room costs one D1 write per interval, a quiet one none. The alarm is durable, so an
 * eviction between the event and the write delays the write but does not lose it, and a failed
 * write is retried. Online members' UserSessions learn sooner, from the fan-out itself.
 */
export class HeadPublisher {
  constructor(
    private readonly db: D1Database,
    private readonly meta: RoomMeta,
    /** AlarmSchedule.schedule for HEAD_ALARM: keeps an earlier time, so repeated asks are free. */
    private readonly schedule: (at: number) => void,
  ) {}

  /** Something changed the room's state (an event was appended). */
  changed(now: number): void {
    this.schedule(now + PUBLISH_HEAD_DELAY_MS);
  }

  /** The alarm task: writes the head (never backwards); null when done, a retry time when D1 failed. */
  async publish(now: number): Promise<number | null> {
    const meta = this.meta.read();
    if (!meta) return null;
    try {
      await createDb(this.db)
        .insert(channelHeads)
        .values({ channelId: meta.channel_id, eventSeq: meta.last_event_seq })
        .onConflictDoUpdate({ target: channelHeads.channelId, set: { eventSeq: sql`MAX(${channelHeads.eventSeq}, excluded.event_seq)` } });
      return null;
    } catch (error) {
      log("warn", "publishing the channel head failed", { channel_id: meta.channel_id, error });
      return now + RETRY_MS;
    }
  }
}
