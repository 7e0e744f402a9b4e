import { AwsClient } from "aws4fetch";
import { sleep } from "../lib/http.mjs";
import { endUsage, startUsage } from "../lib/measure.mjs";
import { fmt, missing } from "./common.mjs";

// upload: concurrent file uploads through the Worker's own upload route (the local path, with no
// R2 S3 credentials): POST /files, PUT the bytes to upload.url, complete. The route streams each
// body into R2 without holding it, so the runtime's resident memory must stay flat however many
// bytes are in flight: its peak growth is measured against what the uploads carry at once.
// The baseline is the same uploads sent straight to wrangler's local S3 endpoint for the same
// bucket (presigned with the local_dev credentials of wrangler.toml): no Colink code, only the
// local R2 simulator, which runs in the same workerd and holds some of each object itself.

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
    const colink = await phase(t, size, () =>
      Promise.all(
        created.map(async (c) => {
          const put = await fetch(c.upload.url, { method: "PUT", body, headers: c.upload.headers });
          await put.arrayBuffer();
          if (put.status >= 300) return put.status;
          const done = await api(`/files/${c.file.id}/complete`, { method: "POST" });
          await done.arrayBuffer();
          return done.status;
        }),
      ),
    );
    await sleep(2_000);
    // The baseline: the same bytes straight into the local R2 simulator through its S3 endpoint.
    const s3 = new AwsClient({
      accessKeyId: "colink-local-s3",
      secretAccessKey: "colink-local-s3-not-a-secret",
      service: "s3",
      region: "auto",
    });
    const direct = await phase(t, size, () =>
      Promise.all(
        Array.from({ length: p.uploads }, async (_, i) => {
          const url = `${t.ctx.url}/cdn-cgi/local/r2/s3/colink-files/bench-direct/${Date.now()}-${i}`;
          const signed = await s3.sign(url, { method: "PUT", headers: { "content-length": String(size) }, aws: { signQuery: true } });
          const put = await fetch(signed.url, { method: "PUT", body });
          await put.arrayBuffer();
          return put.status < 300 ? 200 : put.status;
        }),
      ),
    );
    return {
      result: {
        tag: `upload.${t.name}`,
        uploads: p.uploads,
        mib: p.mib,
        inFlightMib: (p.uploads * size) / MIB,
        ...colink,
        direct,
        rssRatio: direct.runtimeGrowthMib > 0 ? Math.round((colink.runtimeGrowthMib / direct.runtimeGrowthMib) * 100) / 100 : null,
        throughputRatio: direct.mbPerSecond > 0 ? Math.round((colink.mbPerSecond / direct.mbPerSecond) * 100) / 100 : null,
      },
    };
  },

  teardown: async () => {},

  oneLine: (r) =>
    `${r.ok}/${r.uploads} × ${r.mib} MiB in ${r.seconds} s: ${r.mbPerSecond} MB/s; workerd RSS ${r.runtimeRssMib.before} → peak ${r.runtimeRssMib.peak} MiB (+${r.runtimeGrowthMib} MiB with ${r.inFlightMib} MiB in flight); straight to the local R2: ${r.direct.mbPerSecond} MB/s, +${r.direct.runtimeGrowthMib} MiB (ratios: throughput ${r.throughputRatio}×, RSS growth ${r.rssRatio}×)`,

  details(out) {
    const r = out.colink?.aggregate;
    if (!r) return [];
    return [
      "| path | uploads | each | ok | time | MB/s | workerd RSS before | workerd RSS peak | growth | bytes in flight |",
      "|---|---|---|---|---|---|---|---|---|---|",
      ...[
        ["Colink's upload route", r],
        ["straight to the local R2 (baseline)", r.direct],
      ].map(
        ([name, x]) =>
          `| ${name} | ${r.uploads} | ${r.mib} MiB | ${x.ok} | ${fmt(x.seconds, 2)} s | ${fmt(x.mbPerSecond)} | ${fmt(x.runtimeRssMib.before)} MiB | ${fmt(x.runtimeRssMib.peak)} MiB | ${fmt(x.runtimeGrowthMib)} MiB | ${r.inFlightMib} MiB |`,
      ),
      "",
      `Ratios to the baseline: throughput ${fmt(r.throughputRatio, 2)}×, peak RSS growth ${fmt(r.rssRatio, 2)}×.`,
    ];
  },

  goals(out) {
    const r = out.colink?.aggregate;
    const goal = `uploads stream: workerd peak RSS grows no more than with the same uploads straight into the local R2, plus ${FLAT_SHARE * 100} % of the bytes in flight; all succeed`;
    if (!r?.uploads) return [{ goal, pass: null, value: missing(out.colink) }];
    const pass = r.ok === r.uploads && r.runtimeGrowthMib <= r.direct.runtimeGrowthMib + r.inFlightMib * FLAT_SHARE;
    const value = `${r.mbPerSecond} MB/s (${fmt(r.throughputRatio, 2)}× direct); +${r.runtimeGrowthMib} MiB peak RSS vs +${r.direct.runtimeGrowthMib} MiB direct, ${r.inFlightMib} MiB in flight; ${r.ok}/${r.uploads} ok`;
    return [
      {
        goal,
        pass,
        value,
        ...(pass
          ? {}
          : { shortfall: r.ok !== r.uploads ? `${r.uploads - r.ok} failed` : "RSS grew with the bytes beyond the simulator's own" }),
      },
    ];
  },
};

/** One timed burst of uploads, with the runtime's RSS sampled every 50 ms. */
async function phase(t, size, run) {
  const before = t.server.snapshot();
  let peakRuntime = before.runtimeRssKib;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peakRuntime = Math.max(peakRuntime, t.server.snapshot().runtimeRssKib);
      await sleep(50);
    }
  })();
  const usage = await startUsage(t.gen, t.server);
  const started = performance.now();
  const statuses = await run();
  const seconds = (performance.now() - started) / 1000;
  const used = await endUsage(t.gen, t.server, usage);
  sampling = false;
  await sampler;
  const ok = statuses.filter((s) => s === 200).length;
  const mib = (kib) => Math.round(kib / 102.4) / 10;
  return {
    ok,
    failed: statuses.filter((s) => s !== 200),
    seconds: Math.round(seconds * 100) / 100,
    mbPerSecond: Math.round(((ok * size) / 1e6 / seconds) * 10) / 10,
    runtimeRssMib: { before: mib(before.runtimeRssKib), peak: mib(peakRuntime) },
    runtimeGrowthMib: mib(peakRuntime - before.runtimeRssKib),
    machine: used.machine,
    server: used.server,
  };
}
