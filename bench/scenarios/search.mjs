import { mapLimit, requestJson, sleep } from "../lib/http.mjs";
import { endUsage, startUsage } from "../lib/measure.mjs";
import { cdfPoints, mergeSorted, summarize } from "../lib/stats.mjs";
import { CJK_WORDS, prng as corpusPrng, messageText, VOCABULARY } from "../seeding/searchCorpus.ts";
import { buildWorld, connectAll, fmt, missing, over, prng } from "./common.mjs";

// search: 1,000,000 indexed messages in 100 channels, seeded in bulk through the bench's seeding
// Worker (the rooms get the messages, D1 their index rows, as the index consumer would write
// them); then 200 queries one at a time that mix words (Zipf ranks 20–5,000), prefixes, phrases,
// operators, exclusions and CJK, both sorts; then the indexing lag: messages sent at the org
// scenario's rate (10/s to random channels of 100, from random members, every member online) and
// the time until search finds each one (bench/README.md "search").

const DAY = 86_400_000;

export const search = {
  name: "search",
  summary: "1,000,000 indexed messages in 100 channels: p50/p99 of 200 mixed queries; indexing lag (send → findable) at 10 msg/s.",
  cdfOf: "queries",
  cdfLabel: "query time",
  rounds: 1,
  seedsHistory: true,
  params: (quick) =>
    quick
      ? { channels: 10, perChannel: 2_000, users: 5, queries: 60, warmup: 10, lagRate: 5, lagSeconds: 10 }
      : { channels: 100, perChannel: 10_000, users: 20, queries: 200, warmup: 20, lagRate: 10, lagSeconds: 60 },
  supports: (caps) => Boolean(caps.history),

  async prepare(t, p, log) {
    if (!t.ctx.seeding) throw new Error("search needs the seeding Worker");
    const all = Array.from({ length: p.users }, (_, i) => i);
    const world = await buildWorld(
      t,
      "search",
      p.users,
      Array.from({ length: p.channels }, () => ({ members: all })),
      log,
    );
    const owner = t.mod.sdkFor(t.ctx, world.accounts[0]);
    const names = await mapLimit(world.channels, 8, async (id) => (await owner.channel(id)).name);
    const started = Date.now();
    const from = Date.now() - 365 * DAY;
    const step = Math.floor((365 * DAY) / p.perChannel);
    const chunk = 5_000;
    const jobs = [];
    for (const [c, id] of world.channels.entries())
      for (let at = 0; at < p.perChannel; at += chunk) jobs.push({ c, id, at, count: Math.min(chunk, p.perChannel - at) });
    let done = 0;
    const sizes = [];
    await mapLimit(jobs, 2, async (job) => {
      const res = await requestJson(`${t.ctx.url}/_bench/channels/${job.id}/seed-search`, {
        body: {
          count: job.count,
          author_ids: world.accounts.map((a) => a.id),
          seed: job.c * 1_000_003 + job.at,
          // A millisecond of its own per channel: the seeding writes index rowids as created_at × 1024.
          from_ms: from + job.at * step + job.c,
          step_ms: step,
        },
        timeoutMs: 600_000,
      });
      if (res.status !== 200) throw new Error(`seed-search: ${res.status} ${JSON.stringify(res.body)}`);
      done += job.count;
      sizes.push({ messages: done, bytes: res.body.db_bytes });
      if (done % 100_000 < job.count || done === p.channels * p.perChannel)
        log(
          `indexed ${done}/${p.channels * p.perChannel} messages, D1 ${(res.body.db_bytes / 2 ** 20).toFixed(0)} MiB (${((Date.now() - started) / 1000).toFixed(0)} s)`,
        );
    });
    // Every member online, so each send of the lag phase also fans out to live sockets.
    await connectAll(t, world.clients, log);
    sizes.sort((a, b) => a.messages - b.messages);
    const first = sizes[0];
    const last = sizes.at(-1);
    const bytesPerMessage =
      last && first && last.messages > first.messages ? (last.bytes - first.bytes) / (last.messages - first.messages) : null;
    return {
      ...world,
      names,
      searcher: world.accounts[0],
      seeding: { seconds: (Date.now() - started) / 1000, messages: done, dbBytes: last?.bytes ?? null, bytesPerMessage },
    };
  },

  async measure(t, world, p, round, log = () => {}) {
    const rand = prng(11 + round);
    const queries = mixedQueries(rand, p.warmup + p.queries, world);
    const usage = await startUsage(t.gen, t.server);
    const byKind = {};
    const times = [];
    /** Every measured query with its time, for the slowest few in the report (what a failing p99 is made of). */
    const timed = [];
    let errors = 0;
    const errorSamples = [];
    let empty = 0;
    const searcher = t.mod.sdkFor(t.ctx, world.searcher);
    for (const [i, q] of queries.entries()) {
      const t0 = performance.now();
      const res = await searcher.searchMessages({ q: q.q, sort: q.sort, limit: 20 }).then(
        (page) => ({ page }),
        (error) => ({ error }),
      );
      const ms = performance.now() - t0;
      if (i < p.warmup) continue;
      if (res.error) {
        errors++;
        if (errorSamples.length < 3) errorSamples.push(`${q.q}: ${String(res.error.message ?? res.error).slice(0, 200)}`);
        continue;
      }
      if (res.page.items.length === 0) empty++;
      times.push(ms);
      timed.push({ ...q, ms: Math.round(ms * 10) / 10, hits: res.body.items.length });
      byKind[q.kind] = [...(byKind[q.kind] ?? []), ms];
    }
    const used = await endUsage(t.gen, t.server, usage);
    const sorted = mergeSorted([Float64Array.from(times)]);
    log(`queries: p50 ${summarize(sorted).p50} p99 ${summarize(sorted).p99} ms; measuring indexing lag`);
    const lag = await indexingLag(t, world, p);
    return {
      result: {
        tag: `search.${round}.${t.name}`,
        indexedMessages: world.seeding.messages,
        seeding: world.seeding,
        queries: times.length,
        errors,
        errorSamples,
        emptyResults: empty,
        latencyMs: summarize(sorted),
        byKind: Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, summarize(mergeSorted([Float64Array.from(v)]))])),
        slowest: timed.sort((a, b) => b.ms - a.ms).slice(0, 8),
        cdf: cdfPoints(sorted),
        lag,
        ...used,
      },
    };
  },

  teardown: (t) => t.gen.closeAll(),

  oneLine: (r) =>
    `${r.queries} queries over ${r.indexedMessages} messages: p50 ${r.latencyMs.p50} p99 ${r.latencyMs.p99} max ${r.latencyMs.max} ms, ${r.errors} errors; lag p50 ${r.lag.latencyMs.p50} p99 ${r.lag.latencyMs.p99} ms, ${r.lag.notFound} never found; ${fmt(r.seeding.bytesPerMessage, 0)} B/message`,

  details(out) {
    const r = out.colink?.aggregate;
    if (!r) return [];
    const kinds = Object.entries(r.byKind ?? {}).map(([k, s]) => `| ${k} | ${s.count} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.max)} |`);
    return [
      `Index: ${r.indexedMessages} messages, seeded in ${fmt(r.seeding.seconds, 0)} s; D1 ${fmt(r.seeding.dbBytes / 2 ** 20, 0)} MiB, ${fmt(r.seeding.bytesPerMessage, 0)} bytes per message (index rows and FTS5, from the growth of the database).`,
      "",
      "| query kind | n | p50 | p99 | max (ms) |",
      "|---|---|---|---|---|",
      ...kinds,
      `| all | ${r.queries} | ${fmt(r.latencyMs.p50)} | ${fmt(r.latencyMs.p99)} | ${fmt(r.latencyMs.max)} |`,
      "",
      "The slowest queries:",
      "",
      "| query | kind | sort | hits | ms |",
      "|---|---|---|---|---|",
      ...(r.slowest ?? []).map((s) => `| \`${s.q.replaceAll("|", "\\|")}\` | ${s.kind} | ${s.sort} | ${s.hits} | ${fmt(s.ms)} |`),
      "",
      `Indexing lag (send → first found), ${r.lag.sent} messages at ${r.lag.rate}/s: p50 ${fmt(r.lag.latencyMs.p50)} ms, p99 ${fmt(r.lag.latencyMs.p99)} ms, max ${fmt(r.lag.latencyMs.max)} ms, ${r.lag.notFound} never found.`,
    ];
  },

  goals(out) {
    const r = out.colink?.aggregate;
    if (!r?.latencyMs?.p99) return [{ goal: "search p99 ≤ 100 ms", pass: null, value: missing(out.colink) }];
    const qPass = r.latencyMs.p99 <= 100 && r.errors === 0;
    const lagP99 = r.lag?.latencyMs?.p99;
    const lPass = lagP99 !== null && lagP99 !== undefined && lagP99 <= 5000 && r.lag.notFound === 0;
    return [
      {
        goal: `search p99 ≤ 100 ms (${r.indexedMessages} messages)`,
        pass: qPass,
        value: `p50 ${fmt(r.latencyMs.p50)} ms, p99 ${fmt(r.latencyMs.p99)} ms over ${r.queries} queries, ${r.errors} errors`,
        ...(qPass ? {} : { shortfall: r.errors ? `${r.errors} failed queries` : over(r.latencyMs.p99, 100, "ms") }),
      },
      {
        goal: "indexing lag p99 ≤ 5 s",
        pass: lPass,
        value: `p50 ${fmt(r.lag.latencyMs.p50)} ms, p99 ${fmt(lagP99)} ms, ${r.lag.notFound} of ${r.lag.sent} never found`,
        ...(lPass ? {} : { shortfall: r.lag.notFound ? `${r.lag.notFound} never found` : over(lagP99, 5000, "ms") }),
      },
    ];
  },
};

