import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freeTcpPort } from "../../scripts/freePort.mjs";
import { baseUrl } from "./client";

// wrangler dev's local explorer (/cdn-cgi/explorer, also /cdn-cgi/local/explorer) is an
// unauthenticated read-write API on the local D1 and Durable Object storage: through it one can
// read the token-signing key and forge an owner token. Every launcher turns it off.

const root = path.resolve(import.meta.dirname, "../..");

/** Paths of the explorer's own API (miniflare's local-explorer worker): list databases, run SQL. */
const EXPLORER_PROBES: { method: string; path: string; body?: string }[] = [
  { method: "GET", path: "/cdn-cgi/explorer/api/d1/database" },
  { method: "GET", path: "/cdn-cgi/local/explorer/api/d1/database" },
  {
    method: "POST",
    path: "/cdn-cgi/explorer/api/d1/database/00000000-0000-0000-0000-000000000000/raw",
    body: JSON.stringify({ sql: "SELECT name FROM sqlite_master" }),
  },
  { method: "GET", path: "/cdn-cgi/explorer/api/workers/durable_objects/namespaces" },
  { method: "GET", path: "/cdn-cgi/explorer/" },
];

async function expectNoExplorer(base: string) {
  for (const probe of EXPLORER_PROBES) {
    const res = await fetch(`${base}${probe.path}`, {
      method: probe.method,
      headers: probe.body ? { "content-type": "application/json" } : {},
      body: probe.body,
    });
    const text = await res.text();
    // Colink's own answer to an unknown path, not the explorer's JSON or its HTML app.
    expect(res.status, `${probe.method} ${probe.path}: ${text.slice(0, 200)}`).toBe(404);
    expect(res.headers.get("content-type"), probe.path).toBe("application/problem+json");
    expect(text).not.toContain("Local Explorer");
    expect(text).not.toContain('"success"');
  }
}

describe("wrangler's local explorer", () => {
  it("is not served by the suite's server (test/e2e/wranglerDev.ts, which the bench uses too)", async () => {
    await expectNoExplorer(baseUrl());
  });

  it("is not served by `npm start` (scripts/start.mjs), even when the environment asks for it", async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), "colink-start-"));
    const port = await freeTcpPort();
    const child = spawn(
      process.execPath,
      [path.join(root, "scripts/start.mjs"), "--persist-to", stateDir, "--inspector-port", "0", "--show-interactive-dev-session=false"],
      {
        cwd: root,
        env: { ...process.env, PORT: String(port), X_LOCAL_EXPLORER: "true", CI: "true", NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      },
    );
    let logs = "";
    child.stdout.on("data", (d) => (logs += d));
    child.stderr.on("data", (d) => (logs += d));
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      const base = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 90_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`npm start exited early:\n${logs}`);
        const up = await fetch(`${base}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (up) break;
        if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${logs}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      await expectNoExplorer(base);
    } finally {
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
      }
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 120_000);
});
