import { describe, expect, it } from "vitest";
import { type Colink, ColinkStore, type Message } from "../../../client/index.ts";
import { type Account, api, signUp } from "../client";
import { NodeSocket } from "../socket";
import { eventually, sdkFor } from "./sdkClient";

// Zulip's verify_action, for the SDK's store: a store that loaded its state and then applies the
// events the socket brings must hold exactly what a store loading fresh holds, after every
// action, for every channel event type and every user event type. (The server's own version,
// test/protocol/channelEvents.test.ts, checks the events against GET responses; this one checks
// the client code people use.)

const ok = async <T>(p: Promise<{ status: number; body: T }>, status = 200): Promise<T> => {
  const r = await p;
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  return r.body;
};

/** What the store holds of everything it loaded, in a comparable form. */
function picture(store: ColinkStore, meId: string) {
  const s = store.state;
  const sortKeys = <T>(o: Record<string, T>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    me: s.me,
    meInUsers: s.users[meId],
    channels: sortKeys(s.channels),
    threads: sortKeys(s.threads),
    myThreads: s.myThreads?.slice().sort((a, b) => (a.root.id < b.root.id ? -1 : 1)) ?? null,
  };
}

/** Loads into `store` what `like` has loaded: the channel list, and per channel the parts it holds. */
async function loadLike(store: ColinkStore, like: ColinkStore) {
  await store.loadInitial();
  const loads: Promise<void>[] = [];
  for (const [id, v] of Object.entries(like.state.channels)) {
    if (!store.state.channels[id]) continue;
    if (v.history) loads.push(store.loadHistory(id));
    if (v.pins) loads.push(store.loadPins(id));
    if (v.members) loads.push(store.loadMembers(id));
  }
  for (const t of Object.values(like.state.threads))
    if (store.state.channels[t.channelId]) loads.push(store.loadThread(t.channelId, t.rootId));
  if (like.state.myThreads) loads.push(store.loadMyThreads());
  await Promise.all(loads);
}

async function channelHead(as: Account, channelId: string): Promise<number> {
  let head = 0;
  for (;;) {
    const r = await api("GET", `/channels/${channelId}/events?after=${head}&limit=500`, { token: as.token });
    if (r.status !== 200) return head;
    const last = r.body.items.at(-1);
    if (last) head = last.seq;
    if (!r.body.has_more) return head;
  }
}

async function userHead(as: Account): Promise<number> {
  const s = await NodeSocket.open(as.token);
  const ready = await s.until((f) => f.type === "ready");
  s.close();
  return ready.match.user_seq as number;
}

/** Waits until the live store has applied everything the server has for it, then compares with a fresh load. */
async function expectFresh(live: Colink, observer: Account, channelIds: string[]) {
  const uHead = await userHead(observer);
  await eventually(() => (live.sync.cursors.userSeq ?? 0) >= uHead, 15_000, `user stream at ${uHead}`);
  for (const id of channelIds) {
    if (!live.store.state.channels[id]) continue;
    const head = await channelHead(observer, id);
    await eventually(() => (live.sync.cursors.channels[id] ?? 0) >= head, 15_000, `channel ${id} at ${head}`);
  }
  await live.sync.idle();
  await live.store.settled();
  const fresh = new ColinkStore({ api: live.api });
  await loadLike(fresh, live.store);
  await fresh.settled();
  expect(picture(live.store, observer.id)).toEqual(picture(fresh, observer.id));
}

