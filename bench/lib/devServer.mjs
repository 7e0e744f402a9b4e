import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { findWranglerLeader, serverSnapshot } from "./proc.mjs";

// Starts the servers under test. Colink is started exactly as the e2e suite starts it
// (test/e2e/wranglerDev.ts: fresh state directory, D1 migrations applied, free port); the baseline
// Worker has its own wrangler config under bench/baseline/ and needs no migrations.

const root = path.resolve(import.meta.dirname, "../..");
const wranglerBin = path.join(root, "node_modules", "wrangler", "bin", "wrangler.js");

/**
 * @typedef {object} BenchServer
 * @property {string} url
 * @property {number} port
 * @property {number | null} pgid process group of `wrangler dev` (its workerd children are in it)
 * @property {() => ReturnType<typeof serverSnapshot>} snapshot RSS and CPU of the workerd processes
 * @property {() => Promise<void>} stop
 * @property {() => string} logs
 */

async function e2eLauncher() {
  try {
    return await import("../../test/e2e/wranglerDev.ts");
  } catch (error) {
    throw new Error(
      `could not load test/e2e/wranglerDev.ts (${error instanceof Error ? error.message : error}); the benchmark needs Node >= 22.18, which runs TypeScript files directly`,
    );
  }
}

/** @returns {Promise<BenchServer>} */
export async function startColinkServer(vars) {
  const { startWranglerDev } = await e2eLauncher();
  const dev = await startWranglerDev({ vars });
  const pgid = findWranglerLeader(dev.port);
  return {
    url: dev.url,
    port: dev.port,
    pgid,
    snapshot: () => serverSnapshot(pgid, dev.port),
    stop: () => dev.stop(),
    logs: () => dev.logs(),
  };
}

/** @returns {Promise<BenchServer>} */
export async function startBaselineServer() {
  const { freePort } = await e2eLauncher();
  const port = await freePort();
  const stateDir = mkdtempSync(path.join(tmpdir(), "colink-bench-baseline-"));
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" };
  const args = [
    wranglerBin,
    "dev",
    "--config",
    path.join(root, "bench", "baseline", "wrangler.toml"),
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--persist-to",
    stateDir,
    "--inspector-port",
    "0",
    "--show-interactive-dev-session=false",
  ];
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let logs = "";
  child.stdout?.on("data", (d) => {
    logs += d;
  });
  child.stderr?.on("data", (d) => {
    logs += d;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`baseline wrangler dev exited early:\n${logs}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`baseline wrangler dev did not come up:\n${logs}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const exited = new Promise((resolve) => child.once("exit", () => resolve(undefined)));
  const kill = async (signal) => {
    if (child.exitCode !== null || child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
  };
  const pgid = child.pid ?? null;
  return {
    url,
    port,
    pgid,
    snapshot: () => serverSnapshot(pgid, port),
    logs: () => logs,
    stop: async () => {
      await kill("SIGTERM");
      await kill("SIGKILL");
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
