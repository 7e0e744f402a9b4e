import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { AwsClient } from "aws4fetch";
import { Colink } from "../../client/index.ts";
import { startColinkServer, startReferenceServer } from "../lib/devServer.mjs";
import { sleep } from "../lib/http.mjs";
import { fmt, missing } from "./common.mjs";

// upload: how much memory the runtime needs to take uploads, per path, each on a FRESH `wrangler
// dev` (a workerd that already grew would hide what a path costs):
//
//   colink  Colink's own upload route (the local path, no R2 S3 credentials): POST /files, PUT the
//           bytes to upload.url, then complete (after the measured PUTs, checked but not timed)
//   bare    bench/bareput/: a Worker that does nothing but `env.B.put(key, request.body)`
//   s3      the same bare server's bucket through wrangler's local S3 endpoint (presigned PUTs,
//           no Worker code at all)
//
// each with two loads: `many` concurrent uploads of `mib` MiB, and `one` upload of `singleMb` MB
// (more bytes than `many` in all). All three paths end in Miniflare's local R2 simulator, which runs
// in the same workerd and itself holds some of each object while it is written: that growth is
// not Colink's, and production R2 runs no simulator. So the goal compares Colink's route with the
// bare put on the same load: no more than 1.1× its growth + 16 MiB, and what Colink adds over the
// bare put does not grow with the bytes (`one` carries more bytes than `many`).

const MIB = 1024 * 1024;
const RATIO = 1.1;
const SLACK_MIB = 16;
const S3 = { accessKeyId: "colink-bench-s3", secretAccessKey: "colink-bench-s3-not-a-secret", bucket: "colink-bench-bareput" };
const PATHS = ["colink", "bare", "s3"];
const PATH_NAMES = {
  colink: "Colink's upload route",
  bare: "bare `env.B.put(key, request.body)` Worker",
  s3: "local S3 endpoint (presigned PUT, no Worker)",
};

