import { defineConfig } from "vitest/config";

// End-to-end: Node drives a real `wrangler dev` (started once in globalSetup) over HTTP and
// WebSocket. Tests that need their own server (crash/restart) start one themselves.
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ["**/*.e2e.ts"],
    environment: "node",
    globalSetup: ["./globalSetup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
