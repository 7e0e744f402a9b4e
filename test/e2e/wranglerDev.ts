import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freeTcpPort } from "../../scripts/freePort.mjs";

// Starts a real `wrangler dev` (workerd, local D1 and Durable Object storage on disk) for the e2e suite.

const root = path.resolve(import.meta.dirname, "../..");
const wranglerBin = path.join(root, "node_modules", "wrangler", "bin", "wrangler.js");

function runWrangler(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [wranglerBin, ...args], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`wrangler ${args.join(" ")} failed (${code}):\n${out}`))));
  });
}

export type DevServer = {
  url: string;
  port: number;
  stateDir: string;
  vars: Record<string, string>;
  /** Kills the whole process group with SIGKILL: no graceful shutdown, as in a crash. */
  crash(): Promise<void>;
  stop(): Promise<void>;
  /** Starts a new server on the same state directory and port. */
  restart(): Promise<DevServer>;
  logs(): string;
};

export type DevServerOptions = {
  vars?: Record<string, string>;
  /** Reuse this state directory (a restart); a fresh one is made otherwise. */
  stateDir?: string;
  port?: number;
  /** Another Worker's wrangler config (the bench's baseline or seeding Worker); Colink's by default. */
  config?: string;
  /** Apply the config's D1 migrations first; by default on fresh state of Colink's own config. */
  migrate?: boolean;
};

export async function startWranglerDev(options: DevServerOptions = {}): Promise<DevServer> {
  const stateDir = options.stateDir ?? mkdtempSync(path.join(tmpdir(), "colink-e2e-"));
  const port = options.port ?? (await freeTcpPort());
  // wrangler dev passes a client's own cf-connecting-ip through (no edge in front): as under npm
  // start, Colink ignores it there and counts every client as one address. (A Worker that does not
  // read the setting, such as the bench's baseline, just has one unused var more.)
  const vars = { TRUST_CF_CONNECTING_IP: "false", ...options.vars };
  // wrangler's local observability traces every invocation (each RPC between Durable Objects) to
  // disk for its dev explorer: a development aid that costs more than the call it traces.
  // Its local explorer (/cdn-cgi/explorer) is an unauthenticated SQL API on the local storage:
  // off, whatever the caller's environment says (scripts/start.mjs does the same).
  const env = {
    X_LOCAL_OBSERVABILITY: "false",
    ...process.env,
    X_LOCAL_EXPLORER: "false",
    WRANGLER_SEND_METRICS: "false",
    CI: "true",
    NO_COLOR: "1",
  };
  // wrangler refuses to start without its assets directory: the web client's build output, which
  // globalSetup builds (a bench snapshot of the sources serves none, so an empty one will do there).
  mkdirSync(path.join(root, "web", "dist"), { recursive: true });
  const configArgs = options.config ? ["--config", options.config] : [];
  if (options.migrate ?? (!options.stateDir && !options.config))
    await runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir, ...configArgs], env);
  const varArgs = Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const child: ChildProcess = spawn(
    process.execPath,
    [
      wranglerBin,
      "dev",
      ...configArgs,
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--persist-to",
      stateDir,
      "--inspector-port",
      "0",
      "--show-interactive-dev-session=false",
      ...varArgs,
    ],
    { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let logs = "";
  child.stdout?.on("data", (d) => (logs += d));
  child.stderr?.on("data", (d) => (logs += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${logs}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`wrangler dev did not come up:\n${logs}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
  };
  const server: DevServer = {
    url,
    port,
    stateDir,
    vars,
    logs: () => logs,
    crash: () => kill("SIGKILL"),
    stop: async () => {
      await kill("SIGTERM");
      await kill("SIGKILL");
      if (!options.stateDir) rmSync(stateDir, { recursive: true, force: true });
    },
    restart: () => startWranglerDev({ ...options, stateDir, port }),
  };
  return server;
}
