import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  addMembers,
  allEvents,
  allReplies,
  createChannel,
  expectStatus,
  fetchMessage,
  follow,
  myThreads,
  replied,
  send,
  sent,
  workspace,
} from "../channelFixtures";
import { type Account, call, expectProblem, signUp } from "../helpers";
import { openLiveSocket } from "../socketClient";

// Threads (API.md "Threads"): replies, the root's summary, following, "my threads" and thread.reply.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const markThreadRead = (as: Account, channelId: string, rootId: string, seq: unknown) =>
  call("POST", `/channels/${channelId}/messages/${rootId}/replies/read`, { token: as.token, body: { seq } });

/** A public channel of alice's with bob and carol in it, and a root by alice. */
async function thread() {
  const ws = await workspace();
  const carol = ws.admin;
  const channel = await createChannel(ws.alice);
  await addMembers(ws.alice, channel.id, ws.bob, carol);
  const root = await sent(ws.alice, channel.id, "a root");
  return { ...ws, carol, channel, root };
}

describe("thread replies", () => {
  it("a reply appends message.created (the reply) then message.updated (the root with its new summary)", async () => {
    const { alice, bob, carol, channel, root } = await thread();
    const head = (await allEvents(alice, channel.id)).at(-1).seq;
    const reply = await replied(bob, channel.id, root.id, "first!");
    expect(reply).toMatchObject({
      seq: root.seq + 1,
      thread_root_id: root.id,
      also_send_to_channel: false,
      reply_count: 0,
      reply_user_ids: [],
    });
    const events = await allEvents(alice, channel.id, head);
    expect(events.map((e) => [e.seq, e.type])).toEqual([
      [head + 1, "message.created"],
      [head + 2, "message.updated"],
    ]);
    expect(events[0].data).toEqual(reply);
    const summarized = { ...root, reply_count: 1, last_reply_at: reply.created_at, reply_user_ids: [bob.user.id] };
    expect(events[1].data).toEqual(summarized);
    expect(await fetchMessage(alice, channel.id, root)).toEqual(summarized);

    // Most recent replier first, each once.
    await replied(carol, channel.id, root.id, "second");
    const third = await replied(bob, channel.id, root.id, "third");
    expect(await fetchMessage(alice, channel.id, root)).toMatchObject({
      reply_count: 3,
      last_reply_at: third.created_at,
      reply_user_ids: [bob.user.id, carol.user.id],
    });
  });

  it("lists at most 10 repliers, most recent first", async () => {
    const { owner, alice, channel, root } = await thread();
    expectStatus(await call("POST", `/channels/${channel.id}/join`, { token: owner.token }), 200);
    const people = [alice, owner];
    for (let i = 0; i < 10; i++) {
      const person = await signUp(owner.token);
      expectStatus(await call("POST", `/channels/${channel.id}/join`, { token: person.token }), 200);
      people.push(person);
    }
    for (const person of people) await replied(person, channel.id, root.id, `from ${person.user.username}`);
    const summary = await fetchMessage(alice, channel.id, root);
    expect(summary.reply_count).toBe(12);
    expect(summary.reply_user_ids).toEqual(
      people
        .slice(-10)
        .reverse()
        .map((p) => p.user.id),
    );
  });

  it("history shows top-level messages and replies also sent to the channel; /replies lists a thread oldest first", async () => {
    const { alice, bob, channel, root } = await thread();
    const r1 = await replied(bob, channel.id, root.id, "r1");
    const r2 = await replied(alice, channel.id, root.id, "r2 (also in channel)", { also_send_to_channel: true });
    const top = await sent(bob, channel.id, "top level");
    const r3 = await replied(bob, channel.id, root.id, "r3");
    expect(r2.also_send_to_channel).toBe(true);
    const history = expectStatus(await call("GET", `/channels/${channel.id}/messages`, { token: alice.token }), 200);
    expect(history.items.map((m: { id: string }) => m.id)).toEqual([top.id, r2.id, root.id]);
    const forwards = expectStatus(await call("GET", `/channels/${channel.id}/messages?after=0&limit=2`, { token: alice.token }), 200);
    expect(forwards).toEqual({ items: [history.items[1], history.items[2]], has_more: true });

    const page = (query: string) => call("GET", `/channels/${channel.id}/messages/${root.id}/replies${query}`, { token: bob.token });
    expect(expectStatus(await page(""), 200)).toEqual({ items: [r1, r2, r3], has_more: false });
    expect(expectStatus(await page("?limit=2"), 200)).toEqual({ items: [r1, r2], has_more: true });
    expect(expectStatus(await page(`?after=${r2.seq}`), 200)).toEqual({ items: [r3], has_more: false });
    expect(expectStatus(await page(`?after=${r3.seq}`), 200)).toEqual({ items: [], has_more: false });
    for (const query of ["?limit=0", "?limit=201", "?after=-1", "?after=x", "?after=1e400"])
      expectProblem(await page(query), 400, "invalid_request");
    // A reply is no root; an unknown or malformed id names nothing.
    expectProblem(await call("GET", `/channels/${channel.id}/messages/${r1.id}/replies`, { token: bob.token }), 422, "invalid_thread_root");
    expectProblem(
      await call("GET", `/channels/${channel.id}/messages/m_00000000000000000000000000/replies`, { token: bob.token }),
      404,
      "message_not_found",
    );
    expectProblem(await call("GET", `/channels/${channel.id}/messages/nope/replies`, { token: bob.token }), 404);
  });

  it("refuses replies to replies, deleted roots and other channels' messages (422), and where the caller may not post", async () => {
    const { alice, bob, guest, channel, root } = await thread();
    const reply = await replied(bob, channel.id, root.id, "a reply");
    const other = await createChannel(alice);
    const elsewhere = await sent(alice, other.id, "elsewhere");
    const gone = await sent(alice, channel.id, "to delete");
    expectStatus(await call("DELETE", `/channels/${channel.id}/messages/${gone.id}`, { token: alice.token }), 204);
    for (const rootId of [reply.id, elsewhere.id, gone.id, "m_00000000000000000000000000"])
      expectProblem(await send(bob, channel.id, "x", { thread_root_id: rootId }), 422, "invalid_thread_root");
    const lonely = expectProblem(await send(bob, channel.id, "x", { also_send_to_channel: true }), 422, "validation_failed");
    expect(lonely.errors?.[0]?.path).toBe("also_send_to_channel");
    expectProblem(
      await call("POST", `/channels/${channel.id}/messages`, {
        token: bob.token,
        body: { text: "x", thread_root_id: root.id, also_send_to_channel: "yes" },
      }),
      422,
    );
    // A guest outside the channel and a non-member of a private channel see nothing (404).
    expectProblem(await send(guest, channel.id, "x", { thread_root_id: root.id }), 404, "channel_not_found");
    expectProblem(
      await call("GET", `/channels/${channel.id}/messages/${root.id}/replies`, { token: guest.token }),
      404,
      "channel_not_found",
    );
    const priv = await createChannel(alice, { is_private: true });
    const privRoot = await sent(alice, priv.id, "private root");
    expectProblem(await send(bob, priv.id, "x", { thread_root_id: privRoot.id }), 404, "channel_not_found");
    expectProblem(
      await call("GET", `/channels/${priv.id}/messages/${privRoot.id}/replies`, { token: bob.token }),
      404,
      "channel_not_found",
    );
    // Archived: read-only.
    expectStatus(await call("POST", `/channels/${channel.id}/archive`, { token: alice.token }), 200);
    expectProblem(await send(bob, channel.id, "late", { thread_root_id: root.id }), 409, "channel_archived");
    expect(await allReplies(bob, channel.id, root.id)).toHaveLength(1);
  });

  it("a public channel's readers may read replies but not reply (403)", async () => {
    const { owner, channel, root, bob } = await thread();
    await replied(bob, channel.id, root.id, "visible to readers");
    expect(await allReplies(owner, channel.id, root.id)).toHaveLength(1);
    expectProblem(await send(owner, channel.id, "x", { thread_root_id: root.id }), 403, "not_a_member");
  });

  it("keeps reply_count exact under 40 concurrent replies, each reply paired with its root update", async () => {
    const { alice, bob, carol, channel, root } = await thread();
    const head = (await allEvents(alice, channel.id)).at(-1).seq;
    const authors = [alice, bob, carol, bob];
    await Promise.all(Array.from({ length: 40 }, (_, i) => replied(authors[i % 4] as Account, channel.id, root.id, `r${i}`)));
    const summary = await fetchMessage(alice, channel.id, root);
    expect(summary.reply_count).toBe(40);
    const events = await allEvents(alice, channel.id, head);
    expect(events).toHaveLength(80);
    for (let i = 0; i < 80; i += 2) {
      expect([events[i].type, events[i + 1].type]).toEqual(["message.created", "message.updated"]);
      expect(events[i + 1].data).toMatchObject({ id: root.id, reply_count: i / 2 + 1, last_reply_at: events[i].data.created_at });
      expect(events[i + 1].data.reply_user_ids[0]).toBe(events[i].data.author_id);
    }
    expect(events.at(-1).data).toEqual(summary);
  });

  it("deleting a reply counts the root again and announces it; a deleted root keeps its thread", async () => {
    const { alice, bob, carol, channel, root } = await thread();
    const a = await replied(bob, channel.id, root.id, "a");
    const b = await replied(carol, channel.id, root.id, "b");
    const c = await replied(bob, channel.id, root.id, "c");
    const head = (await allEvents(alice, channel.id)).at(-1).seq;
    expectStatus(await call("DELETE", `/channels/${channel.id}/messages/${c.id}`, { token: bob.token }), 204);
    const events = await allEvents(alice, channel.id, head);
    expect(events.map((e) => e.type)).toEqual(["message.deleted", "message.updated"]);
    const recounted = { ...root, reply_count: 2, last_reply_at: b.created_at, reply_user_ids: [carol.user.id, bob.user.id] };
    expect(events[1].data).toEqual(recounted);
    expect(await fetchMessage(alice, channel.id, root)).toEqual(recounted);
    // Deleting it again changes nothing.
    expectStatus(await call("DELETE", `/channels/${channel.id}/messages/${c.id}`, { token: bob.token }), 204);
    expect(await allEvents(alice, channel.id, head)).toHaveLength(2);

    expectStatus(await call("DELETE", `/channels/${channel.id}/messages/${a.id}`, { token: alice.token }), 204);
    expectStatus(await call("DELETE", `/channels/${channel.id}/messages/${b.id}`, { token: carol.token }), 204);
    expect(await fetchMessage(alice, channel.id, root)).toMatchObject({ reply_count: 0, last_reply_at: null, reply_user_ids: [] });
    const d = await replied(carol, channel.id, root.id, "d");
    expectStatus(await call("DELETE", `/channels/${channel.id}/messages/${root.id}`, { token: alice.token }), 204);
    expect(await fetchMessage(alice, channel.id, root)).toMatchObject({
      deleted: true,
      text: "",
      reply_count: 1,
      last_reply_at: d.created_at,
      reply_user_ids: [carol.user.id],
    });
    expect((await allReplies(bob, channel.id, root.id)).map((m) => [m.id, m.deleted])).toEqual([
      [a.id, true],
      [b.id, true],
      [c.id, true],
      [d.id, false],
    ]);
  });

  it("replies count as channel unread only when also sent to the channel; mentions in replies always count", async () => {
    const { alice, bob, channel, root } = await thread();
    expectStatus(await call("POST", `/channels/${channel.id}/read`, { token: bob.token, body: { seq: root.seq } }), 200);
    await replied(alice, channel.id, root.id, "quiet reply");
    await replied(alice, channel.id, root.id, `ping @${bob.user.username}`);
    await replied(alice, channel.id, root.id, "loud reply", { also_send_to_channel: true });
    const mine = expectStatus(await call("GET", "/users/me/channels", { token: bob.token }), 200).items;
    expect(mine.find((s: any) => s.channel.id === channel.id)).toMatchObject({ unread_count: 1, mention_count: 1, last_seq: root.seq + 3 });
  });
});

