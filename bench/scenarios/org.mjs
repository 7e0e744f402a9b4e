import { buildWorld, connectAll, deliveryGoal, openLoopPhase, p99Goal, prng, requireDescriptors, warmUp } from "./common.mjs";

// org: a workspace-shaped load. Every user is in a fixed share of the channels; messages go to
// random channels from random members at a fixed total rate (the same schedule for every target).

/** User u is in `perUser` channels spread evenly from a user-specific offset. */
export function orgMembership(users, channels, perUser) {
  /** @type {number[][]} */
  const members = Array.from({ length: channels }, () => []);
  for (let u = 0; u < users; u++)
    for (let j = 0; j < perUser; j++) members[(u * 7 + Math.floor((j * channels) / perUser)) % channels]?.push(u);
  return members;
}

export const org = {
  name: "org",
  summary: "500 users each in 20 of 100 channels, all online; 10 msg/s spread over random channels for 60 s (open loop). p99 and loss.",
  rounds: 1,
  params: (quick) =>
    quick
      ? { users: 60, channels: 20, perUser: 5, rate: 10, seconds: 10 }
      : { users: 500, channels: 100, perUser: 20, rate: 10, seconds: 60 },
  supports: () => true,

  async prepare(t, p, log) {
    // A target with a socket per channel (the baseline) needs users × perUser of them.
    const sockets = t.mod.capabilities.socketPerChannel ? p.users * p.perUser : p.users;
    requireDescriptors(t, sockets, p.users + p.channels);
    const members = orgMembership(p.users, p.channels, p.perUser);
    const world = await buildWorld(
      t,
      "org",
      p.users,
      members.map((m) => ({ members: m })),
      log,
    );
    await connectAll(t, world.clients, log);
    await warmUp(t, world, log);
    return { ...world, members };
  },

  async measure(t, world, p, round) {
    const tag = `org.${round}.${t.name}`;
    const rand = prng(42 + round);
    const items = Array.from({ length: p.rate * p.seconds }, (_, n) => {
      const c = Math.floor(rand() * p.channels);
      const inChannel = world.members[c];
      const idx = inChannel[Math.floor(rand() * inChannel.length)];
      return { at: (n * 1000) / p.rate, idx, channel: world.channels[c], n };
    });
    return openLoopPhase(t, world, tag, items);
  },

  teardown: (t) => t.gen.closeAll(),

  goals(out) {
    return [deliveryGoal("colink (0 lost)", out.colink), p99Goal("colink delivery", out.colink, 100)];
  },
};
