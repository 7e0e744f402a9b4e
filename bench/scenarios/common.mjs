import { mapLimit } from "../lib/http.mjs";
import { deliveryPhase } from "../lib/measure.mjs";

// What every scenario does the same way: accounts and channels through the target's API, all
// clients connected and live, and a warm-up message per channel that proves fan-out works (and
// gives every client a cursor in every channel) before anything is measured.

/**
 * @typedef {object} TargetRun one target during a run
 * @property {string} name
 * @property {any} mod the target module (bench/targets/<name>.mjs)
 * @property {any} ctx what its start() returned
 * @property {import("../lib/generator.mjs").Generator} gen
 * @property {import("../lib/devServer.mjs").BenchServer} server
 */

/**
 * @typedef {object} Goal
 * @property {string} goal what is required, in words
 * @property {boolean | null} pass null when it could not be measured
 * @property {string} value what was measured
 * @property {string} [shortfall] how far from the goal, when missed
 */

let counter = 0;
/** Channel names are unique per run: lowercase letters, digits, '-'. */
export const channelName = (scenario, i = 0) => `${scenario}-${Date.now().toString(36)}-${(counter++).toString(36)}-${i}`.slice(0, 80);

/** Creates channels (`specs`: `{ members: accountIndexes[] }`) and the clients that belong in them. */
export async function buildWorld(t, scenario, users, specs, log) {
  const accounts = await t.mod.ensureUsers(t.ctx, users, log);
  const started = Date.now();
  const channels = await mapLimit(specs, 4, (spec, i) =>
    t.mod.createChannel(
      t.ctx,
      channelName(scenario, i),
      spec.members.map((m) => accounts[m]),
    ),
  );
  if (specs.length > 1) log(`created ${specs.length} channels in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  /** @type {string[][]} */
  const channelsOf = accounts.map(() => []);
  /** @type {Record<string, number>} */
  const receivers = {};
  specs.forEach((spec, i) => {
    const ch = /** @type {string} */ (channels[i]);
    receivers[ch] = spec.members.length;
    for (const m of spec.members) channelsOf[m]?.push(ch);
  });
  const clients = accounts.map((account, idx) => ({ idx, account, channels: channelsOf[idx] ?? [] }));
  return { accounts, channels, clients, receivers };
}

/** Thrown by a scenario's `prepare` when a target cannot take part here; the report says why. */
export class SkipTarget extends Error {}

/** File descriptors the runtime workerd keeps per accepted socket, and per loaded SQLite-backed object. */
export const FDS_PER_SOCKET = 2;
export const FDS_PER_OBJECT = 3;

/** Refuses to set up more sockets and Durable Objects than the target's runtime has descriptors for. */
export function requireDescriptors(t, sockets, objects) {
  const free = t.server.freeDescriptors();
  const needed = sockets * FDS_PER_SOCKET + objects * FDS_PER_OBJECT;
  if (free !== null && needed > free)
    throw new SkipTarget(
      `needs ${sockets} sockets and ${objects} Durable Objects (${needed} file descriptors), and the runtime's open-file limit leaves ${free}`,
    );
}

/** Connects clients; every socket must come up, or the scenario stops here with the reason. */
export async function connectAll(t, clients, log, first = "resume") {
  const r = await t.gen.connect(clients, { first, concurrency: 32 });
  log(`${t.name}: ${r.connected}/${r.sockets} sockets live in ${(r.ms / 1000).toFixed(1)} s`);
  if (r.failed > 0) throw new Error(`${r.failed} of ${r.sockets} sockets failed to connect: ${r.errors.join("; ")}`);
  return r;
}

/** One message per channel, from one of its members; all of them must arrive everywhere. */
export async function warmUp(t, world, log) {
  const tag = `warm.${t.name}.${counter++}`;
  const senders = world.channels.map((ch) => {
    const member = world.clients.find((c) => c.channels.includes(ch));
    if (!member) throw new Error(`channel ${ch} has no connected member`);
    return { idx: member.idx, channel: ch, count: 1 };
  });
  const { result } = await deliveryPhase({
    gen: t.gen,
    server: t.server,
    tag,
    receivers: world.receivers,
    drive: () => t.gen.closedLoop(tag, senders),
    settleMs: 15_000,
  });
  const d = result.deliveries;
  log(`${t.name}: warm-up ${d.delivered}/${d.expected} deliveries, p99 ${result.latencyMs.p99} ms`);
  if (!d.complete) throw new Error(`warm-up incomplete: ${d.delivered}/${d.expected} delivered, ${d.duplicated} duplicated`);
}

/**
 * Sends `items` at their fixed times (open loop) and waits for the deliveries: a server that falls
 * behind shows as latency; past a minute of backlog, stop waiting.
 */