export const upload = {
  name: "upload",
  summary:
    "Uploads on a fresh wrangler dev per path and load: Colink's local upload route, a bare env.B.put Worker, the local S3 endpoint; 20 concurrent 10 MiB and one 250 MB. MB/s and workerd peak RSS growth.",
  rounds: 1,
  params: (quick) => (quick ? { uploads: 8, mib: 10, singleMb: 50 } : { uploads: 20, mib: 10, singleMb: 250 }),
  supports: (caps) => Boolean(caps.files),

  // Every phase starts its own servers (below); the harness's Colink server only idles meanwhile.
  prepare: async () => ({}),

  async measure(_t, _world, p, _round, log) {
    const loads = {
      many: { uploads: p.uploads, bytes: p.mib * MIB, label: `${p.uploads} × ${p.mib} MiB at once` },
      one: { uploads: 1, bytes: p.singleMb * 1e6, label: `1 × ${p.singleMb} MB` },
    };
    const result = { tag: "upload.paths", params: p, loads: {}, uptime: { before: uptime() } };
    for (const [loadId, load] of Object.entries(loads)) {
      result.loads[loadId] = { ...load, totalMib: r1((load.uploads * load.bytes) / MIB), paths: {} };
      for (const path of PATHS) {
        const x = await runPhase(path, load, p, log);
        result.loads[loadId].paths[path] = x;
        log(`${path} ${load.label}: ${line(x)}`);
      }
    }
    result.uptime.after = uptime();
    return { result };
  },

  teardown: async () => {},

  oneLine: (r) =>
    Object.entries(r.loads)
      .map(([id, l]) => `${id} (${l.label}): ${PATHS.map((path) => `${path} ${line(l.paths[path])}`).join("; ")}`)
      .join(" | "),

  details(out) {
    const r = out.colink?.aggregate;
    if (!r?.loads) return [];
    const rows = Object.values(r.loads).flatMap((l) =>
      PATHS.map((path) => {
        const x = l.paths[path];
        return `| ${l.label} (${fmt(l.totalMib, 0)} MiB) | ${PATH_NAMES[path]} | ${x.ok}/${l.uploads} | ${fmt(x.seconds, 2)} s | ${fmt(x.mbPerSecond)} | ${fmt(x.runtimeRssMib.before)} MiB | ${fmt(x.runtimeRssMib.peak)} MiB | +${fmt(x.runtimeGrowthMib)} MiB | ${fmt(x.machineBusy * 100, 0)} % | ${x.loadavg.map((v) => fmt(v, 2)).join(" ")} |`;
      }),
    );
    return [
      "Each row on its own fresh `wrangler dev` (workerd RSS measured from just before the uploads; peak sampled every 50 ms).",
      "",
      "| load | path | ok | time | MB/s | workerd RSS before | peak | growth | machine busy | load avg 1/5/15 min before |",
      "|---|---|---|---|---|---|---|---|---|---|",
      ...rows,
      "",
      `\`uptime\` before: ${r.uptime.before}`,
      `\`uptime\` after: ${r.uptime.after}`,
    ];
  },

  goals(out) {
    const r = out.colink?.aggregate;
    const goalRatio = (label) =>
      `${label}: Colink's route grows workerd's RSS no more than ${RATIO}× the bare put's growth + ${SLACK_MIB} MiB; all uploads succeed`;
    const goalFlat = `Colink's growth over the bare put does not scale with the bytes: its excess for the one big upload is within ${SLACK_MIB} MiB of its excess for the concurrent ones`;
    if (!r?.loads)
      return [
        ...["many", "one"].map((id) => ({ goal: goalRatio(id), pass: null, value: missing(out.colink) })),
        { goal: goalFlat, pass: null, value: missing(out.colink) },
      ];
    const goals = Object.entries(r.loads).map(([, l]) => {
      const c = l.paths.colink;
      const b = l.paths.bare;
      const limit = RATIO * Math.max(0, b.runtimeGrowthMib) + SLACK_MIB;
      const allOk = PATHS.every((path) => l.paths[path].ok === l.uploads) && c.completed === l.uploads;
      const pass = allOk && c.runtimeGrowthMib <= limit;
      return {
        goal: goalRatio(l.label),
        pass,
        value: `Colink +${fmt(c.runtimeGrowthMib)} MiB at ${fmt(c.mbPerSecond)} MB/s; bare put +${fmt(b.runtimeGrowthMib)} MiB at ${fmt(b.mbPerSecond)} MB/s (limit ${fmt(limit)} MiB); local S3 +${fmt(l.paths.s3.runtimeGrowthMib)} MiB at ${fmt(l.paths.s3.mbPerSecond)} MB/s; ${l.totalMib} MiB uploaded`,
        ...(pass
          ? {}
          : { shortfall: allOk ? `${fmt(c.runtimeGrowthMib - limit)} MiB over the limit` : "some uploads or completes failed" }),
      };
    });
    const excess = (l) => l.paths.colink.runtimeGrowthMib - l.paths.bare.runtimeGrowthMib;
    const many = excess(r.loads.many);
    const one = excess(r.loads.one);
    const flat = one - many <= SLACK_MIB;
    goals.push({
      goal: goalFlat,
      pass: flat,
      value: `excess ${fmt(many)} MiB for ${r.loads.many.totalMib} MiB at once, ${fmt(one)} MiB for ${r.loads.one.totalMib} MiB in one upload`,
      ...(flat ? {} : { shortfall: `${fmt(one - many - SLACK_MIB)} MiB more than the slack` }),
    });
    return goals;
  },
};

