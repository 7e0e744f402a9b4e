import { mkdirSync } from "node:fs";
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { CLAMD_STREAM_MAX_BYTES } from "./scripts/clamd.mjs";
import { freeTcpPort } from "./scripts/freePort.mjs";

// In-runtime tests: the Worker, its Durable Objects and D1 run in workerd through
// Miniflare, exactly as under `wrangler dev`.
export default defineConfig(async () => {
  // wrangler.toml's [assets] directory (the web client's build) must exist; these tests need none of it.
  mkdirSync(path.join(import.meta.dirname, "web", "dist"), { recursive: true });
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  // The real clamd test/clamdGlobalSetup.mjs starts; the Worker reaches it over TCP with connect().
  process.env.COLINK_TEST_CLAMD_PORT ??= String(await freeTcpPort());
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            // Generous limits so suites that sign in often are not throttled; the throttling
            // tests lower them through their own accounts and addresses.
            SIGNUP_RATE_PER_HOUR: "100000",
            SEND_RATE_PER_MINUTE: "100000",
            WS_TICKET_RATE_PER_MINUTE: "100000",
            CHANNEL_CREATE_RATE_PER_HOUR: "100000",
            // Small, so the suites reach channel.gap without thousands of sends.
            REPLAY_INLINE_LIMIT: "50",
            CLAMD_ADDRESS: `127.0.0.1:${process.env.COLINK_TEST_CLAMD_PORT}`,
            CLAMD_STREAM_MAX_BYTES: String(CLAMD_STREAM_MAX_BYTES),
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      exclude: ["test/e2e/**", "node_modules/**"],
      setupFiles: ["./test/applyMigrations.ts"],
      globalSetup: ["./test/clamdGlobalSetup.mjs"],
      silent: "passed-only",
      // One worker per core, each keeping one workerd for all the files it runs: starting a runtime
      // per file cost about 8 s a file. Files stay apart without it: test/applyMigrations.ts empties
      // D1 before every test and disarms every object's alarm after each file, and Durable Objects
      // are named by fresh ids.
      maxWorkers: 2,
      isolate: false,
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  };
});
