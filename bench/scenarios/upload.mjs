import { sleep } from "../lib/http.mjs";
import { endUsage, startUsage } from "../lib/measure.mjs";
import { fmt, missing } from "./common.mjs";

// upload: concurrent file uploads through the Worker's own upload route (the local path, with no
// R2 S3 credentials): POST /files, PUT the bytes to upload.url, complete. The route streams each
// body into R2 without holding it, so the runtime's resident memory must stay flat however many
// bytes are in flight: its peak growth is measured against what the uploads carry at once.

const MIB = 1024 * 1024;
/** Peak runtime RSS growth allowed, as a share of the bytes in flight at once (buffering would be ≥ 100 %). */
const FLAT_SHARE = 0.25;

export const upload = {
  name: "upload",
  summary: "20 concurrent 10 MiB uploads through the local upload route (POST /files, PUT, complete). MB/s and workerd peak RSS.",
  rounds: 1,
  params: (quick) => (quick ? { uploads: 8, mib: 10 } : { uploads: 20, mib: 10 }),
  supports: (caps) => Boolean(caps.files),

  async prepare(t, _p, log) {
    const [account] = await t.mod.ensureUsers(t.ctx, 1, log);
    await sleep(1_000);
    return { account };
  },

  async measure(t, world, p) {
    const size = p.mib * MIB;
    const body = Buffer.alloc(size, 0x61);
    const api = (path, init = {}) =>
      fetch(`${t.ctx.url}/api/v1${path}`, {
        ...init,
        headers: { authorization: `Bearer ${world.account.token}`, "content-type": "application/json", ...(init.headers ?? {}) },
      });
    const created = await Promise.all(
      Array.from({ length: p.uploads }, async (_, i) => {
        const res = await api("/files", {
          method: "POST",
          body: JSON.stringify({ filename: `bench-${i}.bin`, content_type: "application/octet-stream", size }),
        });
        if (res.status !== 201) throw new Error(`POST /files: ${res.status} ${await res.text()}`);
        return res.json();
      }),
    );
    const before = t.server.snapshot();
    let peakRuntime = before.runtimeRssKib;
    let peakTotal = before.rssKib;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const s = t.server.snapshot();
        peakRuntime = Math.max(peakRuntime, s.runtimeRssKib);
        peakTotal = Math.max(peakTotal, s.rssKib);
        await sleep(50);
      }
    })();
    const usage = await startUsage(t.gen, t.server);
    const started = performance.now();
    const statuses = await Promise.all(
      created.map(async (c) => {
        const put = await fetch(c.upload.url, { method: "PUT", body, headers: c.upload.headers });
        await put.arrayBuffer();
        if (put.status >= 300) return put.status;
        const done = await api(`/files/${c.file.id}/complete`, { method: "POST" });
        await done.arrayBuffer();
        return done.status;
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const used = await endUsage(t.gen, t.server, usage);
    sampling = false;
    await sampler;
    const ok = statuses.filter((s) => s === 200).length;
    const bytes = ok * size;
    return {
      result: {
        tag: `upload.${t.name}`,
        uploads: p.uploads,
        mib: p.mib,
        ok,
        failed: statuses.filter((s) => s !== 200),
        seconds: Math.round(seconds * 100) / 100,
        mbPerSecond: Math.round((bytes / 1e6 / seconds) * 10) / 10,
        inFlightMib: (p.uploads * size) / MIB,
        runtimeRssMib: { before: Math.round(before.runtimeRssKib / 102.4) / 10, peak: Math.round(peakRuntime / 102.4) / 10 },
        totalRssMib: { before: Math.round(before.rssKib / 102.4) / 10, peak: Math.round(peakTotal / 102.4) / 10 },
        runtimeGrowthMib: Math.round((peakRuntime - before.runtimeRssKib) / 102.4) / 10,
        ...used,
      },
    };
  },

  teardown: async () => {},

  oneLine: (r) =>
    `${r.ok}/${r.uploads} × ${r.mib} MiB in ${r.seconds} s: ${r.mbPerSecond} MB/s; workerd RSS ${r.runtimeRssMib.before} → peak ${r.runtimeRssMib.peak} MiB (+${r.runtimeGrowthMib} MiB with ${r.inFlightMib} MiB in flight)`,

  details(out) {
    const r = out.colink?.aggregate;
    if (!r) return [];
    return [
      "| target | uploads | each | ok | time | MB/s | workerd RSS before | workerd RSS peak | growth | bytes in flight |",
      "|---|---|---|---|---|---|---|---|---|---|",
      `| colink | ${r.uploads} | ${r.mib} MiB | ${r.ok} | ${fmt(r.seconds, 2)} s | ${fmt(r.mbPerSecond)} | ${fmt(r.runtimeRssMib.before)} MiB | ${fmt(r.runtimeRssMib.peak)} MiB | ${fmt(r.runtimeGrowthMib)} MiB | ${r.inFlightMib} MiB |`,
    ];
  },

  goals(out) {
    const r = out.colink?.aggregate;
    const goal = `uploads stream (workerd peak RSS grows by under ${FLAT_SHARE * 100} % of the bytes in flight) and all succeed`;
    if (!r?.uploads) return [{ goal, pass: null, value: missing(out.colink) }];
    const pass = r.ok === r.uploads && r.runtimeGrowthMib < r.inFlightMib * FLAT_SHARE;
    const value = `${r.mbPerSecond} MB/s; +${r.runtimeGrowthMib} MiB peak RSS for ${r.inFlightMib} MiB in flight; ${r.ok}/${r.uploads} ok`;
    return [
      { goal, pass, value, ...(pass ? {} : { shortfall: r.ok !== r.uploads ? `${r.uploads - r.ok} failed` : "RSS grew with the bytes" }) },
    ];
  },
};
