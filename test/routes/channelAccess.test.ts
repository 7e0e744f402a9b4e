import { describe, expect, it } from "vitest";
import { addMembers, createChannel, expectStatus, sent, workspace } from "../channelFixtures";
import { type Account, call, expectProblem } from "../helpers";
import { openLiveSocket } from "../socketClient";

/** Every endpoint that names a channel, as `outsider` would call it. */
function everyEndpoint(channelId: string, messageId: string, memberId: string, outsider: Account): [string, string, unknown?][] {
  const c = `/channels/${channelId}`;
  return [
    ["GET", c],
    ["PATCH", c, { topic: "peek" }],
    ["PATCH", c, { name: "general" }],
    ["POST", `${c}/archive`],
    ["POST", `${c}/unarchive`],
    ["POST", `${c}/join`],
    ["POST", `${c}/leave`],
    ["GET", `${c}/members`],
    ["POST", `${c}/members`, { user_ids: [outsider.user.id] }],
    ["DELETE", `${c}/members/${memberId}`],
    ["DELETE", `${c}/members/${outsider.user.id}`],
    ["POST", `${c}/read`, { seq: 1 }],
    ["GET", `${c}/events`],
    ["GET", `${c}/events?after=0&limit=1`],
    ["GET", `${c}/messages`],
    ["GET", `${c}/messages?after=0`],
    ["POST", `${c}/messages`, { text: "let me in" }],
    ["POST", `${c}/messages`, { text: "x", client_msg_id: "guess" }],
    ["PATCH", `${c}/messages/${messageId}`, { text: "edit" }],
    ["DELETE", `${c}/messages/${messageId}`],
  ];
}

async function expectInvisible(outsider: Account, channelId: string, messageId: string, memberId: string) {
  for (const [method, path, body] of everyEndpoint(channelId, messageId, memberId, outsider)) {
    const reply = await call(method, path, { token: outsider.token, body });
    expect({ method, path, status: reply.status, code: reply.body?.code }).toEqual({
      method,
      path,
      status: 404,
      code: "channel_not_found",
    });
  }
  const browse = expectStatus(await call("GET", "/channels?limit=200", { token: outsider.token }), 200);
  expect(browse.items.map((c: { id: string }) => c.id)).not.toContain(channelId);
  const mine = expectStatus(await call("GET", "/users/me/channels", { token: outsider.token }), 200);
  expect(mine.items.map((i: { channel: { id: string } }) => i.channel.id)).not.toContain(channelId);
}

describe("invariant 5: no peeking", () => {
  it("a private channel, a DM and a group DM answer every endpoint with 404 to non-members, workspace admins included", async () => {
    const { owner, alice, bob, admin, guest } = await workspace();
    const priv = await createChannel(alice, { is_private: true });
    await addMembers(alice, priv.id, bob);
    const dm = expectStatus(await call("POST", "/dms", { token: alice.token, body: { user_ids: [bob.user.id] } }), 201);
    const group = expectStatus(await call("POST", "/dms", { token: alice.token, body: { user_ids: [bob.user.id, guest.user.id] } }), 201);
    for (const channel of [priv, dm, group]) {
      const message = await sent(alice, channel.id, "secret");
      for (const outsider of channel === group ? [owner, admin] : [owner, admin, guest]) {
        await expectInvisible(outsider, channel.id, message.id, bob.user.id);
      }
      // Nothing they did changed anything.
      const history = expectStatus(await call("GET", `/channels/${channel.id}/messages`, { token: alice.token }), 200);
      expect(history.items).toEqual([message]);
    }
  });

  it("a guest sees only channels they were added to: public ones they are not in answer 404", async () => {
    const { alice, bob, guest } = await workspace();
    const pub = await createChannel(alice);
    await addMembers(alice, pub.id, bob);
    const message = await sent(alice, pub.id, "for members of the workspace");
    await expectInvisible(guest, pub.id, message.id, bob.user.id);
  });

  it("an unknown channel id answers exactly like a hidden one", async () => {
    const { alice, bob } = await workspace();
    await expectInvisible(alice, "c_0000000000000000000000zzzz", "m_00000000000000000000000000", bob.user.id);
  });

  it("removal takes effect at once: the next request is 404 and no further event reaches the removed member", async () => {
    const { alice, bob } = await workspace();
    const priv = await createChannel(alice, { is_private: true });
    await addMembers(alice, priv.id, bob);
    const { ws } = await openLiveSocket(bob.token);
    const before = await sent(alice, priv.id, "bob may see this");
    expect((await ws.until((f) => f.type === "message.created")).match.data.id).toBe(before.id);
    expectStatus(await call("DELETE", `/channels/${priv.id}/members/${bob.user.id}`, { token: alice.token }), 204);
    const after = await sent(alice, priv.id, "bob may not");
    await expectInvisible(bob, priv.id, after.id, alice.user.id);
    const frames = await ws.drain();
    expect(frames.filter((f) => f.channel_id === priv.id)).toEqual([]);
    expect(JSON.stringify(frames)).not.toContain("bob may not");
    ws.close();
  });

  it("a public channel is readable by non-members (history, members, events) but not writable", async () => {
    const { alice, bob } = await workspace();
    const pub = await createChannel(alice);
    const message = await sent(alice, pub.id, "open to all");
    expect(expectStatus(await call("GET", `/channels/${pub.id}/messages`, { token: bob.token }), 200).items).toEqual([message]);
    expect(expectStatus(await call("GET", `/channels/${pub.id}/events`, { token: bob.token }), 200).items).toHaveLength(1);
    expect(expectStatus(await call("GET", `/channels/${pub.id}/members`, { token: bob.token }), 200).items).toHaveLength(1);
    expectProblem(await call("POST", `/channels/${pub.id}/messages`, { token: bob.token, body: { text: "x" } }), 403, "not_a_member");
    expectProblem(
      await call("PATCH", `/channels/${pub.id}/messages/${message.id}`, { token: bob.token, body: { text: "x" } }),
      403,
      "not_a_member",
    );
    expectProblem(await call("DELETE", `/channels/${pub.id}/messages/${message.id}`, { token: bob.token }), 403, "cannot_delete_message");
    expectProblem(await call("POST", `/channels/${pub.id}/read`, { token: bob.token, body: { seq: 1 } }), 403, "not_a_member");
  });
});
