import { describe, expect, it } from "vitest";
import { type Account, api, signUp } from "./client";
import { Cursors, type Frame, NodeSocket } from "./socket";

// Threads, reactions and pins against a real `wrangler dev`, driven from Node over HTTP and
// WebSocket, including a resume that replays them (DESIGN.md invariants 2 and 3).

let n = 0;
const channelName = () => `threads-${Date.now().toString(36)}-${n++}`;

async function channelWith(owner: Account, members: Account[]) {
  const res = await api("POST", "/channels", { token: owner.token, body: { name: channelName() } });
  expect(res.status).toBe(201);
  const add = await api("POST", `/channels/${res.body.id}/members`, { token: owner.token, body: { user_ids: members.map((m) => m.id) } });
  expect(add.status).toBe(200);
  return res.body.id as string;
}

async function post(who: Account, channelId: string, body: Record<string, unknown>) {
  const res = await api("POST", `/channels/${channelId}/messages`, { token: who.token, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const reaction = (who: Account, channelId: string, messageId: string, emoji: string, method = "PUT") =>
  api(method, `/channels/${channelId}/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`, { token: who.token });

/** A device that is live: connected, resumed with its cursors, and tracking what it sees. */
async function device(who: Account, cursors = new Cursors()) {
  const socket = await NodeSocket.ready(who.token);
  socket.send(cursors.resumeFrame());
  const { before } = await socket.until((f) => f.type === "ready");
  cursors.see(before);
  return { socket, cursors };
}

const inChannel = (channelId: string) => (f: Frame) => f.channel_id === channelId;

describe("threads, reactions and pins", () => {
  it("invariant 3: a follower who was away gets every thread, reaction and pin event exactly once, in order, and thread.reply", async () => {
    const [ada, bob] = await Promise.all([signUp("ada"), signUp("bob")]);
    const channelId = await channelWith(ada, [bob]);
    const bobDevice = await device(bob);
    const root = await post(bob, channelId, { text: "bob asks" });
    bobDevice.cursors.see(await bobDevice.socket.collect(inChannel(channelId), 1));
    const cursor = bobDevice.cursors.channels[channelId] as number;
    bobDevice.socket.terminate();

    // While bob is away.
    const r1 = await post(ada, channelId, { text: "ada answers", thread_root_id: root.id });
    const r2 = await post(ada, channelId, { text: `and @${bob.username}, see this`, thread_root_id: root.id, also_send_to_channel: true });
    expect((await reaction(ada, channelId, root.id, "👍")).status).toBe(200);
    expect((await reaction(ada, channelId, root.id, ":+1:")).body.reactions).toEqual([{ emoji: "👍", count: 1, user_ids: [ada.id] }]);
    expect((await reaction(ada, channelId, r1.id, "🏳️‍🌈")).status).toBe(200);
    expect((await api("PUT", `/channels/${channelId}/pins/${root.id}`, { token: ada.token })).status).toBe(200);
    expect((await api("PUT", `/channels/${channelId}/pins/${r1.id}`, { token: ada.token })).status).toBe(200);
    expect((await api("DELETE", `/channels/${channelId}/messages/${r1.id}`, { token: ada.token })).status).toBe(204);
    expect((await reaction(ada, channelId, root.id, "👍", "DELETE")).status).toBe(200);

    const log: Frame[] = [];
    for (let after = cursor; ; ) {
      const page = await api("GET", `/channels/${channelId}/events?after=${after}`, { token: ada.token });
      log.push(...page.body.items);
      if (!page.body.has_more) break;
      after = page.body.items.at(-1).seq;
    }
    expect(log.map((e) => e.type)).toEqual([
      "message.created",
      "message.updated",
      "message.created",
      "message.updated",
      "reaction.added",
      "reaction.added",
      "pin.added",
      "pin.added",
      "message.deleted",
      "pin.removed",
      "message.updated",
      "reaction.removed",
    ]);

    const again = await NodeSocket.ready(bob.token);
    again.send(bobDevice.cursors.resumeFrame());
    const { before } = await again.until((f) => f.type === "ready");
    const replayed = before.filter(inChannel(channelId));
    expect(replayed).toEqual(log);
    expect(replayed.map((f) => f.seq)).toEqual(log.map((_, i) => cursor + 1 + i));
    expect(before.filter((f) => f.type === "thread.reply").map((f) => f.data.message.id)).toEqual([r1.id, r2.id]);
    expect(log.at(-2)?.data).toMatchObject({ id: root.id, reply_count: 1, reply_user_ids: [ada.id], last_reply_at: r2.created_at });

    // Bob's threads: one, with ada's remaining reply unread until he reads it.
    const threads = await api("GET", "/users/me/threads", { token: bob.token });
    expect(threads.body.items.map((t: any) => [t.channel_id, t.root.id, t.unread_reply_count])).toEqual([[channelId, root.id, 1]]);
    const read = await api("POST", `/channels/${channelId}/messages/${root.id}/replies/read`, { token: bob.token, body: { seq: r2.seq } });
    expect(read.body).toMatchObject({ following: true, last_read_seq: r2.seq, unread_reply_count: 0 });
    const pins = await api("GET", `/channels/${channelId}/pins`, { token: bob.token });
    expect(pins.body.items.map((p: any) => [p.message_id, p.pinned_by])).toEqual([[root.id, ada.id]]);
    const history = await api("GET", `/channels/${channelId}/messages`, { token: bob.token });
    expect(history.body.items.map((m: any) => m.id)).toEqual([r2.id, root.id]);

    // Live: bob's own reply reaches ada's socket as thread.reply (she follows by replying), once.
    const adaDevice = await device(ada);
    const r3 = await post(bob, channelId, { text: "thanks", thread_root_id: root.id });
    const [created, updated] = await again.collect(inChannel(channelId), 2);
    expect([created?.type, created?.data.id, updated?.type, updated?.data.reply_count]).toEqual([
      "message.created",
      r3.id,
      "message.updated",
      2,
    ]);
    expect((await adaDevice.socket.until((f) => f.type === "thread.reply")).match.data).toEqual({
      channel_id: channelId,
      root_id: root.id,
      message: r3,
    });
    expect((await again.drain()).filter((f) => f.type === "thread.reply" || inChannel(channelId)(f))).toEqual([]);
    again.close();
    adaDevice.socket.close();
  });

  it("reactions from Node: any single emoji, URL-encoded, shortcodes as their emoji; junk is a 422 problem", async () => {
    const [ada, bob] = await Promise.all([signUp("ada"), signUp("bob")]);
    const channelId = await channelWith(ada, [bob]);
    const message = await post(ada, channelId, { text: "react" });
    for (const emoji of ["👨‍👩‍👧‍👦", "🇯🇵", "1️⃣", "👍🏾", ":tada:"])
      expect((await reaction(bob, channelId, message.id, emoji)).status).toBe(200);
    const shown = await reaction(bob, channelId, message.id, "🎉"); // :tada: already: no change
    expect(shown.body.reactions.map((r: any) => r.emoji)).toEqual(["👨‍👩‍👧‍👦", "🇯🇵", "1️⃣", "👍🏾", "🎉"]);
    for (const junk of ["ab", "👍👍", ":nope:"]) {
      const res = await reaction(bob, channelId, message.id, junk);
      expect(res.status).toBe(422);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.body.code).toBe("invalid_emoji");
    }
    const raw = await api("PUT", `/channels/${channelId}/messages/${message.id}/reactions/%F0%9F`, { token: bob.token });
    expect(raw.status).toBe(422);
  });
});
