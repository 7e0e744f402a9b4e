import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import type { SearchDocument, SearchIndexJob } from "../../src/protocol/search";
import { SEARCH_INDEX_QUEUE } from "../../src/queues/searchIndex";

// The colink-search-index consumer, fed batches directly (createMessageBatch): idempotent under
// redelivery, order-proof by version, deletes that stay deleted, poison jobs dropped.

let n = 0;
const doc = (over: Partial<SearchDocument> = {}): SearchDocument => ({
  message_id: `m_test${(n++).toString().padStart(22, "0")}`,
  channel_id: "c_test0000000000000000000000",
  seq: 1,
  author_id: "u_test",
  created_at: "2026-02-01T10:00:00.000Z",
  thread_root_id: null,
  reply_count: 0,
  has_file: false,
  text: "hello",
  deleted: false,
  ...over,
});

async function deliver(bodies: unknown[]) {
  const batch = createMessageBatch(
    SEARCH_INDEX_QUEUE,
    bodies.map((body, i) => ({ id: `msg-${n++}-${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

const job = (version: number, d: SearchDocument): SearchIndexJob => ({ kind: "message", version, doc: d });
const matches = async (q: string) =>
  (await env.DB.prepare("SELECT rowid FROM search_fts WHERE search_fts MATCH ?").bind(q).all<{ rowid: number }>()).results.length;
const row = (id: string) => env.DB.prepare("SELECT * FROM search_messages WHERE message_id = ?").bind(id).first<Record<string, number>>();

describe("search index consumer", () => {
  it("indexes a batch and acks every job; delivering it again changes nothing", async () => {
    const a = doc({ text: "alpha https://example.com", has_file: true, thread_root_id: "m_root" });
    const b = doc({ text: "beta 東京" });
    const first = await deliver([job(3, a), job(4, b)]);
    expect(first.explicitAcks).toHaveLength(2);
    expect(first.retryMessages).toEqual([]);
    await deliver([job(3, a), job(4, b)]);
    expect(await matches('body : "alpha"')).toBe(1);
    expect(await matches('cjk : "東京"')).toBe(1);
    expect(await row(a.message_id)).toMatchObject({ version: 3, has_file: 1, has_link: 1, in_thread: 1, deleted: 0, indexed: 1 });
    expect(await row(b.message_id)).toMatchObject({ has_file: 0, has_link: 0, in_thread: 0, created_at: Date.parse(b.created_at) });
  });

  it("keeps the newest version whatever order jobs arrive in, within a batch and across batches", async () => {
    const d = doc({ text: "first draft" });
    await deliver([job(5, { ...d, text: "second draft" }), job(2, d)]);
    expect(await matches('body : "first"')).toBe(0);
    expect(await matches('body : "second"')).toBe(1);
    await deliver([job(2, d)]);
    expect(await matches('body : "first"')).toBe(0);
    await deliver([job(9, { ...d, text: "third draft" })]);
    expect(await matches('body : "second"')).toBe(0);
    expect(await matches('body : "third"')).toBe(1);
    expect(await matches('body : "draft"')).toBe(1);
    expect((await row(d.message_id))?.version).toBe(9);
  });

  it("a delete removes the text and stays: an older upsert arriving late does not bring it back", async () => {
    const d = doc({ text: "to be removed" });
    await deliver([job(1, d)]);
    await deliver([job(2, { ...d, text: "", deleted: true })]);
    expect(await matches('body : "removed"')).toBe(0);
    expect(await row(d.message_id)).toMatchObject({ deleted: 1, version: 2 });
    await deliver([job(1, d)]);
    await deliver([job(2, { ...d, text: "", deleted: true })]);
    expect(await matches('body : "removed"')).toBe(0);
    expect((await row(d.message_id))?.deleted).toBe(1);
  });

  it("drops a job that is not one (acked, never retried), and still indexes the rest", async () => {
    const d = doc({ text: "survivor" });
    const result = await deliver([{ kind: "message", version: "x" }, "garbage", null, job(1, d)]);
    expect(result.explicitAcks).toHaveLength(4);
    expect(result.retryMessages).toEqual([]);
    expect(await matches('body : "survivor"')).toBe(1);
  });

  it("retries the message jobs of a batch whose write fails", async () => {
    // A real failure from D1 itself: the table is away for the duration of the delivery.
    await env.DB.exec("ALTER TABLE search_messages RENAME TO search_messages_away");
    try {
      const result = await deliver([job(1, doc({ text: "later" }))]);
      expect(result.retryMessages).toHaveLength(1);
      expect(result.explicitAcks).toEqual([]);
    } finally {
      await env.DB.exec("ALTER TABLE search_messages_away RENAME TO search_messages");
    }
    expect(await matches('body : "later"')).toBe(0);
  });
});
