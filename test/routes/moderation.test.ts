import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { addMembers, createChannel, expectStatus, react, send, sent, workspace } from "../channelFixtures";
import { type Account, call, expectProblem } from "../helpers";
import { openLiveSocket } from "../socketClient";

// Reports and the moderation queue, workspace mutes, and the moderator tools under /admin.

const report = (as: Account, channelId: string, messageId: string, body: unknown = { reason: "spam" }) =>
  call("POST", `/channels/${channelId}/messages/${messageId}/report`, { token: as.token, body });
const resolve = (as: Account, reportId: string, body: unknown) =>
  call("POST", `/admin/reports/${reportId}/resolve`, { token: as.token, body });
const auditActions = async (as: Account, query: string) =>
  expectStatus(await call("GET", `/admin/audit?${query}`, { token: as.token }), 200).items.map((e: { action: string }) => e.action);

/** The user events replayed to a fresh socket of `as` (their whole stream). */
async function userEvents(as: Account) {
  const { ws, replay } = await openLiveSocket(as.token, { user_seq: 0, channels: {} });
  ws.close();
  return replay.filter((f) => "user_seq" in f);
}

describe("reports", () => {
  it("any reader may report a message, once; what they cannot see is 404", async () => {
    const { alice, bob, guest, admin } = await workspace();
    const pub = await createChannel(alice);
    const message = await sent(alice, pub.id, "buy cheap watches");
    // bob reads the public channel without being in it.
    const made = expectStatus(await report(bob, pub.id, message.id, { reason: "spam", comment: "  an ad  " }), 201);
    expect(made).toEqual({
      id: expect.stringMatching(/^rep_/),
      status: "open",
      reason: "spam",
      comment: "an ad",
      reporter_id: bob.user.id,
      message,
      channel_id: pub.id,
      created_at: expect.any(String),
      resolution: null,
    });
    expectProblem(await report(bob, pub.id, message.id, { reason: "abuse" }), 409, "already_reported");
    expectProblem(await report(guest, pub.id, message.id), 404, "channel_not_found");

    const priv = await createChannel(alice, { is_private: true });
    const secret = await sent(alice, priv.id, "members only");
    expectProblem(await report(bob, priv.id, secret.id), 404, "channel_not_found");
    expectProblem(await report(admin, priv.id, secret.id), 404, "channel_not_found");
    expectProblem(await report(bob, pub.id, "m_00000000000000000000000000"), 404, "message_not_found");
    expectProblem(await report(bob, pub.id, message.id, { reason: "boring" }), 422, "validation_failed");

    expectStatus(await call("DELETE", `/channels/${pub.id}/messages/${message.id}`, { token: alice.token }), 204);
    expectProblem(await report(admin, pub.id, message.id), 409, "message_deleted");
  });

  it("admins list the queue by status; dismissing resolves it, audits it and tells the reporter", async () => {
    const { owner, alice, bob, admin } = await workspace();
    const pub = await createChannel(alice);
    const first = await sent(alice, pub.id, "one");
    const second = await sent(alice, pub.id, "two");
    const r1 = expectStatus(await report(bob, pub.id, first.id), 201);
    const r2 = expectStatus(await report(bob, pub.id, second.id, { reason: "other" }), 201);
    expectProblem(await call("GET", "/admin/reports", { token: bob.token }), 403, "admin_required");

    const open = expectStatus(await call("GET", "/admin/reports?status=open", { token: admin.token }), 200);
    expect(open.items.map((r: { id: string }) => r.id)).toEqual([r2.id, r1.id]);
    const page1 = expectStatus(await call("GET", "/admin/reports?limit=1", { token: admin.token }), 200);
    const page2 = expectStatus(await call("GET", `/admin/reports?limit=1&cursor=${page1.next_cursor}`, { token: admin.token }), 200);
    expect([...page1.items, ...page2.items].map((r: { id: string }) => r.id)).toEqual([r2.id, r1.id]);
    expect(page2.next_cursor).toBeNull();

    const done = expectStatus(await resolve(admin, r1.id, { action: "dismiss", note: "not spam" }), 200);
    expect(done).toMatchObject({
      id: r1.id,
      status: "resolved",
      resolution: { action: "dismiss", note: "not spam", resolved_by: admin.user.id, resolved_at: expect.any(String) },
    });
    expectProblem(await resolve(admin, r1.id, { action: "dismiss" }), 409, "report_resolved");
    expectProblem(await resolve(admin, "rep_nope", { action: "dismiss" }), 404, "report_not_found");
    expectProblem(await resolve(admin, r2.id, { action: "ban" }), 422, "validation_failed");
    expect(expectStatus(await call("GET", "/admin/reports?status=resolved", { token: owner.token }), 200).items).toEqual([done]);
    expect(
      expectStatus(await call("GET", "/admin/reports?status=open", { token: owner.token }), 200).items.map((r: { id: string }) => r.id),
    ).toEqual([r2.id]);
    // The message is untouched.
    const history = expectStatus(await call("GET", `/channels/${pub.id}/messages`, { token: alice.token }), 200);
    expect(history.items.map((m: { text: string }) => m.text)).toEqual(["two", "one"]);

    expect(await auditActions(owner, `target_id=${r1.id}`)).toEqual(["report.resolved"]);
    const events = await userEvents(bob);
    expect(events.filter((e: { type: string }) => e.type === "report.resolved")).toEqual([
      {
        type: "report.resolved",
        user_seq: expect.any(Number),
        at: expect.any(String),
        data: { report_id: r1.id, channel_id: pub.id, message_id: first.id, action: "dismiss" },
      },
    ]);
  });

  it("delete_message deletes it even in a private channel the admin is not in; deactivate_user deactivates the author", async () => {
    const { owner, alice, bob, admin } = await workspace();
    const priv = await createChannel(alice, { is_private: true });
    await addMembers(alice, priv.id, bob);
    const message = await sent(alice, priv.id, "abusive");
    const r = expectStatus(await report(bob, priv.id, message.id, { reason: "abuse" }), 201);
    // The queue shows what was reported though the admin cannot read the channel.
    const listed = expectStatus(await call("GET", "/admin/reports", { token: admin.token }), 200).items[0];
    expect(listed.message.text).toBe("abusive");
    expectStatus(await resolve(admin, r.id, { action: "delete_message" }), 200);
    const history = expectStatus(await call("GET", `/channels/${priv.id}/messages`, { token: bob.token }), 200);
    expect(history.items[0]).toMatchObject({ id: message.id, deleted: true, text: "" });
    expect(await auditActions(owner, `target_id=${message.id}`)).toEqual(["message.deleted"]);

    const again = await sent(alice, priv.id, "more abuse");
    const r2 = expectStatus(await report(bob, priv.id, again.id, { reason: "harassment" }), 201);
    expectStatus(await resolve(admin, r2.id, { action: "deactivate_user" }), 200);
    expect((await call("GET", "/users/me", { token: alice.token })).status).toBe(401);
    expect(await auditActions(owner, `target_id=${alice.user.id}`)).toContain("user.deactivated");

    // An admin may not deactivate an owner: 403, and the report stays open.
    const general = await createChannel(owner);
    const byOwner = await sent(owner, general.id, "owner's words");
    const r3 = expectStatus(await report(bob, general.id, byOwner.id), 201);
    expectProblem(await resolve(admin, r3.id, { action: "deactivate_user" }), 403, "owner_required");
    expect(
      expectStatus(await call("GET", "/admin/reports?status=open", { token: admin.token }), 200).items.map((x: { id: string }) => x.id),
    ).toEqual([r3.id]);
  });
});

