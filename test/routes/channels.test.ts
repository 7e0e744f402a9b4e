import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ChannelRoom } from "../../durable-objects/channel-room/ChannelRoom";
import { addMembers, allEvents, channelName, createChannel, expectStatus, sent, workspace } from "../channelFixtures";
import { call, expectProblem, signUp } from "../helpers";
import { openLiveSocket } from "../socketClient";

const CHANNEL_SHAPE = {
  id: expect.stringMatching(/^c_[0-9a-z]{26}$/),
  kind: expect.any(String),
  topic: expect.any(String),
  purpose: expect.any(String),
  archived: expect.any(Boolean),
  created_by: expect.any(String),
  created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
  member_count: expect.any(Number),
};

describe("POST /channels", () => {
  it("creates a channel whose creator is its first member and admin", async () => {
    const { alice } = await workspace();
    const name = channelName();
    const channel = expectStatus(await call("POST", "/channels", { token: alice.token, body: { name, topic: "t", purpose: "p" } }), 201);
    expect(channel).toEqual({
      ...CHANNEL_SHAPE,
      kind: "public",
      name,
      topic: "t",
      purpose: "p",
      archived: false,
      created_by: alice.user.id,
      member_count: 1,
    });
    expect(Object.keys(channel).sort()).toEqual([
      "archived",
      "created_at",
      "created_by",
      "id",
      "kind",
      "member_count",
      "name",
      "purpose",
      "topic",
    ]);
    const members = expectStatus(await call("GET", `/channels/${channel.id}/members`, { token: alice.token }), 200);
    expect(members.items).toEqual([{ user_id: alice.user.id, role: "admin", joined_at: expect.any(String) }]);
    const priv = await createChannel(alice, { is_private: true });
    expect(priv.kind).toBe("private");
  });

  it("enforces name rules (422) and uniqueness (409 name_taken)", async () => {
    const { alice, bob } = await workspace();
    for (const name of ["", "Upper", "has space", "dot.dot", "é", "x".repeat(81), "#hash"]) {
      const problem = expectProblem(await call("POST", "/channels", { token: alice.token, body: { name } }), 422, "validation_failed");
      expect(problem.errors?.[0]?.path).toBe("name");
    }
    expectStatus(await call("POST", "/channels", { token: alice.token, body: { name: "x".repeat(80) } }), 201);
    expectStatus(await call("POST", "/channels", { token: alice.token, body: { name: "a_b-9" } }), 201);
    expectProblem(await call("POST", "/channels", { token: bob.token, body: { name: "a_b-9", is_private: true } }), 409, "name_taken");
    expectProblem(await call("POST", "/channels", { token: alice.token, body: { name: "general" } }), 409, "name_taken");
    expectProblem(await call("POST", "/channels", { token: alice.token, body: { name: "ok", extra: 1 } }), 422);
    expectProblem(await call("POST", "/channels", { token: alice.token, body: { name: "ok", topic: "t".repeat(251) } }), 422);
  });

  it("concurrent creates of one name make one channel", async () => {
    const { alice, bob, owner } = await workspace();
    const name = channelName();
    const replies = await Promise.all([alice, bob, owner, alice].map((a) => call("POST", "/channels", { token: a.token, body: { name } })));
    expect(replies.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    const listed = expectStatus(await call("GET", "/channels?limit=200", { token: owner.token }), 200);
    expect(listed.items.filter((c: { name: string }) => c.name === name)).toHaveLength(1);
  });

  it("refuses guests (403 guest_not_allowed)", async () => {
    const { guest } = await workspace();
    expectProblem(await call("POST", "/channels", { token: guest.token, body: { name: channelName() } }), 403, "guest_not_allowed");
  });

  it("needs a valid token (401)", async () => {
    expectProblem(await call("POST", "/channels", { body: { name: "x" } }), 401);
    expectProblem(await call("GET", "/channels", { token: "nope" }), 401);
  });
});

describe("GET /channels", () => {
  it("lists public channels and the caller's private ones by name, filtered by joined, with a cursor", async () => {
    const { owner, alice, bob, guest } = await workspace();
    const pub = await createChannel(alice, { name: "b-public" });
    const priv = await createChannel(alice, { name: "c-private", is_private: true });
    const other = await createChannel(bob, { name: "a-other-private", is_private: true });
    await addMembers(alice, pub.id, guest);
    await sent(alice, pub.id, "hi");
    const names = async (token: string, query = "") =>
      expectStatus(await call("GET", `/channels${query}`, { token }), 200).items.map((c: { name: string }) => c.name);

    expect(await names(alice.token)).toEqual(["b-public", "c-private", "general"]);
    expect(await names(bob.token)).toEqual(["a-other-private", "b-public", "general"]);
    expect(await names(alice.token, "?joined=true")).toEqual(["b-public", "c-private", "general"]);
    expect(await names(bob.token, "?joined=false")).toEqual(["b-public"]);
    expect(await names(owner.token, "?joined=false")).toEqual(["b-public"]);
    expect(await names(guest.token)).toEqual(["b-public"]);
    expect(await names(guest.token, "?joined=false")).toEqual([]);
    expect(priv.kind).toBe("private");
    expect(other.kind).toBe("private");

    const first = expectStatus(await call("GET", "/channels?limit=2", { token: alice.token }), 200);
    expect(first.items.map((c: { name: string }) => c.name)).toEqual(["b-public", "c-private"]);
    expect(first.items[0]).toEqual({ ...pub, member_count: 2 });
    const second = expectStatus(await call("GET", `/channels?limit=2&cursor=${first.next_cursor}`, { token: alice.token }), 200);
    expect(second).toEqual({ items: [expect.objectContaining({ name: "general" })], next_cursor: null });
  });

  it("answers a bad query with 400", async () => {
    const { alice } = await workspace();
    for (const query of ["?limit=0", "?limit=201", "?limit=abc", "?joined=yes", "?cursor=%%%", "?cursor=eyJhZnRlciI6MX0"]) {
      expectProblem(await call("GET", `/channels${query}`, { token: alice.token }), 400);
    }
  });
});

describe("GET and PATCH /channels/{id}", () => {
  it("shows a public channel to any non-guest, a private one to its members only", async () => {
    const { alice, bob, guest } = await workspace();
    const pub = await createChannel(alice);
    const priv = await createChannel(alice, { is_private: true });
    expect(expectStatus(await call("GET", `/channels/${pub.id}`, { token: bob.token }), 200)).toEqual(pub);
    expectProblem(await call("GET", `/channels/${priv.id}`, { token: bob.token }), 404, "channel_not_found");
    expectProblem(await call("GET", `/channels/${pub.id}`, { token: guest.token }), 404, "channel_not_found");
    expectProblem(await call("GET", "/channels/c_00000000000000000000000000", { token: alice.token }), 404, "channel_not_found");
    expectProblem(await call("GET", "/channels/not-an-id", { token: alice.token }), 404);
  });

  it("lets any member change topic and purpose; renaming takes the creator, a channel admin or a workspace admin", async () => {
    const { owner, alice, bob, admin } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob);
    const patched = expectStatus(
      await call("PATCH", `/channels/${channel.id}`, { token: bob.token, body: { topic: "new topic", purpose: "why" } }),
      200,
    );
    expect(patched).toEqual({ ...channel, topic: "new topic", purpose: "why", member_count: 2 });
    expectProblem(
      await call("PATCH", `/channels/${channel.id}`, { token: bob.token, body: { name: channelName() } }),
      403,
      "not_channel_admin",
    );
    expectProblem(
      await call("PATCH", `/channels/${channel.id}`, { token: bob.token, body: { name: "general" } }),
      403,
      "not_channel_admin",
    );
    const carol = await signUp(owner.token);
    expectProblem(await call("PATCH", `/channels/${channel.id}`, { token: carol.token, body: { topic: "x" } }), 403, "not_a_member");

    const byCreator = channelName();
    expect(expectStatus(await call("PATCH", `/channels/${channel.id}`, { token: alice.token, body: { name: byCreator } }), 200).name).toBe(
      byCreator,
    );
    const byAdmin = channelName();
    expect(expectStatus(await call("PATCH", `/channels/${channel.id}`, { token: admin.token, body: { name: byAdmin } }), 200).name).toBe(
      byAdmin,
    );
    expectProblem(await call("PATCH", `/channels/${channel.id}`, { token: alice.token, body: { name: "general" } }), 409, "name_taken");
    const listed = expectStatus(await call("GET", "/channels?limit=200", { token: bob.token }), 200);
    expect(listed.items.find((c: { id: string }) => c.id === channel.id)).toMatchObject({ name: byAdmin, topic: "new topic" });
    expectProblem(await call("PATCH", `/channels/${channel.id}`, { token: alice.token, body: { name: "Bad Name" } }), 422);
  });

  it("concurrent renames to one name: one wins, and every room agrees with the directory", async () => {
    const { alice } = await workspace();
    const rooms = await Promise.all(Array.from({ length: 4 }, () => createChannel(alice)));
    const name = channelName("contested");
    const replies = await Promise.all(rooms.map((c) => call("PATCH", `/channels/${c.id}`, { token: alice.token, body: { name } })));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 409, 409, 409]);
    const listed = expectStatus(await call("GET", "/channels?limit=200", { token: alice.token }), 200).items;
    for (const c of rooms) {
      const fromRoom = expectStatus(await call("GET", `/channels/${c.id}`, { token: alice.token }), 200);
      expect(listed.find((l: { id: string }) => l.id === c.id).name).toBe(fromRoom.name);
    }
    expect(listed.filter((l: { name: string }) => l.name === name)).toHaveLength(1);
  });

  it("undoes a room's rename the directory refused, announcing both (restoreName)", async () => {
    const { alice } = await workspace();
    const channel = await createChannel(alice);
    const room = env.CHANNEL_ROOM.getByName(channel.id);
    const renamed = await room.updateChannel({ id: alice.user.id, role: "member" }, { name: "lost-the-race" });
    expect(renamed).toMatchObject({ ok: true, value: { previousName: channel.name } });
    expect(await room.restoreName("someone-else", "x")).toMatchObject({ ok: true, value: { name: "lost-the-race" } });
    expect(await room.restoreName("lost-the-race", channel.name)).toMatchObject({ ok: true, value: { name: channel.name } });
    const names = (await allEvents(alice, channel.id)).map((e) => e.data.name);
    expect(names).toEqual(["lost-the-race", channel.name]);
  });

  it("answers 404 (not 403 or 409) to a non-member patching a private channel", async () => {
    const { alice, bob } = await workspace();
    const priv = await createChannel(alice, { is_private: true });
    expectProblem(await call("PATCH", `/channels/${priv.id}`, { token: bob.token, body: { name: "general" } }), 404, "channel_not_found");
    expectProblem(await call("PATCH", `/channels/${priv.id}`, { token: bob.token, body: { topic: "x" } }), 404, "channel_not_found");
  });
});