/** Queries mixing the kinds people type, over the corpus's real words. */
function mixedQueries(rand, n, world) {
  const word = () => VOCABULARY[Math.min(VOCABULARY.length - 1, Math.floor(20 * (VOCABULARY.length / 20) ** rand()))];
  const day = (offset) => new Date(Date.now() - offset * DAY).toISOString().slice(0, 10);
  const corpusRand = corpusPrng(99);
  const out = [];
  for (let i = 0; i < n; i++) {
    const x = rand();
    const sort = rand() < 0.7 ? "relevance" : "recent";
    let q;
    let kind;
    if (x < 0.3) [kind, q] = ["word", word()];
    else if (x < 0.45) [kind, q] = ["two words", `${word()} ${word()}`];
    else if (x < 0.55) [kind, q] = ["prefix", word().slice(0, 4)];
    else if (x < 0.65) {
      const words = messageText(corpusRand).toLowerCase().split(" ");
      const at = Math.floor(rand() * Math.max(1, words.length - 1));
      [kind, q] = ["phrase", `"${words[at]} ${words[at + 1] ?? words[at]}"`];
    } else if (x < 0.75) {
      const op = Math.floor(rand() * 3);
      const w = word();
      if (op === 0) [kind, q] = ["operator", `${w} in:#${world.names[Math.floor(rand() * world.names.length)]}`];
      else if (op === 1) [kind, q] = ["operator", `${w} from:@${world.accounts[Math.floor(rand() * world.accounts.length)].username}`];
      else [kind, q] = ["operator", `${w} after:${day(200)} before:${day(20)}`];
    } else if (x < 0.85) [kind, q] = ["exclude", `${word()} -${word()}`];
    else {
      const a = CJK_WORDS[Math.floor(rand() * CJK_WORDS.length)];
      const b = CJK_WORDS[Math.floor(rand() * CJK_WORDS.length)];
      [kind, q] = ["cjk", rand() < 0.5 ? a : `${a}${b}`.slice(1, 4)];
    }
    out.push({ q, sort, kind });
  }
  return out;
}

