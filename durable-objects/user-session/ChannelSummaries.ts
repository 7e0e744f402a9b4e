import { log } from "../../src/lib/log";
import { channelRoom } from "../../src/lib/stubs";
import type { ChannelReadState } from "../../src/protocol/channels";

/** Room calls in flight at once while refreshing summaries. */
const REFRESH_CONCURRENCY = 50;

type Summary = { head: number; state: ChannelReadState };

/**
 * The user's read state (unread and mention counts, the channel itself) per channel, so that the
 * channel list (GET /users/me/channels) costs one call to this object rather than one per room.
 *
 * Each summary is what the room answered at an event head. It stays exact until the room appends
 * another event (every change to a channel, its members, its messages, mentions included, is an
 * event) or the user's read marker moves (`read.updated`, which drops it). A newer head is learnt
 * two ways, both without per-member work on the send path: online, from the fan-out that brings
 * the event itself (`seen`); online or not, from the head the room publishes to D1 a moment later
 * (HeadPublisher), which the Worker reads with the memberships and passes in. Only rooms whose
 * head moved are asked again; the summaries persist, so after an eviction too.
 */
export class ChannelSummaries {
  private cache: Map<string, Summary> | null = null;
  /** The newest event seq the fan-out brought per channel (in memory: D1's head covers a lost one). */
  private readonly seen = new Map<string, number>();
  /** Counts drops per channel: an answer asked for before a drop may predate it, and is not kept. */
  private readonly drops = new Map<string, number>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
    private readonly me: () => string,
  ) {}

  /** Channel events arrived through the fan-out, up to `seq`. */
  saw(channelId: string, seq: number): void {
    if (seq > (this.seen.get(channelId) ?? 0)) this.seen.set(channelId, seq);
  }

  /** The user's read marker moved, or their membership changed: ask the room next time. */
  drop(channelId: string): void {
    this.sql.exec("DELETE FROM channel_summaries WHERE channel_id = ?", channelId);
    this.cache?.delete(channelId);
    this.drops.set(channelId, (this.drops.get(channelId) ?? 0) + 1);
  }

  /**
   * The read state of each channel (in the order given), each with the head D1 knows: cached where
   * the cache is at least that new, else asked of the room. A room that does not count the user
   * as a member is left out.
   */
  async list(channels: readonly { channel_id: string; head: number }[]): Promise<ChannelReadState[]> {
    const cache = this.load();
    const stale = channels.filter(({ channel_id, head }) => {
      const cached = cache.get(channel_id);
      return !cached || cached.head < Math.max(head, this.seen.get(channel_id) ?? 0);
    });
    const dropsBefore = new Map(stale.map(({ channel_id }) => [channel_id, this.drops.get(channel_id) ?? 0]));
    const fresh: [string, Summary][] = [];
    for (let i = 0; i < stale.length; i += REFRESH_CONCURRENCY) {
      const batch = stale.slice(i, i + REFRESH_CONCURRENCY);
      const answers = await Promise.all(batch.map(({ channel_id }) => channelRoom(this.env, channel_id).summaryFor(this.me())));
      batch.forEach(({ channel_id }, k) => {
        const answer = answers[k];
        if (answer) fresh.push([channel_id, answer]);
        else log("warn", "directory lists a membership the room does not", { channel_id, user_id: this.me() });
      });
    }
    for (const [channelId, summary] of fresh) {
      // Dropped meanwhile (the read marker moved: this answer may predate it), or a concurrent
      // refresh stored a newer one: answer with it, keep nothing older.
      if ((this.drops.get(channelId) ?? 0) !== dropsBefore.get(channelId)) continue;
      if ((cache.get(channelId)?.head ?? -1) > summary.head) continue;
      cache.set(channelId, summary);
      this.sql.exec(
        "INSERT INTO channel_summaries (channel_id, head, state) VALUES (?, ?, ?) ON CONFLICT (channel_id) DO UPDATE SET head = excluded.head, state = excluded.state",
        channelId,
        summary.head,
        JSON.stringify(summary.state),
      );
    }
    const refreshed = new Map(fresh);
    return channels.flatMap(({ channel_id }) => {
      const s = dropsBefore.has(channel_id) ? refreshed.get(channel_id) : cache.get(channel_id);
      return s ? [s.state] : [];
    });
  }

  private load(): Map<string, Summary> {
    this.cache ??= new Map(
      this.sql
        .exec<{ channel_id: string; head: number; state: string }>("SELECT channel_id, head, state FROM channel_summaries")
        .toArray()
        .map((r) => [r.channel_id, { head: r.head, state: JSON.parse(r.state) as ChannelReadState }]),
    );
    return this.cache;
  }
}