describe("mute", () => {
  it("a muted user reads but cannot post, edit, react or open DMs until it ends (403 muted with the end time); audited", async () => {
    const { owner, alice, bob, admin } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob);
    const before = await sent(bob, channel.id, "before the mute");
    const mute = expectStatus(
      await call("POST", `/admin/users/${bob.user.id}/mute`, { token: admin.token, body: { minutes: 10, reason: "flooding" } }),
      200,
    );
    expect(mute.user_id).toBe(bob.user.id);
    const until = Date.parse(mute.muted_until);
    expect(until).toBeGreaterThan(Date.now() + 9 * 60_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 10 * 60_000);

    for (const reply of [
      await send(bob, channel.id, "let me speak"),
      await call("PATCH", `/channels/${channel.id}/messages/${before.id}`, { token: bob.token, body: { text: "edited" } }),
      await react(bob, channel.id, before.id, "👍"),
      await call("POST", "/dms", { token: bob.token, body: { user_ids: [alice.user.id] } }),
    ]) {
      const problem = expectProblem(reply, 403, "muted");
      expect(problem).toMatchObject({ muted_until: mute.muted_until });
      expect(problem.detail).toContain(mute.muted_until);
    }
    // Reading still works.
    expect(expectStatus(await call("GET", `/channels/${channel.id}/messages`, { token: bob.token }), 200).items).toHaveLength(1);

    expectProblem(
      await call("POST", `/admin/users/${owner.user.id}/mute`, { token: admin.token, body: { minutes: 5 } }),
      403,
      "owner_required",
    );
    expectProblem(
      await call("POST", `/admin/users/${bob.user.id}/mute`, { token: alice.token, body: { minutes: 5 } }),
      403,
      "admin_required",
    );
    expectProblem(await call("POST", `/admin/users/${bob.user.id}/mute`, { token: admin.token, body: { minutes: 0 } }), 422);

    expectStatus(await call("DELETE", `/admin/users/${bob.user.id}/mute`, { token: admin.token }), 200);
    expectProblem(await call("DELETE", `/admin/users/${bob.user.id}/mute`, { token: admin.token }), 409, "not_muted");
    await sent(bob, channel.id, "free again");
    expect(await auditActions(owner, `target_id=${bob.user.id}`)).toEqual(expect.arrayContaining(["user.muted", "user.unmuted"]));

    // A mute that has run out stops on its own.
    expectStatus(await call("POST", `/admin/users/${bob.user.id}/mute`, { token: admin.token, body: { minutes: 1 } }), 200);
    expectProblem(await send(bob, channel.id, "muted"), 403, "muted");
    await env.DB.prepare("UPDATE users SET muted_until = ? WHERE id = ?")
      .bind(new Date(Date.now() - 1000).toISOString(), bob.user.id)
      .run();
    await sent(bob, channel.id, "the mute ran out");
  });
});

