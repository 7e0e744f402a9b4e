import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ChannelRoom } from "../../durable-objects/channel-room/ChannelRoom";
import type { RoomCore } from "../../durable-objects/channel-room/RoomCore";
import { createDb } from "../../src/db/client";
import { pruneDirectory } from "../../src/services/actions/pruneDirectory";
import { addMembers, createChannel, expectStatus, sent, workspace } from "../channelFixtures";
import { uploadFile } from "../fileFixtures";
import { type Account, call, expectProblem } from "../helpers";

// The audit log: GET /admin/audit, the rows ChannelRooms record through their outbox, append-only, retention.

const room = (channelId: string) => env.CHANNEL_ROOM.getByName(channelId);
const audit = async (as: Account, query = "") => expectStatus(await call("GET", `/admin/audit${query}`, { token: as.token }), 200);
const d1AuditRows = async () =>
  (await env.DB.prepare("SELECT action, target_id FROM audit_log ORDER BY id").all<{ action: string; target_id: string }>()).results;

describe("GET /admin/audit", () => {
  it("shows moderation done in a ChannelRoom at once: another's message deleted, a member removed, archive and unarchive", async () => {
    const { owner, alice, bob, admin } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob);
    const own = await sent(alice, channel.id, "mine");
    const other = await sent(bob, channel.id, "bob's");
    expectStatus(await call("DELETE", `/channels/${channel.id}/messages/${own.id}`, { token: alice.token }), 204);
    expectStatus(
      await call("DELETE", `/channels/${channel.id}/messages/${other.id}`, {
        token: admin.token,
        headers: { "x-request-id": "req-del-1" },
      }),
      204,
    );
    expectStatus(await call("DELETE", `/channels/${channel.id}/members/${bob.user.id}`, { token: admin.token }), 204);
    expectStatus(await call("POST", `/channels/${channel.id}/archive`, { token: alice.token }), 200);
    expectStatus(await call("POST", `/channels/${channel.id}/unarchive`, { token: owner.token }), 200);

    const page = await audit(owner);
    expect(page.items.map((e: { action: string }) => e.action)).toEqual([
      "channel.unarchived",
      "channel.archived",
      "member.removed",
      "message.deleted",
      ...Array(4).fill("invite.created"),
    ]);
    expect(page.items[3]).toEqual({
      id: expect.any(String),
      at: expect.any(String),
      actor_id: admin.user.id,
      action: "message.deleted",
      target: { type: "message", id: other.id },
      details: { channel_id: channel.id, author_id: bob.user.id },
    });
    expect(page.items[2]).toMatchObject({
      actor_id: admin.user.id,
      target: { type: "user", id: bob.user.id },
      details: { channel_id: channel.id },
    });
    expect(page.items[1]).toMatchObject({ actor_id: alice.user.id, target: { type: "channel", id: channel.id } });
    const requestIds = await env.DB.prepare("SELECT request_id FROM audit_log WHERE action = 'message.deleted'").all<{
      request_id: string;
    }>();
    expect(requestIds.results).toEqual([{ request_id: "req-del-1" }]);
    // The room's outbox is empty: the action flushed it.
    const left = await runInDurableObject(room(channel.id), (_: ChannelRoom, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM audit_outbox").one(),
    );
    expect(left.n).toBe(0);
  });

  it("an audit row written by the room reaches D1 from its alarm when nobody flushes it, once however often it is flushed", async () => {
    const { alice, bob, admin } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob);
    const message = await sent(bob, channel.id, "to moderate");
    // Straight to the room, as if the Worker died right after the room answered.
    const result = await room(channel.id).deleteMessage({ id: admin.user.id, role: "admin", requestId: "req-lost" }, message.id);
    expect(result.ok).toBe(true);
    expect((await d1AuditRows()).filter((r) => r.action === "message.deleted")).toEqual([]);
    // The alarm is armed for a few seconds on: run it as it will run then.
    const dueAt = await runInDurableObject(room(channel.id), (instance: ChannelRoom) => {
      const core = (instance as unknown as { core: RoomCore }).core;
      return core.alarms.dueAt("directory_outbox");
    });
    expect(dueAt).toBeGreaterThan(Date.now());
    await runInDurableObject(room(channel.id), (instance: ChannelRoom) =>
      (instance as unknown as { core: RoomCore }).core.alarms.run((dueAt ?? 0) + 1),
    );
    expect((await d1AuditRows()).filter((r) => r.action === "message.deleted")).toEqual([
      { action: "message.deleted", target_id: message.id },
    ]);

    // A flush that sent the row but did not get to delete it from the outbox sends it again: still one row.
    await runInDurableObject(room(channel.id), (_: ChannelRoom, state) => {
      state.storage.sql.exec(
        "INSERT INTO audit_outbox (id, at, actor_id, action, target_type, target_id, details, request_id) VALUES (1, ?, ?, 'message.deleted', 'message', ?, '{}', 'req-lost')",
        new Date().toISOString(),
        admin.user.id,
        message.id,
      );
    });
    await room(channel.id).flushDirectoryOutbox();
    await room(channel.id).flushDirectoryOutbox();
    expect((await d1AuditRows()).filter((r) => r.action === "message.deleted")).toHaveLength(1);
  });

  it("a change the room refuses writes no audit row", async () => {
    const { owner, alice, bob } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob);
    const message = await sent(alice, channel.id, "alice's");
    expectProblem(
      await call("DELETE", `/channels/${channel.id}/messages/${message.id}`, { token: bob.token }),
      403,
      "cannot_delete_message",
    );
    expectProblem(await call("DELETE", `/channels/${channel.id}/members/${alice.user.id}`, { token: bob.token }), 403, "not_channel_admin");
    expect((await audit(owner, "?action=message.deleted")).items).toEqual([]);
    expect((await audit(owner, "?action=member.removed")).items).toEqual([]);
  });

  it("filters by action, actor and target, and pages newest first with a cursor", async () => {
    const { owner, admin, alice } = await workspace();
    for (let i = 0; i < 5; i++) expectStatus(await call("POST", "/admin/invites", { token: admin.token, body: {} }), 201);
    expectStatus(await call("PATCH", `/admin/users/${alice.user.id}`, { token: owner.token, body: { role: "guest" } }), 200);

    const byAdmin = await audit(owner, `?actor_id=${admin.user.id}`);
    expect(byAdmin.items).toHaveLength(5);
    expect(byAdmin.items.every((e: { action: string }) => e.action === "invite.created")).toBe(true);
    expect((await audit(owner, `?target_id=${alice.user.id}`)).items).toEqual([
      expect.objectContaining({ action: "user.role_changed", actor_id: owner.user.id, details: { from: "member", to: "guest" } }),
    ]);
    expect((await audit(owner, "?action=user.role_changed&actor_id=nobody")).items).toEqual([]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; next_cursor: string | null } = await audit(
        owner,
        `?action=invite.created&limit=3${cursor ? `&cursor=${cursor}` : ""}`,
      );
      seen.push(...page.items.map((e) => e.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(9); // 4 from the workspace's sign-ups, 5 here
    expect([...seen].sort((a, b) => Number(b) - Number(a))).toEqual(seen);
    expect(new Set(seen).size).toBe(9);

    expectProblem(await call("GET", "/admin/audit?cursor=garbage", { token: owner.token }), 400, "invalid_cursor");
    expectProblem(await call("GET", "/admin/audit?limit=0", { token: owner.token }), 400);
  });

  it("an admin deleting someone else's file is audited file.deleted (the uploader's own delete is not)", async () => {
    const { owner, admin, alice } = await workspace();
    const theirs = await uploadFile(alice, "alice's notes");
    const own = await uploadFile(alice, "alice's other notes");
    expectStatus(await call("DELETE", `/files/${own.id}`, { token: alice.token }), 204);
    expect((await audit(owner, "?action=file.deleted")).items).toEqual([]);
    expectStatus(await call("DELETE", `/files/${theirs.id}`, { token: admin.token, headers: { "x-request-id": "req-file-1" } }), 204);
    expect((await audit(owner, "?action=file.deleted")).items).toEqual([
      expect.objectContaining({
        actor_id: admin.user.id,
        target: { type: "file", id: theirs.id },
        details: { uploaded_by: alice.user.id, filename: "notes.txt" },
      }),
    ]);
    const row = await env.DB.prepare("SELECT request_id FROM audit_log WHERE action = 'file.deleted'").first<{ request_id: string }>();
    expect(row?.request_id).toBe("req-file-1");
    expectProblem(await call("GET", `/files/${theirs.id}`, { token: alice.token }), 404, "file_not_found");
  });

  it("starting (and resuming) a search index rebuild is audited search.rebuild_started", async () => {
    const { owner, admin, alice } = await workspace();
    const started = expectStatus(await call("POST", "/admin/search/rebuild", { token: admin.token, body: { from_scratch: true } }), 202);
    expect((await audit(owner, "?action=search.rebuild_started")).items).toEqual([
      expect.objectContaining({
        actor_id: admin.user.id,
        target: { type: "workspace", id: "search_index" },
        details: { run_id: started.run_id, from_scratch: true, resumed: false },
      }),
    ]);
    // A run stopped part-way, resumed: audited too, as a resume of that run.
    await env.DB.prepare(
      "INSERT INTO search_rebuild (id, run_id, status, channel_id, after_seq, channels_done, channels_total, messages_indexed, started_at, updated_at) VALUES (1, 'run-stalled', 'running', (SELECT MIN(id) FROM channels), 0, 0, 1, 0, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z') ON CONFLICT (id) DO UPDATE SET run_id = 'run-stalled', status = 'running', channel_id = excluded.channel_id, after_seq = 0",
    ).run();
    expect(expectStatus(await call("POST", "/admin/search/rebuild", { token: owner.token, body: {} }), 202).run_id).toBe("run-stalled");
    expect((await audit(owner, "?action=search.rebuild_started")).items[0]).toMatchObject({
      actor_id: owner.user.id,
      details: { run_id: "run-stalled", from_scratch: false, resumed: true },
    });
    // A member cannot start one, and that is not audited.
    expectProblem(await call("POST", "/admin/search/rebuild", { token: alice.token, body: {} }), 403, "admin_required");
    expect((await audit(owner, "?action=search.rebuild_started")).items).toHaveLength(2);
    // The resumed run finishes here, so its queue work does not reach into later tests.
    for (let i = 0; ; i++) {
      const { rebuild } = expectStatus(await call("GET", "/admin/search/rebuild", { token: owner.token }), 200);
      if (rebuild?.status === "done") break;
      if (i > 200) throw new Error(`rebuild never finished: ${JSON.stringify(rebuild)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it("is append-only: the database refuses to change a row; housekeeping deletes rows past AUDIT_RETENTION_DAYS only", async () => {
    const { owner } = await workspace();
    await expect(env.DB.prepare("UPDATE audit_log SET action = 'forged'").run()).rejects.toThrow(/append-only/);
    const rows = (await audit(owner)).items.length;
    expect(rows).toBeGreaterThan(0);
    const now = Date.now();
    expect((await pruneDirectory(createDb(env.DB), now + 729 * 86_400_000, 730)).auditRows).toBe(0);
    expect((await pruneDirectory(createDb(env.DB), now + 731 * 86_400_000, 730)).auditRows).toBe(rows);
    expect(await d1AuditRows()).toEqual([]);
  });
});

describe("invites: list, revoke, and the creator's deactivation", () => {
  const register = (token: string, name: string) =>
    call("POST", "/auth/register", {
      body: { email: `${name}@example.test`, username: name, password: `pw-${crypto.randomUUID()}`, invite_token: token },
    });

  it("POST returns the id; GET lists usable invites; DELETE revokes (audited) and the invite stops working", async () => {
    const { owner, admin } = await workspace();
    const made = expectStatus(await call("POST", "/admin/invites", { token: admin.token, body: { role: "guest" } }), 201);
    expect(made).toEqual({ id: expect.stringMatching(/^inv_/), invite_token: expect.any(String), expires_at: expect.any(String) });
    const used = expectStatus(await call("POST", "/admin/invites", { token: owner.token, body: {} }), 201);
    expectStatus(await register(used.invite_token, `used${Date.now()}`), 201);
    const expired = expectStatus(await call("POST", "/admin/invites", { token: owner.token, body: {} }), 201);
    await env.DB.prepare("UPDATE invites SET expires_at = ? WHERE id = ?")
      .bind(new Date(Date.now() - 1000).toISOString(), expired.id)
      .run();

    const list = expectStatus(await call("GET", "/admin/invites", { token: owner.token }), 200);
    expect(list.items).toEqual([
      { id: made.id, created_by: admin.user.id, role: "guest", created_at: expect.any(String), expires_at: made.expires_at },
    ]);

    expect((await call("DELETE", `/admin/invites/${made.id}`, { token: owner.token })).status).toBe(204);
    expectProblem(await call("DELETE", `/admin/invites/${made.id}`, { token: owner.token }), 409, "invite_revoked");
    expectProblem(await call("DELETE", `/admin/invites/${used.id}`, { token: owner.token }), 409, "invite_used");
    expectProblem(await call("DELETE", "/admin/invites/inv_nope", { token: owner.token }), 404, "invite_not_found");
    expectProblem(await register(made.invite_token, `late${Date.now()}`), 403, "invite_revoked");
    expect(expectStatus(await call("GET", "/admin/invites", { token: owner.token }), 200).items).toEqual([]);
    expect((await audit(owner, `?target_id=${made.id}`)).items.map((e: { action: string }) => e.action)).toEqual([
      "invite.revoked",
      "invite.created",
    ]);
  });

  it("an invite made by an admin who was later deactivated no longer works", async () => {
    const { owner, admin } = await workspace();
    const made = expectStatus(await call("POST", "/admin/invites", { token: admin.token, body: {} }), 201);
    expectStatus(await call("POST", `/admin/users/${admin.user.id}/deactivate`, { token: owner.token }), 200);
    expectProblem(await register(made.invite_token, `orphan${Date.now()}`), 403, "invite_invalid");
    expect(expectStatus(await call("GET", "/admin/invites", { token: owner.token }), 200).items).toEqual([]);
    // Reactivated, their invite works again (it was never revoked).
    expectStatus(await call("POST", `/admin/users/${admin.user.id}/reactivate`, { token: owner.token }), 200);
    expectStatus(await register(made.invite_token, `back${Date.now()}`), 201);
  });
});
