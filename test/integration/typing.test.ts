import { describe, expect, it } from "vitest";
import { type Account, call, registerOwner, signUp } from "../helpers";
import { type Frame, openLiveSocket } from "../socketClient";

// Typing: relayed to the other online members through the normal fan-out path, at most once per
// user per channel every 3 s, never stored, never replayed.

async function channelWith(owner: Account, members: Account[]) {
  const res = await call("POST", "/channels", {
    token: owner.token,
    body: { name: `ty-${crypto.randomUUID().slice(0, 8)}`, is_private: true },
  });
  expect(res.status).toBe(201);
  await call("POST", `/channels/${res.body.id}/members`, { token: owner.token, body: { user_ids: members.map((m) => m.user.id) } });
  return res.body.id as string;
}

const typingIn = (channelId: string) => (f: Frame) => f.type === "typing" && f.channel_id === channelId;

describe("typing", () => {
  it("reaches the other online members, not the typist and not outsiders", async () => {
    const owner = await registerOwner();
    const [member, outsider] = await Promise.all([signUp(owner.token), signUp(owner.token)]);
    const channelId = await channelWith(owner, [member]);
    const [typist, otherDevice, watcher, spy] = await Promise.all([
      openLiveSocket(owner.token),
      openLiveSocket(owner.token),
      openLiveSocket(member.token),
      openLiveSocket(outsider.token),
    ]);
    typist.ws.send({ type: "typing", channel_id: channelId, thread_root_id: null });
    expect((await watcher.ws.until(typingIn(channelId))).match).toEqual({
      type: "typing",
      channel_id: channelId,
      data: { user_id: owner.user.id, thread_root_id: null },
    });
    expect((await typist.ws.drain()).filter(typingIn(channelId))).toEqual([]);
    expect((await otherDevice.ws.drain()).filter(typingIn(channelId))).toEqual([]);
    expect((await spy.ws.drain()).filter((f) => f.channel_id === channelId)).toEqual([]);
  });

  it("is throttled to one relay per user per channel every 3 s", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    const channelId = await channelWith(owner, [member]);
    const typist = await openLiveSocket(owner.token);
    const watcher = await openLiveSocket(member.token);
    for (let i = 0; i < 5; i++) typist.ws.send({ type: "typing", channel_id: channelId });
    await watcher.ws.until(typingIn(channelId));
    expect((await watcher.ws.drain(500)).filter(typingIn(channelId))).toEqual([]);
  });

  it("is never replayed on resume", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    const channelId = await channelWith(owner, [member]);
    const typist = await openLiveSocket(owner.token);
    typist.ws.send({ type: "typing", channel_id: channelId });
    await typist.ws.drain(200);
    const late = await openLiveSocket(member.token, { user_seq: 0, channels: { [channelId]: 0 } });
    expect(late.replay.filter((f) => f.type === "typing")).toEqual([]);
  });

  it("in a channel the user is not in gets an error frame, and no room is created for a made-up id", async () => {
    const owner = await registerOwner();
    const stranger = await signUp(owner.token);
    const channelId = await channelWith(owner, []);
    const { ws } = await openLiveSocket(stranger.token);
    ws.send({ type: "typing", channel_id: channelId });
    expect(await ws.next()).toMatchObject({ type: "error", code: "not_a_member" });
    ws.send({ type: "typing", channel_id: "c_00000000000000000000000000" });
    expect(await ws.next()).toMatchObject({ type: "error", code: "not_a_member" });
    ws.send({ type: "typing" });
    expect(await ws.next()).toMatchObject({ type: "error", code: "invalid_frame" });
    expect(ws.closed).toBeNull();
  });

  it("checks thread_root_id against the channel: a root of this channel relays, an unknown one or another channel's gets an error frame", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    const channelId = await channelWith(owner, [member]);
    const otherChannel = await channelWith(owner, [member]);
    const post = async (ch: string, body: Record<string, unknown>) =>
      (await call("POST", `/channels/${ch}/messages`, { token: owner.token, body })).body as { id: string };
    const root = await post(channelId, { text: "root" });
    const reply = await post(channelId, { text: "reply", thread_root_id: root.id });
    const elsewhere = await post(otherChannel, { text: "elsewhere" });
    const typist = await openLiveSocket(owner.token);
    const watcher = await openLiveSocket(member.token);
    for (const bad of ["m_00000000000000000000000000", elsewhere.id, reply.id]) {
      typist.ws.send({ type: "typing", channel_id: channelId, thread_root_id: bad });
      expect((await typist.ws.until((f) => f.type === "error")).match).toMatchObject({ type: "error", code: "invalid_thread_root" });
    }
    typist.ws.send({ type: "typing", channel_id: channelId, thread_root_id: root.id });
    expect((await watcher.ws.until(typingIn(channelId))).match.data).toEqual({ user_id: owner.user.id, thread_root_id: root.id });
    expect(typist.ws.closed).toBeNull();
  });
});
