import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DELIVERY_COALESCE_MS, FanOut, MAX_DELIVERIES_IN_FLIGHT } from "../../durable-objects/channel-room/FanOut";

// The fan-out scheduler alone, on the fake clock and timers: what leaves when, in which calls.
// Each delivery call is recorded and stays in flight until the test settles it, standing in for a
// UserSession's answer (the scheduling under test is what happens between those answers; the
// real calls are covered by test/integration/realtime.test.ts).

type Call = { userId: string; seqs: number[]; at: number; settled: boolean; settle: (delivered: boolean) => void };

function room(memberCount: number) {
  const online = new Map<string, number>();
  let generation = 0;
  const goOnline = (userId: string) => online.set(userId, ++generation);
  for (let i = 0; i < memberCount; i++) goOnline(`u${i}`);
  const calls: Call[] = [];
  const noSocket: string[] = [];
  const fanOut = new FanOut(
    online,
    (userId, _channelId, events) =>
      new Promise<boolean>((resolve) => {
        const call: Call = {
          userId,
          seqs: events.map((e) => e.seq),
          at: Date.now(),
          settled: false,
          settle: (delivered) => {
            call.settled = true;
            resolve(delivered);
          },
        };
        calls.push(call);
      }),
    (userId) => noSocket.push(userId),
  );
  let seq = 0;
  return {
    online,
    goOnline,
    calls,
    noSocket,
    fanOut,
    /** Appends the next event and fans it out. */
    push: () => {
      seq++;
      fanOut.push({ channelId: "c_test", seq, frame: JSON.stringify({ seq }) });
    },
    inFlight: () => calls.filter((c) => !c.settled).length,
    callsOf: (userId: string) => calls.filter((c) => c.userId === userId),
    /** Answers the member's call in flight and lets its continuation (and any timer now due) run. */
    async settle(userId: string, delivered = true) {
      const call = calls.find((c) => c.userId === userId && !c.settled);
      if (!call) throw new Error(`no call in flight for ${userId}`);
      call.settle(delivered);
      await vi.advanceTimersByTimeAsync(0);
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("FanOut", () => {
  it("an idle member's first event leaves at once, in a call of its own", () => {
    const r = room(2);
    r.push();
    expect(r.calls.map((c) => [c.userId, c.seqs])).toEqual([
      ["u0", [1]],
      ["u1", [1]],
    ]);
  });

  it("under load a member's next call waits DELIVERY_COALESCE_MS after their last, and carries what arrived meanwhile", async () => {
    const r = room(1);
    const t0 = Date.now();
    r.push();
    await vi.advanceTimersByTimeAsync(5);
    r.push();
    r.push();
    await r.settle("u0");
    await vi.advanceTimersByTimeAsync(10);
    r.push();
    await vi.advanceTimersByTimeAsync(DELIVERY_COALESCE_MS - 16);
    expect(r.callsOf("u0")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    const calls = r.callsOf("u0");
    expect(calls.map((c) => c.seqs)).toEqual([[1], [2, 3, 4]]);
    expect((calls[1]?.at ?? 0) - t0).toBe(DELIVERY_COALESCE_MS);
  });

  it("keeps at most MAX_DELIVERIES_IN_FLIGHT calls in flight; waiting members get the slots in turn order", async () => {
    const r = room(MAX_DELIVERIES_IN_FLIGHT + 3);
    r.push();
    expect(r.calls).toHaveLength(MAX_DELIVERIES_IN_FLIGHT);
    expect(r.inFlight()).toBe(MAX_DELIVERIES_IN_FLIGHT);
    // Slots free up in whatever order calls return; the waiting members take them in turn order.
    for (const userId of ["u10", "u3", "u50"]) {
      await r.settle(userId);
      expect(r.inFlight()).toBe(MAX_DELIVERIES_IN_FLIGHT);
    }
    const waiting = [MAX_DELIVERIES_IN_FLIGHT, MAX_DELIVERIES_IN_FLIGHT + 1, MAX_DELIVERIES_IN_FLIGHT + 2].map((i) => `u${i}`);
    expect(r.calls.slice(MAX_DELIVERIES_IN_FLIGHT).map((c) => c.userId)).toEqual(waiting);

    // Past the coalescing wait, a second event: the idle members queue in the order they are
    // online, and a member whose call returns with events waiting joins the end of the queue.
    await vi.advanceTimersByTimeAsync(DELIVERY_COALESCE_MS);
    r.push();
    expect(r.inFlight()).toBe(MAX_DELIVERIES_IN_FLIGHT);
    const before = r.calls.length;
    for (const userId of ["u0", "u1", "u2", "u4", "u5"]) await r.settle(userId);
    expect(r.calls.slice(before).map((c) => [c.userId, c.seqs])).toEqual([
      ["u3", [2]],
      ["u10", [2]],
      ["u50", [2]],
      ["u0", [2]],
      ["u1", [2]],
    ]);
    expect(r.inFlight()).toBe(MAX_DELIVERIES_IN_FLIGHT);
  });

  it("a call returning during a coalescing wait frees its slot at once, not when the wait ends", async () => {
    const r = room(MAX_DELIVERIES_IN_FLIGHT);
    const t0 = Date.now();
    r.push();
    await r.settle("u0");
    await vi.advanceTimersByTimeAsync(10);
    r.push(); // u0 waits out its coalescing window: a timer for t0 + DELIVERY_COALESCE_MS
    await vi.advanceTimersByTimeAsync(10);
    r.goOnline("n1");
    r.goOnline("n2");
    r.push(); // n1 takes the last slot; n2 waits for one
    expect(r.callsOf("n1").map((c) => c.at - t0)).toEqual([20]);
    expect(r.callsOf("n2")).toEqual([]);
    await vi.advanceTimersByTimeAsync(10);
    await r.settle("u5");
    expect(r.callsOf("n2").map((c) => c.at - t0)).toEqual([30]);
    expect(r.callsOf("u0")).toHaveLength(1);
    // u0's window is over, but every slot is taken: it goes when the next call returns.
    await vi.advanceTimersByTimeAsync(DELIVERY_COALESCE_MS - 30);
    expect(r.callsOf("u0")).toHaveLength(1);
    expect(r.inFlight()).toBe(MAX_DELIVERIES_IN_FLIGHT);
    await r.settle("u6");
    expect(r.callsOf("u0").map((c) => [c.at - t0, c.seqs])).toEqual([
      [0, [1]],
      [DELIVERY_COALESCE_MS, [2, 3]],
    ]);
    expect(r.inFlight()).toBe(MAX_DELIVERIES_IN_FLIGHT);
  });

  it("a member going offline drops their outbox, whether they were waiting for a turn or had a call in flight", async () => {
    const r = room(3);
    r.push();
    await r.settle("u0");
    await r.settle("u1");
    await vi.advanceTimersByTimeAsync(10);
    r.push();
    r.push(); // u0 and u1 wait out their coalescing window; u2's call is still out
    for (const userId of ["u1", "u2"]) {
      r.online.delete(userId);
      r.fanOut.drop(userId);
    }
    await r.settle("u2");
    await vi.advanceTimersByTimeAsync(DELIVERY_COALESCE_MS);
    expect(r.calls.map((c) => [c.userId, c.seqs])).toEqual([
      ["u0", [1]],
      ["u1", [1]],
      ["u2", [1]],
      ["u0", [2, 3]],
    ]);
    // Back online, they get what is sent from then on, not what was waiting when they left.
    r.goOnline("u1");
    r.goOnline("u2");
    r.push();
    expect(r.callsOf("u1").at(-1)?.seqs).toEqual([4]);
    expect(r.callsOf("u2").at(-1)?.seqs).toEqual([4]);
  });

  it("a session with no socket left takes the member offline, unless they came back online since the call left", async () => {
    const r = room(2);
    r.push();
    r.goOnline("u1"); // a newer generation than the one u1's call left with
    await r.settle("u0", false);
    await r.settle("u1", false);
    expect(r.noSocket).toEqual(["u0"]);
  });
});
