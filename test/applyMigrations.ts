import { applyD1Migrations, env, listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { afterAll, afterEach, beforeEach } from "vitest";
import { TestSocket } from "./socketClient";

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

/**
 * Durable Object alarms outlive the test that armed them (workers-sdk #5388): a UserSession's
 * heartbeat alarm firing while a finished file is torn down fails the run. Only connected users
 * arm one, so after a test that opened sockets they are closed and every UserSession's alarm is
 * deleted. What closing sets off (going offline in the user's channels, a presence update
 * coalesced for up to a second) must also finish before the file's runtime is torn down, or the
 * run fails with EnvironmentTeardownError although every test passed.
 */
const SETTLE_MS = 1_500;
let fileOpenedSockets = false;

afterEach(async () => {
  if (TestSocket.openedSinceReset === 0) return;
  fileOpenedSockets = true;
  TestSocket.closeAll();
  await new Promise((r) => setTimeout(r, 20));
  for (const id of await listDurableObjectIds(env.USER_SESSION)) {
    await runInDurableObject(env.USER_SESSION.get(id), (_instance, state) => state.storage.deleteAlarm());
  }
});

/**
 * Test files share one runtime (`isolate: false` in vitest.config.ts), so a room's alarm left armed
 * by one file (its directory outbox, search outbox or head publication, due seconds later) would
 * otherwise write into the D1 the next file just emptied. Each file disarms every object it leaves:
 * the alarm and the due times it is armed from (AlarmSchedule's table), so a later wake-up does not
 * arm it again. Objects an earlier file disarmed are not woken again (the set outlives the file).
 */
const shared = globalThis as { __colinkDisarmed?: Set<string> };
shared.__colinkDisarmed ??= new Set();
const disarmed = shared.__colinkDisarmed;

async function disarmAll<T extends Rpc.DurableObjectBranded | undefined>(namespace: DurableObjectNamespace<T>): Promise<void> {
  for (const id of await listDurableObjectIds(namespace)) {
    if (disarmed.has(id.toString())) continue;
    await runInDurableObject(namespace.get(id), async (_instance, state) => {
      const hasSchedule = state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'alarm_schedule'").toArray().length > 0;
      if (hasSchedule) state.storage.sql.exec("DELETE FROM alarm_schedule");
      await state.storage.deleteAlarm();
    });
    disarmed.add(id.toString());
  }
}

afterAll(async () => {
  if (fileOpenedSockets) await new Promise((r) => setTimeout(r, SETTLE_MS));
  await disarmAll(env.CHANNEL_ROOM);
  await disarmAll(env.USER_SESSION);
});
