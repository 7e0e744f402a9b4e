import { deliveryPhase } from "../lib/measure.mjs";
import { buildWorld, connectAll, deliveryGoal, ratioGoals, shares, warmUp } from "./common.mjs";

// room-100 / room-1000: N clients in one channel, all online; S senders each send their share of M
// messages closed loop (the next one once the previous was answered). Colink against the references,
// the M messages split over the interleaved rounds (A B A B: M/2 each time).

export function roomScenario(name, full, quick) {
  return {
    name,
    summary: `${full.clients} clients in one channel, all online; ${full.senders} senders closed loop, ${full.messages} messages per target over interleaved rounds. Colink ÷ the fanout ceiling (and the bare broadcast).`,
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
      return [
        deliveryGoal("colink", out.colink),
        ...(out["colink-socket"] ? [deliveryGoal("colink-socket", out["colink-socket"])] : []),
        deliveryGoal("fanout", out.fanout),
        ...ratioGoals(out, "fanout", { throughput: 0.8, p99: 1.5 }),
        ...ratioGoals(out, "ejabberd-mam", { throughput: 1.0, p99: 1.0 }),
        ...(name === "room-100" ? ratioGoals(out, "ejabberd", { throughput: 0.9 }) : []),
      ];
    },
  };
}

export const room100 = roomScenario("room-100", { clients: 100, senders: 10, messages: 2000 }, { clients: 20, senders: 5, messages: 200 });
export const room1000 = roomScenario(
  "room-1000",
  { clients: 1000, senders: 10, messages: 200 },
  { clients: 100, senders: 5, messages: 50 },
);