describe("moderator tools", () => {
  it("admins delete any message and remove anyone, in private channels they are not in too; the channel routes still hide those", async () => {
    const { owner, alice, bob, admin } = await workspace();
    const priv = await createChannel(alice, { is_private: true });
    await addMembers(alice, priv.id, bob);
    const message = await sent(bob, priv.id, "hidden from admins");
    // The ordinary routes: 404, as invariant 5 requires.
    expectProblem(await call("DELETE", `/channels/${priv.id}/messages/${message.id}`, { token: admin.token }), 404, "channel_not_found");
    // The moderator routes: members may not use them.
    expectProblem(await call("DELETE", `/admin/channels/${priv.id}/messages/${message.id}`, { token: alice.token }), 403, "admin_required");

    expect((await call("DELETE", `/admin/channels/${priv.id}/messages/${message.id}`, { token: admin.token })).status).toBe(204);
    const history = expectStatus(await call("GET", `/channels/${priv.id}/messages`, { token: alice.token }), 200);
    expect(history.items[0]).toMatchObject({ id: message.id, deleted: true });

    expect((await call("DELETE", `/admin/channels/${priv.id}/members/${bob.user.id}`, { token: admin.token })).status).toBe(204);
    expectProblem(await call("GET", `/channels/${priv.id}`, { token: bob.token }), 404, "channel_not_found");
    expectProblem(
      await call("DELETE", `/admin/channels/${priv.id}/members/${bob.user.id}`, { token: admin.token }),
      404,
      "member_not_found",
    );
    expectProblem(await call("DELETE", `/admin/channels/c_0000000000000000000000zzzz/members/${bob.user.id}`, { token: admin.token }), 404);
    const removed = (await userEvents(bob)).filter((e: { type: string }) => e.type === "channel.removed");
    expect(removed).toEqual([expect.objectContaining({ data: { channel_id: priv.id } })]);

    const dm = expectStatus(await call("POST", "/dms", { token: alice.token, body: { user_ids: [bob.user.id] } }), 201);
    expectProblem(
      await call("DELETE", `/admin/channels/${dm.id}/members/${bob.user.id}`, { token: admin.token }),
      409,
      "dm_membership_fixed",
    );

    const audit = expectStatus(await call("GET", "/admin/audit?actor_id=" + admin.user.id, { token: owner.token }), 200);
    expect(audit.items.slice(0, 2)).toEqual([
      expect.objectContaining({ action: "member.removed", target: { type: "user", id: bob.user.id }, details: { channel_id: priv.id } }),
      expect.objectContaining({ action: "message.deleted", target: { type: "message", id: message.id } }),
    ]);
  });
});
