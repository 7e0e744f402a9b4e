import { describe, expect, it } from "vitest";
import { ChannelEventSchema } from "../../src/protocol/channelEvents";
import { UserEventSchema } from "../../src/protocol/userEvents";
import { addMembers, createChannel, expectStatus, pin, react, replied, sent, workspace } from "../channelFixtures";
import { applyChannelEvent, type ChannelState, fetchChannelState } from "../channelState";
import { createFile, putBytes } from "../fileFixtures";
import { type Account, call, logIn } from "../helpers";
import { type Frame, openLiveSocket, type TestSocket } from "../socketClient";

// Zulip's verify_action over the socket (CONVENTIONS 9): a client that fetched its state over
// HTTP and then applies the channel and user events its socket brings (live, or replayed by a
// resume) holds exactly what a fresh fetch returns, for every channel and every user event type.
// (test/protocol/channelEvents.test.ts checks the channel events of GET /channels/{id}/events;
// test/e2e/client/store.e2e.ts the SDK's store.)

/** Every event type the protocol defines: a new one fails this test until an action below covers it. */
const CHANNEL_TYPES = ChannelEventSchema.options.map((o) => o.shape.type.value).sort();
const USER_TYPES = UserEventSchema.options.map((o) => o.shape.type.value).sort();

/**
 * What the observer holds: themselves, their channels with their read markers, one channel's
 * whole content (`room`), and the threads they follow.
 */
type View = {
  me: any;
  channels: Record<string, { channel: any; last_read_seq: number }>;
  room: ChannelState | null;
  threads: Record<string, any>;
};

async function fetchView(as: Account, roomId: string): Promise<View> {
  const [me, mine, threads] = await Promise.all([
    call("GET", "/users/me", { token: as.token }),
    call("GET", "/users/me/channels", { token: as.token }),
    call("GET", "/users/me/threads?limit=200", { token: as.token }),
  ]);
  const channels: View["channels"] = {};
  for (const c of expectStatus(mine, 200).items) channels[c.channel.id] = { channel: c.channel, last_read_seq: c.last_read_seq };
  return {
    me: expectStatus(me, 200),
    channels,
    room: roomId in channels ? await fetchChannelState(as, roomId) : null,
    threads: Object.fromEntries(expectStatus(threads, 200).items.map((t: any) => [t.root.id, t])),
  };
}

/** A followed thread the client learns of from an event; `settle` fills in what it holds of it. */
const followed = (channelId: string, rootId: string, lastReadSeq: number) => ({
  channel_id: channelId,
  root: { id: rootId },
  following: true,
  last_read_seq: lastReadSeq,
  unread_reply_count: 0,
  last_reply_at: null,
});

/** What a client does with one event of either stream. */
function apply(view: View, event: Frame, meId: string, roomId: string): View {
  if ("channel_id" in event && "seq" in event) {
    const id = event.channel_id as string;
    const entry = view.channels[id];
    if (!entry) return view; // not (yet) one of mine: channel.added brings it whole
    if (id === roomId && view.room) {
      const room = applyChannelEvent(view.room, event);
      let threads = view.threads;
      const m = event.data;
      // My own reply: I follow its thread, read up to it (ThreadStore.followOnReply).
      if (event.type === "message.created" && m.thread_root_id && m.author_id === meId) {
        const prior = threads[m.thread_root_id] ?? followed(id, m.thread_root_id, 0);
        threads = { ...threads, [m.thread_root_id]: { ...prior, last_read_seq: Math.max(prior.last_read_seq, m.seq) } };
      }
      return { ...view, room, threads, channels: { ...view.channels, [id]: { ...entry, channel: room.channel } } };
    }
    // A channel whose content the client does not hold: only the channel itself. My own joining is
    // in the channel that channel.added carried.
    const count = (n: number) => ({
      ...view,
      channels: { ...view.channels, [id]: { ...entry, channel: { ...entry.channel, member_count: n } } },
    });
    if (event.type === "member.joined") return event.data.user_id === meId ? view : count(entry.channel.member_count + 1);
    if (event.type === "member.left") return count(entry.channel.member_count - 1);
    if (["channel.updated", "channel.archived", "channel.unarchived"].includes(event.type))
      return { ...view, channels: { ...view.channels, [id]: { ...entry, channel: event.data } } };
    return view;
  }
  switch (event.type) {
    case "channel.added": {
      const { channel } = event.data;
      // A new member's read marker starts at the channel's newest message; the channels this test
      // adds the observer to have none yet.
      return { ...view, channels: { ...view.channels, [channel.id]: { channel, last_read_seq: 0 } } };
    }
    case "channel.removed": {
      const { [event.data.channel_id]: _, ...channels } = view.channels;
      const threads = Object.fromEntries(Object.entries(view.threads).filter(([, t]) => t.channel_id !== event.data.channel_id));
      return { ...view, channels, threads, room: event.data.channel_id === roomId ? null : view.room };
    }
    case "read.updated": {
      const entry = view.channels[event.data.channel_id];
      if (!entry) return view;
      return { ...view, channels: { ...view.channels, [event.data.channel_id]: { ...entry, last_read_seq: event.data.seq } } };
    }
    case "user.updated":
      return event.data.user.id === view.me.id ? { ...view, me: event.data.user } : view;
    case "thread.reply": {
      const { channel_id, root_id } = event.data;
      return { ...view, threads: { ...view.threads, [root_id]: view.threads[root_id] ?? followed(channel_id, root_id, 0) } };
    }
    case "thread.read": {
      const { channel_id, root_id, seq } = event.data;
      const prior = view.threads[root_id] ?? followed(channel_id, root_id, 0);
      return { ...view, threads: { ...view.threads, [root_id]: { ...prior, last_read_seq: Math.max(prior.last_read_seq, seq) } } };
    }
    default:
      throw new Error(`unknown event type ${event.type}`);
  }
}

