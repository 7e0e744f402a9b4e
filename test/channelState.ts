import { expect } from "vitest";
import { allEvents, allReplies, expectStatus } from "./channelFixtures";
import { type Account, call } from "./helpers";

// A channel as a client holds it, fetched over HTTP, and what a client does with each channel
// event: the two halves of verify_action (test/protocol/channelEvents.test.ts against the event
// log, test/integration/verifyAction.test.ts against the socket and resume).

/** The channel as a client holds it: history, every thread's replies (by root id), pins and members. */
export type ChannelState = { channel: any; messages: any[]; threads: Record<string, any[]>; pins: any[]; members: any[]; head: number };

export async function fetchChannelState(as: Account, channelId: string): Promise<ChannelState> {
  const [channel, messages, members, pins, events] = await Promise.all([
    call("GET", `/channels/${channelId}`, { token: as.token }),
    call("GET", `/channels/${channelId}/messages?limit=200`, { token: as.token }),
    call("GET", `/channels/${channelId}/members?limit=1000`, { token: as.token }),
    call("GET", `/channels/${channelId}/pins`, { token: as.token }),
    allEvents(as, channelId),
  ]);
  const history = expectStatus(messages, 200).items;
  const roots = history.filter((m: any) => m.thread_root_id === null);
  const replies = await Promise.all(roots.map((m: any) => allReplies(as, channelId, m.id)));
  return {
    channel: expectStatus(channel, 200),
    messages: history,
    threads: Object.fromEntries(roots.map((m: any, i: number) => [m.id, replies[i]])),
    pins: expectStatus(pins, 200).items,
    members: expectStatus(members, 200).items,
    head: events.at(-1)?.seq ?? 0,
  };
}

/** Replaces message `id` wherever the client holds a copy: history, threads, pins. */
function updateMessage(state: ChannelState, id: string, change: (m: any) => any): Pick<ChannelState, "messages" | "threads" | "pins"> {
  const each = (m: any) => (m.id === id ? change(m) : m);
  return {
    messages: state.messages.map(each),
    threads: Object.fromEntries(Object.entries(state.threads).map(([root, replies]) => [root, replies.map(each)])),
    pins: state.pins.map((p) => (p.message_id === id ? { ...p, message: change(p.message) } : p)),
  };
}

/** Changes the files of every message the client holds. */
function updateFiles(state: ChannelState, change: (files: any[]) => any[]): Pick<ChannelState, "messages" | "threads" | "pins"> {
  const each = (m: any) => ({ ...m, files: change(m.files) });
  return {
    messages: state.messages.map(each),
    threads: Object.fromEntries(Object.entries(state.threads).map(([root, replies]) => [root, replies.map(each)])),
    pins: state.pins.map((p) => ({ ...p, message: each(p.message) })),
  };
}

/** reaction.added appends to its emoji's group (or a new group last); reaction.removed takes away, dropping an empty group. */
function reacted(m: any, { emoji, user_id }: { emoji: string; user_id: string }, added: boolean) {
  const group = m.reactions.find((r: any) => r.emoji === emoji);
  if (added)
    return {
      ...m,
      reactions: group
        ? m.reactions.map((r: any) => (r === group ? { ...r, count: r.count + 1, user_ids: [...r.user_ids, user_id] } : r))
        : [...m.reactions, { emoji, count: 1, user_ids: [user_id] }],
    };
  return {
    ...m,
    reactions: m.reactions
      .map((r: any) => (r === group ? { ...r, count: r.count - 1, user_ids: r.user_ids.filter((u: string) => u !== user_id) } : r))
      .filter((r: any) => r.count > 0),
  };
}

/** What a client does with a channel event. */
export function applyChannelEvent(state: ChannelState, event: any): ChannelState {
  expect(event.seq).toBe(state.head + 1);
  const next = { ...state, head: event.seq };
  switch (event.type) {
    case "message.created": {
      const m = event.data;
      if (m.thread_root_id === null) return { ...next, messages: [m, ...state.messages], threads: { ...state.threads, [m.id]: [] } };
      const threads = { ...state.threads, [m.thread_root_id]: [...(state.threads[m.thread_root_id] ?? []), m] };
      return { ...next, threads, messages: m.also_send_to_channel ? [m, ...state.messages] : state.messages };
    }
    case "message.updated":
    case "message.deleted":
      return { ...next, ...updateMessage(state, event.data.id, () => event.data) };
    case "reaction.added":
    case "reaction.removed":
      return { ...next, ...updateMessage(state, event.data.message_id, (m) => reacted(m, event.data, event.type === "reaction.added")) };
    case "pin.added":
      return { ...next, pins: [event.data, ...state.pins] };
    case "pin.removed":
      return { ...next, pins: state.pins.filter((p) => p.message_id !== event.data.message_id) };
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
    case "file.updated": {
      const file = event.data.file;
      return { ...next, ...updateFiles(state, (files) => files.map((f: any) => (f.id === file.id ? file : f))) };
    }
    case "file.deleted":
      return { ...next, ...updateFiles(state, (files) => files.filter((f: any) => f.id !== event.data.file_id)) };
    default:
      throw new Error(`unknown event type ${event.type}`);
  }
}