describe("following threads", () => {
  it("the root's author, repliers and those mentioned in the root or a reply follow automatically", async () => {
    const { owner, alice, bob, carol, guest, channel } = await thread();
    await addMembers(alice, channel.id, owner, guest);
    const root = await sent(alice, channel.id, `question for @${owner.user.username}`);
    for (const who of [alice, bob, carol, owner, guest]) expect(await myThreads(who)).toEqual([]);
    const answer = await replied(bob, channel.id, root.id, `answer, cc @${carol.user.username}`);
    const following = async (who: Account) => (await myThreads(who)).map((t) => t.root.id);
    expect(await following(alice)).toEqual([root.id]); // root author
    expect(await following(bob)).toEqual([root.id]); // replier
    expect(await following(carol)).toEqual([root.id]); // mentioned in a reply
    expect(await following(owner)).toEqual([root.id]); // mentioned in the root
    expect(await following(guest)).toEqual([]);
    const [state] = await myThreads(bob);
    expect(state).toEqual({
      channel_id: channel.id,
      root: await fetchMessage(bob, channel.id, root),
      following: true,
      last_read_seq: root.seq + 1, // their own reply is read
      unread_reply_count: 0,
      last_reply_at: state.root.last_reply_at,
    });
    expect((await myThreads(alice))[0]).toMatchObject({ last_read_seq: 0, unread_reply_count: 1 });
    // Editing a reply to mention someone new counts as mentioning them in the thread.
    const edit = `answer, cc @${carol.user.username} @${guest.user.username}`;
    expectStatus(await call("PATCH", `/channels/${channel.id}/messages/${answer.id}`, { token: bob.token, body: { text: edit } }), 200);
    expect(await following(guest)).toEqual([root.id]);
    expect(await env.DB.prepare("SELECT root_id FROM thread_follows WHERE user_id = ?").bind(guest.user.id).all()).toMatchObject({
      results: [{ root_id: root.id }],
    });
  });

  it("PUT and DELETE follow are idempotent; unfollowing on purpose sticks until the user replies or is mentioned in a reply", async () => {
    const { alice, bob, carol, channel, root } = await thread();
    const path = `/channels/${channel.id}/messages/${root.id}/follow`;
    const on = expectStatus(await call("PUT", path, { token: carol.token }), 200);
    expect(on).toMatchObject({ channel_id: channel.id, following: true, last_read_seq: 0, unread_reply_count: 0, last_reply_at: null });
    expect(expectStatus(await call("PUT", path, { token: carol.token }), 200)).toEqual(on);
    expect((await myThreads(carol)).map((t) => t.root.id)).toEqual([root.id]);
    const off = expectStatus(await call("DELETE", path, { token: carol.token }), 200);
    expect(off).toEqual({ ...on, following: false });
    expect(expectStatus(await call("DELETE", path, { token: carol.token }), 200)).toEqual(off);
    expect(await myThreads(carol)).toEqual([]);
    expect(await env.DB.prepare("SELECT * FROM thread_follows WHERE user_id = ?").bind(carol.user.id).all()).toMatchObject({ results: [] });

    // The root's author unfollows: further replies do not bring them back...
    expectStatus(await follow(alice, channel.id, root.id, "DELETE"), 200);
    await replied(bob, channel.id, root.id, "one");
    expect(await myThreads(alice)).toEqual([]);
    // ...until they reply themselves, or a reply mentions them.
    await replied(alice, channel.id, root.id, "two");
    expect((await myThreads(alice)).map((t) => t.root.id)).toEqual([root.id]);
    await replied(bob, channel.id, root.id, `@${carol.user.username} look`);
    expect((await myThreads(carol)).map((t) => t.root.id)).toEqual([root.id]);
  });

  it("follow and mark-read: members only, top-level roots only; archived channels still allow them", async () => {
    const { owner, alice, bob, channel, root } = await thread();
    const reply = await replied(bob, channel.id, root.id, "r");
    expectProblem(await follow(owner, channel.id, root.id), 403, "not_a_member");
    expectProblem(await markThreadRead(owner, channel.id, root.id, 1), 403, "not_a_member");
    expectProblem(await follow(bob, channel.id, reply.id), 422, "invalid_thread_root");
    expectProblem(await markThreadRead(bob, channel.id, reply.id, 1), 422, "invalid_thread_root");
    expectProblem(await follow(bob, channel.id, "m_00000000000000000000000000"), 404, "message_not_found");
    expectProblem(await follow(bob, channel.id, "bad"), 404);
    expectProblem(await follow(bob, "c_00000000000000000000000000", root.id), 404, "channel_not_found");
    const priv = await createChannel(alice, { is_private: true });
    const privRoot = await sent(alice, priv.id, "secret");
    expectProblem(await follow(bob, priv.id, privRoot.id), 404, "channel_not_found");
    expectProblem(await markThreadRead(bob, priv.id, privRoot.id, 1), 404, "channel_not_found");
    for (const seq of [-1, 1.5, "1", null, 2 ** 60]) expectProblem(await markThreadRead(bob, channel.id, root.id, seq), 422);
    expectProblem(
      await call("POST", `/channels/${channel.id}/messages/${root.id}/replies/read`, { token: bob.token, body: { seq: 1, x: 1 } }),
      422,
    );
    expectStatus(await call("POST", `/channels/${channel.id}/archive`, { token: alice.token }), 200);
    expect(expectStatus(await follow(alice, channel.id, root.id, "DELETE"), 200).following).toBe(false);
    expect(expectStatus(await markThreadRead(bob, channel.id, root.id, reply.seq), 200).last_read_seq).toBe(reply.seq);
  });

  it("/users/me/threads: followed threads across channels, newest activity first, with unread counts; marking read never moves back", async () => {
    const { alice, bob, carol, channel, root } = await thread();
    const dm = expectStatus(await call("POST", "/dms", { token: alice.token, body: { user_ids: [carol.user.id] } }), 201);
    const dmRoot = await sent(carol, dm.id, `@${alice.user.username} a question`);
    const quiet = await sent(bob, channel.id, "nobody answers");
    expectStatus(await follow(alice, channel.id, quiet.id), 200);
    await sleep(5);
    const r1 = await replied(bob, channel.id, root.id, "r1");
    await sleep(5);
    await replied(carol, dm.id, dmRoot.id, "dm reply");
    await sleep(5);
    const r2 = await replied(carol, channel.id, root.id, "r2");
    const r3 = await replied(bob, channel.id, root.id, "r3");

    let threads = await myThreads(alice);
    expect(threads.map((t) => [t.channel_id, t.root.id, t.unread_reply_count])).toEqual([
      [channel.id, root.id, 3],
      [dm.id, dmRoot.id, 1],
      [channel.id, quiet.id, 0],
    ]);
    expect(threads[0].last_reply_at).toBe(r3.created_at);
    expect(threads[2].last_reply_at).toBeNull();
    const limited = expectStatus(await call("GET", "/users/me/threads?limit=1", { token: alice.token }), 200).items;
    expect(limited).toEqual([threads[0]]);
    for (const q of ["limit=0", "limit=201", "limit=x"])
      expectProblem(await call("GET", `/users/me/threads?${q}`, { token: alice.token }), 400, "invalid_request");

    const read = expectStatus(await markThreadRead(alice, channel.id, root.id, r1.seq), 200);
    expect(read).toMatchObject({ following: true, last_read_seq: r1.seq, unread_reply_count: 2 });
    expect(expectStatus(await markThreadRead(alice, channel.id, root.id, 0), 200)).toEqual(read);
    // Capped at the newest reply: a later message elsewhere in the channel does not count.
    const later = await sent(bob, channel.id, "top-level, later");
    const all = expectStatus(await markThreadRead(alice, channel.id, root.id, Number.MAX_SAFE_INTEGER), 200);
    expect(all).toMatchObject({ last_read_seq: r3.seq, unread_reply_count: 0 });
    expect(later.seq).toBeGreaterThan(r3.seq);
    // Replying marks the thread read up to the reply; deleted replies are not unread.
    expect(expectStatus(await follow(carol, channel.id, root.id), 200)).toMatchObject({ last_read_seq: r2.seq, unread_reply_count: 1 });
    expectStatus(await call("DELETE", `/channels/${channel.id}/messages/${r3.id}`, { token: bob.token }), 204);
    expect(expectStatus(await follow(carol, channel.id, root.id), 200).unread_reply_count).toBe(0);
    threads = await myThreads(alice);
    expect(threads.map((t) => [t.root.id, t.unread_reply_count, t.last_reply_at])).toEqual([
      [root.id, 0, r2.created_at],
      [dmRoot.id, 1, threads[1].root.last_reply_at],
      [quiet.id, 0, null],
    ]);
  });

  it("fails closed: leaving a private channel drops its threads, and the room has the last word over the directory", async () => {
    const { alice, bob, channel: pub, root: pubRoot } = await thread();
    const priv = await createChannel(alice, { is_private: true });
    await addMembers(alice, priv.id, bob);
    const root = await sent(alice, priv.id, "private root");
    await replied(bob, priv.id, root.id, "private reply");
    await replied(bob, pub.id, pubRoot.id, "public reply");
    expect((await myThreads(bob)).map((t) => t.root.id).sort()).toEqual([root.id, pubRoot.id].sort());
    expectStatus(await call("POST", `/channels/${priv.id}/leave`, { token: bob.token }), 204);
    expect((await myThreads(bob)).map((t) => t.root.id)).toEqual([pubRoot.id]);
    const rows = await env.DB.prepare("SELECT channel_id FROM thread_follows WHERE user_id = ?").bind(bob.user.id).all();
    expect(rows.results).toEqual([{ channel_id: pub.id }]);
    // A stale directory row (say, from a write that raced the leave) shows nothing: the room decides.
    await env.DB.prepare("INSERT INTO thread_follows (user_id, channel_id, root_id) VALUES (?, ?, ?)")
      .bind(bob.user.id, priv.id, root.id)
      .run();
    expect((await myThreads(bob)).map((t) => t.root.id)).toEqual([pubRoot.id]);
    // Rejoining does not bring the old follows back: following is per membership.
    await addMembers(alice, priv.id, bob);
    expect((await myThreads(bob)).map((t) => t.root.id)).toEqual([pubRoot.id]);
    // A thread.reply is not sent to those who left.
    expectStatus(await call("DELETE", `/channels/${pub.id}/members/${bob.user.id}`, { token: alice.token }), 204);
    const bobSocket = await openLiveSocket(bob.token);
    await replied(alice, pub.id, pubRoot.id, "after bob left");
    expect((await bobSocket.ws.drain()).filter((f) => f.type === "thread.reply")).toEqual([]);
    bobSocket.ws.close();
  });
});

