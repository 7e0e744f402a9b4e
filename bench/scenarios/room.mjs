import { deliveryPhase } from "../lib/measure.mjs";
import { buildWorld, connectAll, deliveryGoal, fmt, missing, shares, warmUp } from "./common.mjs";

// room-100 / room-1000: N clients in one channel, all online; S senders each send their share of M
// messages closed loop (the next one once the previous was answered). Colink against the baseline,
// the M messages split over the interleaved rounds (A B A B: M/2 each time).

export function roomScenario(name, full, quick) {
  return {
    name,
    summary: `${full.clients} clients in one channel, all online; ${full.senders} senders closed loop, ${full.messages} messages per target over interleaved rounds. Colink ÷ baseline.`,
    rounds: 2,
    params: (isQuick) => (isQuick ? quick : full),
    supports: () => true,

    async prepare(t, p, log) {
      const members = Array.from({ length: p.clients }, (_, i) => i);
      const world = await buildWorld(t, name, p.clients, [{ members }], log);
      await connectAll(t, world.clients, log);
      await warmUp(t, world, log);
      return world;
    },

    async measure(t, world, p, round, _log, rounds = 1) {
      const tag = `${name}.${round}.${t.name}`;
      const ch = world.channels[0];
      const thisRound = shares(p.messages, rounds)[round - 1] ?? 0;
      const senders = shares(thisRound, p.senders).map((count, idx) => ({ idx, channel: ch, count }));
      return deliveryPhase({ gen: t.gen, server: t.server, tag, receivers: world.receivers, drive: () => t.gen.closedLoop(tag, senders) });
    },

    teardown: (t) => t.gen.closeAll(),

    goals(out) {
      const c = out.colink?.aggregate;
      const b = out.baseline?.aggregate;
      const goals = [deliveryGoal("colink", out.colink), deliveryGoal("baseline", out.baseline)];
      if (!c || !b) {
        goals.push({
          goal: "throughput ≥ 0.8× baseline, p99 ≤ 1.5× baseline",
          pass: null,
          value: `needs both targets (colink: ${c ? "ok" : missing(out.colink)}; baseline: ${b ? "ok" : missing(out.baseline)})`,
        });
        return goals;
      }
      const tput = c.messagesPerSecond / b.messagesPerSecond;
      const tputPass = tput >= 0.8;
      goals.push({
        goal: "throughput ≥ 0.8× baseline",
        pass: tputPass,
        value: `${fmt(c.messagesPerSecond)} vs ${fmt(b.messagesPerSecond)} msg/s = ${fmt(tput, 2)}×`,
        ...(tputPass
          ? {}
          : {
              shortfall: `${fmt(tput, 2)}× is ${fmt((0.8 - tput) * 100, 0)} points under 0.8× (needs ≥ ${fmt(0.8 * b.messagesPerSecond)} msg/s)`,
            }),
      });
      const ratio = (c.latencyMs.p99 ?? 0) / Math.max(0.001, b.latencyMs.p99 ?? 0);
      const latPass = ratio <= 1.5;
      goals.push({
        goal: "p99 ≤ 1.5× baseline",
        pass: latPass,
        value: `${fmt(c.latencyMs.p99)} vs ${fmt(b.latencyMs.p99)} ms = ${fmt(ratio, 2)}×`,
        ...(latPass ? {} : { shortfall: `${fmt(ratio, 2)}× is over 1.5× (needs p99 ≤ ${fmt(1.5 * (b.latencyMs.p99 ?? 0))} ms)` }),
      });
      return goals;
    },
  };
}

export const room100 = roomScenario("room-100", { clients: 100, senders: 10, messages: 2000 }, { clients: 20, senders: 5, messages: 200 });
export const room1000 = roomScenario(
  "room-1000",
  { clients: 1000, senders: 10, messages: 200 },
  { clients: 100, senders: 5, messages: 50 },
);