export function openLoopPhase(t, world, tag, items) {
  const startAt = performance.timeOrigin + performance.now() + 500;
  return deliveryPhase({
    gen: t.gen,
    server: t.server,
    tag,
    receivers: world.receivers,
    drive: () => t.gen.openLoop(tag, startAt, items),
    maxWaitMs: 60_000,
  });
}

/** Splits `total` into `parts` near-equal integers. */
export const shares = (total, parts) => Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));

/** A small deterministic PRNG (mulberry32) so both targets get the same schedule. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const fmt = (v, digits = 1) => (v === null || v === undefined ? "n/a" : Number(v).toFixed(digits));

/** "x is 12.3 ms (25%) over the 100 ms goal" */
export function over(value, limit, unit) {
  const by = value - limit;
  return `${fmt(value)} ${unit} is ${fmt(by)} ${unit} (${fmt((by / limit) * 100, 0)}%) over the ${limit} ${unit} goal`;
}

/** Why a target has no result: its error, "skipped", or "not run". */
export const missing = (o) => (o?.error ? `error: ${o.error}` : o?.skipped ? `skipped: ${o.skipped}` : "not run");

export function deliveryGoal(name, o) {
  const agg = o?.aggregate;
  if (!agg?.deliveries) return { goal: `${name}: delivered = expected, no duplicates`, pass: null, value: missing(o) };
  const d = agg.deliveries;
  return {
    goal: `${name}: delivered = expected, no duplicates`,
    pass: d.complete,
    value: `${d.delivered}/${d.expected} delivered, ${d.duplicated} duplicated`,
    ...(d.complete
      ? {}
      : {
          shortfall: d.stillArrivingAfterSeconds
            ? `${d.lost} not delivered ${d.stillArrivingAfterSeconds} s after the last send (still arriving: late rather than lost), ${d.duplicated} duplicated`
            : `${d.lost} lost, ${d.duplicated} duplicated`,
        }),
  };
}

export function p99Goal(label, o, limitMs) {
  const p99 = o?.aggregate?.latencyMs?.p99;
  if (p99 === null || p99 === undefined) return { goal: `${label} p99 ≤ ${limitMs} ms`, pass: null, value: missing(o) };
  const pass = p99 <= limitMs;
  return {
    goal: `${label} p99 ≤ ${limitMs} ms`,
    pass,
    value: `p99 ${fmt(p99)} ms`,
    ...(pass ? {} : { shortfall: over(p99, limitMs, "ms") }),
  };
}

/**
 * Colink against a reference target: throughput ≥ `throughput`× the reference's and p99 ≤ `p99`×
 * (either limit optional). Pass is null when either target did not run.
 */
export function ratioGoals(out, ref, limits) {
  const c = out.colink?.aggregate;
  const b = out[ref]?.aggregate;
  const wanted = [
    limits.throughput !== undefined && `throughput ≥ ${limits.throughput}× ${ref}`,
    limits.p99 !== undefined && `p99 ≤ ${limits.p99}× ${ref}`,
  ].filter(Boolean);
  if (!c?.latencyMs || !b?.latencyMs)
    return wanted.map((goal) => ({
      goal,
      pass: null,
      value: `needs both targets (colink: ${c ? "ok" : missing(out.colink)}; ${ref}: ${b ? "ok" : missing(out[ref])})`,
    }));
  const goals = [];
  if (limits.throughput !== undefined) {
    const ratio = c.messagesPerSecond / b.messagesPerSecond;
    const pass = ratio >= limits.throughput;
    goals.push({
      goal: wanted[0],
      pass,
      value: `${fmt(c.messagesPerSecond)} vs ${fmt(b.messagesPerSecond)} msg/s = ${fmt(ratio, 2)}×`,
      ...(pass
        ? {}
        : {
            shortfall: `${fmt(ratio, 2)}× is ${fmt((limits.throughput - ratio) * 100, 0)} points under ${limits.throughput}× (needs ≥ ${fmt(limits.throughput * b.messagesPerSecond)} msg/s)`,
          }),
    });
  }
  if (limits.p99 !== undefined) {
    const ratio = (c.latencyMs.p99 ?? 0) / Math.max(0.001, b.latencyMs.p99 ?? 0);
    const pass = ratio <= limits.p99;
    goals.push({
      goal: wanted.at(-1),
      pass,
      value: `${fmt(c.latencyMs.p99)} vs ${fmt(b.latencyMs.p99)} ms = ${fmt(ratio, 2)}×`,
      ...(pass
        ? {}
        : { shortfall: `${fmt(ratio, 2)}× is over ${limits.p99}× (needs p99 ≤ ${fmt(limits.p99 * (b.latencyMs.p99 ?? 0))} ms)` }),
    });
  }
  return goals;
}
