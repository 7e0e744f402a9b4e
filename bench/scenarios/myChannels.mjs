import { sleep } from "../lib/http.mjs";
import { endUsage, startUsage } from "../lib/measure.mjs";
import { cdfPoints, mergeSorted, summarize } from "../lib/stats.mjs";
import { buildWorld, fmt, missing, over, prng } from "./common.mjs";

// my-channels: one user in 2,000 channels asks for their channel list (GET /users/me/channels,
// with unread and mention counts) again and again, one request at a time, while another member
// posts in a random one of those channels before each request, so the list always has something
// new to count. Timed from request start to the last byte; the first (cold) list is reported apart.

const GOAL_P99_MS = 50;

export const myChannels = {
  name: "my-channels",
  summary: `One user in 2,000 channels; GET /users/me/channels, one at a time, a message posted in a random channel before each. p99 goal ≤ ${GOAL_P99_MS} ms.`,
  cdfOf: "lists",
  cdfLabel: "channel list load time",
  rounds: 1,
  params: (quick) => (quick ? { channels: 200, lists: 50, warmup: 5 } : { channels: 2000, lists: 200, warmup: 10 }),
  supports: (caps) => Boolean(caps.myChannels),

  async prepare(t, p, log) {
    const specs = Array.from({ length: p.channels }, () => ({ members: [0, 1] }));
    const world = await buildWorld(t, "my-channels", 2, specs, log);
    return world;
  },

  async measure(t, world, p, round) {
    const rand = prng(11 + round);
    // Setting up thousands of channels can outlast an access token: take fresh ones.
    const [reader, poster] = await t.mod.ensureUsers(t.ctx, 2);
    const cold = await t.mod.myChannels(t.ctx, reader);
    const usage = await startUsage(t.gen, t.server);
    const times = [];
    let errors = 0;
    let wrongCount = 0;
    for (let i = 0; i < p.warmup + p.lists; i++) {
      const ch = world.channels[Math.floor(rand() * world.channels.length)];
      await t.mod.send(t.ctx.url, poster, ch, `my-channels ${round}.${i}`, `mc-${round}-${i}-${Date.now()}`);
      await sleep(20);
      const list = await t.mod.myChannels(t.ctx, reader);
      if (i < p.warmup) continue;
      if (list.status !== 200) {
        errors++;
        continue;
      }
      if (list.count < p.channels) wrongCount++;
      times.push(list.ms);
    }
    const used = await endUsage(t.gen, t.server, usage);
    const sorted = mergeSorted([Float64Array.from(times)]);
    return {
      result: {
        tag: `my-channels.${round}.${t.name}`,
        channels: p.channels,
        lists: times.length,
        coldMs: Math.round(cold.ms * 10) / 10,
        errors,
        wrongCount,
        latencyMs: summarize(sorted),
        cdf: cdfPoints(sorted),
        ...used,
      },
    };
  },

  teardown: async () => {},

  oneLine: (r) =>
    `${r.lists} lists of ${r.channels} channels: cold ${r.coldMs} ms, then p50 ${r.latencyMs.p50} p90 ${r.latencyMs.p90} p99 ${r.latencyMs.p99} max ${r.latencyMs.max} ms, ${r.errors} errors, ${r.wrongCount} short lists`,

  details(out) {
    return Object.entries(out)
      .filter(([, o]) => o?.aggregate?.latencyMs)
      .flatMap(([name, o], i) => [
        ...(i === 0
          ? ["| target | channels | lists | cold (ms) | p50 | p90 | p99 | max (ms) | errors |", "|---|---|---|---|---|---|---|---|---|"]
          : []),
        `| ${name} | ${o.aggregate.channels} | ${o.aggregate.lists} | ${fmt(o.aggregate.coldMs)} | ${fmt(o.aggregate.latencyMs.p50)} | ${fmt(o.aggregate.latencyMs.p90)} | ${fmt(o.aggregate.latencyMs.p99)} | ${fmt(o.aggregate.latencyMs.max)} | ${o.aggregate.errors} |`,
      ]);
  },

  goals(out) {
    const r = out.colink?.aggregate;
    const goal = `channel list of a user in ${r?.channels ?? 2000} channels: p99 ≤ ${GOAL_P99_MS} ms`;
    if (!r?.latencyMs?.p99) return [{ goal, pass: null, value: missing(out.colink) }];
    const pass = r.latencyMs.p99 <= GOAL_P99_MS && r.errors === 0 && r.wrongCount === 0;
    const value = `p50 ${fmt(r.latencyMs.p50)} ms, p99 ${fmt(r.latencyMs.p99)} ms over ${r.lists} lists (cold ${fmt(r.coldMs)} ms), ${r.errors} errors, ${r.wrongCount} short`;
    return [
      {
        goal,
        pass,
        value,
        ...(pass
          ? {}
          : {
              shortfall: r.errors || r.wrongCount ? `${r.errors} failed, ${r.wrongCount} short` : over(r.latencyMs.p99, GOAL_P99_MS, "ms"),
            }),
      },
    ];
  },
};
