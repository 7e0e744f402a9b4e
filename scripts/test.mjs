// `npm test`: typecheck, lint and format check, the in-runtime suite, then the e2e suite.
// Stops at the first failing step and exits with its status.
import { spawnSync } from "node:child_process";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);

const steps = [
  ["typecheck", bin("tsc"), ["--noEmit"]],
  ["typecheck e2e + bench", bin("tsc"), ["--noEmit", "-p", "test/e2e/tsconfig.json"]],
  ["lint + format", bin("biome"), ["ci", "."]],
  ["in-runtime tests", bin("vitest"), ["run"]],
  ["e2e tests", bin("vitest"), ["run", "--config", "test/e2e/vitest.config.ts"]],
];

for (const [name, cmd, args] of steps) {
  const started = Date.now();
  console.log(`\n== ${name}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
  const status = r.status ?? 1;
  console.log(`== ${name}: ${status === 0 ? "ok" : `FAILED (${status})`} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  if (status !== 0) process.exit(status);
}