/** Fills in each followed thread from the content the client holds: its root, last reply and unread replies. */
function settle(view: View, meId: string): View {
  const room = view.room;
  if (!room) return view;
  const threads = Object.fromEntries(
    Object.entries(view.threads).map(([rootId, t]) => {
      if (t.channel_id !== room.channel.id) return [rootId, t];
      const root = room.messages.find((m) => m.id === rootId) ?? t.root;
      const unread = (room.threads[rootId] ?? []).filter((r) => r.seq > t.last_read_seq && !r.deleted && r.author_id !== meId).length;
      return [rootId, { ...t, root, last_reply_at: root.last_reply_at ?? null, unread_reply_count: unread }];
    }),
  );
  return { ...view, threads };
}

const isEvent = (f: Frame) => ("seq" in f && "channel_id" in f) || "user_seq" in f;

describe("socket events rebuild the state a fresh fetch returns (verify_action)", () => {
  it("for every channel and user event type, live and replayed by a resume", async () => {
    const { owner, alice: observer, bob } = await workspace();
    const meId = observer.user.id;
    const room = await createChannel(observer);
    // The observer's other device: the same account, a session of its own.
    const other = { ...observer, token: expectStatus(await logIn(observer.user.username, observer.password), 200).access_token };
    const { ws } = await openLiveSocket(observer.token);
    const userSeqAtStart = ws.frames.findLast((f) => f.type === "ready")?.user_seq as number;
    const initial = await fetchView(observer, room.id);
    const seen = new Set<string>();

    /** Runs an action against a stale snapshot: the events it brings (of the listed types) rebuild a fresh fetch. */
    async function verify(socket: TestSocket, expected: { channel?: string[]; user?: string[] }, act: () => Promise<unknown>) {
      const stale = await fetchView(observer, room.id);
      await act();
      const count = (expected.channel?.length ?? 0) + (expected.user?.length ?? 0);
      const events = await socket.collect(isEvent, count);
      events.push(...(await socket.drain(100)).filter(isEvent));
      expect(events.filter((e) => "seq" in e).map((e) => e.type)).toEqual(expected.channel ?? []);
      expect(events.filter((e) => "user_seq" in e).map((e) => e.type)).toEqual(expected.user ?? []);
      for (const e of events) {
        const schema = "user_seq" in e ? UserEventSchema : ChannelEventSchema;
        expect(schema.safeParse(e).error, JSON.stringify(e)).toBeUndefined();
        seen.add(e.type);
      }
      const reduced = settle(
        events.reduce((v, e) => apply(v, e, meId, room.id), stale),
        meId,
      );
      expect(reduced).toEqual(await fetchView(observer, room.id));
    }

    const live = (expected: { channel?: string[]; user?: string[] }, act: () => Promise<unknown>) => verify(ws, expected, act);
    let first: any;
    let reply: any;
    let echoed: any;
    let later: any;
    await live({ channel: ["member.joined"] }, () => call("POST", `/channels/${room.id}/join`, { token: bob.token }));
    await live({ channel: ["message.created"] }, async () => (first = await sent(observer, room.id, `hello @${bob.user.username}`)));
    // Bob's reply: the observer wrote the root, so follows its thread and hears of the reply.
    await live(
      { channel: ["message.created", "message.updated"], user: ["thread.reply"] },
      async () => (reply = await replied(bob, room.id, first.id, "a reply")),
    );
    await live(
      { channel: ["message.created", "message.updated"] },
      async () => (echoed = await replied(observer, room.id, first.id, "also in channel", { also_send_to_channel: true })),
    );
    await live({ channel: ["message.created"] }, () => sent(bob, room.id, `hi @${observer.user.username}`));
    // A file attached while still uploading: completing it announces `scanning`, the scan `clean`.
    const upload = expectStatus(await createFile(observer, 5), 201);
    await live({ channel: ["message.created"] }, () => sent(observer, room.id, "a file", { file_ids: [upload.file.id] }));
    await live({ channel: ["file.updated", "file.updated"] }, async () => {
      expect((await putBytes(upload.upload.url, "hello")).status).toBe(204);
      expectStatus(await call("POST", `/files/${upload.file.id}/complete`, { token: observer.token }), 200);
    });
    await live({ channel: ["file.deleted"] }, () => call("DELETE", `/files/${upload.file.id}`, { token: observer.token }));
    await live({ channel: ["reaction.added"] }, () => react(bob, room.id, first.id, "👍"));
    await live({ channel: ["reaction.added"] }, () => react(observer, room.id, reply.id, "👀"));
    await live({ channel: ["reaction.removed"] }, () => react(bob, room.id, first.id, "👍", "DELETE"));
    await live({ channel: ["pin.added"] }, () => pin(observer, room.id, first.id));
    await live({ channel: ["pin.added"] }, () => pin(bob, room.id, reply.id));
    await live({ channel: ["pin.removed"] }, () => pin(observer, room.id, first.id, "DELETE"));
    await live({ channel: ["message.updated"] }, () =>
      call("PATCH", `/channels/${room.id}/messages/${first.id}`, { token: observer.token, body: { text: "hello, all" } }),
    );
    // Deleting a pinned reply: its tombstone, its unpinning, its root's summary.
    await live({ channel: ["message.deleted", "pin.removed", "message.updated"] }, () =>
      call("DELETE", `/channels/${room.id}/messages/${reply.id}`, { token: bob.token }),
    );
    await live(
      { channel: ["message.created", "message.updated"], user: ["thread.reply"] },
      async () => (later = await replied(bob, room.id, first.id, "one more")),
    );
    // Read markers moved on the other device.
    await live({ user: ["thread.read"] }, () =>
      call("POST", `/channels/${room.id}/messages/${first.id}/replies/read`, { token: other.token, body: { seq: later.seq } }),
    );
    await live({ user: ["read.updated"] }, () =>
      call("POST", `/channels/${room.id}/read`, { token: other.token, body: { seq: echoed.seq } }),
    );
    await live({ user: ["user.updated"] }, () =>
      call("PATCH", "/users/me", { token: other.token, body: { display_name: "Observer Prime", status_emoji: "🌴" } }),
    );
    await live({ channel: ["channel.updated"] }, () =>
      call("PATCH", `/channels/${room.id}`, { token: bob.token, body: { topic: "weekly", purpose: "plans" } }),
    );
    await live({ channel: ["channel.archived"] }, () => call("POST", `/channels/${room.id}/archive`, { token: observer.token }));
    await live({ channel: ["channel.unarchived"] }, () => call("POST", `/channels/${room.id}/unarchive`, { token: observer.token }));
    await live({ channel: ["member.left"] }, () => call("POST", `/channels/${room.id}/leave`, { token: bob.token }));
    // Another channel the observer is added to: announced by channel.added, then its own events.
    const elsewhere = await createChannel(owner);
    await live({ channel: ["member.joined"], user: ["channel.added"] }, () => addMembers(owner, elsewhere.id, observer));
    await live({ channel: ["channel.updated"] }, () =>
      call("PATCH", `/channels/${elsewhere.id}`, { token: owner.token, body: { topic: "news" } }),
    );
    await live({ channel: ["member.joined"] }, () => addMembers(owner, elsewhere.id, bob));
    // Removed: channel.removed, and nothing more from that channel (not even its member.left).
    await live({ user: ["channel.removed"] }, () => call("DELETE", `/channels/${elsewhere.id}/members/${meId}`, { token: owner.token }));
    await live({ user: ["channel.added"] }, () => call("POST", "/dms", { token: bob.token, body: { user_ids: [meId] } }));

    expect([...seen].filter((t) => CHANNEL_TYPES.includes(t as never)).sort()).toEqual(CHANNEL_TYPES);
    expect([...seen].filter((t) => USER_TYPES.includes(t as never)).sort()).toEqual(USER_TYPES);

    // A device that saw nothing since the start resumes: the replay rebuilds the same state.
    const resumed = await openLiveSocket(observer.token, { user_seq: userSeqAtStart, channels: { [room.id]: initial.room?.head ?? 0 } });
    const replay = resumed.replay.filter(isEvent);
    expect(replay.length).toBeGreaterThan(0);
    const rebuilt = settle(
      replay.reduce((v, e) => apply(v, e, meId, room.id), initial),
      meId,
    );
    expect(rebuilt).toEqual(await fetchView(observer, room.id));
    // And live on the resumed socket as on the first.
    await verify(resumed.ws, { channel: ["message.created"] }, () => sent(observer, room.id, "after the resume"));
    ws.close();
    resumed.ws.close();
  }, 60_000);
});
