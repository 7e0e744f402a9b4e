#!/usr/bin/env node
// Colink load generator and report (issue #5). `npm run bench -- --help` for the options;
// bench/README.md for what each scenario does and how to read the results.
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, totalmem } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { checkRenderer, renderCharts } from "./lib/charts.mjs";
import { defaultThreads, Generator } from "./lib/generator.mjs";
import { aggregateRounds } from "./lib/measure.mjs";
import { writeSummary } from "./lib/report.mjs";
import { SkipTarget } from "./scenarios/common.mjs";
import { scenarios } from "./scenarios/index.mjs";

/** Targets Colink is compared with: the same-shape ceiling, the bare broadcast, and the real peer. */
const REFERENCES = ["fanout", "baseline", "ejabberd-mam", "ejabberd"];

const { values: opts } = parseArgs({
  options: {
    scenario: { type: "string", multiple: true },
    quick: { type: "boolean", default: false },
    targets: { type: "string", default: "colink,fanout,baseline,ejabberd,ejabberd-mam" },
    rounds: { type: "string" },
    threads: { type: "string" },
    out: { type: "string", default: path.join(import.meta.dirname, "results") },
    set: { type: "string", multiple: true },
    live: { type: "boolean", default: false },
    list: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (opts.help || opts.list) {
  console.log(`usage: npm run bench -- [--scenario NAME]... [--quick] [--targets colink,colink-socket,fanout,baseline,ejabberd,ejabberd-mam] [--rounds N] [--threads N] [--out DIR]

scenarios (in run order):
${scenarios.map((s) => `  ${s.name.padEnd(16)} ${s.summary}`).join("\n")}

--quick     a small version of every scenario (< 5 minutes in all)
--rounds N  measured rounds per target, interleaved A B A B (default: per scenario, 1 with --quick)
--threads N generator worker threads per target (default ${defaultThreads()})
--live      run Colink from the working tree itself (default: a snapshot of its sources taken at
            start, so that edits during the run do not make wrangler dev restart the Worker)
--set k=v   override one scenario parameter (repeatable), e.g. --scenario org --quick --set users=20 --set seconds=3
Results go to bench/results/: <timestamp>-<scenario>.json, <timestamp>-summary.md and PNG charts.`);
  process.exit(0);
}

const runStarted = performance.now();
const stamp = new Date()
  .toISOString()
  .replace(/\.\d+Z$/, "Z")
  .replace(/[:]/g, "-");
const log = (msg) => console.error(`[bench ${((performance.now() - runStarted) / 1000).toFixed(1).padStart(6)}s] ${msg}`);

const wanted = (opts.scenario ?? []).flatMap((s) => s.split(",")).filter(Boolean);
for (const w of wanted)
  if (!scenarios.some((s) => s.name === w)) {
    console.error(`unknown scenario "${w}"; known: ${scenarios.map((s) => s.name).join(", ")}`);
    process.exit(2);
  }
const selected = wanted.length ? scenarios.filter((s) => wanted.includes(s.name)) : scenarios;
const targetNames = opts.targets.split(",").filter(Boolean);
/** @type {Record<string, number>} */
const overrides = Object.fromEntries(
  (opts.set ?? []).map((kv) => {
    const [k, v] = kv.split("=");
    if (!k || v === undefined || Number.isNaN(Number(v))) {
      console.error(`--set wants key=number, got "${kv}"`);
      process.exit(2);
    }
    return [k, Number(v)];
  }),
);
const threads = opts.threads ? Number(opts.threads) : defaultThreads();

const renderer = await checkRenderer();
if (!renderer.ok) {
  console.error(`PNG charts need ${renderer.missing}: ${renderer.howToInstall}\n(continuing; charts are written as SVG only)`);
}

mkdirSync(opts.out, { recursive: true });
// wrangler dev logs every request by default; at benchmark rates that is real CPU on a small machine.
process.env.WRANGLER_LOG ??= "warn";

/** @type {Map<string, import("./scenarios/common.mjs").TargetRun>} */
const running = new Map();
let stopping = false;

/** Stops every running target's generator and server. */
async function stopTargets() {
  for (const t of running.values()) {
    await t.gen.closeAll().catch(() => {});
    await t.gen.stop().catch(() => {});
    await t.mod.stop(t.ctx).catch(() => {});
  }
  running.clear();
}

async function stopAll() {
  if (stopping) return;
  stopping = true;
  await stopTargets();
}

for (const sig of ["SIGINT", "SIGTERM"])
  process.on(sig, () => {
    log(`${sig}: stopping the servers`);
    void stopAll().finally(() => process.exit(130));
  });

async function target(name, scenario) {
  const existing = running.get(name);
  if (existing) return existing;
  const mod = await import(`./targets/${name}.mjs`);
  const started = performance.now();
  const ctx = await mod.start({ log, live: opts.live, seeding: Boolean(scenario.seedsHistory) });
  const server = ctx.server;
  log(
    `${name}: up at ${server.url} in ${((performance.now() - started) / 1000).toFixed(1)} s (pids ${
      server
        .snapshot()
        .processes.map((p) => `${p.pid}/${p.role}`)
        .join(", ") || "not found"
    })`,
  );
  const gen = new Generator(name, server.url, threads);
  const t = { name, mod, ctx, gen, server };
  running.set(name, t);
  return t;
}

const results = [];
try {
  for (const scenario of selected) {
    const params = { ...scenario.params(opts.quick), ...overrides };
    const rounds = opts.rounds ? Number(opts.rounds) : opts.quick ? 1 : scenario.rounds;
    log(`── ${scenario.name}${opts.quick ? " (quick)" : ""}: ${JSON.stringify(params)}, ${rounds} round(s)`);
    const scenarioStarted = performance.now();
    /** @type {Record<string, any>} */
    const outcome = {};
    const prepared = [];
    for (const name of targetNames) {
      const mod = await import(`./targets/${name}.mjs`);
      if (!scenario.supports(mod.capabilities)) {
        outcome[name] = { skipped: `${name} does not support this scenario` };
        continue;
      }
      let t;
      try {
        t = await target(name, scenario);
      } catch (error) {
        if (!(error instanceof SkipTarget)) throw error;
        log(`${scenario.name}: ${name} skipped: ${error.message}`);
        outcome[name] = { skipped: error.message };
        continue;
      }
      const rssAtStart = t.server.snapshot();
      const setupStarted = performance.now();
      try {
        const world = await scenario.prepare(t, params, (m) => log(`${scenario.name} ${m}`));
        outcome[name] = { setupSeconds: Math.round(performance.now() - setupStarted) / 1000, rounds: [], rss: { start: rssAtStart } };
        prepared.push({ t, world, raw: [] });
      } catch (error) {
        await t.gen.closeAll().catch(() => {});
        if (error instanceof SkipTarget) {
          log(`${scenario.name}: ${name} skipped: ${error.message}`);
          outcome[name] = { skipped: error.message };
          continue;
        }
        log(`${scenario.name}: ${name} setup failed: ${error instanceof Error ? error.message : error}`);
        outcome[name] = { error: `setup: ${error instanceof Error ? error.message : String(error)}` };
      }
    }
    for (let round = 1; round <= rounds; round++) {
      for (const p of prepared) {
        const o = outcome[p.t.name];
        if (o.error) continue;
        try {
          const m = await scenario.measure(p.t, p.world, params, round, (msg) => log(`${scenario.name} ${msg}`), rounds);
          if (m.raw) p.raw.push(m);
          o.rounds.push(m.result);
          log(`${scenario.name} ${p.t.name} round ${round}: ${scenario.oneLine ? scenario.oneLine(m.result) : oneLine(m.result)}`);
        } catch (error) {
          log(`${scenario.name}: ${p.t.name} round ${round} failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
          o.error = `round ${round}: ${error instanceof Error ? error.message : String(error)}`;
        }
      }
    }
    for (const p of prepared) {
      const o = outcome[p.t.name];
      o.rss.end = p.t.server.snapshot();
      await scenario.teardown(p.t, p.world).catch((e) => log(`teardown: ${e}`));
      o.rss.afterTeardown = p.t.server.snapshot();
      o.aggregate = scenario.aggregate ? scenario.aggregate(o.rounds) : p.raw.length ? aggregateRounds(p.raw) : (o.rounds[0] ?? null);
    }
    const goals = scenario.goals(outcome, params).map((g) => {
      const reloaded = Object.entries(outcome).filter(([, o]) => o.rounds?.some((r) => r.server?.reloaded));
      if (!reloaded.length || g.pass === null) return g;
      return {
        ...g,
        pass: null,
        shortfall: `not valid: wrangler dev (${reloaded.map(([n]) => n).join(", ")}) reloaded during the measurement; run again`,
      };
    });
    const record = {
      scenario: scenario.name,
      summary: scenario.summary,
      timestamp: stamp,
      quick: opts.quick,
      params,
      rounds,
      order: Array.from({ length: rounds }, () => prepared.map((p) => p.t.name)).flat(),
      seconds: Math.round(performance.now() - scenarioStarted) / 1000,
      environment: {
        node: process.version,
        cores: availableParallelism(),
        memGiB: Math.round(totalmem() / 2 ** 30),
        loadavg: loadavg(),
        threads,
        sources: Object.fromEntries([...running.values()].filter((t) => t.ctx.source).map((t) => [t.name, t.ctx.source])),
      },
      targets: outcome,
      ratios: ratios(outcome),
      goals,
      ...(scenario.cdfLabel ? { cdfLabel: scenario.cdfLabel, cdfOf: scenario.cdfOf } : {}),
      detailsMd: scenario.details ? scenario.details(outcome) : [],
    };
    const file = path.join(opts.out, `${stamp}-${scenario.name}.json`);
    writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
    for (const g of goals)
      log(
        `${scenario.name} goal ${g.pass === null ? "n/a " : g.pass ? "PASS" : "FAIL"} ${g.goal}: ${g.value}${g.shortfall ? ` (${g.shortfall})` : ""}`,
      );
    log(`${scenario.name} done in ${record.seconds.toFixed(0)} s → ${path.relative(process.cwd(), file)}`);
    results.push(record);
    // Every scenario gets fresh servers: locally all of a Worker's Durable Objects share one
    // isolate, so what one scenario left in memory (thousands of objects, a million-message
    // channel) would slow the next one down.
    await stopTargets();
  }
} finally {
  await stopAll();
}

const charts = await renderCharts(results, opts.out, stamp, renderer.ok);
const summaryFile = writeSummary(results, opts.out, stamp, {
  quick: opts.quick,
  targets: targetNames,
  charts,
  seconds: (performance.now() - runStarted) / 1000,
});
log(`summary → ${path.relative(process.cwd(), summaryFile)}`);
log(`total ${((performance.now() - runStarted) / 1000).toFixed(0)} s`);

function oneLine(r) {
  if (!r?.deliveries) return JSON.stringify(r).slice(0, 200);
  const d = r.deliveries;
  return `${r.messages} msgs, ${d.delivered}/${d.expected} deliveries (${d.duplicated} dup) in ${r.seconds} s = ${r.messagesPerSecond} msg/s, ${r.deliveriesPerSecond} deliveries/s; latency p50 ${r.latencyMs.p50} p90 ${r.latencyMs.p90} p99 ${r.latencyMs.p99} max ${r.latencyMs.max} ms; generator ${r.generator.cpuCores} cores, ELU ${r.generator.threadElu.join("/")}${r.generator.saturated ? " SATURATED" : ""}; server ${r.server.cpuCores} cores; machine ${r.machine.busyFraction}`;
}

/** Colink ÷ each reference target that ran, for every comparable number, aggregate and per round pair. */
function ratios(outcome) {
  const c = outcome.colink?.aggregate;
  if (!c?.latencyMs) return null;
  const div = (x, y) =>
    x === null || y === null || y === undefined || x === undefined || y === 0 ? null : Math.round((x / y) * 1000) / 1000;
  const byReference = {};
  for (const ref of REFERENCES) {
    const b = outcome[ref]?.aggregate;
    if (!b?.latencyMs) continue;
    const pairs = (outcome.colink.rounds ?? []).map((cr, i) => {
      const br = outcome[ref].rounds?.[i];
      return br
        ? { round: i + 1, throughput: div(cr.messagesPerSecond, br.messagesPerSecond), p99: div(cr.latencyMs.p99, br.latencyMs.p99) }
        : null;
    });
    byReference[ref] = {
      throughput: div(c.messagesPerSecond, b.messagesPerSecond),
      deliveriesPerSecond: div(c.deliveriesPerSecond, b.deliveriesPerSecond),
      p50: div(c.latencyMs.p50, b.latencyMs.p50),
      p90: div(c.latencyMs.p90, b.latencyMs.p90),
      p99: div(c.latencyMs.p99, b.latencyMs.p99),
      max: div(c.latencyMs.max, b.latencyMs.max),
      perRound: pairs.filter(Boolean),
    };
  }
  return Object.keys(byReference).length ? byReference : null;
}
