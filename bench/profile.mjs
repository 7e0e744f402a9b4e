#!/usr/bin/env node
// CPU-profiles a running benchmark server through workerd's inspector: the "what a profile shows"
// behind the summary. Run it beside `npm run bench` while the scenario you care about is measuring:
//
//   node bench/profile.mjs [--seconds 20] [--worker colink] [--out FILE.cpuprofile]
//                          [--wait-for LOGFILE:TEXT] [--pid N]
//
// --pid names the workerd to sample (the bench logs "pids …/proxy, N/runtime" when a server is
// up); without it, the first workerd running the Worker, which is ambiguous when several
// `wrangler dev` run on the machine.
//
// With --wait-for, sampling starts at once (a saturated runtime may not answer Profiler.start) and
// the summary covers only the --seconds after TEXT appears in LOGFILE, e.g. the bench's log line
// "clients resume now".
// It finds the workerd process that runs the Worker, samples it, writes a .cpuprofile (open it in
// Chrome DevTools, Performance panel) and prints the functions with the most self and total time.
// Names refer to wrangler's bundle of the Worker.
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { WebSocket } from "ws";
import { listeningPorts, workerdPids } from "./lib/proc.mjs";

const { values: opts } = parseArgs({
  options: {
    seconds: { type: "string", default: "20" },
    worker: { type: "string", default: "colink" },
    out: { type: "string", default: `/tmp/colink-${Date.now()}.cpuprofile` },
    top: { type: "string", default: "30" },
    "wait-for": { type: "string" },
    pid: { type: "string" },
  },
});

/** The inspector target of worker `name` (a user Worker, or with a colon any of workerd's, e.g. `d1:db`). */
async function findTarget(name, only) {
  for (const pid of only ? [only] : workerdPids(undefined))
    for (const port of listeningPorts(pid)) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(1_000) });
        if (!res.ok) continue;
        /** @type {{ title: string, webSocketDebuggerUrl: string }[]} */
        const targets = await res.json();
        const hit = targets.find((t) => t.title.endsWith(name.includes(":") ? ` ${name}` : `core:user:${name}`));
        if (hit) return { pid, url: hit.webSocketDebuggerUrl };
      } catch {
        // not an inspector port
      }
    }
  return null;
}

function inspector(url) {
  const ws = new WebSocket(url);
  let id = 0;
  const pending = new Map();
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data));
    pending.get(msg.id)?.(msg);
    pending.delete(msg.id);
  });
  const call = (method, params = {}, timeoutMs = 60_000) =>
    new Promise((resolve, reject) => {
      const n = ++id;
      const timer = setTimeout(() => reject(new Error(`the inspector did not answer ${method} in ${timeoutMs / 1000} s`)), timeoutMs);
      pending.set(n, (msg) => {
        clearTimeout(timer);
        resolve(msg.result);
      });
      ws.send(JSON.stringify({ id: n, method, params }));
    });
  return new Promise((resolve, reject) => {
    ws.once("open", () => {
      ws.on("error", () => {}); // a dropped session surfaces as an unanswered call
      resolve({ call, close: () => ws.terminate() });
    });
    ws.once("error", reject);
  });
}

/** Self and inclusive time per function, as fractions of the time sampled from `fromMs` on. */
function summarize(profile, fromMs = 0) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n) => {
    const f = n.callFrame;
    return `${f.functionName || "(anonymous)"}${f.url ? ` ${f.url.split("/").at(-1)}:${f.lineNumber + 1}` : ""}`;
  };
  const self = new Map();
  const total = new Map();
  let sampled = 0;
  let at = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (at < fromMs * 1000) return;
    sampled += dt;
    const leaf = label(nodes.get(id));
    self.set(leaf, (self.get(leaf) ?? 0) + dt);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(nodes.get(cur));
      if (seen.has(l)) continue;
      seen.add(l);
      total.set(l, (total.get(l) ?? 0) + dt);
    }
  });
  const rank = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / sampled]);
  return { sampledMs: sampled / 1000, self: rank(self), total: rank(total) };
}

const target = await findTarget(opts.worker, opts.pid ? Number(opts.pid) : undefined);
if (!target) {
  console.error(`no running workerd has a worker named "${opts.worker}" (start npm run bench first)`);
  process.exit(1);
}
console.error(`profiling ${opts.worker} in workerd ${target.pid} for ${opts.seconds} s`);
// A busy runtime may leave the first inspector session unanswered; a fresh one usually works.
let session;
for (let attempt = 1; !session; attempt++) {
  try {
    const s = await inspector(target.url);
    await s.call("Profiler.enable", {}, 5_000).catch((error) => {
      s.close();
      throw error;
    });
    session = s;
  } catch (error) {
    if (attempt === 6) throw error;
    await new Promise((r) => setTimeout(r, 500));
  }
}
const { call, close } = session;
await call("Profiler.setSamplingInterval", { interval: 500 });
await call("Profiler.start");
const started = performance.now();
let fromMs = 0;
if (opts["wait-for"]) {
  const [file, text] = opts["wait-for"].split(/:(.*)/s);
  console.error(`sampling; the summary starts when ${file} says "${text}"`);
  while (!readFileSync(file, "utf8").includes(text ?? "")) await new Promise((r) => setTimeout(r, 50));
  fromMs = performance.now() - started;
}
await new Promise((r) => setTimeout(r, Number(opts.seconds) * 1000));
const { profile } = await call("Profiler.stop");
close();
writeFileSync(opts.out, JSON.stringify(profile));
const s = summarize(profile, fromMs);
const pct = (f) => `${(f * 100).toFixed(1).padStart(5)}%`;
const n = Number(opts.top);
console.log(`${s.sampledMs.toFixed(0)} ms sampled; profile written to ${opts.out}\n\nself time:`);
for (const [k, f] of s.self.slice(0, n)) console.log(`${pct(f)}  ${k}`);
console.log("\ntotal time (including callees):");
for (const [k, f] of s.total.slice(0, n)) console.log(`${pct(f)}  ${k}`);
