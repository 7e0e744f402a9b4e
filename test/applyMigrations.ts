import { applyD1Migrations, env } from "cloudflare:test";
import { beforeEach } from "vitest";

// Runs before each test file. Since the Vitest 4 integration, storage is isolated per test file,
// not per test, so the D1 directory is emptied before every test: each starts with a workspace
// that has no account yet. Durable Objects are named by fresh ids, so they need no reset. The
// signing key stays, because isolates cache it.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

const KEEP = new Set(["d1_migrations", "signing_keys"]);

async function emptyDirectory(): Promise<void> {
  const { results } = await env.DB.prepare(
    "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
  ).all<{ name: string; sql: string }>();
  // A virtual table (FTS5) is emptied through itself; its shadow tables must not be touched.
  const virtual = results.filter((t) => /^CREATE VIRTUAL TABLE/i.test(t.sql)).map((t) => t.name);
  const tables = results.map((t) => t.name).filter((name) => !KEEP.has(name) && !virtual.some((v) => name.startsWith(`${v}_`)));
  if (tables.length === 0) return;
  // Deferred so rows can go in any order despite foreign keys; checked at the batch's commit.
  await env.DB.batch([env.DB.prepare("PRAGMA defer_foreign_keys = on"), ...tables.map((name) => env.DB.prepare(`DELETE FROM "${name}"`))]);
}

beforeEach(emptyDirectory);
