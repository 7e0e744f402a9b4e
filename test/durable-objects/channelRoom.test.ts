import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { ChannelRoom } from "../../durable-objects/channel-room/ChannelRoom";
import type { RoomCore } from "../../durable-objects/channel-room/RoomCore";
import { SendRateLimiter } from "../../durable-objects/channel-room/SendRateLimiter";
import { config } from "../../src/lib/config";
import { newId } from "../../src/lib/ids";
import { addMembers, allEvents, createChannel, expectStatus, send, sent, workspace } from "../channelFixtures";
import { call, expectProblem } from "../helpers";
import { searchOutboxFlushed } from "../searchFixtures";
import { openLiveSocket } from "../socketClient";

// The ChannelRoom through the Worker and, where the test needs to look inside, in the object itself.

const room = (channelId: string) => env.CHANNEL_ROOM.getByName(channelId);
const DAY_MS = 86_400_000;

/** Makes every event up to `seq` look `days` old. */
async function ageEvents(channelId: string, throughSeq: number, days: number) {
  await runInDurableObject(room(channelId), (_: ChannelRoom, state) => {
    state.storage.sql.exec("UPDATE events SET at = at - ? WHERE seq <= ?", days * DAY_MS, throughSeq);
  });
}

/** Waits until the room's alarm has published its event head (the publish_head purpose is done). */
async function headPublished(channelId: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const pending = await runInDurableObject(
      room(channelId),
      (_: ChannelRoom, state) =>
        state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM alarm_schedule WHERE purpose = 'publish_head'").one().n,
    );
    if (pending === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the head was never published");
}

describe("ChannelRoom", () => {
  it("invariant 1: acknowledged means durable (the message survives the object's restart)", async () => {
    const { alice } = await workspace();
    const channel = await createChannel(alice);
    const message = await sent(alice, channel.id, "written before the answer");
    await evictDurableObject(room(channel.id));
    const stored = await runInDurableObject(room(channel.id), (_: ChannelRoom, state) =>
      state.storage.sql.exec<{ id: string; text: string }>("SELECT id, text FROM messages WHERE seq = ?", message.seq).toArray(),
    );
    expect(stored).toEqual([{ id: message.id, text: "written before the answer" }]);
    const history = expectStatus(await call("GET", `/channels/${channel.id}/messages`, { token: alice.token }), 200);
    expect(history.items).toEqual([message]);
    const events = await allEvents(alice, channel.id);
    expect(events.map((e) => e.type)).toEqual(["message.created"]);
  });

  it("invariant 2: one order per channel (5 concurrent senders, 500 messages, every observer sees one gap-free order)", async () => {
    const { owner, alice, bob, admin } = await workspace();
    const channel = await createChannel(owner);
    await addMembers(owner, channel.id, alice, bob, admin);
    const observers = await Promise.all([openLiveSocket(alice.token), openLiveSocket(bob.token)]);
    const headBefore = (await allEvents(owner, channel.id)).at(-1)?.seq ?? 0;
    const senders = [owner, alice, bob, admin, owner];
    await Promise.all(
      senders.map(async (sender, s) => {
        for (let i = 0; i < 100; i++) await sent(sender, channel.id, `sender ${s} message ${i}`);
      }),
    );

    const history: any[] = [];
    for (let before: number | undefined; ; ) {
      const page = expectStatus(
        await call("GET", `/channels/${channel.id}/messages?limit=200${before ? `&before=${before}` : ""}`, { token: owner.token }),
        200,
      );
      history.push(...page.items);
      if (!page.has_more) break;
      before = page.items.at(-1).seq;
    }
    expect(history.map((m) => m.seq)).toEqual(Array.from({ length: 500 }, (_, i) => 500 - i));
    for (let s = 0; s < senders.length; s++) {
      const own = history.filter((m) => m.text.startsWith(`sender ${s} `)).reverse();
      expect(own.map((m) => m.text)).toEqual(Array.from({ length: 100 }, (_, i) => `sender ${s} message ${i}`));
    }

    const log = (await allEvents(owner, channel.id)).filter((e) => e.seq > headBefore);
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 500 }, (_, i) => headBefore + 1 + i));
    expect(log.map((e) => e.data.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    for (const { ws } of observers) {
      const { before, match } = await ws.until((f) => f.type === "message.created" && f.data.seq === 500, 20_000);
      const received = [...before, match].filter((f) => f.channel_id === channel.id);
      expect(received.map((f) => f.seq)).toEqual(log.map((e) => e.seq));
      expect(received).toEqual(log);
      ws.close();
    }
  });

  it("fans out to online members only; a removed member gets nothing more, the others get their member.left", async () => {
    const { owner, alice, bob, admin } = await workspace();
    const channel = await createChannel(owner, { is_private: true });
    await addMembers(owner, channel.id, alice, bob);
    const [a, b, outsider] = await Promise.all([openLiveSocket(alice.token), openLiveSocket(bob.token), openLiveSocket(admin.token)]);
    const first = await sent(owner, channel.id, "hello");
    for (const { ws } of [a, b]) expect((await ws.until((f) => f.type === "message.created")).match.data).toEqual(first);

    expectStatus(await call("DELETE", `/channels/${channel.id}/members/${bob.user.id}`, { token: owner.token }), 204);
    await sent(owner, channel.id, "after bob left");
    const left = await a.ws.until((f) => f.type === "member.left");
    expect(left.match.data).toEqual({ user_id: bob.user.id });
    expect((await a.ws.until((f) => f.type === "message.created")).match.data.text).toBe("after bob left");

    const bobFrames = await b.ws.drain();
    expect(bobFrames.filter((f) => f.channel_id === channel.id)).toEqual([]);
    expect(bobFrames).toContainEqual(expect.objectContaining({ type: "channel.removed", data: { channel_id: channel.id } }));
    expect((await outsider.ws.drain()).filter((f) => f.channel_id === channel.id)).toEqual([]);
    for (const s of [a, b, outsider]) s.ws.close();
  });

  it("setOnline: members only; new members start online and go offline on the first push their session cannot deliver", async () => {
    const { owner, alice } = await workspace();
    const channel = await createChannel(owner);
    const online = () =>
      runInDurableObject(room(channel.id), (_: ChannelRoom, state) =>
        state.storage.sql.exec<{ user_id: string }>("SELECT user_id FROM members WHERE online = 1 ORDER BY user_id").toArray(),
      );
    expect(await online()).toEqual([{ user_id: owner.user.id }]);
    expect(await room(channel.id).setOnline(alice.user.id, true)).toBe(false);
    expect(await room(channel.id).setOnline(newId("u"), true)).toBe(false);
    await sent(owner, channel.id, "nobody is listening");
    await expect.poll(online).toEqual([]);

    // Alice joins online; the push of her own member.joined finds no socket and takes her offline.
    await addMembers(owner, channel.id, alice);
    await expect.poll(online).toEqual([]);
    // The flag is durable once setOnline has answered, for the object to wake up with after a
    // crash at any moment: a room that lost it would never push to that socket again.
    expect(await room(channel.id).setOnline(owner.user.id, true)).toBe(true);
    expect(await online()).toEqual([{ user_id: owner.user.id }]);
    expect(await room(channel.id).setOnline(owner.user.id, false)).toBe(true);
    expect(await online()).toEqual([]);
  });

  it("pushes an event to a member added while their socket is open, before their session has heard of the channel", async () => {
    const { owner, alice } = await workspace();
    const channel = await createChannel(owner, { is_private: true });
    const { ws } = await openLiveSocket(alice.token);
    await addMembers(owner, channel.id, alice);
    const message = await sent(owner, channel.id, "right after adding alice");
    const frames = (await ws.until((f) => f.type === "message.created")).before;
    expect(frames.map((f) => f.type)).toContain("member.joined");
    expect((await allEvents(alice, channel.id)).at(-1)).toMatchObject({ type: "message.created", data: message });
    ws.close();
  });

  it("relays typing to the other online members only, never stored, at most once a second per typist", async () => {
    const { owner, alice, bob } = await workspace();
    const channel = await createChannel(owner, { is_private: true });
    await addMembers(owner, channel.id, alice);
    const [a, o, outsider] = await Promise.all([openLiveSocket(alice.token), openLiveSocket(owner.token), openLiveSocket(bob.token)]);
    a.ws.send({ type: "typing", channel_id: channel.id });
    a.ws.send({ type: "typing", channel_id: channel.id });
    expect((await o.ws.until((f) => f.type === "typing")).match).toEqual({
      type: "typing",
      channel_id: channel.id,
      data: { user_id: alice.user.id, thread_root_id: null },
    });
    expect((await o.ws.drain()).filter((f) => f.type === "typing")).toEqual([]);
    expect((await a.ws.drain()).filter((f) => f.type === "typing")).toEqual([]);
    outsider.ws.send({ type: "typing", channel_id: channel.id });
    expect(await outsider.ws.until((f) => f.type === "error")).toMatchObject({ match: { code: "not_a_member" } });
    expect((await o.ws.drain()).filter((f) => f.type === "typing")).toEqual([]);
    expect(await allEvents(owner, channel.id)).toEqual([expect.objectContaining({ type: "member.joined" })]);
    for (const s of [a, o, outsider]) s.ws.close();
  });

  it("replay: the events after a cursor, a gap beyond the inline limit, resync past the kept window, not_member for others", async () => {
    const { owner, alice } = await workspace();
    const channel = await createChannel(owner);
    for (let i = 0; i < 5; i++) await sent(owner, channel.id, `m${i}`);
    const log = await allEvents(owner, channel.id);
    const head = log.at(-1).seq;

    const all = await room(channel.id).replay(owner.user.id, 0, 100);
    expect(all).toEqual({ kind: "events", frames: log.map((e) => JSON.stringify(e)), head });
    const tail = await room(channel.id).replay(owner.user.id, head - 2, 100);
    expect(tail.kind === "events" && tail.frames.map((f) => JSON.parse(f).seq)).toEqual([head - 1, head]);
    expect(await room(channel.id).replay(owner.user.id, head, 100)).toEqual({ kind: "events", frames: [], head });
    expect(await room(channel.id).replay(owner.user.id, 0, 3)).toEqual({ kind: "gap", after: 0, until: head });
    expect(await room(channel.id).replay(owner.user.id, head + 1, 100)).toEqual({ kind: "resync" });
    expect(await room(channel.id).replay(alice.user.id, 0, 100)).toEqual({ kind: "not_member" });
    expect(await room(newId("c")).replay(owner.user.id, 0, 100)).toEqual({ kind: "not_member" });

    await ageEvents(channel.id, 3, config(env).EVENT_RETENTION_DAYS + 1);
    expect(await runInDurableObject(room(channel.id), (instance: ChannelRoom) => instance.pruneExpiredEvents())).toBe(3);
    expect(await room(channel.id).replay(owner.user.id, 2, 100)).toEqual({ kind: "resync" });
    const kept = await room(channel.id).replay(owner.user.id, 3, 100);
    expect(kept.kind === "events" && kept.frames.map((f) => JSON.parse(f).seq)).toEqual([4, 5]);
    expectProblem(await call("GET", `/channels/${channel.id}/events?after=0`, { token: owner.token }), 410, "resync_required");
    expect((await allEvents(owner, channel.id, 3)).map((e) => e.seq)).toEqual([4, 5]);
  });

  it("keeps events for the retention window and prunes older ones as it appends", async () => {
    const { owner } = await workspace();
    const channel = await createChannel(owner);
    for (let i = 0; i < 60; i++) await sent(owner, channel.id, `old ${i}`);
    await ageEvents(channel.id, 30, config(env).EVENT_RETENTION_DAYS + 1);
    await ageEvents(channel.id, 60, 7);
    for (let i = 0; i < 40; i++) await sent(owner, channel.id, `new ${i}`);
    const kept = await runInDurableObject(room(channel.id), (_: ChannelRoom, state) =>
      state.storage.sql.exec<{ oldest: number; n: number }>("SELECT MIN(seq) AS oldest, COUNT(*) AS n FROM events").one(),
    );
    expect(kept).toEqual({ oldest: 31, n: 70 });
    expect((await call("GET", `/channels/${channel.id}/messages?after=0&limit=1`, { token: owner.token })).body.items[0].text).toBe(
      "old 0",
    );
  });

  it("a channel gone quiet prunes expired events from its retention alarm; resume then gets resync_required or channel.gap", async () => {
    const { owner } = await workspace();
    const channel = await createChannel(owner);
    for (let i = 0; i < 3; i++) await sent(owner, channel.id, `old ${i}`);
    const retentionMs = config(env).EVENT_RETENTION_DAYS * DAY_MS;
    const retention = () =>
      runInDurableObject(room(channel.id), async (_: ChannelRoom, state) => ({
        due:
          state.storage.sql.exec<{ due_at: number }>("SELECT due_at FROM alarm_schedule WHERE purpose = 'event_retention'").toArray()[0]
            ?.due_at ?? null,
        alarm: await state.storage.getAlarm(),
        // The room's other alarm purposes (the directory outbox, message retention) share the one
        // alarm: it is armed at the earliest of them all.
        earliest: state.storage.sql.exec<{ at: number | null }>("SELECT MIN(due_at) AS at FROM alarm_schedule").one().at,
        events: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM events").one().n,
      }));
    const oldest = Date.parse((await allEvents(owner, channel.id))[0].at);
    // The alarm is shared with the search outbox and the head's publication: once both are done,
    // retention is what is left.
    await searchOutboxFlushed(channel.id);
    await headPublished(channel.id);
    const armed = await retention();
    expect(armed).toEqual({ due: oldest + retentionMs, alarm: armed.earliest, earliest: expect.any(Number), events: 3 });

    // Nothing more is sent. The clock (this isolate's, which the object shares) moves past the
    // window and the alarm fires: the expired events go, and nothing is due until the next append.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(oldest + retentionMs + DAY_MS);
      expect(await runDurableObjectAlarm(room(channel.id))).toBe(true);
    } finally {
      vi.useRealTimers();
    }
    const pruned = await retention();
    expect(pruned).toEqual({ due: null, alarm: pruned.earliest, earliest: pruned.earliest, events: 0 });

    const stale = await openLiveSocket(owner.token, { user_seq: 0, channels: { [channel.id]: 2 } });
    expect(stale.replay).toContainEqual({ type: "resync_required", channel_id: channel.id });
    stale.ws.close();
    expectProblem(await call("GET", `/channels/${channel.id}/events?after=2`, { token: owner.token }), 410, "resync_required");

    // Past the pruned range, a cursor further behind than the inline limit gets a gap to fetch.
    const limit = Number(env.REPLAY_INLINE_LIMIT);
    for (let i = 0; i <= limit; i += 20)
      await Promise.all(Array.from({ length: Math.min(20, limit + 1 - i) }, (_, j) => sent(owner, channel.id, `new ${i + j}`)));
    const behind = await openLiveSocket(owner.token, { user_seq: 0, channels: { [channel.id]: 3 } });
    expect(behind.replay).toContainEqual({ type: "channel.gap", channel_id: channel.id, after: 3, until: 3 + limit + 1 });
    behind.ws.close();
    expect((await allEvents(owner, channel.id, 3)).length).toBe(limit + 1);
    await searchOutboxFlushed(channel.id);
    await headPublished(channel.id);
    const rearmed = await retention();
    expect(rearmed.due).toBe(Date.parse((await allEvents(owner, channel.id, 3))[0].at) + retentionMs);
    expect(rearmed.alarm).toBe(rearmed.earliest);
  });

  it("answers 429 with Retry-After when an author sends faster than the room allows", async () => {
    const { owner, alice } = await workspace();
    const channel = await createChannel(owner);
    await addMembers(owner, channel.id, alice);
    await runInDurableObject(room(channel.id), (instance: ChannelRoom) => {
      Object.assign((instance as unknown as { core: RoomCore }).core, { sendLimiter: new SendRateLimiter(2) });
    });
    await sent(owner, channel.id, "one");
    await sent(owner, channel.id, "two");
    const limited = await send(owner, channel.id, "three");
    expectProblem(limited, 429, "rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    await sent(alice, channel.id, "another author has their own budget");
  });

  it("invariant 6: a failed write leaves nothing behind", async () => {
    const { owner } = await workspace();
    const channel = await createChannel(owner);
    await runInDurableObject(room(channel.id), (_: ChannelRoom, state) => {
      // A trigger that makes the next event insert fail, after the message row is written.
      state.storage.sql.exec("CREATE TRIGGER fail_events BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    });
    const failed = await send(owner, channel.id, "doomed");
    expect(failed.status).toBe(500);
    await runInDurableObject(room(channel.id), (_: ChannelRoom, state) => state.storage.sql.exec("DROP TRIGGER fail_events"));
    expect(expectStatus(await call("GET", `/channels/${channel.id}/messages`, { token: owner.token }), 200).items).toEqual([]);
    const message = await sent(owner, channel.id, "fine");
    expect(message.seq).toBe(1);
  });
});