/** Sends at a fixed rate (open loop) and polls search until each message is found. */
async function indexingLag(t, world, p) {
  const rand = prng(77);
  const total = p.lagRate * p.lagSeconds;
  const sentAt = new Map();
  const foundAt = new Map();
  const run = t.ctx.run;
  let sending = true;
  const searcher = t.mod.sdkFor(t.ctx, world.searcher);
  const poller = (async () => {
    const deadline = () => !sending && (foundAt.size >= sentAt.size || performance.now() > lastSend + 30_000);
    let lastSend = performance.now();
    while (!deadline()) {
      if (sending) lastSend = performance.now();
      const page = await searcher.searchMessages({ q: `lag${run}`, sort: "recent", limit: 100 }).catch(() => null);
      const now = performance.now();
      if (page)
        for (const item of page.items) {
          const n = /probe(\d+)/.exec(item.message.text)?.[1];
          if (n !== undefined && !foundAt.has(n)) foundAt.set(n, now);
        }
      await sleep(100);
    }
  })();
  const started = performance.now();
  const sends = [];
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / p.lagRate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const channel = world.channels[Math.floor(rand() * world.channels.length)];
    const account = world.accounts[Math.floor(rand() * world.accounts.length)];
    sentAt.set(String(n), performance.now());
    sends.push(
      t.mod
        .sdkFor(t.ctx, account)
        .send(channel, { text: `lag${run} probe${n} ${VOCABULARY[n % VOCABULARY.length]}` })
        .then(
          () => true,
          () => false,
        ),
    );
  }
  const answers = await Promise.all(sends);
  sending = false;
  await poller;
  const lags = [...sentAt].filter(([n]) => foundAt.has(n)).map(([n, at]) => (foundAt.get(n) ?? at) - at);
  return {
    rate: p.lagRate,
    sent: total,
    sendErrors: answers.filter((ok) => !ok).length,
    notFound: total - lags.length,
    latencyMs: summarize(mergeSorted([Float64Array.from(lags)])),
  };
}
