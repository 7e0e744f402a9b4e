import { expect } from "vitest";
import type { Account } from "./helpers";
import { call } from "./helpers";

// Search is fed asynchronously (room outbox → alarm → queue → consumer), so tests wait until
// the index has caught up, by asking the API itself.

export async function search(as: Account, q: string, extra: Record<string, string> = {}) {
  const params = new URLSearchParams({ q, ...extra });
  return call("GET", `/search/messages?${params}`, { token: as.token });
}

/** The ids of one page of results, asserted 200. */
export async function foundIds(as: Account, q: string, extra: Record<string, string> = {}): Promise<string[]> {
  const reply = await search(as, q, extra);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body.items.map((i: { message: { id: string } }) => i.message.id);
}

/** Polls until `q` finds `messageId` (as `as`), or fails after 30 s. */
export async function waitUntilFound(as: Account, q: string, messageId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if ((await foundIds(as, q, { limit: "100" })).includes(messageId)) return;
    if (Date.now() > deadline) throw new Error(`"${q}" never found ${messageId}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls until the index row of `messageId` (D1) passes `check`, or fails after 30 s. */
export async function waitUntilIndexed(messageId: string, check: (row: { deleted: number; version: number } | null) => boolean) {
  const { env } = await import("cloudflare:test");
  const deadline = Date.now() + 30_000;
  for (;;) {
    const row = await env.DB.prepare("SELECT deleted, version FROM search_messages WHERE message_id = ?")
      .bind(messageId)
      .first<{ deleted: number; version: number }>();
    if (check(row)) return;
    if (Date.now() > deadline) throw new Error(`index row of ${messageId} never changed as expected`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls until a room's search outbox is empty and its flush no longer scheduled (fails after 15 s). */
export async function searchOutboxFlushed(channelId: string): Promise<void> {
  const { env, runInDurableObject } = await import("cloudflare:test");
  const deadline = Date.now() + 30_000;
  for (;;) {
    const busy = await runInDurableObject(env.CHANNEL_ROOM.getByName(channelId), (_instance, state) => {
      const sql = state.storage.sql;
      return (
        sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM search_outbox").one().n +
        sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM alarm_schedule WHERE purpose = 'search_outbox'").one().n
      );
    });
    if (busy === 0) return;
    if (Date.now() > deadline) throw new Error(`the search outbox of ${channelId} was never flushed`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
