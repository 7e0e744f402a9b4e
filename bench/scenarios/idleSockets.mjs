import { sleep } from "../lib/http.mjs";
import { endUsage, startUsage } from "../lib/measure.mjs";
import { fmt, missing } from "./common.mjs";

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
    quick ? { sockets: 1000, users: 150, rooms: 20, idleSeconds: 10 } : { sockets: 10_000, users: 2000, rooms: 100, idleSeconds: 20 },
  supports: () => true,

  async prepare(t, p, log) {
    const accounts = await t.mod.ensureUsers(t.ctx, p.users, log);
    const rooms = t.mod.capabilities.socketPerChannel
      ? await Promise.all(Array.from({ length: p.rooms }, (_, i) => t.mod.createChannel(t.ctx, `idle-${i}`, [])))
      : [];
    const clients = Array.from({ length: p.sockets }, (_, idx) => ({
      idx,
      account: accounts[idx % accounts.length],
      channels: rooms.length ? [rooms[idx % rooms.length]] : [],
    }));
    await sleep(3_000); // let what the previous scenario left settle before the "before" reading
    return { clients };
  },

  async measure(t, world, p, _round, log) {
    const usage = await startUsage(t.gen, t.server);
    const before = t.server.snapshot();
    const r = await t.gen.connect(world.clients, { first: "ping", concurrency: 32 });
    log(
      `${t.name}: ${r.connected}/${r.sockets} idle sockets open in ${(r.ms / 1000).toFixed(1)} s${r.failed ? ` (${r.errors.join("; ")})` : ""}`,
    );
    const connected = t.server.snapshot();
    await sleep(p.idleSeconds * 1000);
    const idle = t.server.snapshot();
    const open = await t.gen.openCount();
    const alive = await t.gen.ping(15_000);
    const used = await endUsage(t.gen, t.server, usage);
    const per = (a, b) => (r.connected ? Math.round(((a - b) * KIB) / r.connected) : null);
    return {
      result: {
        tag: `idle.${t.name}`,
        sockets: r.sockets,
        connected: r.connected,
        failed: r.failed,
        errors: r.errors,
        connectSeconds: Math.round(r.ms) / 1000,
        openAfterIdle: open,
        answeredPing: alive.ok,
        rssKib: {
          before: { total: before.rssKib, runtime: before.runtimeRssKib },
          connected: { total: connected.rssKib, runtime: connected.runtimeRssKib },
          idle: { total: idle.rssKib, runtime: idle.runtimeRssKib },
        },
        bytesPerSocket: {
          runtimeConnected: per(connected.runtimeRssKib, before.runtimeRssKib),
          runtimeIdle: per(idle.runtimeRssKib, before.runtimeRssKib),
          totalIdle: per(idle.rssKib, before.rssKib),
        },
        ...used,
      },
    };
  },

  teardown: (t) => t.gen.closeAll(),

  oneLine: (r) =>
    `${r.connected}/${r.sockets} sockets, ${r.openAfterIdle} open after idling, ${r.answeredPing} answered a ping; RSS per socket: runtime ${fmt(r.bytesPerSocket.runtimeIdle / KIB, 1)} KiB idle (${fmt(r.bytesPerSocket.runtimeConnected / KIB, 1)} KiB just connected), with the dev proxy ${fmt(r.bytesPerSocket.totalIdle / KIB, 1)} KiB`,

  details(out) {
    const rows = [
      "| target | sockets open | after idle / answered ping | connect time | runtime RSS before → connected → idle | per socket (runtime, idle) | per socket (runtime + dev proxy) |",
      "|---|---|---|---|---|---|---|",
    ];
    for (const [name, o] of Object.entries(out)) {
      const r = o.aggregate;
      if (!r?.rssKib) continue;
      const m = (k) => `${fmt(k / KIB, 0)} MiB`;
      rows.push(
        `| ${name} | ${r.connected}/${r.sockets} | ${r.openAfterIdle} / ${r.answeredPing} | ${fmt(r.connectSeconds)} s | ${m(r.rssKib.before.runtime)} → ${m(r.rssKib.connected.runtime)} → ${m(r.rssKib.idle.runtime)} | ${fmt(r.bytesPerSocket.runtimeIdle / KIB, 1)} KiB | ${fmt(r.bytesPerSocket.totalIdle / KIB, 1)} KiB |`,
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
    const value = `${fmt(b / KIB, 1)} KiB per socket over ${r.connected} sockets (${fmt(r.bytesPerSocket.totalIdle / KIB, 1)} KiB with the dev proxy)`;
    const short = [];
    if (b !== null && b > IDLE_GOAL_BYTES)
      short.push(
        `${fmt(b / KIB, 1)} KiB is ${fmt((b - IDLE_GOAL_BYTES) / KIB, 1)} KiB (${fmt(((b - IDLE_GOAL_BYTES) / IDLE_GOAL_BYTES) * 100, 0)}%) over 20 KiB`,
      );
    if (!allUp) short.push(`${r.sockets - r.openAfterIdle} of ${r.sockets} sockets not open at the end`);
    return [{ goal, pass, value, ...(pass ? {} : { shortfall: short.join("; ") }) }];
  },
};
