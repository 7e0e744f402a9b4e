import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createChannel, expectStatus, sent, workspace } from "../channelFixtures";
import { type Account, call, expectProblem } from "../helpers";
import { foundIds, waitUntilFound } from "../searchFixtures";

// POST/GET /admin/search/rebuild: the index rebuilt from the ChannelRooms (README "Backing up"),
// in the background through the index queue, resumable, with progress.

async function untilDone(admin: Account) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { rebuild } = expectStatus(await call("GET", "/admin/search/rebuild", { token: admin.token }), 200);
    if (rebuild?.status === "done") return rebuild;
    if (Date.now() > deadline) throw new Error(`rebuild never finished: ${JSON.stringify(rebuild)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("search index rebuild", () => {
  it("rebuilds an emptied index from the rooms, with progress; deleted messages stay out", async () => {
    const { owner, alice } = await workspace();
    const a = await createChannel(alice);
    const b = await createChannel(alice, { is_private: true });
    const kept = await sent(alice, a.id, "meerkat one");
    const other = await sent(alice, b.id, "meerkat two");
    const gone = await sent(alice, a.id, "meerkat gone");
    expectStatus(await call("DELETE", `/channels/${a.id}/messages/${gone.id}`, { token: alice.token }), 204);
    await waitUntilFound(alice, "meerkat", other.id);
    expect(expectStatus(await call("GET", "/admin/search/rebuild", { token: owner.token }), 200)).toEqual({ rebuild: null });

    // As after restoring a backup without the FTS tables: the index is empty.
    const started = expectStatus(await call("POST", "/admin/search/rebuild", { token: owner.token, body: { from_scratch: true } }), 202);
    expect(started).toMatchObject({ status: "running", channels_done: 0, messages_indexed: 0 });
    expect(started.channels_total).toBeGreaterThanOrEqual(2);
    const done = await untilDone(owner);
    expect(done.run_id).toBe(started.run_id);
    expect(done.channels_done).toBe(done.channels_total);
    expect(done.messages_indexed).toBeGreaterThanOrEqual(3);
    expect((await foundIds(alice, "meerkat")).sort()).toEqual([kept.id, other.id].sort());
    // And a message sent afterwards is indexed as usual.
    const later = await sent(alice, a.id, "meerkat later");
    await waitUntilFound(alice, "meerkat", later.id);
  });

  it("resumes a run whose chain of jobs broke, from its cursor", async () => {
    const { owner, alice } = await workspace();
    const ch = await createChannel(alice);
    const m = await sent(alice, ch.id, "ocelot");
    await waitUntilFound(alice, "ocelot", m.id);
    await env.DB.batch([
      env.DB.prepare("INSERT INTO search_fts (search_fts) VALUES ('delete-all')"),
      env.DB.prepare("DELETE FROM search_messages"),
      // A run stopped at the first channel, with no job left on the queue.
      env.DB.prepare(
        "INSERT INTO search_rebuild (id, run_id, status, channel_id, after_seq, channels_done, channels_total, messages_indexed, started_at, updated_at) VALUES (1, 'run-1', 'running', (SELECT MIN(id) FROM channels), 0, 0, (SELECT COUNT(*) FROM channels), 0, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
      ),
    ]);
    expect(await foundIds(alice, "ocelot")).toEqual([]);
    const resumed = expectStatus(await call("POST", "/admin/search/rebuild", { token: owner.token, body: {} }), 202);
    expect(resumed).toMatchObject({ run_id: "run-1", status: "running" });
    expect((await untilDone(owner)).run_id).toBe("run-1");
    expect(await foundIds(alice, "ocelot")).toEqual([m.id]);
  });

  it("is for workspace admins only", async () => {
    const { alice } = await workspace();
    expectProblem(await call("POST", "/admin/search/rebuild", { token: alice.token, body: {} }), 403);
    expectProblem(await call("GET", "/admin/search/rebuild", { token: alice.token }), 403);
    expectProblem(await call("POST", "/admin/search/rebuild", { body: {} }), 401);
  });
});
