import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createChannel, expectStatus, sent, workspace } from "../channelFixtures";
import { createFile, EICAR, scanned, uploadFile } from "../fileFixtures";
import { type Account, call, expectProblem } from "../helpers";
import { openLiveSocket } from "../socketClient";

// GET /admin/stats: counters kept by the actions and D1 triggers, read without scanning.

const stats = async (as: Account) => expectStatus(await call("GET", "/admin/stats", { token: as.token }), 200);

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const value = await read();
    if (ok(value) || i >= 100) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("GET /admin/stats", () => {
  it("counts users, channels, messages of the last 30 days and who is online, as they change", async () => {
    const { owner, alice, bob, guest, admin } = await workspace();
    expect(await stats(owner)).toEqual({
      users: { active: 5, deactivated: 0, guests: 1 },
      channels: { public: 1, private: 0, dm: 0 }, // #general, made with the workspace
      messages_last_30_days: 0,
      file_bytes: 0,
      online_now: 0,
    });
    const pub = await createChannel(alice);
    await createChannel(alice, { is_private: true });
    const dm = expectStatus(await call("POST", "/dms", { token: alice.token, body: { user_ids: [bob.user.id] } }), 201);
    expectStatus(await call("POST", "/dms", { token: alice.token, body: { user_ids: [bob.user.id, admin.user.id] } }), 201);
    for (let i = 0; i < 3; i++) await sent(alice, pub.id, `m${i}`);
    await sent(bob, dm.id, "in a dm");
    expectStatus(await call("POST", `/admin/users/${bob.user.id}/deactivate`, { token: owner.token }), 200);
    expectStatus(await call("PATCH", `/admin/users/${alice.user.id}`, { token: owner.token, body: { role: "guest" } }), 200);
    expectStatus(await call("POST", `/admin/users/${guest.user.id}/deactivate`, { token: owner.token }), 200);

    // Message counts reach D1 from each room's outbox (within ~30 s, or when it is flushed).
    await Promise.all([pub.id, dm.id].map((id) => env.CHANNEL_ROOM.getByName(id).flushDirectoryOutbox()));
    expect(await stats(admin)).toEqual({
      users: { active: 3, deactivated: 2, guests: 1 },
      channels: { public: 2, private: 1, dm: 2 },
      messages_last_30_days: 4,
      file_bytes: 0,
      online_now: 0,
    });

    const { ws } = await openLiveSocket(owner.token);
    expect(
      (
        await until(
          () => stats(owner),
          (s) => s.online_now === 1,
        )
      ).online_now,
    ).toBe(1);
    ws.close();
    expect(
      (
        await until(
          () => stats(owner),
          (s) => s.online_now === 0,
        )
      ).online_now,
    ).toBe(0);
  });

  it("days older than 30 drop out of messages_last_30_days", async () => {
    const { owner } = await workspace();
    const old = new Date(Date.now() - 31 * 86_400_000).toISOString().slice(0, 10);
    const recent = new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10);
    await env.DB.prepare("INSERT INTO message_day_counts (day, count) VALUES (?, 100), (?, 7)").bind(old, recent).run();
    expect((await stats(owner)).messages_last_30_days).toBe(7);
  });

  it("counts the bytes kept in R2: from complete, whatever the scan says, until the file is deleted", async () => {
    const { owner, alice } = await workspace();
    expectStatus(await createFile(alice, 5_000), 201); // never uploaded: nothing is stored
    const clean = await uploadFile(alice, "twelve bytes");
    const infected = await uploadFile(alice, EICAR);
    expect((await stats(owner)).file_bytes).toBe(12 + EICAR.length);
    expect((await scanned(alice, clean.id)).status).toBe("clean");
    expect((await scanned(alice, infected.id)).status).toBe("quarantined");
    expect((await stats(owner)).file_bytes).toBe(12 + EICAR.length); // quarantined bytes are kept too
    expectStatus(await call("DELETE", `/files/${clean.id}`, { token: alice.token }), 204);
    expect((await stats(owner)).file_bytes).toBe(EICAR.length);
  });

  it("is for admins only", async () => {
    const { alice, guest } = await workspace();
    expectProblem(await call("GET", "/admin/stats", { token: alice.token }), 403, "admin_required");
    expectProblem(await call("GET", "/admin/stats", { token: guest.token }), 403, "admin_required");
  });
});