describe("archive and unarchive", () => {
  it("makes a channel read-only until unarchived; only its managers may do either", async () => {
    const { owner, alice, bob } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob);
    const message = await sent(bob, channel.id, "before");
    expectProblem(await call("POST", `/channels/${channel.id}/archive`, { token: bob.token }), 403, "not_channel_admin");
    expect(expectStatus(await call("POST", `/channels/${channel.id}/archive`, { token: alice.token }), 200)).toMatchObject({
      archived: true,
    });
    expectProblem(await call("POST", `/channels/${channel.id}/archive`, { token: alice.token }), 409, "already_archived");

    expectProblem(
      await call("POST", `/channels/${channel.id}/messages`, { token: bob.token, body: { text: "x" } }),
      409,
      "channel_archived",
    );
    expectProblem(
      await call("PATCH", `/channels/${channel.id}/messages/${message.id}`, { token: bob.token, body: { text: "y" } }),
      409,
      "channel_archived",
    );
    expectProblem(await call("DELETE", `/channels/${channel.id}/messages/${message.id}`, { token: bob.token }), 409, "channel_archived");
    expectProblem(await call("PATCH", `/channels/${channel.id}`, { token: bob.token, body: { topic: "x" } }), 409, "channel_archived");
    expectProblem(await call("POST", `/channels/${channel.id}/join`, { token: owner.token }), 409, "channel_archived");
    expect(expectStatus(await call("GET", `/channels/${channel.id}/messages`, { token: owner.token }), 200).items).toEqual([message]);
    expect(
      expectStatus(await call("POST", `/channels/${channel.id}/read`, { token: bob.token, body: { seq: 1 } }), 200).last_read_seq,
    ).toBe(1);

    expectProblem(await call("POST", `/channels/${channel.id}/unarchive`, { token: bob.token }), 403, "not_channel_admin");
    expect(expectStatus(await call("POST", `/channels/${channel.id}/unarchive`, { token: owner.token }), 200)).toMatchObject({
      archived: false,
    });
    expectProblem(await call("POST", `/channels/${channel.id}/unarchive`, { token: owner.token }), 409, "not_archived");
    await sent(bob, channel.id, "after");
    const types = (await allEvents(alice, channel.id)).map((e) => e.type);
    expect(types).toEqual(["member.joined", "message.created", "channel.archived", "channel.unarchived", "message.created"]);
    const listed = expectStatus(await call("GET", "/channels?joined=true", { token: alice.token }), 200);
    expect(listed.items.find((c: { id: string }) => c.id === channel.id).archived).toBe(false);
  });
});

