import { expect } from "vitest";
import { type Account, call, type Reply, registerOwner, signUp } from "./helpers";

// Fixtures for the channel, message and DM suites, on top of the shared helpers.

let names = 0;
/** A fresh valid channel name. */
export const channelName = (prefix = "ch") => `${prefix}-${(names++).toString(36)}-${crypto.randomUUID().slice(0, 8)}`;

/** Asserts the status and returns the body. */
export function expectStatus<T = any>(reply: Reply<T>, status: number): T {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  return reply.body;
}

/** An owner (who created #general), two members, an admin and a guest. */
export async function workspace() {
  const owner = await registerOwner();
  const [alice, bob, admin, guest] = await Promise.all([
    signUp(owner.token, { username: `alice${names++}` }),
    signUp(owner.token, { username: `bob${names++}` }),
    signUp(owner.token, { role: "admin" }),
    signUp(owner.token, { role: "guest" }),
  ]);
  return { owner, alice, bob, admin, guest };
}

export async function createChannel(as: Account, body: { name?: string; is_private?: boolean; topic?: string; purpose?: string } = {}) {
  return expectStatus(await call("POST", "/channels", { token: as.token, body: { name: channelName(), ...body } }), 201);
}

export async function addMembers(as: Account, channelId: string, ...people: Account[]) {
  return expectStatus(
    await call("POST", `/channels/${channelId}/members`, { token: as.token, body: { user_ids: people.map((p) => p.user.id) } }),
    200,
  );
}

type SendExtra = { client_msg_id?: string; thread_root_id?: string; also_send_to_channel?: boolean; file_ids?: string[] };

export function send(as: Account, channelId: string, text: string, extra: SendExtra = {}) {
  return call("POST", `/channels/${channelId}/messages`, { token: as.token, body: { text, ...extra } });
}

export async function sent(as: Account, channelId: string, text: string, extra: SendExtra = {}) {
  return expectStatus(await send(as, channelId, text, extra), 201);
}

/** Every event of a channel, oldest first, following `has_more`. */
export async function allEvents(as: Account, channelId: string, after = 0): Promise<any[]> {
  const items: any[] = [];
  for (let cursor = after; ; ) {
    const page = expectStatus(await call("GET", `/channels/${channelId}/events?after=${cursor}&limit=500`, { token: as.token }), 200);
    items.push(...page.items);
    if (!page.has_more) return items;
    cursor = page.items.at(-1).seq;
  }
}

/** A thread reply, asserted 201. */
export function replied(as: Account, channelId: string, rootId: string, text: string, extra: Omit<SendExtra, "thread_root_id"> = {}) {
  return sent(as, channelId, text, { ...extra, thread_root_id: rootId });
}

export const reactionPath = (channelId: string, messageId: string, emoji: string) =>
  `/channels/${channelId}/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`;

/** PUT (add) or DELETE (remove) a reaction. */
export function react(as: Account, channelId: string, messageId: string, emoji: string, method: "PUT" | "DELETE" = "PUT") {
  return call(method, reactionPath(channelId, messageId, emoji), { token: as.token });
}

/** PUT (pin) or DELETE (unpin) a pin. */
export function pin(as: Account, channelId: string, messageId: string, method: "PUT" | "DELETE" = "PUT") {
  return call(method, `/channels/${channelId}/pins/${messageId}`, { token: as.token });
}

/** PUT (follow) or DELETE (unfollow) a thread. */
export function follow(as: Account, channelId: string, rootId: string, method: "PUT" | "DELETE" = "PUT") {
  return call(method, `/channels/${channelId}/messages/${rootId}/follow`, { token: as.token });
}

/** The caller's followed threads (GET /users/me/threads), asserted 200. */
export async function myThreads(as: Account): Promise<any[]> {
  return expectStatus(await call("GET", "/users/me/threads", { token: as.token }), 200).items;
}

/** Every reply of a thread, oldest first, following `has_more`. */
export async function allReplies(as: Account, channelId: string, rootId: string): Promise<any[]> {
  const items: any[] = [];
  for (let after = 0; ; ) {
    const page = expectStatus(
      await call("GET", `/channels/${channelId}/messages/${rootId}/replies?after=${after}&limit=200`, { token: as.token }),
      200,
    );
    items.push(...page.items);
    if (!page.has_more) return items;
    after = page.items.at(-1).seq;
  }
}

/** One message as the channel shows it now (history or, for a reply, its thread). */
export async function fetchMessage(as: Account, channelId: string, message: { id: string; seq: number; thread_root_id: string | null }) {
  const items = message.thread_root_id
    ? await allReplies(as, channelId, message.thread_root_id)
    : expectStatus(await call("GET", `/channels/${channelId}/messages?after=${message.seq - 1}&limit=1`, { token: as.token }), 200).items;
  return items.find((m: { id: string }) => m.id === message.id);
}