/** One path and load on a fresh server: its uploads timed, with the runtime's RSS sampled every 50 ms. */
async function runPhase(path, load, p, log) {
  const started = performance.now();
  const server =
    path === "colink"
      ? await startColinkServer({
          OPEN_SIGNUP: "true",
          SIGNUP_RATE_PER_HOUR: "1000000",
          // This server's own limit, raised so the single big upload is allowed.
          MAX_UPLOAD_BYTES: String(Math.max(104_857_600, p.singleMb * 1e6)),
        })
      : await startReferenceServer("bareput");
  log(`${path}: fresh server up in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  try {
    const body = Buffer.alloc(load.bytes, 0x61);
    const prepared = await preparePath(path, server, load);
    // Let the fresh runtime settle (sign-up's argon2id, first requests) before the baseline reading.
    await sleep(1_500);
    const before = server.snapshot();
    const load0 = loadavg();
    const cpu0 = machineCpu();
    let peak = before.runtimeRssKib;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, server.snapshot().runtimeRssKib);
        await sleep(50);
      }
    })();
    const t0 = performance.now();
    const statuses = await Promise.all(prepared.map((put) => put(body).catch((e) => String(e))));
    const seconds = (performance.now() - t0) / 1000;
    sampling = false;
    await sampler;
    peak = Math.max(peak, server.snapshot().runtimeRssKib);
    const cpu1 = machineCpu();
    const ok = statuses.filter((s) => s === "ok").length;
    const completed = path === "colink" ? await completeAll(prepared) : null;
    return {
      ok,
      failed: statuses.filter((s) => s !== "ok"),
      ...(completed === null ? {} : { completed }),
      seconds: r2(seconds),
      mbPerSecond: r1((ok * load.bytes) / 1e6 / seconds),
      runtimeRssMib: { before: mib(before.runtimeRssKib), peak: mib(peak) },
      runtimeGrowthMib: mib(peak - before.runtimeRssKib),
      machineBusy: r2((cpu1.busy - cpu0.busy) / Math.max(1, cpu1.total - cpu0.total)),
      loadavg: load0.map(r2),
    };
  } finally {
    await server.stop();
  }
}

/** One function per upload of the load, each sending the body and answering "ok" or what went wrong. */
async function preparePath(path, server, load) {
  const keys = Array.from({ length: load.uploads }, (_, i) => `bench/${randomUUID()}-${i}`);
  if (path === "bare")
    return keys.map((key) => async (body) => {
      const res = await fetch(`${server.url}/put/${key}`, { method: "PUT", body });
      await res.arrayBuffer();
      return res.status === 204 ? "ok" : `${res.status}`;
    });
  if (path === "s3") {
    const s3 = new AwsClient({ accessKeyId: S3.accessKeyId, secretAccessKey: S3.secretAccessKey, service: "s3", region: "auto" });
    const signed = await Promise.all(
      keys.map((key) =>
        s3.sign(`${server.url}/cdn-cgi/local/r2/s3/${S3.bucket}/${key}`, {
          method: "PUT",
          headers: { "content-length": String(load.bytes) },
          aws: { signQuery: true },
        }),
      ),
    );
    return signed.map((s) => async (body) => {
      const res = await fetch(s.url, { method: "PUT", body });
      const text = await res.text();
      return res.status === 200 ? "ok" : `${res.status} ${text.slice(0, 200)}`;
    });
  }
  // Colink's side through the SDK; the bytes go where POST /files said, with the headers it gave.
  const colink = new Colink({ baseUrl: server.url, watchNetwork: false, retry: { attempts: 0 } });
  await colink.register({ email: "uploader@bench.test", username: "uploader", password: `bench-${randomUUID()}` }).catch((error) => {
    throw new Error(`register: ${error.message}`);
  });
  const uploads = await Promise.all(
    keys.map((_, i) =>
      colink.api.createFile({ filename: `bench-${i}.bin`, content_type: "application/octet-stream", size: load.bytes }).catch((error) => {
        throw new Error(`POST /files: ${error.message}`);
      }),
    ),
  );
  return uploads.map((created) =>
    Object.assign(
      async (body) => {
        const res = await fetch(created.upload.url, { method: "PUT", body, headers: created.upload.headers });
        const text = await res.text();
        return res.status === 204 ? "ok" : `${res.status} ${text.slice(0, 200)}`;
      },
      { fileId: created.file.id, api: colink.api },
    ),
  );
}

/** Completes Colink's uploads (after the measurement): how many the server found whole. */
async function completeAll(prepared) {
  const done = await Promise.all(
    prepared.map((put) =>
      put.api.completeFile(put.fileId).then(
        () => true,
        () => false,
      ),
    ),
  );
  return done.filter(Boolean).length;
}

function machineCpu() {
  let busy = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle;
    total += t;
    busy += t - c.times.idle;
  }
  return { busy, total };
}

function uptime() {
  try {
    return execFileSync("uptime", { encoding: "utf8" }).trim();
  } catch {
    return `loadavg ${loadavg()
      .map((v) => v.toFixed(2))
      .join(" ")}`;
  }
}

const line = (x) =>
  `${x.ok} ok in ${x.seconds} s = ${x.mbPerSecond} MB/s, workerd ${x.runtimeRssMib.before} → ${x.runtimeRssMib.peak} MiB (+${x.runtimeGrowthMib})`;
const mib = (kib) => Math.round(kib / 102.4) / 10;
const r1 = (v) => Math.round(v * 10) / 10;
const r2 = (v) => Math.round(v * 100) / 100;
