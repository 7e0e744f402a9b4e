import { buildWorld, connectAll, deliveryGoal, openLoopPhase, p99Goal, ratioGoals, warmUp } from "./common.mjs";

// big-channel: one channel with thousands of members, all online, at a fixed 5 messages a second
// (open loop: a message goes out on schedule whatever happened to the previous one). Fan-out per
// message is the whole membership; the question is the tail latency.

export const bigChannel = {
  name: "big-channel",
  summary: "2,000 members all online in one channel; a fixed 5 msg/s for 60 s (open loop). p99 delivery latency.",
  rounds: 1,
  params: (quick) => (quick ? { members: 150, rate: 5, seconds: 10, senders: 5 } : { members: 2000, rate: 5, seconds: 60, senders: 10 }),
  supports: () => true,

  async prepare(t, p, log) {
    const members = Array.from({ length: p.members }, (_, i) => i);
    const world = await buildWorld(t, "big-channel", p.members, [{ members }], log);
    await connectAll(t, world.clients, log);
    await warmUp(t, world, log);
    return world;
  },

  async measure(t, world, p, round) {
    const tag = `big.${round}.${t.name}`;
    const ch = world.channels[0];
    const items = Array.from({ length: p.rate * p.seconds }, (_, n) => ({ at: (n * 1000) / p.rate, idx: n % p.senders, channel: ch, n }));
    return openLoopPhase(t, world, tag, items);
  },

  teardown: (t) => t.gen.closeAll(),

  goals(out) {
    return [
      deliveryGoal("colink", out.colink),
      ...(out["colink-socket"] ? [deliveryGoal("colink-socket", out["colink-socket"])] : []),
      p99Goal("colink delivery", out.colink, 250),
      ...ratioGoals(out, "fanout", { p99: 1.5 }),
    ];
  },
};
