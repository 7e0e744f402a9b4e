import { describe, expect, it } from "vitest";
import { addMembers, allEvents, createChannel, expectStatus, pin, react, replied, sent } from "../channelFixtures";
import { call, registerOwner, signUp } from "../helpers";
import { type Frame, openLiveSocket } from "../socketClient";

// Thread, reaction and pin events through ChannelRoom → UserSession → sockets, and their replay
// on resume (DESIGN.md invariants 2 and 3).

const inChannel = (channelId: string) => (f: Frame) => f.channel_id === channelId;

describe("threads, reactions and pins in real time", () => {
  it("invariant 3: a resume replays exactly the missed thread, reaction and pin events, in seq order, then streams live", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    const channel = await createChannel(owner, { is_private: true });
    await addMembers(owner, channel.id, member);
    const root = await sent(member, channel.id, "the member's question");

    const first = await openLiveSocket(member.token, { user_seq: 0, channels: { [channel.id]: 0 } });
    const seen = first.replay.filter(inChannel(channel.id));
    const cursor = seen.at(-1)?.seq as number;
    const userSeq = first.ws.frames.filter((f) => f.type === "ready").at(-1)?.user_seq as number;
    expect(cursor).toBe((await allEvents(owner, channel.id)).at(-1).seq);
    first.ws.close();

    // While the member is away: replies (the member follows as the root's author), reactions (a
    // repeat that changes nothing), pins, an unpin and the deletion of a pinned reply.
    const r1 = await replied(owner, channel.id, root.id, "answer one");
    const r2 = await replied(owner, channel.id, root.id, "answer two", { also_send_to_channel: true });
    expectStatus(await react(owner, channel.id, root.id, "👍"), 200);
    expectStatus(await react(owner, channel.id, root.id, ":+1:"), 200); // no event
    expectStatus(await react(owner, channel.id, r1.id, "🎉"), 200);
    expectStatus(await react(owner, channel.id, r1.id, "🎉", "DELETE"), 200);
    expectStatus(await pin(owner, channel.id, root.id), 200);
    expectStatus(await pin(owner, channel.id, r2.id), 200);
    expectStatus(await pin(owner, channel.id, root.id, "DELETE"), 204);
    expectStatus(await call("DELETE", `/channels/${channel.id}/messages/${r2.id}`, { token: owner.token }), 204);
    const logged = await allEvents(owner, channel.id, cursor);
    expect(logged.map((e) => e.type)).toEqual([
      "message.created",
      "message.updated",
      "message.created",
      "message.updated",
      "reaction.added",
      "reaction.added",
      "reaction.removed",
      "pin.added",
      "pin.added",
      "pin.removed",
      "message.deleted",
      "pin.removed",
      "message.updated",
    ]);

    const again = await openLiveSocket(member.token, { user_seq: userSeq, channels: { [channel.id]: cursor } });
    const replayed = again.replay.filter(inChannel(channel.id));
    expect(replayed).toEqual(logged);
    expect(replayed.map((f) => f.seq)).toEqual(logged.map((_, i) => cursor + 1 + i));
    const threadReplies = again.replay.filter((f) => f.type === "thread.reply");
    expect(threadReplies.map((f) => [f.data.root_id, f.data.message.id])).toEqual([
      [root.id, r1.id],
      [root.id, r2.id],
    ]);
    expect(threadReplies.map((f) => f.user_seq)).toEqual([userSeq + 1, userSeq + 2]);

    // Live again: each new event arrives once, with the next seq (the user stream is ordered on its own).
    expectStatus(await react(owner, channel.id, root.id, "🚀"), 200);
    const r3 = await replied(owner, channel.id, root.id, "answer three");
    const live: Frame[] = [];
    while (live.length < 4) {
      const f = await again.ws.next();
      if (inChannel(channel.id)(f) || f.type === "thread.reply") live.push(f);
    }
    const head = cursor + logged.length;
    expect(live.filter(inChannel(channel.id)).map((f) => [f.type, f.seq])).toEqual([
      ["reaction.added", head + 1],
      ["message.created", head + 2],
      ["message.updated", head + 3],
    ]);
    expect(live.filter((f) => f.type === "thread.reply").map((f) => [f.user_seq, f.data.message])).toEqual([[userSeq + 3, r3]]);
    expect((await again.ws.drain()).filter((f) => inChannel(channel.id)(f) || f.type === "thread.reply")).toEqual([]);
    again.ws.close();
  });

  it("invariant 2: every device of every member gets reaction and pin events once, in order; readers and outsiders get none", async () => {
    const owner = await registerOwner();
    const [member, outsider] = await Promise.all([signUp(owner.token), signUp(owner.token)]);
    const channel = await createChannel(owner, { is_private: true });
    await addMembers(owner, channel.id, member);
    const message = await sent(owner, channel.id, "react here");
    const head = (await allEvents(owner, channel.id)).at(-1).seq;
    const devices = await Promise.all([openLiveSocket(owner.token), openLiveSocket(member.token), openLiveSocket(member.token)]);
    const spy = await openLiveSocket(outsider.token);
    const emoji = ["👍", "🎉", "👀", "🚀", "✅"];
    await Promise.all(emoji.map((e, i) => react(i % 2 ? owner : member, channel.id, message.id, e)));
    expectStatus(await pin(member, channel.id, message.id), 200);
    const logged = await allEvents(owner, channel.id, head);
    expect(logged).toHaveLength(6);
    for (const { ws } of devices) {
      const got: Frame[] = [];
      while (got.length < 6) {
        const f = await ws.next();
        if (inChannel(channel.id)(f)) got.push(f);
      }
      expect(got).toEqual(logged);
    }
    expect((await spy.ws.drain()).filter(inChannel(channel.id))).toEqual([]);
    // The sockets stay open: closing them as the file ends would leave the sessions' close
    // handling running past the runtime's teardown (an unhandled EnvironmentTeardownError).
  });
});

describe("thread read state across devices", () => {
  it("tells the user's other devices when a thread is marked read, and only when the marker moves", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    const channel = await createChannel(owner, { is_private: true });
    await addMembers(owner, channel.id, member);
    const root = await sent(member, channel.id, "question");
    const reply = await replied(owner, channel.id, root.id, "answer");
    const [phone, laptop] = await Promise.all([openLiveSocket(member.token), openLiveSocket(member.token)]);
    const read = (seq: number) =>
      call("POST", `/channels/${channel.id}/messages/${root.id}/replies/read`, { token: member.token, body: { seq } });
    expectStatus(await read(reply.seq), 200);
    for (const device of [phone, laptop])
      expect((await device.ws.until((f) => f.type === "thread.read")).match.data).toEqual({
        channel_id: channel.id,
        root_id: root.id,
        seq: reply.seq,
      });
    expectStatus(await read(reply.seq), 200);
    expect((await laptop.ws.drain()).filter((f) => f.type === "thread.read")).toEqual([]);
  });
});
