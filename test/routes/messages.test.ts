import { describe, expect, it } from "vitest";
import { addMembers, allEvents, createChannel, expectStatus, send, sent, workspace } from "../channelFixtures";
import { call, expectProblem } from "../helpers";
import { openLiveSocket } from "../socketClient";

describe("POST /channels/{id}/messages", () => {
  it("answers 201 with the message, exactly in the documented shape", async () => {
    const { alice } = await workspace();
    const channel = await createChannel(alice);
    const reply = await send(alice, channel.id, "  hello,\n world  ", { client_msg_id: "c-1" });
    const message = expectStatus(reply, 201);
    expect(message).toEqual({
      id: expect.stringMatching(/^m_[0-9a-z]{26}$/),
      channel_id: channel.id,
      seq: 1,
      author_id: alice.user.id,
      text: "  hello,\n world  ",
      client_msg_id: "c-1",
      thread_root_id: null,
      also_send_to_channel: false,
      reply_count: 0,
      last_reply_at: null,
      reply_user_ids: [],
      mentions: { user_ids: [], channel: false, here: false },
      reactions: [],
      files: [],
      edited_at: null,
      deleted: false,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect((await sent(alice, channel.id, "second")).seq).toBe(2);
  });

  it("invariant 4: idempotent send (10 concurrent sends with one client_msg_id make one message: one 201, nine 200)", async () => {
    const { alice } = await workspace();
    const channel = await createChannel(alice);
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => send(alice, channel.id, "only once", { client_msg_id: "retry-me" })),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    const created = replies.find((r) => r.status === 201)?.body;
    for (const r of replies) expect(r.body).toEqual(created);
    const later = await send(alice, channel.id, "different text, same key", { client_msg_id: "retry-me" });
    expect(later.status).toBe(200);
    expect(later.body).toEqual(created);
    const history = expectStatus(await call("GET", `/channels/${channel.id}/messages`, { token: alice.token }), 200);
    expect(history.items).toEqual([created]);
    expect((await allEvents(alice, channel.id)).filter((e) => e.type === "message.created")).toHaveLength(1);
  });

  it("scopes client_msg_id to its author", async () => {
    const { alice, bob } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob);
    const a = await sent(alice, channel.id, "a", { client_msg_id: "same" });
    const b = await sent(bob, channel.id, "b", { client_msg_id: "same" });
    expect(b.id).not.toBe(a.id);
  });

  it("resolves @username among members, and flags @channel and @here", async () => {
    const { owner, alice, bob } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob);
    const message = await sent(
      alice,
      channel.id,
      `hi @${bob.user.username}, @${bob.user.username.toUpperCase()}. and @${owner.user.username} (not here) @nobody mail@${bob.user.username} @channel @here`,
    );
    expect(message.mentions).toEqual({ user_ids: [bob.user.id], channel: true, here: true });
    expect((await sent(alice, channel.id, "@channelx @heres")).mentions).toEqual({ user_ids: [], channel: false, here: false });
  });

  it("takes 1 to 40,000 characters, counting an emoji as one", async () => {
    const { alice } = await workspace();
    const channel = await createChannel(alice);
    expectProblem(await send(alice, channel.id, ""), 422, "validation_failed");
    await sent(alice, channel.id, "x".repeat(40_000));
    await sent(alice, channel.id, "😀".repeat(40_000));
    const tooLong = expectProblem(await send(alice, channel.id, "x".repeat(40_001)), 422);
    expect(tooLong.errors?.[0]?.path).toBe("text");
    expectProblem(await send(alice, channel.id, "😀".repeat(40_001)), 422);
    expectProblem(await send(alice, channel.id, "ok", { client_msg_id: "k".repeat(65) }), 422);
    expectProblem(await send(alice, channel.id, "ok", { client_msg_id: "" }), 422);
    expectProblem(await call("POST", `/channels/${channel.id}/messages`, { token: alice.token, body: { text: 5 } }), 422);
    expectProblem(await call("POST", `/channels/${channel.id}/messages`, { token: alice.token, body: { text: "x", rogue: true } }), 422);
    expectProblem(await call("POST", `/channels/${channel.id}/messages`, { token: alice.token, rawBody: "{" }), 400);
  });

  it("accepts a reply only to an existing top-level message of the same channel (422 otherwise)", async () => {
    const { alice } = await workspace();
    const channel = await createChannel(alice);
    const other = await createChannel(alice);
    const root = await sent(alice, channel.id, "root");
    const elsewhere = await sent(alice, other.id, "elsewhere");
    const reply = await sent(alice, channel.id, "reply", { thread_root_id: root.id });
    expect(reply.thread_root_id).toBe(root.id);
    expectProblem(await send(alice, channel.id, "x", { thread_root_id: reply.id }), 422, "invalid_thread_root");
    expectProblem(await send(alice, channel.id, "x", { thread_root_id: elsewhere.id }), 422, "invalid_thread_root");
    expectProblem(await send(alice, channel.id, "x", { thread_root_id: "m_00000000000000000000000000" }), 422, "invalid_thread_root");
    expectProblem(await send(alice, channel.id, "x", { thread_root_id: "nope" }), 422, "validation_failed");
  });

  it("lets members post; a public channel's readers get 403, outsiders of private channels and guests 404", async () => {
    const { alice, bob, guest } = await workspace();
    const pub = await createChannel(alice);
    const priv = await createChannel(alice, { is_private: true });
    expectProblem(await send(bob, pub.id, "hi"), 403, "not_a_member");
    expectProblem(await send(bob, priv.id, "hi"), 404, "channel_not_found");
    expectProblem(await send(guest, pub.id, "hi"), 404, "channel_not_found");
    await addMembers(alice, pub.id, guest);
    await sent(guest, pub.id, "a guest who was added may post");
  });
});