describe("join, leave and members", () => {
  it("joins public channels (idempotently) but not private ones; guests cannot join", async () => {
    const { alice, bob, guest } = await workspace();
    const pub = await createChannel(alice);
    const priv = await createChannel(alice, { is_private: true });
    const joined = expectStatus(await call("POST", `/channels/${pub.id}/join`, { token: bob.token }), 200);
    expect(joined).toEqual({ ...pub, member_count: 2 });
    expect(expectStatus(await call("POST", `/channels/${pub.id}/join`, { token: bob.token }), 200).member_count).toBe(2);
    expectProblem(await call("POST", `/channels/${priv.id}/join`, { token: bob.token }), 404, "channel_not_found");
    expectProblem(await call("POST", `/channels/${pub.id}/join`, { token: guest.token }), 404, "channel_not_found");
    const events = await allEvents(alice, pub.id);
    expect(events).toEqual([
      expect.objectContaining({ type: "member.joined", data: { user_id: bob.user.id, role: "member", joined_at: expect.any(String) } }),
    ]);
  });

  it("tells the joiner and the leaver on their own streams (channel.added, channel.removed)", async () => {
    const { alice, bob } = await workspace();
    const channel = await createChannel(alice);
    const { ws } = await openLiveSocket(bob.token);
    await call("POST", `/channels/${channel.id}/join`, { token: bob.token });
    const added = await ws.until((f) => f.type === "channel.added");
    expect(added.match).toMatchObject({ user_seq: expect.any(Number), data: { channel: { ...channel, member_count: 2 } } });
    expectStatus(await call("POST", `/channels/${channel.id}/leave`, { token: bob.token }), 204);
    expect((await ws.until((f) => f.type === "channel.removed")).match.data).toEqual({ channel_id: channel.id });
    ws.close();
  });

  it("leaving: 204, idempotent for a public channel, then 404 for a private one; member counts follow", async () => {
    const { alice, bob } = await workspace();
    const pub = await createChannel(alice);
    const priv = await createChannel(alice, { is_private: true });
    await addMembers(alice, pub.id, bob);
    await addMembers(alice, priv.id, bob);
    expectStatus(await call("POST", `/channels/${pub.id}/leave`, { token: bob.token }), 204);
    expectStatus(await call("POST", `/channels/${pub.id}/leave`, { token: bob.token }), 204);
    expect(expectStatus(await call("GET", `/channels/${pub.id}`, { token: alice.token }), 200).member_count).toBe(1);
    expectStatus(await call("POST", `/channels/${priv.id}/leave`, { token: bob.token }), 204);
    expectProblem(await call("POST", `/channels/${priv.id}/leave`, { token: bob.token }), 404, "channel_not_found");
    const mine = expectStatus(await call("GET", "/users/me/channels", { token: bob.token }), 200);
    expect(mine.items.map((i: { channel: { name: string } }) => i.channel.name)).toEqual(["general"]);
  });

  it("adds people: any member (not a guest), active users only (422), already-in skipped", async () => {
    const { owner, alice, bob, admin, guest } = await workspace();
    const priv = await createChannel(alice, { is_private: true });
    await addMembers(alice, priv.id, bob, guest);
    expect((await addMembers(bob, priv.id, admin, alice)).member_count).toBe(4);
    expectProblem(
      await call("POST", `/channels/${priv.id}/members`, { token: guest.token, body: { user_ids: [owner.user.id] } }),
      403,
      "guest_not_allowed",
    );
    const unknown = expectProblem(
      await call("POST", `/channels/${priv.id}/members`, {
        token: alice.token,
        body: { user_ids: [owner.user.id, "u_00000000000000000000000000"] },
      }),
      422,
      "unknown_user",
    );
    expect(unknown.errors).toEqual([{ path: "user_ids.1", message: expect.any(String) }]);
    const gone = await signUp(owner.token);
    expectStatus(await call("POST", `/admin/users/${gone.user.id}/deactivate`, { token: admin.token }), 200);
    expectProblem(
      await call("POST", `/channels/${priv.id}/members`, { token: alice.token, body: { user_ids: [gone.user.id] } }),
      422,
      "unknown_user",
    );
    expectProblem(await call("POST", `/channels/${priv.id}/members`, { token: alice.token, body: { user_ids: [] } }), 422);
    const members = expectStatus(await call("GET", `/channels/${priv.id}/members`, { token: guest.token }), 200);
    expect(members.items.map((m: { user_id: string }) => m.user_id).sort()).toEqual(
      [alice, bob, admin, guest].map((a) => a.user.id).sort(),
    );
  });

  it("a public channel's non-members may read its members but not add anyone", async () => {
    const { alice, bob, owner } = await workspace();
    const pub = await createChannel(alice);
    expect(expectStatus(await call("GET", `/channels/${pub.id}/members`, { token: bob.token }), 200).items).toHaveLength(1);
    expectProblem(
      await call("POST", `/channels/${pub.id}/members`, { token: bob.token, body: { user_ids: [owner.user.id] } }),
      403,
      "not_a_member",
    );
  });

  it("removes members: channel admins and workspace admins only; removal takes effect on the very next request", async () => {
    const { owner, alice, bob, admin } = await workspace();
    const priv = await createChannel(alice, { is_private: true });
    await addMembers(alice, priv.id, bob, admin);
    expectProblem(await call("DELETE", `/channels/${priv.id}/members/${admin.user.id}`, { token: bob.token }), 403, "not_channel_admin");
    expectStatus(await call("DELETE", `/channels/${priv.id}/members/${bob.user.id}`, { token: alice.token }), 204);
    expectProblem(await call("GET", `/channels/${priv.id}/messages`, { token: bob.token }), 404, "channel_not_found");
    expectProblem(await call("DELETE", `/channels/${priv.id}/members/${bob.user.id}`, { token: alice.token }), 404, "member_not_found");
    expectStatus(await call("DELETE", `/channels/${priv.id}/members/${alice.user.id}`, { token: admin.token }), 204);
    expectProblem(await call("DELETE", `/channels/${priv.id}/members/${admin.user.id}`, { token: owner.token }), 404, "channel_not_found");
    const members = expectStatus(await call("GET", `/channels/${priv.id}/members`, { token: admin.token }), 200);
    expect(members.items.map((m: { user_id: string }) => m.user_id)).toEqual([admin.user.id]);
    const left = (await allEvents(admin, priv.id)).filter((e) => e.type === "member.left").map((e) => e.data.user_id);
    expect(left).toEqual([bob.user.id, alice.user.id]);
  });

  it("pages through members with a cursor", async () => {
    const { owner, alice, bob, admin } = await workspace();
    const channel = await createChannel(owner);
    await addMembers(owner, channel.id, alice, bob, admin);
    const seen: string[] = [];
    let cursor = "";
    for (let pages = 0; pages < 10; pages++) {
      const page = expectStatus(await call("GET", `/channels/${channel.id}/members?limit=3${cursor}`, { token: alice.token }), 200);
      seen.push(...page.items.map((m: { user_id: string }) => m.user_id));
      if (!page.next_cursor) break;
      cursor = `&cursor=${page.next_cursor}`;
    }
    expect(seen).toEqual([owner, alice, bob, admin].map((a) => a.user.id).sort());
    expectProblem(await call("GET", `/channels/${channel.id}/members?cursor=garbage`, { token: alice.token }), 400, "invalid_cursor");
  });
});

