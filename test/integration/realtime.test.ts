import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ChannelRoom } from "../../durable-objects/channel-room/ChannelRoom";
import { DELIVERY_COALESCE_MS, type Deliver, MAX_DELIVERIES_IN_FLIGHT } from "../../durable-objects/channel-room/FanOut";
import type { RoomCore } from "../../durable-objects/channel-room/RoomCore";
import { CHANNELS_RECHECK_MS } from "../../durable-objects/user-session/UserSession";
import { type Account, call, registerOwner, signUp } from "../helpers";
import { type Frame, openLiveSocket } from "../socketClient";

// ChannelRoom → UserSession → sockets, in the runtime (DESIGN.md invariants 2, 3 and 5).

const inChannel = (channelId: string, type?: string) => (f: Frame) => f.channel_id === channelId && (type === undefined || f.type === type);

async function privateChannel(owner: Account, members: Account[] = []) {
  const res = await call("POST", "/channels", {
    token: owner.token,
    body: { name: `rt-${crypto.randomUUID().slice(0, 8)}`, is_private: true },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  if (members.length)
    expect(
      (await call("POST", `/channels/${res.body.id}/members`, { token: owner.token, body: { user_ids: members.map((m) => m.user.id) } }))
        .status,
    ).toBeLessThan(300);
  return res.body.id as string;
}

const post = async (who: Account, channelId: string, text: string) => {
  const res = await call("POST", `/channels/${channelId}/messages`, { token: who.token, body: { text } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; seq: number };
};

/** A member of a private channel, online, who has already had one message there live. */
async function onlineMember() {
  const owner = await registerOwner();
  const member = await signUp(owner.token);
  const channelId = await privateChannel(owner, [member]);
  const { ws } = await openLiveSocket(member.token);
  await post(owner, channelId, "before");
  await ws.collect(inChannel(channelId, "message.created"), 1);
  return { owner, member, channelId, ws };
}

describe("fan-out", () => {
  it("invariant 2: each device of each member gets every message once, in order; invariant 5: a non-member gets nothing", async () => {
    const owner = await registerOwner();
    const [member, outsider] = await Promise.all([signUp(owner.token), signUp(owner.token)]);
    const channelId = await privateChannel(owner, [member]);
    const devices = await Promise.all([openLiveSocket(owner.token), openLiveSocket(owner.token), openLiveSocket(member.token)]);
    const spy = await openLiveSocket(outsider.token);
    const sent = [];
    for (let i = 0; i < 10; i++) sent.push((await post(i % 2 ? member : owner, channelId, `m${i}`)).id);
    for (const { ws } of devices) {
      const got = await ws.collect(inChannel(channelId, "message.created"), 10);
      expect(got.map((f) => f.data.id)).toEqual(sent);
      expect((await ws.drain()).filter(inChannel(channelId, "message.created"))).toEqual([]);
    }
    expect((await spy.ws.drain()).filter((f) => f.channel_id === channelId)).toEqual([]);
  });

  it("invariant 5: a removed member gets channel.removed and nothing more from the channel", async () => {
    const { owner, member, channelId, ws } = await onlineMember();
    expect((await call("DELETE", `/channels/${channelId}/members/${member.user.id}`, { token: owner.token })).status).toBeLessThan(300);
    const removed = (await ws.until((f) => f.type === "channel.removed")).match;
    expect(removed.data).toMatchObject({ channel_id: channelId });
    await post(owner, channelId, "after");
    expect((await ws.drain()).filter((f) => f.channel_id === channelId && f.type !== "member.left")).toEqual([]);
    expect((await call("GET", `/channels/${channelId}/messages`, { token: member.token })).status).toBe(404);
  });

  it("more online members than delivery calls in flight: each gets every message once, in order", async () => {
    const owner = await registerOwner();
    const members = await Promise.all(Array.from({ length: MAX_DELIVERIES_IN_FLIGHT + 8 }, () => signUp(owner.token)));
    const channelId = await privateChannel(owner, members);
    const sockets = await Promise.all(members.map((m) => openLiveSocket(m.token)));
    const sent = await Promise.all(Array.from({ length: 6 }, (_, i) => post(owner, channelId, `m${i}`)));
    const inSeqOrder = sent.sort((a, b) => a.seq - b.seq).map((m) => m.id);
    await Promise.all(
      sockets.map(async ({ ws }) => {
        const got = await ws.collect(inChannel(channelId, "message.created"), sent.length);
        expect(got.map((f) => f.data.id)).toEqual(inSeqOrder);
        expect((await ws.drain()).filter(inChannel(channelId, "message.created"))).toEqual([]);
      }),
    );
    // 72 sign-ups hash 72 passwords at OWASP strength: seconds of CPU, many more on a busy machine.
  }, 120_000);

  it("under load a member's calls carry several events, each call at least DELIVERY_COALESCE_MS after the last", async () => {
    const { owner, member, channelId, ws } = await onlineMember();
    // Records the delivery calls the room starts for this member, when they leave (what the
    // coalescing wait is measured from: their arrival at the session can bunch up on a busy
    // machine), and puts the room's call back afterwards.
    const calls: { at: number; events: number }[] = [];
    const room = env.CHANNEL_ROOM.getByName(channelId);
    const restore = await runInDurableObject(room, (instance: ChannelRoom) => {
      const fanOut = (instance as unknown as { core: RoomCore }).core.fanOut as unknown as { deliverCall: Deliver };
      const original = fanOut.deliverCall;
      fanOut.deliverCall = (userId, channel, events) => {
        if (userId === member.user.id) calls.push({ at: Date.now(), events: events.length });
        return original(userId, channel, events);
      };
      return () => {
        fanOut.deliverCall = original;
      };
    });
    try {
      const sent = await Promise.all(Array.from({ length: 6 }, (_, i) => post(owner, channelId, `burst ${i}`)));
      const got = await ws.collect(inChannel(channelId, "message.created"), sent.length);
      expect(got.map((f) => f.data.id)).toEqual(sent.sort((a, b) => a.seq - b.seq).map((m) => m.id));
      expect(calls.reduce((n, c) => n + c.events, 0)).toBe(sent.length);
      expect(calls.length).toBeLessThan(sent.length);
      for (let i = 1; i < calls.length; i++)
        expect((calls[i]?.at ?? 0) - (calls[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(DELIVERY_COALESCE_MS - 2);
    } finally {
      await runInDurableObject(room, () => restore());
    }
  });

  it("a channel joined while online streams at once, announced by channel.added", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    const channelId = await privateChannel(owner);
    const { ws } = await openLiveSocket(member.token);
    expect(
      (await call("POST", `/channels/${channelId}/members`, { token: owner.token, body: { user_ids: [member.user.id] } })).status,
    ).toBeLessThan(300);
    const added = (await ws.until((f) => f.type === "channel.added")).match;
    expect(added.data.channel.id).toBe(channelId);
    const sent = await post(owner, channelId, "welcome");
    const got = await ws.collect(inChannel(channelId, "message.created"), 1);
    expect(got[0]?.data.id).toBe(sent.id);
  });

  it("reads a channel list that missed a change again from the directory once it is due for a recheck", async () => {
    const { owner, member, channelId, ws } = await onlineMember();
    const cursor = ws.frames.filter(inChannel(channelId)).at(-1)?.seq as number;
    ws.close();
    // As if the channel.added append had failed after the directory changed: the session's own
    // list lacks the channel, and it was last matched with the directory before the interval.
    const session = env.USER_SESSION.getByName(member.user.id);
    await runInDurableObject(session, async (_, state) => {
      state.storage.sql.exec("DELETE FROM channels WHERE channel_id = ?", channelId);
      state.storage.sql.exec(
        "UPDATE meta SET value = ? WHERE key = 'channels_checked_at'",
        String(Date.now() - CHANNELS_RECHECK_MS - 1_000),
      );
    });
    await evictDurableObject(session);
    const missed = await post(owner, channelId, "while away");
    const again = await openLiveSocket(member.token, { user_seq: 0, channels: { [channelId]: cursor } });
    expect(again.replay.filter(inChannel(channelId, "message.created")).map((f) => f.data.id)).toEqual([missed.id]);
    const live = await post(owner, channelId, "live again");
    expect((await again.ws.collect(inChannel(channelId, "message.created"), 1))[0]?.data.id).toBe(live.id);
  });

  it("keeps delivering after both objects are evicted with hibernating sockets", async () => {
    const { owner, member, channelId, ws } = await onlineMember();
    await evictDurableObject(env.USER_SESSION.getByName(member.user.id), { webSockets: "hibernate" });
    await evictDurableObject(env.CHANNEL_ROOM.getByName(channelId));
    const sent = await post(owner, channelId, "after hibernation");
    const got = await ws.collect(inChannel(channelId, "message.created"), 1);
    expect(got[0]?.data.id).toBe(sent.id);
  });
});

describe("resume", () => {
  it("invariant 3: replays exactly the missed channel and user events, then streams live", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    const channelId = await privateChannel(owner, [member]);
    const first = await openLiveSocket(member.token);
    await post(owner, channelId, "seen");
    const seen = await first.ws.collect(inChannel(channelId), 1);
    const cursor = seen[0]?.seq as number;
    const userSeq = first.ws.frames.filter((f) => typeof f.user_seq === "number" && f.type !== "ready").at(-1)?.user_seq ?? 0;
    first.ws.close();

    const missed = [];
    for (let i = 0; i < 12; i++) missed.push((await post(owner, channelId, `missed ${i}`)).id);
    await call("PATCH", `/channels/${channelId}/messages/${missed[0]}`, { token: owner.token, body: { text: "edited" } });
    await call("POST", `/channels/${channelId}/read`, { token: member.token, body: { seq: 5 } });

    const again = await openLiveSocket(member.token, { user_seq: userSeq, channels: { [channelId]: cursor } });
    const channelFrames = again.replay.filter(inChannel(channelId));
    expect(channelFrames.map((f) => f.seq)).toEqual(Array.from({ length: 13 }, (_, i) => cursor + 1 + i));
    expect(channelFrames.filter((f) => f.type === "message.created").map((f) => f.data.id)).toEqual(missed);
    expect(again.replay.filter((f) => f.type === "read.updated")).toHaveLength(1);
    const live = await post(owner, channelId, "live");
    expect((await again.ws.collect(inChannel(channelId), 1))[0]?.data.id).toBe(live.id);
  });

  it("sends channel.gap past the inline limit and resync_required for a pruned cursor", async () => {
    const owner = await registerOwner();
    const channelId = await privateChannel(owner);
    const limit = Number(env.REPLAY_INLINE_LIMIT);
    for (let i = 0; i < limit + 3; i += 20)
      await Promise.all(Array.from({ length: Math.min(20, limit + 3 - i) }, (_, j) => post(owner, channelId, `m${i + j}`)));
    const { replay } = await openLiveSocket(owner.token, { user_seq: 0, channels: { [channelId]: 0 } });
    const gap = replay.find((f) => f.type === "channel.gap");
    expect(gap).toMatchObject({ channel_id: channelId, after: 0 });
    expect(gap?.until).toBeGreaterThanOrEqual(limit + 3);
    expect(replay.filter(inChannel(channelId, "message.created"))).toEqual([]);

    // Forty days later the oldest events have been pruned: a cursor from before them is stale.
    const room = env.CHANNEL_ROOM.getByName(channelId);
    expect(await room.pruneExpiredEvents(Date.now() + 40 * 86_400_000)).toBeGreaterThan(0);
    const stale = await openLiveSocket(owner.token, { user_seq: 0, channels: { [channelId]: 1 } });
    expect(stale.replay).toContainEqual({ type: "resync_required", channel_id: channelId });
  });
});