describe("GET /channels/{id}/messages", () => {
  it("pages newest first with before, forwards with after, and both as a window", async () => {
    const { alice, bob } = await workspace();
    const channel = await createChannel(alice);
    for (let i = 1; i <= 7; i++) await sent(alice, channel.id, `m${i}`);
    const seqs = async (query: string) => {
      const page = expectStatus(await call("GET", `/channels/${channel.id}/messages${query}`, { token: bob.token }), 200);
      return { seqs: page.items.map((m: { seq: number }) => m.seq), has_more: page.has_more };
    };
    expect(await seqs("")).toEqual({ seqs: [7, 6, 5, 4, 3, 2, 1], has_more: false });
    expect(await seqs("?limit=3")).toEqual({ seqs: [7, 6, 5], has_more: true });
    expect(await seqs("?limit=3&before=5")).toEqual({ seqs: [4, 3, 2], has_more: true });
    expect(await seqs("?limit=3&before=3")).toEqual({ seqs: [2, 1], has_more: false });
    expect(await seqs("?limit=3&after=2")).toEqual({ seqs: [5, 4, 3], has_more: true });
    expect(await seqs("?limit=3&after=5")).toEqual({ seqs: [7, 6], has_more: false });
    expect(await seqs("?after=2&before=6")).toEqual({ seqs: [5, 4, 3], has_more: false });
    expect(await seqs("?after=2&before=6&limit=2")).toEqual({ seqs: [5, 4], has_more: true });
    expect(await seqs("?before=1")).toEqual({ seqs: [], has_more: false });
    expect(await seqs(`?after=${Number.MAX_SAFE_INTEGER}`)).toEqual({ seqs: [], has_more: false });
  });

  it("answers bad cursors and limits with 400", async () => {
    const { alice } = await workspace();
    const channel = await createChannel(alice);
    for (const query of ["limit=0", "limit=201", "before=-1", "after=1.5", "before=abc", "after=1e400", "before=99999999999999999999"]) {
      expectProblem(await call("GET", `/channels/${channel.id}/messages?${query}`, { token: alice.token }), 400, "invalid_request");
    }
    expect(expectStatus(await call("GET", `/channels/${channel.id}/messages?limit=200`, { token: alice.token }), 200).items).toEqual([]);
  });
});

