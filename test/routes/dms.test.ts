import { describe, expect, it } from "vitest";
import { expectStatus, sent, workspace } from "../channelFixtures";
import { call, expectProblem, signUp } from "../helpers";
import { openLiveSocket } from "../socketClient";

const openDm = (token: string, userIds: string[]) => call("POST", "/dms", { token, body: { user_ids: userIds } });

describe("POST /dms", () => {
  it("creates a DM between two people (201), then returns the same one to either of them (200)", async () => {
    const { alice, bob } = await workspace();
    const dm = expectStatus(await openDm(alice.token, [bob.user.id]), 201);
    expect(dm).toEqual({
      id: expect.stringMatching(/^c_/),
      kind: "dm",
      name: null,
      topic: "",
      purpose: "",
      archived: false,
      created_by: alice.user.id,
      created_at: expect.any(String),
      member_count: 2,
    });
    expect(expectStatus(await openDm(alice.token, [bob.user.id]), 200)).toEqual(dm);
    expect(expectStatus(await openDm(bob.token, [alice.user.id, bob.user.id]), 200)).toEqual(dm);
  });

  it("creates group DMs of 3 to 9 people, whatever order they are named in", async () => {
    const { owner, alice, bob, admin } = await workspace();
    const group = expectStatus(await openDm(alice.token, [bob.user.id, admin.user.id]), 201);
    expect(group).toMatchObject({ kind: "group_dm", name: null, member_count: 3 });
    expect(expectStatus(await openDm(admin.token, [alice.user.id, bob.user.id]), 200).id).toBe(group.id);
    const more = await Promise.all(Array.from({ length: 5 }, () => signUp(owner.token)));
    const nine = [bob, admin, owner, ...more].map((a) => a.user.id);
    expect(expectStatus(await openDm(alice.token, nine), 201)).toMatchObject({ kind: "group_dm", member_count: 9 });
    const ten = [...nine, (await signUp(owner.token)).user.id];
    expectProblem(await openDm(alice.token, ten), 422);
  });

  it("refuses a DM with nobody else, with unknown or deactivated users, and malformed bodies (422)", async () => {
    const { owner, alice } = await workspace();
    expectProblem(await openDm(alice.token, [alice.user.id]), 422);
    expectProblem(await openDm(alice.token, []), 422);
    const unknown = expectProblem(await openDm(alice.token, ["u_00000000000000000000000000"]), 422, "unknown_user");
    expect(unknown.errors).toEqual([{ path: "user_ids.0", message: expect.any(String) }]);
    const gone = await signUp(owner.token);
    expectStatus(await call("POST", `/admin/users/${gone.user.id}/deactivate`, { token: owner.token }), 200);
    expectProblem(await openDm(alice.token, [gone.user.id]), 422, "unknown_user");
    expectProblem(await call("POST", "/dms", { token: alice.token, body: { user_ids: "x" } }), 422);
    expectProblem(await call("POST", "/dms", { token: alice.token, body: {} }), 422);
  });

  it("concurrent opens of the same DM agree on one", async () => {
    const { alice, bob } = await workspace();
    const replies = await Promise.all([
      ...Array.from({ length: 4 }, () => openDm(alice.token, [bob.user.id])),
      ...Array.from({ length: 4 }, () => openDm(bob.token, [alice.user.id])),
    ]);
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 200)).toHaveLength(7);
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    const mine = expectStatus(await call("GET", "/users/me/channels", { token: alice.token }), 200);
    expect(mine.items.filter((i: { channel: { kind: string } }) => i.channel.kind === "dm")).toHaveLength(1);
  });

  it("tells every participant with channel.added, and carries messages between them", async () => {
    const { alice, bob } = await workspace();
    const { ws } = await openLiveSocket(bob.token);
    const dm = expectStatus(await openDm(alice.token, [bob.user.id]), 201);
    expect((await ws.until((f) => f.type === "channel.added")).match.data).toEqual({ channel: dm });
    const message = await sent(alice, dm.id, "psst");
    expect((await ws.until((f) => f.type === "message.created")).match).toMatchObject({ channel_id: dm.id, data: message });
    ws.close();
  });

  it("cannot be left (1:1), archived, renamed or grown; a group DM can be left and reopened", async () => {
    const { alice, bob, admin, owner } = await workspace();
    const dm = expectStatus(await openDm(alice.token, [bob.user.id]), 201);
    expectProblem(await call("POST", `/channels/${dm.id}/leave`, { token: alice.token }), 409, "cannot_leave_dm");
    expectProblem(await call("POST", `/channels/${dm.id}/archive`, { token: alice.token }), 409, "dm_not_archivable");
    expectProblem(await call("PATCH", `/channels/${dm.id}`, { token: alice.token, body: { name: "secret" } }), 422);
    expectProblem(
      await call("POST", `/channels/${dm.id}/members`, { token: alice.token, body: { user_ids: [admin.user.id] } }),
      409,
      "dm_membership_fixed",
    );
    expectProblem(await call("POST", `/channels/${dm.id}/join`, { token: owner.token }), 404, "channel_not_found");
    expect(expectStatus(await call("PATCH", `/channels/${dm.id}`, { token: bob.token, body: { topic: "lunch" } }), 200).topic).toBe(
      "lunch",
    );

    const group = expectStatus(await openDm(alice.token, [bob.user.id, admin.user.id]), 201);
    expectProblem(await call("DELETE", `/channels/${group.id}/members/${bob.user.id}`, { token: alice.token }), 409, "dm_membership_fixed");
    expectStatus(await call("POST", `/channels/${group.id}/leave`, { token: bob.token }), 204);
    expectProblem(await call("GET", `/channels/${group.id}`, { token: bob.token }), 404, "channel_not_found");
    const reopened = expectStatus(await openDm(bob.token, [alice.user.id, admin.user.id]), 200);
    expect(reopened).toMatchObject({ id: group.id, member_count: 3 });
    expect(expectStatus(await call("GET", `/channels/${group.id}`, { token: bob.token }), 200).id).toBe(group.id);
  });

  it("lets only the author or a workspace admin delete in a DM (the DM's opener is no moderator)", async () => {
    const { alice, bob, admin } = await workspace();
    const group = expectStatus(await openDm(alice.token, [bob.user.id, admin.user.id]), 201);
    const bobs = await sent(bob, group.id, "mine");
    expectProblem(await call("DELETE", `/channels/${group.id}/messages/${bobs.id}`, { token: alice.token }), 403, "cannot_delete_message");
    expectStatus(await call("DELETE", `/channels/${group.id}/messages/${bobs.id}`, { token: admin.token }), 204);
  });
});
