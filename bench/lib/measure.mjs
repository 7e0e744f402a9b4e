import { availableParallelism } from "node:os";
import { sleep } from "./http.mjs";
import { machineCpu } from "./proc.mjs";
import { cdfPoints, mergeSorted, summarize } from "./stats.mjs";

// One measured window: what the generator, the server and the machine spent during it, and for a
// delivery phase, every delivery's latency and the delivered-vs-expected count.

/** A generator thread busier than this (event-loop utilization) timestamps late: the run is flagged. */
export const SATURATED_ELU = 0.9;
/** Open-loop sends leaving this late (ms; p90, or p99 at 5×) mean the generator could not keep the schedule. */
export const SATURATED_SLIP_MS = 20;

const r2 = (v) => Math.round(v * 100) / 100;

export async function startUsage(gen, server) {
  await gen.markUsage();
  return { wall: performance.now(), cpu: process.cpuUsage(), machine: machineCpu(), snap: server.snapshot() };
}

export async function endUsage(gen, server, start) {
  const wallS = (performance.now() - start.wall) / 1000;
  const cpu = process.cpuUsage(start.cpu);
  const machine = machineCpu();
  const snap = server.snapshot();
  const { elu, misc } = await gen.readUsage();
  const cores = availableParallelism();
  const machineBusy =
    machine && start.machine ? (machine.busy - start.machine.busy) / Math.max(0.001, machine.total - start.machine.total) : null;
  const eluMax = Math.max(...elu);
  const runtimePids = (x) =>
    x.processes
      .filter((p) => p.role === "runtime")
      .map((p) => p.pid)
      .join(",");
  const reloaded = runtimePids(snap) !== runtimePids(start.snap);
  return {
    wallSeconds: r2(wallS),
    generator: {
      threads: elu.length,
      cpuCores: r2((cpu.user + cpu.system) / 1e6 / Math.max(0.001, wallS)),
      threadElu: elu,
      eluMax: r2(eluMax),
      saturated: eluMax >= SATURATED_ELU,
    },
    server: {
      // a replaced process restarts its CPU counter: no figure rather than a wrong one
      cpuCores: reloaded ? null : r2((snap.cpuSeconds - start.snap.cpuSeconds) / Math.max(0.001, wallS)),
      runtimeCpuCores: reloaded ? null : r2((snap.runtimeCpuSeconds - start.snap.runtimeCpuSeconds) / Math.max(0.001, wallS)),
      rssKibBefore: start.snap.rssKib,
      rssKibAfter: snap.rssKib,
      runtimeRssKibBefore: start.snap.runtimeRssKib,
      runtimeRssKibAfter: snap.runtimeRssKib,
      processes: snap.processes.map(({ pid, role, rssKib }) => ({ pid, role, rssKib })),
      // wrangler dev restarts the runtime when a source file changes, dropping every socket
      reloaded,
    },
    machine: { cores, busyFraction: machineBusy === null ? null : r2(machineBusy), saturated: machineBusy !== null && machineBusy >= 0.95 },
    clientOddities: misc,
  };
}

/**
 * Runs `drive` (which sends, tagged `tag`), then waits until every expected delivery has arrived,
 * or nothing arrived for `settleMs`. `receivers[channel]` is the number of live sockets that must
 * receive each message sent to that channel.
 */