describe("thread.reply user events", () => {
  it("reach every follower but the author, on every device, whichever channel they are looking at", async () => {
    const { alice, bob, carol, owner, channel, root } = await thread();
    await addMembers(alice, channel.id, owner);
    await replied(bob, channel.id, root.id, "bob follows now");
    // Carol and the owner are members who do not follow; alice (root author) and bob (replier) do.
    const [aliceA, aliceB, bobs, carols] = await Promise.all([
      openLiveSocket(alice.token),
      openLiveSocket(alice.token),
      openLiveSocket(bob.token),
      openLiveSocket(carol.token),
    ]);
    const reply = await replied(owner, channel.id, root.id, "owner joins in");
    for (const { ws } of [aliceA, aliceB, bobs]) {
      const { match } = await ws.until((f) => f.type === "thread.reply");
      expect(match).toEqual({
        type: "thread.reply",
        user_seq: expect.any(Number),
        at: expect.any(String),
        data: { channel_id: channel.id, root_id: root.id, message: reply },
      });
    }
    expect((await carols.ws.drain()).filter((f) => f.type === "thread.reply")).toEqual([]);
    // The author gets the channel events but no thread.reply of their own; they follow from now on.
    const ownerSocket = await openLiveSocket(owner.token);
    const next = await replied(bob, channel.id, root.id, "and bob again");
    expect((await ownerSocket.ws.until((f) => f.type === "thread.reply")).match.data.message).toEqual(next);
    expect((await bobs.ws.drain()).filter((f) => f.type === "thread.reply")).toEqual([]);
    // A follower offline gets it on resume, from their own user stream.
    const offlineSeq = (await aliceA.ws.until((f) => f.type === "thread.reply")).match.user_seq;
    for (const s of [aliceA, aliceB, bobs, carols, ownerSocket]) s.ws.close();
    const missed = await replied(carol, channel.id, root.id, "while alice is away");
    const back = await openLiveSocket(alice.token, { user_seq: offlineSeq, channels: {} });
    expect(back.replay.filter((f) => f.type === "thread.reply").map((f) => f.data.message.id)).toEqual([missed.id]);
    // `back` stays open: closing it as the file ends would leave its session's close handling
    // running past the runtime's teardown.
  });
});
