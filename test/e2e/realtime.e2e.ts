import { describe, expect, inject, it } from "vitest";
import { type Account, api, signUp } from "./client";
import { Cursors, type Frame, NodeSocket } from "./socket";

// Real-time delivery and lossless resume against a real `wrangler dev` (DESIGN.md invariants 2–5).

let n = 0;
const channelName = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${n++}`;

async function createChannel(owner: Account, members: Account[], isPrivate = true) {
  const res = await api("POST", "/channels", { token: owner.token, body: { name: channelName("rt"), is_private: isPrivate } });
  expect(res.status).toBe(201);
  if (members.length) {
    const add = await api("POST", `/channels/${res.body.id}/members`, { token: owner.token, body: { user_ids: members.map((m) => m.id) } });
    expect(add.status).toBeLessThan(300);
  }
  return res.body as { id: string; name: string };
}

const post = (who: Account, channelId: string, text: string, clientMsgId?: string) =>
  api("POST", `/channels/${channelId}/messages`, {
    token: who.token,
    body: { text, ...(clientMsgId ? { client_msg_id: clientMsgId } : {}) },
  });

/** A device that is live: connected, resumed with its cursors, and tracking what it sees. */
async function device(who: Account, cursors = new Cursors()) {
  const socket = await NodeSocket.ready(who.token);
  socket.send(cursors.resumeFrame());
  await socket.until((f) => f.type === "ready");
  return { socket, cursors };
}

const inChannel = (channelId: string, type?: string) => (f: Frame) => f.channel_id === channelId && (type === undefined || f.type === type);

describe("delivery", () => {
  it("invariant 2: every device of every member gets each message exactly once, in channel order; a non-member gets nothing", async () => {
    const [ada, bob, eve] = await Promise.all([signUp("ada"), signUp("bob"), signUp("eve")]);
    const ch = await createChannel(ada, [bob]);
    const devices = await Promise.all([device(ada), device(ada), device(bob)]);
    const outsider = await device(eve);

    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await post(i % 2 ? bob : ada, ch.id, `hello ${i}`);
      expect(res.status).toBe(201);
      sent.push(res.body.id);
    }
    for (const { socket } of devices) {
      const got = await socket.collect(inChannel(ch.id, "message.created"), 20);
      expect(got.map((f) => f.data.id)).toEqual(sent);
      const seqs = got.map((f) => f.seq as number);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe((seqs[i - 1] as number) + 1);
      expect((await socket.drain()).filter(inChannel(ch.id, "message.created"))).toEqual([]);
    }
    expect((await outsider.socket.drain()).filter((f) => f.channel_id === ch.id)).toEqual([]);
    for (const d of [...devices, outsider]) d.socket.close();
  });
});

describe("resume", () => {
  it("invariant 3: a device that missed 50 events (messages, edits, deletes, a join) gets exactly those 50, in order", async () => {
    const [ada, bob, cat] = await Promise.all([signUp("ada"), signUp("bob"), signUp("cat")]);
    const ch = await createChannel(ada, [bob], false);
    const bobDevice = await device(bob);
    const first = await post(ada, ch.id, "before the drop");
    bobDevice.cursors.see(await bobDevice.socket.collect(inChannel(ch.id), 1));
    const cursor = bobDevice.cursors.channels[ch.id] as number;
    bobDevice.socket.terminate();

    const messages: string[] = [];
    for (let i = 0; i < 40; i++) messages.push((await post(ada, ch.id, `missed ${i}`)).body.id);
    for (const id of messages.slice(0, 5))
      expect((await api("PATCH", `/channels/${ch.id}/messages/${id}`, { token: ada.token, body: { text: "edited" } })).status).toBe(200);
    for (const id of [first.body.id, ...messages.slice(5, 8)])
      expect((await api("DELETE", `/channels/${ch.id}/messages/${id}`, { token: ada.token })).status).toBeLessThan(300);
    expect((await api("POST", `/channels/${ch.id}/join`, { token: cat.token })).status).toBeLessThan(300);

    const again = await NodeSocket.ready(bob.token);
    again.send(bobDevice.cursors.resumeFrame());
    const { before } = await again.until((f) => f.type === "ready");
    const replayed = before.filter(inChannel(ch.id));
    expect(replayed.map((f) => f.seq)).toEqual(Array.from({ length: 50 }, (_, i) => cursor + 1 + i));
    const count = (t: string) => replayed.filter((f) => f.type === t).length;
    expect([count("message.created"), count("message.updated"), count("message.deleted"), count("member.joined")]).toEqual([40, 5, 4, 1]);
    expect(replayed.filter((f) => f.type === "message.created").map((f) => f.data.id)).toEqual(messages);
    // Live again: the next event arrives once.
    await post(ada, ch.id, "after the resume");
    expect((await again.collect(inChannel(ch.id), 1))[0]?.seq).toBe(cursor + 51);
    expect((await again.drain()).filter(inChannel(ch.id))).toEqual([]);
    again.close();
  });

  it("invariant 3: past the inline limit a resume gets channel.gap, and GET /events fills it exactly", async () => {
    const limit = inject("replayInlineLimit");
    const [ada, bob] = await Promise.all([signUp("ada"), signUp("bob")]);
    const ch = await createChannel(ada, [bob]);
    const bobDevice = await device(bob);
    await post(ada, ch.id, "seen");
    bobDevice.cursors.see(await bobDevice.socket.collect(inChannel(ch.id), 1));
    const cursor = bobDevice.cursors.channels[ch.id] as number;
    bobDevice.socket.terminate();

    const missed = limit + 25;
    for (let i = 0; i < missed; i += 25)
      await Promise.all(Array.from({ length: Math.min(25, missed - i) }, (_, j) => post(ada, ch.id, `m${i + j}`)));

    const again = await NodeSocket.ready(bob.token);
    again.send(bobDevice.cursors.resumeFrame());
    const { before } = await again.until((f) => f.type === "ready");
    const gap = before.find((f) => f.type === "channel.gap");
    expect(gap).toEqual({ type: "channel.gap", channel_id: ch.id, after: cursor, until: cursor + missed });
    expect(before.filter(inChannel(ch.id, "message.created"))).toEqual([]);

    const filled: Frame[] = [];
    let after = gap?.after as number;
    for (;;) {
      const page = await api("GET", `/channels/${ch.id}/events?after=${after}&limit=200`, { token: bob.token });
      expect(page.status).toBe(200);
      const items = (page.body.items as Frame[]).filter((f) => f.seq <= (gap?.until as number));
      filled.push(...items);
      if (!page.body.has_more || items.length === 0 || filled.length >= missed) break;
      after = items[items.length - 1]?.seq;
    }
    expect(filled.map((f) => f.seq)).toEqual(Array.from({ length: missed }, (_, i) => cursor + 1 + i));
    expect(new Set(filled.map((f) => f.data.id)).size).toBe(missed);
    again.close();
  });
});

describe("concurrency", () => {
  it("invariant 2: 5 clients posting 500 messages at once all end with the same 500, in one gap-free seq order", async () => {
    const users = await Promise.all(Array.from({ length: 5 }, (_, i) => signUp(`c${i}`)));
    const [first, ...rest] = users as [Account, ...Account[]];
    const ch = await createChannel(first, rest);
    const devices = await Promise.all(users.map((u) => device(u)));
    const statuses = await Promise.all(
      users.map(async (u, i) => {
        const out: number[] = [];
        for (let k = 0; k < 100; k += 10)
          out.push(...(await Promise.all(Array.from({ length: 10 }, (_, j) => post(u, ch.id, `u${i}-m${k + j}`)))).map((r) => r.status));
        return out;
      }),
    );
    expect(statuses.flat().every((s) => s === 201)).toBe(true);
    const seen = await Promise.all(devices.map(({ socket }) => socket.collect(inChannel(ch.id, "message.created"), 500, 60_000)));
    const orders = seen.map((frames) => frames.map((f) => f.data.id).join(","));
    expect(new Set(orders).size).toBe(1);
    const messageSeqs = (seen[0] as Frame[]).map((f) => f.data.seq as number);
    expect(messageSeqs).toEqual(Array.from({ length: 500 }, (_, i) => (messageSeqs[0] as number) + i));
    const history: string[] = [];
    let before = "";
    for (;;) {
      const page = await api("GET", `/channels/${ch.id}/messages?limit=200${before}`, { token: first.token });
      history.push(...page.body.items.map((m: { id: string }) => m.id));
      if (!page.body.has_more) break;
      before = `&before=${page.body.items[page.body.items.length - 1].seq}`;
    }
    expect(history.reverse().join(",")).toBe(orders[0]);
    for (const d of devices) d.socket.close();
  });

  it("invariant 4: the same client_msg_id sent 10 times at once makes one message", async () => {
    const ada = await signUp("ada");
    const ch = await createChannel(ada, []);
    const id = crypto.randomUUID();
    const results = await Promise.all(Array.from({ length: 10 }, () => post(ada, ch.id, "only once", id)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    const page = await api("GET", `/channels/${ch.id}/messages`, { token: ada.token });
    expect(page.body.items.filter((m: { client_msg_id: string }) => m.client_msg_id === id)).toHaveLength(1);
  });
});