export async function deliveryPhase({ gen, server, tag, receivers, drive, settleMs = 10_000, maxWaitMs = 180_000 }) {
  const usage = await startUsage(gen, server);
  await drive();
  const waitStart = performance.now();
  let last = -1;
  let lastChange = performance.now();
  let expected = 0;
  let gaveUp = false;
  for (;;) {
    const p = await gen.progress(tag);
    expected = Object.entries(p.sentByChannel).reduce((a, [ch, n]) => a + n * (receivers[ch] ?? 0), 0);
    if (p.delivered >= expected) break;
    if (p.delivered !== last) {
      last = p.delivered;
      lastChange = performance.now();
    }
    if (performance.now() - lastChange > settleMs) break;
    if (performance.now() - waitStart > maxWaitMs) {
      gaveUp = true; // still arriving: what is missing is late, not necessarily lost
      break;
    }
    await sleep(100);
  }
  const c = await gen.collect(tag);
  const used = await endUsage(gen, server, usage);
  expected = Object.entries(c.sentByChannel).reduce((a, [ch, n]) => a + n * (receivers[ch] ?? 0), 0);
  const end = c.delivered > 0 ? c.lastRecv : c.lastSend;
  const seconds = Math.max(0.001, (end - c.firstSend) / 1000);
  const slip = summarize(c.slips);
  const generatorLate = (slip.p90 ?? 0) > SATURATED_SLIP_MS || (slip.p99 ?? 0) > 5 * SATURATED_SLIP_MS;
  return {
    raw: c.latencies,
    rawAcks: c.acks,
    result: {
      tag,
      messages: c.sent,
      sendErrors: c.sendErrors,
      deliveries: {
        expected,
        delivered: c.delivered,
        lost: Math.max(0, expected - c.delivered),
        duplicated: c.dup,
        complete: c.delivered === expected && c.dup === 0,
        ...(gaveUp ? { stillArrivingAfterSeconds: Math.round(maxWaitMs / 1000) } : {}),
      },
      seconds: r2(seconds),
      messagesPerSecond: r2(c.sent / seconds),
      deliveriesPerSecond: r2(c.delivered / seconds),
      latencyMs: summarize(c.latencies),
      sendAckMs: summarize(c.acks),
      scheduleSlipMs: c.slips.length ? slip : null,
      cdf: cdfPoints(c.latencies),
      ...used,
      generator: { ...used.generator, scheduleLate: generatorLate, saturated: used.generator.saturated || generatorLate },
    },
  };
}

/** Combines the rounds of one target into one result: all latencies, summed counts and times. */
export function aggregateRounds(rounds) {
  if (rounds.length === 0) return null;
  const sorted = mergeSorted(rounds.map((r) => r.raw));
  const results = rounds.map((r) => r.result);
  const sum = (f) => results.reduce((a, r) => a + f(r), 0);
  const seconds = sum((r) => r.seconds);
  const expected = sum((r) => r.deliveries.expected);
  const delivered = sum((r) => r.deliveries.delivered);
  const duplicated = sum((r) => r.deliveries.duplicated);
  return {
    rounds: results.length,
    messages: sum((r) => r.messages),
    sendErrors: sum((r) => r.sendErrors),
    deliveries: {
      expected,
      delivered,
      lost: Math.max(0, expected - delivered),
      duplicated,
      complete: delivered === expected && duplicated === 0,
      ...(results.some((r) => r.deliveries.stillArrivingAfterSeconds)
        ? { stillArrivingAfterSeconds: Math.max(...results.map((r) => r.deliveries.stillArrivingAfterSeconds ?? 0)) }
        : {}),
    },
    seconds: r2(seconds),
    messagesPerSecond: r2(sum((r) => r.messages) / Math.max(0.001, seconds)),
    deliveriesPerSecond: r2(delivered / Math.max(0.001, seconds)),
    latencyMs: summarize(sorted),
    sendAckMs: summarize(mergeSorted(rounds.map((r) => r.rawAcks ?? new Float64Array(0)))),
    cdf: cdfPoints(sorted),
    generatorSaturated: results.some((r) => r.generator.saturated),
    generatorCpuCoresMax: Math.max(...results.map((r) => r.generator.cpuCores)),
    generatorEluMax: Math.max(...results.map((r) => r.generator.eluMax)),
    serverCpuCoresMax: Math.max(...results.map((r) => r.server.cpuCores ?? 0)),
    machineBusyMax: Math.max(...results.map((r) => r.machine.busyFraction ?? 0)),
  };
}
