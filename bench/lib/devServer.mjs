import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { findWranglerLeader, freeDescriptors, runtimeUrl, serverSnapshot } from "./proc.mjs";

// Starts the servers under test. Colink is started exactly as the e2e suite starts it
// (test/e2e/wranglerDev.ts: fresh state directory, D1 migrations applied, free port, wrangler's
// local observability and its unauthenticated local explorer off), from a snapshot of its
// sources; for scenarios that seed history in bulk, as the bench's seeding Worker (bench/seeding/:
// Colink's Worker with a seeding route and ChannelRoom subclass). The baseline Worker has its own
// wrangler config under bench/baseline/ and needs no migrations.

const root = path.resolve(import.meta.dirname, "../..");
// COLINK_BENCH_SOURCE names another checkout of Colink (say a `git worktree` of an older commit)
// whose Worker is run instead of this tree's, so two commits are compared under one harness.
const source = process.env.COLINK_BENCH_SOURCE ? path.resolve(process.env.COLINK_BENCH_SOURCE) : root;

/**
 * @typedef {object} BenchServer
 * @property {string} url the runtime workerd's own entry socket, which the load goes to
 * @property {number} port
 * @property {number | null} pgid process group of `wrangler dev` (its workerd children are in it)
 * @property {() => ReturnType<typeof serverSnapshot>} snapshot RSS and CPU of the workerd processes
 * @property {() => number | null} freeDescriptors how many more file descriptors the runtime may open
 * @property {() => Promise<void>} stop
 * @property {() => string} logs
 */

async function e2eLauncher(dir = root) {
  try {
    return await import(pathToFileURL(path.join(dir, "test", "e2e", "wranglerDev.ts")).href);
  } catch (error) {
    throw new Error(
      `could not load test/e2e/wranglerDev.ts (${error instanceof Error ? error.message : error}); the benchmark needs Node >= 22.18, which runs TypeScript files directly`,
    );
  }
}

/** What `wrangler dev` needs to build and run Colink. */
const SNAPSHOT_PATHS = [
  "src",
  "docs",
  "durable-objects",
  "migrations",
  "wrangler.toml",
  "package.json",
  "tsconfig.json",
  ".dev.vars",
  "test/e2e/wranglerDev.ts",
  "scripts/freePort.mjs",
  "scripts/freePort.d.mts",
  "bench/seeding",
];

/**
 * Copies the Worker's sources to a temporary directory (node_modules linked, not copied), so that
 * the server under test is the code as it was when the run started: `wrangler dev` watches its
 * sources and restarts the Worker, dropping every socket, whenever one of them changes.
 */
export function snapshotSources() {
  const dir = mkdtempSync(path.join(tmpdir(), "colink-bench-src-"));
  for (const rel of SNAPSHOT_PATHS) {
    const from = path.join(source, rel);
    if (!existsSync(from)) continue;
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    cpSync(from, path.join(dir, rel), { recursive: true });
  }
  symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

/** The commit the sources came from, and whether the working tree differed from it. */
export function sourceRevision() {
  const git = (...args) => spawnSync("git", args, { cwd: source, encoding: "utf8" });
  const head = git("rev-parse", "HEAD");
  const status = git("status", "--porcelain", "--", ...SNAPSHOT_PATHS);
  return { commit: head.status === 0 ? head.stdout.trim() : null, dirty: status.status === 0 ? status.stdout.trim().length > 0 : null };
}

/**
 * Colink, started exactly as the e2e suite starts it (test/e2e/wranglerDev.ts: fresh state, D1
 * migrations, free port), from a snapshot of the sources unless `live` is set. With `seeding`, as
 * the bench's seeding Worker (bench/seeding/wrangler.toml), which adds bulk seeding of history.
 * @returns {Promise<BenchServer>}
 */
export async function startColinkServer(vars, { live = false, seeding = false } = {}) {
  const dir = live ? source : snapshotSources();
  const { startWranglerDev } = await e2eLauncher(dir);
  const config = seeding ? { config: path.join(dir, "bench", "seeding", "wrangler.toml"), migrate: true } : {};
  let dev;
  try {
    dev = await startWranglerDev({ vars, ...config });
  } catch (error) {
    if (!live) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return benchServer(dev, () => {
    if (!live) rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * A reference Worker (bench/baseline/ or bench/fanout/), started by the same launcher as Colink,
 * without D1.
 * @param {"baseline" | "fanout"} dir
 * @returns {Promise<BenchServer>}
 */
export async function startReferenceServer(dir) {
  const { startWranglerDev } = await e2eLauncher();
  const dev = await startWranglerDev({ config: path.join(root, "bench", dir, "wrangler.toml") });
  return benchServer(dev);
}

/**
 * A started `wrangler dev` as the bench measures it: the runtime's own URL, its process group for
 * RSS and CPU readings, and a stop that also runs `cleanup`.
 * @returns {Promise<BenchServer>}
 */
async function benchServer(dev, cleanup = () => {}) {
  const pgid = findWranglerLeader(dev.port);
  // Load goes straight to the runtime. wrangler's dev proxy in front of it is a development aid
  // (it holds requests across reloads) that no deployment has: it would add its own CPU to every
  // frame, and at 4 file descriptors per socket it cannot hold the idle-sockets scenario's sockets.
  const direct = await runtimeUrl(pgid, dev.port);
  if (!direct) throw new Error(`could not find the runtime's own port behind wrangler dev at ${dev.url}`);
  return {
    url: direct,
    port: dev.port,
    pgid,
    snapshot: () => serverSnapshot(pgid, dev.port),
    freeDescriptors: () => freeDescriptors(pgid, dev.port),
    logs: () => dev.logs(),
    stop: async () => {
      await dev.stop();
      cleanup();
    },
  };
}
