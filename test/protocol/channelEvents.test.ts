import { describe, expect, it } from "vitest";
import { ChannelEventSchema } from "../../src/protocol/channelEvents";
import { addMembers, allEvents, channelName, createChannel, expectStatus, sent, workspace } from "../channelFixtures";
import type { Account } from "../helpers";
import { call } from "../helpers";

// Zulip's verify_action: for every channel event type, a client that applies the events to the
// state it fetched before must end up with exactly what a fresh fetch returns.

type State = { channel: any; messages: any[]; members: any[]; head: number };

async function fetchState(as: Account, channelId: string): Promise<State> {
  const [channel, messages, members, events] = await Promise.all([
    call("GET", `/channels/${channelId}`, { token: as.token }),
    call("GET", `/channels/${channelId}/messages?limit=200`, { token: as.token }),
    call("GET", `/channels/${channelId}/members?limit=1000`, { token: as.token }),
    allEvents(as, channelId),
  ]);
  return {
    channel: expectStatus(channel, 200),
    messages: expectStatus(messages, 200).items,
    members: expectStatus(members, 200).items,
    head: events.at(-1)?.seq ?? 0,
  };
}

/** What a client does with a channel event. */
function apply(state: State, event: any): State {
  expect(event.seq).toBe(state.head + 1);
  const next = { ...state, head: event.seq };
  switch (event.type) {
    case "message.created":
      return { ...next, messages: [event.data, ...state.messages] };
    case "message.updated":
    case "message.deleted":
      return { ...next, messages: state.messages.map((m) => (m.id === event.data.id ? event.data : m)) };
    case "member.joined":
      return {
        ...next,
        channel: { ...state.channel, member_count: state.channel.member_count + 1 },
        members: [...state.members, event.data].sort((a, b) => (a.user_id < b.user_id ? -1 : 1)),
      };
    case "member.left":
      return {
        ...next,
        channel: { ...state.channel, member_count: state.channel.member_count - 1 },
        members: state.members.filter((m) => m.user_id !== event.data.user_id),
      };
    case "channel.updated":
    case "channel.archived":
    case "channel.unarchived":
      return { ...next, channel: event.data };
    default:
      throw new Error(`unknown event type ${event.type}`);
  }
}

describe("channel events rebuild the state a fresh fetch returns (verify_action)", () => {
  it("for every event type, one action at a time and all at once", async () => {
    const { owner, alice, bob } = await workspace();
    const channel = await createChannel(alice);
    const observer = owner;
    let first: any;
    const actions: [string, () => Promise<unknown>][] = [
      ["message.created", async () => (first = await sent(alice, channel.id, "hello"))],
      ["member.joined", () => call("POST", `/channels/${channel.id}/join`, { token: bob.token })],
      ["message.created", () => sent(bob, channel.id, `hi @${alice.user.username}`)],
      [
        "message.updated",
        () => call("PATCH", `/channels/${channel.id}/messages/${first.id}`, { token: alice.token, body: { text: "hello, all" } }),
      ],
      ["member.joined", () => addMembers(alice, channel.id, owner)],
      [
        "channel.updated",
        () => call("PATCH", `/channels/${channel.id}`, { token: bob.token, body: { topic: "weekly", purpose: "plans" } }),
      ],
      ["channel.updated", () => call("PATCH", `/channels/${channel.id}`, { token: alice.token, body: { name: channelName("renamed") } })],
      ["message.deleted", () => call("DELETE", `/channels/${channel.id}/messages/${first.id}`, { token: alice.token })],
      ["member.left", () => call("POST", `/channels/${channel.id}/leave`, { token: bob.token })],
      ["channel.archived", () => call("POST", `/channels/${channel.id}/archive`, { token: alice.token })],
      ["channel.unarchived", () => call("POST", `/channels/${channel.id}/unarchive`, { token: alice.token })],
      ["member.left", () => call("DELETE", `/channels/${channel.id}/members/${owner.user.id}`, { token: alice.token })],
    ];

    const initial = await fetchState(observer, channel.id);
    const seenTypes = new Set<string>();
    for (const [type, act] of actions) {
      const stale = await fetchState(observer, channel.id);
      await act();
      const events = await allEvents(observer, channel.id, stale.head);
      expect(events.map((e) => e.type)).toEqual([type]);
      for (const e of events) expect(ChannelEventSchema.safeParse(e).success).toBe(true);
      expect(events.reduce(apply, stale)).toEqual(await fetchState(observer, channel.id));
      seenTypes.add(type);
    }
    expect([...seenTypes].sort()).toEqual(
      [
        "channel.archived",
        "channel.unarchived",
        "channel.updated",
        "member.joined",
        "member.left",
        "message.created",
        "message.deleted",
        "message.updated",
      ].sort(),
    );
    const everything = await allEvents(observer, channel.id, initial.head);
    expect(everything.reduce(apply, initial)).toEqual(await fetchState(observer, channel.id));
  });
});