describe("PATCH and DELETE /channels/{id}/messages/{message_id}", () => {
  it("lets only the author edit; the edit re-parses mentions and is announced as message.updated", async () => {
    const { alice, bob } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob);
    const message = await sent(alice, channel.id, "first draft");
    const path = `/channels/${channel.id}/messages/${message.id}`;
    expectProblem(await call("PATCH", path, { token: bob.token, body: { text: "hijack" } }), 403, "not_author");
    const edited = expectStatus(await call("PATCH", path, { token: alice.token, body: { text: `final @${bob.user.username}` } }), 200);
    expect(edited).toEqual({
      ...message,
      text: `final @${bob.user.username}`,
      mentions: { user_ids: [bob.user.id], channel: false, here: false },
      edited_at: expect.any(String),
    });
    const events = await allEvents(bob, channel.id);
    expect(events.at(-1)).toMatchObject({ type: "message.updated", data: edited });
    expect(expectStatus(await call("PATCH", path, { token: alice.token, body: { text: edited.text } }), 200)).toEqual(edited);
    expect((await allEvents(bob, channel.id)).length).toBe(events.length);
    expectProblem(await call("PATCH", path, { token: alice.token, body: { text: "" } }), 422);
    expectProblem(
      await call("PATCH", `/channels/${channel.id}/messages/m_00000000000000000000000000`, { token: alice.token, body: { text: "x" } }),
      404,
      "message_not_found",
    );
    expectProblem(await call("PATCH", `/channels/${channel.id}/messages/bad-id`, { token: alice.token, body: { text: "x" } }), 404);
  });

  it("deletes to a tombstone (author, channel admin or workspace admin), announced as message.deleted", async () => {
    const { owner, alice, bob } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob, owner);
    const bobs = await sent(bob, channel.id, `mine @${alice.user.username}`);
    const alices = await sent(alice, channel.id, "channel admin's own");
    const third = await sent(bob, channel.id, "for the workspace owner to delete");
    expectProblem(
      await call("DELETE", `/channels/${channel.id}/messages/${alices.id}`, { token: bob.token }),
      403,
      "cannot_delete_message",
    );
    expectStatus(await call("DELETE", `/channels/${channel.id}/messages/${bobs.id}`, { token: bob.token }), 204);
    expectStatus(await call("DELETE", `/channels/${channel.id}/messages/${alices.id}`, { token: alice.token }), 204);
    expectStatus(await call("DELETE", `/channels/${channel.id}/messages/${third.id}`, { token: owner.token }), 204);
    expectStatus(await call("DELETE", `/channels/${channel.id}/messages/${third.id}`, { token: owner.token }), 204);
    const tombstone = { ...bobs, text: "", deleted: true, mentions: { user_ids: [], channel: false, here: false } };
    const history = expectStatus(await call("GET", `/channels/${channel.id}/messages`, { token: alice.token }), 200);
    expect(history.items.map((m: { seq: number; deleted: boolean }) => [m.seq, m.deleted])).toEqual([
      [3, true],
      [2, true],
      [1, true],
    ]);
    expect(history.items[2]).toEqual(tombstone);
    const deletions = (await allEvents(alice, channel.id)).filter((e) => e.type === "message.deleted");
    expect(deletions.map((e) => e.data.id)).toEqual([bobs.id, alices.id, third.id]);
    expect(deletions[0].data).toEqual(tombstone);
    expectProblem(
      await call("PATCH", `/channels/${channel.id}/messages/${bobs.id}`, { token: bob.token, body: { text: "resurrect" } }),
      409,
      "message_deleted",
    );
    expect((await send(bob, channel.id, "again", {})).status).toBe(201);
  });

  it("delivers message events live to members' sockets, in order", async () => {
    const { alice, bob } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob);
    const { ws } = await openLiveSocket(bob.token);
    const message = await sent(alice, channel.id, "live");
    await call("PATCH", `/channels/${channel.id}/messages/${message.id}`, { token: alice.token, body: { text: "live, edited" } });
    await call("DELETE", `/channels/${channel.id}/messages/${message.id}`, { token: alice.token });
    const frames: any[] = [];
    while (frames.length < 3) {
      const f = await ws.next();
      if (f.channel_id === channel.id) frames.push(f);
    }
    expect(frames.map((f) => [f.type, f.data.text])).toEqual([
      ["message.created", "live"],
      ["message.updated", "live, edited"],
      ["message.deleted", ""],
    ]);
    expect(frames.map((f) => f.seq)).toEqual([frames[0].seq, frames[0].seq + 1, frames[0].seq + 2]);
    expect(Object.keys(frames[0])).toEqual(["type", "channel_id", "seq", "at", "data"]);
    ws.close();
  });
});
