import { log } from "../../src/lib/log";
import type { Appended } from "./EventLog";

/** Events held for one member whose delivery calls are slower than the channel. */
export const MAX_QUEUED_DELIVERIES = 1_000;
/**
 * Delivery calls in flight at once per channel. Enough to keep the sessions busy, few enough that
 * a big channel's fan-out does not queue thousands of calls ahead of the sends feeding it: members
 * wait their turn instead, and whatever arrived meanwhile goes in their one call.
 */
export const MAX_DELIVERIES_IN_FLIGHT = 64;
/**
 * A member's next call waits at least this long after their previous one started, so that under
 * load each call carries several events (like Nagle's algorithm, for calls between objects): a
 * room with more messages than its members' sessions can take one call each for spends its time
 * on sends and sockets, not on calls. An idle member's first event leaves at once.
 */
export const DELIVERY_COALESCE_MS = 50;

export type QueuedEvent = { seq: number; frame: string };

/** One delivery call to a member's UserSession; false when the session has no socket left. */
export type Deliver = (userId: string, channelId: string, events: QueuedEvent[]) => Promise<boolean>;

/** An online member's undelivered events, whether a delivery call is out, and when the last one left. */
type Outbox = { channelId: string; sending: boolean; sentAt: number; events: QueuedEvent[] };

/**
 * Queues each event for every online member's UserSession. Members take turns: at most
 * MAX_DELIVERIES_IN_FLIGHT calls are out at once, and each member has at most one, carrying every
 * event queued for them by the time their turn comes, and no sooner than DELIVERY_COALESCE_MS
 * after their last. When idle, an event leaves at once; under load, calls carry batches, so the
 * cost per message stays well below one call per member. One call in flight per member also keeps
 * their events in `seq` order. A session with no socket left answers false and `noSocket` takes
 * the member offline, unless they came back online since that call left (a newer generation).
 */
export class FanOut {
  /** Per online member: events waiting to go, whether a delivery call is in flight, when the last left. */
  private readonly outbox = new Map<string, Outbox>();
  /** Members whose events wait for a delivery call, in turn order (a Set iterates in insertion order). */
  private readonly turns = new Set<string>();
  private deliveriesInFlight = 0;
  /** The timer that starts the next turns, and when it fires. */
  private turnsTimer: { at: number; id: ReturnType<typeof setTimeout> } | null = null;

  /**
   * @param online the members to push to, each with the generation they went online at
   *   (OnlineMembers.generations; read, never written, here)
   */
  constructor(
    private readonly online: ReadonlyMap<string, number>,
    private readonly deliverCall: Deliver,
    private readonly noSocket: (userId: string) => void,
  ) {}

  push(event: Appended): void {
    for (const userId of this.online.keys()) {
      let box = this.outbox.get(userId);
      if (!box) {
        box = { channelId: event.channelId, sending: false, sentAt: 0, events: [] };
        this.outbox.set(userId, box);
      }
      // A member that cannot keep up loses the oldest queued events; their session sees the hole
      // in `seq` and tells the client to fetch it (channel.gap).
      if (box.events.length >= MAX_QUEUED_DELIVERIES) box.events.shift();
      box.events.push({ seq: event.seq, frame: event.frame });
      if (!box.sending) this.turns.add(userId);
    }
    this.deliverTurns();
  }

  /** A member went offline (already off `online`): their waiting events go; a call still out tidies up when it returns. */
  drop(userId: string): void {
    if (!this.outbox.get(userId)?.sending) this.outbox.delete(userId);
  }

  /**
   * The next turns start from a timer, not from the finished call's continuation: a chain of calls
   * that each start the next would keep the event loop busy until the whole fan-out is done, and
   * the sends and other requests waiting on I/O would wait that long too (a second for a thousand
   * members, measured). Between waves they get in, and their events join the waiting calls.
   */
  private deliverTurnsSoon(delayMs = 0): void {
    const at = Date.now() + delayMs;
    // One timer, at the earliest time asked for: a call that returns while a coalescing wait is
    // pending frees a slot now, not when that wait ends.
    if (this.turnsTimer) {
      if (this.turnsTimer.at <= at) return;
      clearTimeout(this.turnsTimer.id);
    }
    const id = setTimeout(() => {
      this.turnsTimer = null;
      this.deliverTurns();
    }, delayMs);
    this.turnsTimer = { at, id };
  }

  /**
   * Starts delivery calls for the members next in turn, up to the in-flight limit. A member whose
   * last call left less than DELIVERY_COALESCE_MS ago keeps their place, and a timer comes back
   * for them.
   */
  private deliverTurns(): void {
    const now = Date.now();
    let wait = Number.POSITIVE_INFINITY;
    for (const userId of this.turns) {
      if (this.deliveriesInFlight >= MAX_DELIVERIES_IN_FLIGHT) return;
      const box = this.outbox.get(userId);
      if (!box || !this.online.has(userId)) {
        this.outbox.delete(userId);
        this.turns.delete(userId);
      } else if (now - box.sentAt < DELIVERY_COALESCE_MS) {
        wait = Math.min(wait, box.sentAt + DELIVERY_COALESCE_MS - now);
      } else {
        this.turns.delete(userId);
        this.deliver(userId, box, now);
      }
    }
    if (wait !== Number.POSITIVE_INFINITY) this.deliverTurnsSoon(wait);
  }

  private deliver(userId: string, box: Outbox, now: number): void {
    const events = box.events.splice(0);
    const generation = this.online.get(userId);
    const { channelId } = box;
    box.sending = true;
    box.sentAt = now;
    this.deliveriesInFlight++;
    this.deliverCall(userId, channelId, events)
      .then(
        (delivered) => {
          if (!delivered && generation !== undefined && this.online.get(userId) === generation) this.noSocket(userId);
        },
        (error: unknown) =>
          log("warn", "channel event delivery failed", { channel_id: channelId, user_id: userId, seq: events[0]?.seq, error }),
      )
      .finally(() => {
        box.sending = false;
        this.deliveriesInFlight--;
        // The box stays while they are online: it remembers when their last call left.
        if (!this.online.has(userId)) this.outbox.delete(userId);
        else if (box.events.length > 0) this.turns.add(userId);
        this.deliverTurnsSoon();
      });
  }
}