describe("read state", () => {
  it("counts unread messages and mentions, and never moves the read marker backwards", async () => {
    const { alice, bob } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob);
    await sent(alice, channel.id, "one");
    await sent(alice, channel.id, `two @${bob.user.username}`);
    await sent(alice, channel.id, "three @channel");
    await sent(bob, channel.id, "my own message is never unread");
    const deleted = await sent(alice, channel.id, `five @${bob.user.username}`);
    expectStatus(await call("DELETE", `/channels/${channel.id}/messages/${deleted.id}`, { token: alice.token }), 204);
    const state = async () =>
      expectStatus(await call("GET", "/users/me/channels", { token: bob.token }), 200).items.find(
        (i: { channel: { id: string } }) => i.channel.id === channel.id,
      );

    expect(await state()).toEqual({
      channel: { ...channel, member_count: 2 },
      last_seq: 5,
      last_read_seq: 0,
      unread_count: 3,
      mention_count: 2,
    });
    const read = expectStatus(await call("POST", `/channels/${channel.id}/read`, { token: bob.token, body: { seq: 2 } }), 200);
    expect(read).toMatchObject({ last_seq: 5, last_read_seq: 2, unread_count: 1, mention_count: 1 });
    expect(
      expectStatus(await call("POST", `/channels/${channel.id}/read`, { token: bob.token, body: { seq: 1 } }), 200).last_read_seq,
    ).toBe(2);
    expect(expectStatus(await call("POST", `/channels/${channel.id}/read`, { token: bob.token, body: { seq: 999 } }), 200)).toMatchObject({
      last_read_seq: 5,
      unread_count: 0,
      mention_count: 0,
    });
    expect(await state()).toMatchObject({ last_read_seq: 5, unread_count: 0 });
    expectProblem(await call("POST", `/channels/${channel.id}/read`, { token: bob.token, body: { seq: -1 } }), 422);
    expectProblem(await call("POST", `/channels/${channel.id}/read`, { token: bob.token, body: { seq: "1" } }), 422);
  });

  it("tells the reader's other devices (read.updated) only when the marker moves", async () => {
    const { alice, bob } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob);
    await sent(alice, channel.id, "one");
    await sent(alice, channel.id, "two");
    const { ws } = await openLiveSocket(bob.token);
    await call("POST", `/channels/${channel.id}/read`, { token: bob.token, body: { seq: 2 } });
    await call("POST", `/channels/${channel.id}/read`, { token: bob.token, body: { seq: 1 } });
    const frames = (await ws.drain()).filter((f) => f.type === "read.updated");
    expect(frames.map((f) => f.data)).toEqual([{ channel_id: channel.id, seq: 2 }]);
    ws.close();
  });

  it("starts a new member with the history before they joined already read; non-members cannot mark read", async () => {
    const { alice, bob } = await workspace();
    const channel = await createChannel(alice);
    await sent(alice, channel.id, "before bob");
    expectProblem(await call("POST", `/channels/${channel.id}/read`, { token: bob.token, body: { seq: 1 } }), 403, "not_a_member");
    await call("POST", `/channels/${channel.id}/join`, { token: bob.token });
    await sent(alice, channel.id, "after bob");
    const mine = expectStatus(await call("GET", "/users/me/channels", { token: bob.token }), 200);
    expect(mine.items.find((i: { channel: { id: string } }) => i.channel.id === channel.id)).toMatchObject({
      last_seq: 2,
      last_read_seq: 1,
      unread_count: 1,
    });
  });
});

