import { endUsage, startUsage } from "../lib/measure.mjs";
import { cdfPoints, mergeSorted, summarize } from "../lib/stats.mjs";
import { buildWorld, fmt, missing, over, prng } from "./common.mjs";

// history: a channel with a million messages, seeded in bulk inside its ChannelRoom through the
// bench's seeding Worker (bench/seeding/, bench/README.md "Seeding history"); then 50-message
// pages at random positions, one request at a time, timed from request start to the last byte.

export const history = {
  name: "history",
  summary: "A channel with 1,000,000 messages seeded in bulk in its ChannelRoom; GET 50-message pages at random positions. p50/p99.",
  cdfOf: "pages",
  cdfLabel: "page load time",
  rounds: 1,
  /** Targets start a server that can seed history in bulk (Colink: the bench's seeding Worker). */
  seedsHistory: true,
  params: (quick) =>
    quick
      ? { messages: 20_000, pages: 100, pageSize: 50, warmup: 10, httpFallback: 1_000 }
      : { messages: 1_000_000, pages: 500, pageSize: 50, warmup: 20, httpFallback: 5_000 },
  supports: (caps) => Boolean(caps.history),

  async prepare(t, p, log) {
    const world = await buildWorld(t, "history", 1, [{ members: [0] }], log);
    const ch = world.channels[0];
    let seeded = await t.mod.seedHistory(t.ctx, ch, p.messages, log);
    let partial = false;
    if (!seeded) {
      log(`the server has no bulk seeding (bench/README.md "Seeding history"): seeding ${p.httpFallback} messages over HTTP instead`);
      seeded = await t.mod.seedHistoryOverHttp(t.ctx, ch, p.httpFallback);
      partial = true;
    }
    log(`${t.name}: channel head at seq ${seeded.head} (${seeded.method}, ${(seeded.ms / 1000).toFixed(1)} s)`);
    return { ...world, ch, seeded, partial, reader: world.accounts[0] };
  },

  async measure(t, world, p, round) {
    const rand = prng(7 + round);
    const head = world.seeded.head;
    const span = Math.max(1, head - p.pageSize);
    const usage = await startUsage(t.gen, t.server);
    const times = [];
    let errors = 0;
    let shortPages = 0;
    /** @type {string[]} */
    const errorSamples = [];
    for (let i = 0; i < p.warmup + p.pages; i++) {
      const before = p.pageSize + 1 + Math.floor(rand() * span);
      const t0 = performance.now();
      const page = await t.mod.historyPage(t.ctx, world.reader, world.ch, before, p.pageSize);
      const ms = performance.now() - t0;
      if (i < p.warmup) continue;
      if (page.status !== 200) {
        errors++;
        if (errorSamples.length < 3) errorSamples.push(`HTTP ${page.status}`);
        continue;
      }
      if (page.count !== p.pageSize) shortPages++;
      times.push(ms);
    }
    const used = await endUsage(t.gen, t.server, usage);
    const sorted = mergeSorted([Float64Array.from(times)]);
    return {
      result: {
        tag: `history.${round}.${t.name}`,
        seededMessages: world.partial ? p.httpFallback : p.messages,
        seeding: { method: world.seeded.method, seconds: Math.round(world.seeded.ms) / 1000, head },
        partial: world.partial,
        pages: times.length,
        errors,
        errorSamples,
        shortPages,
        pagesPerSecond: Math.round((times.length / Math.max(0.001, used.wallSeconds)) * 10) / 10,
        latencyMs: summarize(sorted),
        cdf: cdfPoints(sorted),
        ...used,
      },
    };
  },

  teardown: async () => {},

  oneLine: (r) =>
    `${r.pages} pages of ${r.seededMessages} messages (${r.seeding.method}): p50 ${r.latencyMs.p50} p90 ${r.latencyMs.p90} p99 ${r.latencyMs.p99} max ${r.latencyMs.max} ms, ${r.errors} errors, ${r.shortPages} short pages`,

  details(out) {
    const r = out.colink?.aggregate;
    if (!r) return [];
    return [
      "| target | messages in channel | seeded by | seeding time | pages | errors | p50 | p90 | p99 | max (ms) | pages/s |",
      "|---|---|---|---|---|---|---|---|---|---|---|",
      `| colink | ${r.seededMessages}${r.partial ? " ⚠️ not the 1M target" : ""} | ${r.seeding.method} | ${fmt(r.seeding.seconds)} s | ${r.pages} | ${r.errors} | ${fmt(r.latencyMs.p50)} | ${fmt(r.latencyMs.p90)} | ${fmt(r.latencyMs.p99)} | ${fmt(r.latencyMs.max)} | ${fmt(r.pagesPerSecond)} |`,
    ];
  },

  goals(out) {
    const r = out.colink?.aggregate;
    const goal = "history page p99 ≤ 30 ms";
    if (!r?.latencyMs?.p99) return [{ goal, pass: null, value: missing(out.colink) }];
    const pass = r.latencyMs.p99 <= 30 && r.errors === 0;
    const value = `p50 ${fmt(r.latencyMs.p50)} ms, p99 ${fmt(r.latencyMs.p99)} ms over ${r.pages} pages, ${r.errors} errors`;
    if (r.partial)
      return [
        {
          goal,
          pass: null,
          value,
          shortfall: `only ${r.seededMessages} messages (seeded over HTTP): the seeding endpoint is missing, see bench/README.md`,
        },
      ];
    return [
      { goal, pass, value, ...(pass ? {} : { shortfall: r.errors ? `${r.errors} failed requests` : over(r.latencyMs.p99, 30, "ms") }) },
    ];
  },
};