describe("SDK store: stale state + events = a fresh load (verify_action)", () => {
  it("for every channel and user event type", async () => {
    const [observer, alice, bob] = await Promise.all([signUp("obs"), signUp("alice"), signUp("bob")]);
    const ch = await ok(api("POST", "/channels", { token: alice.token, body: { name: `verify-${crypto.randomUUID().slice(0, 8)}` } }), 201);
    await ok(api("POST", `/channels/${ch.id}/join`, { token: bob.token }));
    // The observer's other device: same account, its own session.
    const otherDevice = await ok<any>(api("POST", "/auth/login", { body: { login: observer.username, password: observer.password } }));
    const other = { ...observer, token: otherDevice.access_token };

    const live = await sdkFor(observer);
    await live.start();
    try {
      await live.store.loadMyThreads();
      const channels = [ch.id];
      let first: Message | undefined;
      let reply: Message | undefined;
      let echoed: Message | undefined;
      let fileId = "";
      const seen = new Set<string>();
      const expectedTypes = {
        channel: [
          "message.created",
          "message.updated",
          "message.deleted",
          "member.joined",
          "member.left",
          "channel.updated",
          "channel.archived",
          "channel.unarchived",
          "reaction.added",
          "reaction.removed",
          "pin.added",
          "pin.removed",
          "file.updated",
          "file.deleted",
        ],
        user: ["channel.added", "channel.removed", "read.updated", "user.updated", "thread.reply", "thread.read"],
      };
      live.sync.handlers = {
        ...live.sync.handlers,
        channelEvent: (e) => {
          seen.add(e.type);
          live.store.applyChannelEvent(e);
        },
        userEvent: (e) => {
          seen.add(e.type);
          live.store.applyUserEvent(e);
          if (e.type === "channel.removed") live.sync.forget(e.data.channel_id);
        },
      };
      const msg = (as: Account, text: string, extra: Record<string, unknown> = {}) =>
        ok<Message>(
          api("POST", `/channels/${ch.id}/messages`, { token: as.token, body: { text, client_msg_id: crypto.randomUUID(), ...extra } }),
          201,
        );
      const react = (as: Account, id: string, emoji: string, method = "PUT") =>
        ok(api(method, `/channels/${ch.id}/messages/${id}/reactions/${encodeURIComponent(emoji)}`, { token: as.token }));
      const pin = (as: Account, id: string, method = "PUT") =>
        ok(api(method, `/channels/${ch.id}/pins/${id}`, { token: as.token }), method === "PUT" ? 200 : 204);

      const steps: [string, () => Promise<unknown>][] = [
        // channel.added (user) + member.joined (channel)
        ["observer added", () => ok(api("POST", `/channels/${ch.id}/members`, { token: alice.token, body: { user_ids: [observer.id] } }))],
        // What the UI does on opening the channel: loads, then applies events.
        ["open the channel", () => Promise.all([live.store.loadHistory(ch.id), live.store.loadPins(ch.id), live.store.loadMembers(ch.id)])],
        ["a message mentioning the observer", async () => (first = await msg(alice, `hello @${observer.username}`))],
        ["open its thread", () => live.store.loadThread(ch.id, (first as Message).id)],
        ["a plain message", () => msg(bob, "plain words")],
        ["@here", () => msg(bob, "@here standup")],
        ["@channel", () => msg(alice, "@channel release at 5")],
        [
          "an edit",
          () =>
            ok(
              api("PATCH", `/channels/${ch.id}/messages/${(first as Message).id}`, {
                token: alice.token,
                body: { text: `hello, all and @${observer.username}` },
              }),
            ),
        ],
        [
          "an edit that mentions",
          async () => {
            const m = await msg(bob, "will mention later");
            return ok(
              api("PATCH", `/channels/${ch.id}/messages/${m.id}`, { token: bob.token, body: { text: `now @${observer.username}` } }),
            );
          },
        ],
        // message.created (reply) + message.updated (root) + thread.reply (the observer follows: mentioned in the root)
        ["a reply", async () => (reply = await msg(bob, "a reply", { thread_root_id: (first as Message).id }))],
        [
          "a reply also in channel",
          async () => (echoed = await msg(alice, "also in channel", { thread_root_id: (first as Message).id, also_send_to_channel: true })),
        ],
        [
          "reactions",
          async () => {
            await react(bob, (first as Message).id, "👍");
            await react(alice, (first as Message).id, ":+1:");
            await react(alice, (first as Message).id, "🎉");
            await react(alice, (reply as Message).id, "👀");
            await react(bob, (echoed as Message).id, "✅");
          },
        ],
        ["a reaction removed", () => react(bob, (first as Message).id, "👍", "DELETE")],
        [
          "pins",
          async () => {
            await pin(alice, (first as Message).id);
            await pin(bob, (reply as Message).id);
            await pin(bob, (echoed as Message).id);
          },
        ],
        [
          "a reply edited",
          () =>
            ok(
              api("PATCH", `/channels/${ch.id}/messages/${(reply as Message).id}`, { token: bob.token, body: { text: "a better reply" } }),
            ),
        ],
        ["an unpin", () => pin(alice, (first as Message).id, "DELETE")],
        // message.deleted + pin.removed + message.updated (root)
        [
          "a pinned reply deleted",
          () => ok(api("DELETE", `/channels/${ch.id}/messages/${(reply as Message).id}`, { token: bob.token }), 204),
        ],
        [
          "a deleted mention",
          async () => {
            const m = await msg(alice, `@${observer.username} oops`);
            return ok(api("DELETE", `/channels/${ch.id}/messages/${m.id}`, { token: alice.token }), 204);
          },
        ],
        // thread.read, on the observer's other device
        [
          "thread read elsewhere",
          () =>
            ok(
              api("POST", `/channels/${ch.id}/messages/${(first as Message).id}/replies/read`, {
                token: other.token,
                body: { seq: (echoed as Message).seq },
              }),
            ),
        ],
        [
          "read part of the channel elsewhere",
          () => ok(api("POST", `/channels/${ch.id}/read`, { token: other.token, body: { seq: (first as Message).seq } })),
        ],
        ["more unread", () => msg(bob, "after the partial read")],
        [
          "read all elsewhere",
          async () => {
            const head = await api("GET", `/channels/${ch.id}/messages?limit=1`, { token: other.token });
            return ok(api("POST", `/channels/${ch.id}/read`, { token: other.token, body: { seq: head.body.items[0].seq } }));
          },
        ],
        [
          "user.updated",
          () => ok(api("PATCH", "/users/me", { token: other.token, body: { display_name: "Observer Prime", status_emoji: "🌴" } })),
        ],
        // A file posted while it is scanned: file.updated brings the verdict to the message.
        [
          "a message with a file, then its scan verdict (file.updated)",
          async () => {
            const bytes = new TextEncoder().encode("the plan\n");
            const created = await ok<any>(
              api("POST", "/files", {
                token: alice.token,
                body: { filename: "plan.txt", content_type: "text/plain", size: bytes.length, channel_id: ch.id },
              }),
              201,
            );
            fileId = created.file.id as string;
            const put = await fetch(created.upload.url, { method: created.upload.method, headers: created.upload.headers, body: bytes });
            expect(put.ok).toBe(true);
            await ok(api("POST", `/files/${fileId}/complete`, { token: alice.token }));
            await msg(alice, "the plan, attached", { file_ids: [fileId] });
            await eventually(
              async () => (await api("GET", `/files/${fileId}`, { token: alice.token })).body.status === "clean",
              45_000,
              "the file scanned clean",
            );
          },
        ],
        ["a file deleted (file.deleted)", () => ok(api("DELETE", `/files/${fileId}`, { token: alice.token }), 204)],
        [
          "channel.updated",
          () => ok(api("PATCH", `/channels/${ch.id}`, { token: bob.token, body: { topic: "weekly", purpose: "plans" } })),
        ],
        ["member.left", () => ok(api("POST", `/channels/${ch.id}/leave`, { token: bob.token }), 204)],
        ["channel.archived", () => ok(api("POST", `/channels/${ch.id}/archive`, { token: alice.token }))],
        ["channel.unarchived", () => ok(api("POST", `/channels/${ch.id}/unarchive`, { token: alice.token }))],
        [
          "a DM opened (channel.added)",
          async () => {
            const dm = await ok<any>(api("POST", "/dms", { token: bob.token, body: { user_ids: [observer.id] } }), 201);
            channels.push(dm.id);
            await ok(
              api("POST", `/channels/${dm.id}/messages`, { token: bob.token, body: { text: "psst", client_msg_id: crypto.randomUUID() } }),
              201,
            );
          },
        ],
        // member.left + channel.removed
        ["observer removed", () => ok(api("DELETE", `/channels/${ch.id}/members/${observer.id}`, { token: alice.token }), 204)],
      ];
      for (const [name, act] of steps) {
        await act();
        try {
          await expectFresh(live, observer, channels);
        } catch (error) {
          throw new Error(`after "${name}": ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        }
      }
      expect([...expectedTypes.channel, ...expectedTypes.user].filter((t) => !seen.has(t))).toEqual([]);
    } finally {
      live.stop();
    }
  });
});