describe("GET /channels/{id}/events", () => {
  it("pages the log oldest first with after and limit", async () => {
    const { alice, bob } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob);
    for (let i = 0; i < 4; i++) await sent(alice, channel.id, `m${i}`);
    const page = async (query: string) => {
      const body = expectStatus(await call("GET", `/channels/${channel.id}/events?${query}`, { token: bob.token }), 200);
      return { seqs: body.items.map((e: { seq: number }) => e.seq), has_more: body.has_more };
    };
    expect(await page("limit=2")).toEqual({ seqs: [1, 2], has_more: true });
    expect(await page("after=2&limit=2")).toEqual({ seqs: [3, 4], has_more: true });
    expect(await page("after=4&limit=2")).toEqual({ seqs: [5], has_more: false });
    expect(await page("after=5")).toEqual({ seqs: [], has_more: false });
    expect(await page("after=999")).toEqual({ seqs: [], has_more: false });
    for (const query of ["limit=0", "limit=501", "after=-1", "after=x", "after=1e400"]) {
      expectProblem(await call("GET", `/channels/${channel.id}/events?${query}`, { token: bob.token }), 400, "invalid_request");
    }
  });
});

describe("@here", () => {
  it("counts as a mention for the members online when it was sent, and only them", async () => {
    const { alice, bob, admin } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob, admin);
    const { ws } = await openLiveSocket(bob.token);
    const mentions = async (as: typeof bob) =>
      expectStatus(await call("GET", "/users/me/channels", { token: as.token }), 200).items.find(
        (i: { channel: { id: string } }) => i.channel.id === channel.id,
      ).mention_count;
    // New members count as online until a push finds no socket: wait until the room knows better.
    const online = () =>
      runInDurableObject(env.CHANNEL_ROOM.getByName(channel.id), (_: ChannelRoom, state) =>
        state.storage.sql.exec<{ user_id: string }>("SELECT user_id FROM members WHERE online = 1").toArray(),
      );
    await expect.poll(online).toEqual([{ user_id: bob.user.id }]);
    await sent(alice, channel.id, "@here standup");
    expect(await mentions(bob)).toBe(1);
    expect(await mentions(admin)).toBe(0);
    ws.close();
  });
});
