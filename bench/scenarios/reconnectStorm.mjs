import { sleep } from "../lib/http.mjs";
import { endUsage, startUsage } from "../lib/measure.mjs";
import { cdfPoints, mergeSorted, summarize } from "../lib/stats.mjs";
import { buildWorld, connectAll, fmt, missing, shares, warmUp } from "./common.mjs";

// reconnect-storm: many clients vanish at once (sockets dropped without a close handshake) while
// other members keep posting; then all of them reconnect at the same moment and resume with their
// cursors. Measured: the time until the last one has every event (replayed inline, or fetched
// after a channel.gap), events lost, events received twice.

export const reconnectStorm = {
  name: "reconnect-storm",
  summary:
    "1,000 clients (each in 2 of 20 channels) drop at once while 10 senders post 2,000 events; all resume together. Time to catch up, lost, duplicated.",
  cdfOf: "clients",
  cdfLabel: "time until each client caught up",
  rounds: 1,
  params: (quick) =>
    quick
      ? { clients: 100, senders: 5, channels: 5, perClient: 2, events: 200, dropAfter: 20, timeoutMs: 30_000 }
      : { clients: 1000, senders: 10, channels: 20, perClient: 2, events: 2000, dropAfter: 200, timeoutMs: 60_000 },
  supports: (caps) => Boolean(caps.resume),

  async prepare(t, p, log) {
    const senders = Array.from({ length: p.senders }, (_, s) => p.clients + s);
    const specs = Array.from({ length: p.channels }, () => ({ members: [...senders] }));
    for (let i = 0; i < p.clients; i++)
      for (let j = 0; j < p.perClient; j++) specs[(i + Math.floor((j * p.channels) / p.perClient)) % p.channels]?.members.push(i);
    const world = await buildWorld(t, "storm", p.clients + p.senders, specs, log);
    await connectAll(t, world.clients, log);
    await warmUp(t, world, log);
    return { ...world, senders, droppers: Array.from({ length: p.clients }, (_, i) => i) };
  },

  async measure(t, world, p, round, log) {
    const tag = `storm.${round}.${t.name}`;
    const usage = await startUsage(t.gen, t.server);
    const before = await t.gen.heads(world.senders);
    const sendPart = (total) =>
      t.gen.closedLoop(
        tag,
        shares(total, world.senders.length).map((count, s) => ({
          idx: world.senders[s],
          // each sender walks the channels from its own offset, so all channels get events
          channels: world.channels.map((_, k) => world.channels[(k + s) % world.channels.length]),
          count,
        })),
      );
    await sendPart(p.dropAfter);
    await t.gen.drop(world.droppers);
    const droppedAt = performance.now();
    await sendPart(p.events - p.dropAfter);
    const sentSeconds = (performance.now() - droppedAt) / 1000;
    // Every event this phase made must be in the heads we judge "caught up" against: ask the
    // server where it can, else the senders, who are in every channel and stay online.
    const prog = await t.gen.progress(tag);
    /** @type {Record<string, number>} */
    let heads = {};
    if (t.mod.channelHead) {
      for (const ch of world.channels) heads[ch] = await t.mod.channelHead(t.ctx, ch, before[ch] ?? 0);
    } else {
      const settle = performance.now() + 30_000;
      while (performance.now() < settle) {
        heads = await t.gen.heads(world.senders);
        if (world.channels.every((ch) => (heads[ch] ?? 0) - (before[ch] ?? 0) >= (prog.sentByChannel[ch] ?? 0))) break;
        await sleep(100);
      }
    }
    const short = world.channels.filter((ch) => (heads[ch] ?? 0) - (before[ch] ?? 0) < (prog.sentByChannel[ch] ?? 0));
    if (short.length) throw new Error(`the channel heads do not account for every acknowledged send (${short.length} channels short)`);
    log(
      `${t.name}: ${p.events} events posted (${p.events - p.dropAfter} after the drop, in ${sentSeconds.toFixed(1)} s); ${world.droppers.length} clients resume now`,
    );
    const resumeStarted = performance.now();
    const outcomes = await t.gen.resume(world.droppers, heads, p.timeoutMs);
    const resumeSeconds = (performance.now() - resumeStarted) / 1000;
    await sleep(500); // stragglers would be duplicates: give them a moment to show up
    const c = await t.gen.collect(tag);
    const used = await endUsage(t.gen, t.server, usage);
    const expected = Object.entries(c.sentByChannel).reduce((a, [ch, n]) => a + n * (world.receivers[ch] ?? 0), 0);
    const caught = outcomes.filter((o) => o.ms !== null);
    const times = mergeSorted([Float64Array.from(caught.map((o) => o.ms))]);
    const lost = outcomes.reduce((a, o) => a + o.lost, 0);
    const duplicated = c.dup + (used.clientOddities.dupOther ?? 0);
    return {
      result: {
        tag,
        clients: world.droppers.length,
        events: c.sent,
        sendErrors: c.sendErrors,
        eventsAfterDrop: p.events - p.dropAfter,
        caughtUp: caught.length,
        allCaughtUpMs: caught.length === outcomes.length ? (times[times.length - 1] ?? 0) : null,
        catchUpMs: summarize(times),
        cdf: cdfPoints(times),
        resumeSeconds: Math.round(resumeSeconds * 100) / 100,
        lost,
        duplicated,
        deliveries: {
          expected,
          delivered: c.delivered,
          lost: Math.max(0, expected - c.delivered),
          duplicated,
          complete: c.delivered === expected && duplicated === 0,
        },
        gaps: used.clientOddities.gaps,
        resyncs: used.clientOddities.resyncs,
        ...used,
      },
    };
  },

  teardown: (t) => t.gen.closeAll(),

  oneLine: (r) =>
    `${r.caughtUp}/${r.clients} caught up, all within ${r.allCaughtUpMs === null ? "n/a" : `${fmt(r.allCaughtUpMs, 0)} ms`} (p50 ${r.catchUpMs.p50} p99 ${r.catchUpMs.p99} ms); lost ${r.lost}, duplicated ${r.duplicated}; deliveries ${r.deliveries.delivered}/${r.deliveries.expected}; ${r.gaps} channel.gap, ${r.resyncs} resync`,

  details(out) {
    const r = out.colink?.aggregate;
    if (!r) return [];
    return [
      "| target | clients | events (after drop) | caught up | all caught up after | catch-up p50 / p99 | lost | duplicated | deliveries | channel.gap / resync | server CPU (cores) |",
      "|---|---|---|---|---|---|---|---|---|---|---|",
      `| colink | ${r.clients} | ${r.events} (${r.eventsAfterDrop}) | ${r.caughtUp}/${r.clients} | ${r.allCaughtUpMs === null ? "never (timeout)" : `${fmt(r.allCaughtUpMs / 1000, 2)} s`} | ${fmt(r.catchUpMs.p50, 0)} / ${fmt(r.catchUpMs.p99, 0)} ms | ${r.lost} | ${r.duplicated} | ${r.deliveries.delivered}/${r.deliveries.expected} | ${r.gaps} / ${r.resyncs} | ${fmt(r.server.cpuCores, 2)} |`,
    ];
  },

  goals(out) {
    const r = out.colink?.aggregate;
    const goal = "all caught up within 10 s, 0 lost, 0 duplicated";
    if (!r) return [{ goal, pass: null, value: missing(out.colink) }];
    const inTime = r.allCaughtUpMs !== null && r.allCaughtUpMs <= 10_000;
    const pass = inTime && r.lost === 0 && r.duplicated === 0;
    const value = `${r.caughtUp}/${r.clients} caught up${r.allCaughtUpMs === null ? "" : ` in ${fmt(r.allCaughtUpMs / 1000, 2)} s`}, ${r.lost} lost, ${r.duplicated} duplicated`;
    const short = [];
    if (r.allCaughtUpMs === null) short.push(`${r.clients - r.caughtUp} clients never caught up`);
    else if (!inTime) short.push(`${fmt(r.allCaughtUpMs / 1000, 2)} s is ${fmt(r.allCaughtUpMs / 1000 - 10, 2)} s over 10 s`);
    if (r.lost) short.push(`${r.lost} events lost`);
    if (r.duplicated) short.push(`${r.duplicated} duplicated`);
    return [{ goal, pass, value, ...(pass ? {} : { shortfall: short.join("; ") }) }];
  },
};
