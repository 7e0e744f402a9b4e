import { sleep } from "../lib/http.mjs";
import { endUsage, startUsage } from "../lib/measure.mjs";
import { FDS_PER_OBJECT, FDS_PER_SOCKET, fmt, missing } from "./common.mjs";

// idle-sockets: many sockets that do nothing after their first frame, so their Durable Objects can
// hibernate; the cost is the workerd resident memory they add, per socket. Colink spreads them
// over many users (several devices each), the baseline over 100 rooms.

const KIB = 1024;
export const IDLE_GOAL_BYTES = 20 * KIB;

export const idleSockets = {
  name: "idle-sockets",
  summary: "10,000 idle sockets (5 per user over 2,000 users; baseline: 100 rooms) left to hibernate. workerd RSS per socket.",
  rounds: 1,
  params: (quick) =>
    quick ? { sockets: 1000, users: 150, rooms: 20, idleSeconds: 5 } : { sockets: 10_000, users: 2000, rooms: 100, idleSeconds: 20 },
  supports: () => true,

  async prepare(t, p, log) {
    // As many of the sockets as the runtime has file descriptors for, with the same number of
    // sockets per user (Colink) or the same rooms (baseline): each loaded Durable Object costs some.
    const perChannel = t.mod.capabilities.socketPerChannel;
    const free = t.server.freeDescriptors();
    const perSocket = FDS_PER_SOCKET + (perChannel ? 0 : (FDS_PER_OBJECT * p.users) / p.sockets);
    const fixed = perChannel ? FDS_PER_OBJECT * p.rooms : 0;
    const sockets = free === null ? p.sockets : Math.min(p.sockets, Math.floor((free - fixed) / perSocket));
    const users = perChannel ? p.users : Math.ceil((sockets * p.users) / p.sockets);
    if (sockets < p.sockets)
      log(`${t.name}: ${sockets} sockets over ${users} users, not ${p.sockets}: the runtime's open-file limit leaves room for no more`);
    const accounts = await t.mod.ensureUsers(t.ctx, users, log);
    const rooms = perChannel
      ? await Promise.all(Array.from({ length: p.rooms }, (_, i) => t.mod.createChannel(t.ctx, `idle-${i}`, [])))
      : [];
    const clients = Array.from({ length: sockets }, (_, idx) => ({
      idx,
      account: accounts[idx % accounts.length],
      channels: rooms.length ? [rooms[idx % rooms.length]] : [],
    }));
    await sleep(3_000); // let what the previous scenario left settle before the "before" reading
    return { clients };
  },

  async measure(t, world, p, _round, log) {
    // Warm the server first (a fresh process grows its heap on first use, which is not what a
    // socket costs): open and close a few sockets, then take the "before" reading.
    const warm = world.clients.slice(0, Math.max(1, Math.floor(world.clients.length / 20)));
    await t.gen.connect(warm, { first: "ping", concurrency: 32 });
    await t.gen.closeAll();
    await sleep(2_000);
    const usage = await startUsage(t.gen, t.server);
    const before = t.server.snapshot();
    const half = Math.floor(world.clients.length / 2);
    const r1 = await t.gen.connect(world.clients.slice(0, half), { first: "ping", concurrency: 32 });
    const atHalf = t.server.snapshot();
    const r2 = await t.gen.connect(world.clients.slice(half), { first: "ping", concurrency: 32 });
    const connectedCount = r1.connected + r2.connected;
    const failed = r1.failed + r2.failed;
    const errors = [...r1.errors, ...r2.errors].slice(0, 5);
    log(
      `${t.name}: ${connectedCount}/${world.clients.length} idle sockets open in ${((r1.ms + r2.ms) / 1000).toFixed(1)} s${failed ? ` (${errors.join("; ")})` : ""}`,
    );
    const connected = t.server.snapshot();
    await sleep(p.idleSeconds * 1000);
    const idle = t.server.snapshot();
    const open = await t.gen.openCount();
    const alive = await t.gen.ping(15_000);
    const used = await endUsage(t.gen, t.server, usage);
    const per = (a, b, n = connectedCount) => (n ? Math.round(((a - b) * KIB) / n) : null);
    return {
      result: {
        tag: `idle.${t.name}`,
        sockets: world.clients.length,
        asked: p.sockets,
        connected: connectedCount,
        failed,
        errors,
        connectSeconds: Math.round(r1.ms + r2.ms) / 1000,
        openAfterIdle: open,
        answeredPing: alive.ok,
        rssKib: {
          before: { total: before.rssKib, runtime: before.runtimeRssKib },
          half: { total: atHalf.rssKib, runtime: atHalf.runtimeRssKib },
          connected: { total: connected.rssKib, runtime: connected.runtimeRssKib },
          idle: { total: idle.rssKib, runtime: idle.runtimeRssKib },
        },
        bytesPerSocket: {
          // all-in: everything the sockets added, their users' Durable Objects included (the goal)
          runtimeIdle: per(idle.runtimeRssKib, before.runtimeRssKib),
          runtimeConnected: per(connected.runtimeRssKib, before.runtimeRssKib),
          // marginal: the second half alone, whose users already had a socket
          runtimeMarginal: per(connected.runtimeRssKib, atHalf.runtimeRssKib, r2.connected),
        },
        ...used,
      },
    };
  },

  teardown: (t) => t.gen.closeAll(),

  oneLine: (r) =>
    `${r.connected}/${r.sockets} sockets, ${r.openAfterIdle} open after idling, ${r.answeredPing} answered a ping; RSS per socket: runtime ${fmt(r.bytesPerSocket.runtimeIdle / KIB, 1)} KiB idle (${fmt(r.bytesPerSocket.runtimeConnected / KIB, 1)} KiB just connected, ${fmt(r.bytesPerSocket.runtimeMarginal / KIB, 1)} KiB marginal)`,

  details(out) {
    const rows = [
      "| target | sockets open | after idle / answered ping | connect time | runtime RSS before → connected → idle | per socket (runtime, idle) | marginal per socket (2nd half) |",
      "|---|---|---|---|---|---|---|",
    ];
    for (const [name, o] of Object.entries(out)) {
      const r = o.aggregate;
      if (!r?.rssKib) continue;
      const m = (k) => `${fmt(k / KIB, 0)} MiB`;
      rows.push(
        `| ${name} | ${r.connected}/${r.sockets}${r.asked > r.sockets ? ` (${r.asked} asked)` : ""} | ${r.openAfterIdle} / ${r.answeredPing} | ${fmt(r.connectSeconds)} s | ${m(r.rssKib.before.runtime)} → ${m(r.rssKib.connected.runtime)} → ${m(r.rssKib.idle.runtime)} | ${fmt(r.bytesPerSocket.runtimeIdle / KIB, 1)} KiB | ${fmt(r.bytesPerSocket.runtimeMarginal / KIB, 1)} KiB |`,
      );
    }
    return rows;
  },

  goals(out) {
    const r = out.colink?.aggregate;
    const goal = "idle socket ≤ 20 KiB RSS (workerd runtime)";
    if (!r?.bytesPerSocket) return [{ goal, pass: null, value: missing(out.colink) }];
    const b = r.bytesPerSocket.runtimeIdle;
    const allUp = r.failed === 0 && r.openAfterIdle === r.sockets;
    const pass = b !== null && b <= IDLE_GOAL_BYTES && allUp;
    const capped = r.asked && r.sockets < r.asked ? ` (of ${r.asked} asked for: the runtime's open-file limit allows no more)` : "";
    const value = `${fmt(b / KIB, 1)} KiB per socket over ${r.connected} sockets${capped}`;
    const short = [];
    if (b !== null && b > IDLE_GOAL_BYTES)
      short.push(
        `${fmt(b / KIB, 1)} KiB is ${fmt((b - IDLE_GOAL_BYTES) / KIB, 1)} KiB (${fmt(((b - IDLE_GOAL_BYTES) / IDLE_GOAL_BYTES) * 100, 0)}%) over 20 KiB`,
      );
    if (!allUp) short.push(`${r.sockets - r.openAfterIdle} of ${r.sockets} sockets not open at the end`);
    return [{ goal, pass, value, ...(pass ? {} : { shortfall: short.join("; ") }) }];
  },
};
