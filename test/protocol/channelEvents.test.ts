import { describe, expect, it } from "vitest";
import { ChannelEventSchema } from "../../src/protocol/channelEvents";
import { addMembers, allEvents, channelName, createChannel, expectStatus, pin, react, replied, sent, workspace } from "../channelFixtures";
import { applyChannelEvent as apply, fetchChannelState as fetchState } from "../channelState";
import { createFile, putBytes, scanned } from "../fileFixtures";
import type { Account } from "../helpers";
import { call } from "../helpers";

// Zulip's verify_action: for every channel event type, a client that applies the events to the
// state it fetched before must end up with exactly what a fresh fetch returns.

/** Every channel event type the protocol defines: a new one fails these tests until an action below covers it. */
const EVENT_TYPES = ChannelEventSchema.options.map((o) => o.shape.type.value).sort();

type Action = [string | string[], () => Promise<unknown>];

/**
 * Runs each action against a snapshot the observer fetched just before it: the action's events
 * (of the listed types, in order) applied to that stale snapshot equal a fresh fetch. Then all of
 * them at once, from the snapshot before the first. Returns the event types seen.
 */
async function verifyActions(observer: Account, channelId: string, actions: Action[]): Promise<Set<string>> {
  const initial = await fetchState(observer, channelId);
  const seenTypes = new Set<string>();
  for (const [types, act] of actions) {
    const stale = await fetchState(observer, channelId);
    await act();
    const events = await allEvents(observer, channelId, stale.head);
    expect(events.map((e) => e.type)).toEqual([types].flat());
    for (const e of events) expect(ChannelEventSchema.safeParse(e).success).toBe(true);
    expect(events.reduce(apply, stale)).toEqual(await fetchState(observer, channelId));
    for (const type of [types].flat()) seenTypes.add(type);
  }
  const everything = await allEvents(observer, channelId, initial.head);
  expect(everything.reduce(apply, initial)).toEqual(await fetchState(observer, channelId));
  return seenTypes;
}

describe("channel events rebuild the state a fresh fetch returns (verify_action)", () => {
  it("for every event type, one action at a time and all at once", async () => {
    const { owner, alice, bob } = await workspace();
    const channel = await createChannel(alice);
    const observer = owner;
    let first: any;
    let reply: any;
    let echoed: any;
    // A file attached while still uploading; completing it announces `scanning`, the scan `clean`.
    const upload = expectStatus(await createFile(alice, 5, { filename: "notes.txt" }), 201);
    const actions: Action[] = [
      ["message.created", async () => (first = await sent(alice, channel.id, "hello"))],
      ["member.joined", () => call("POST", `/channels/${channel.id}/join`, { token: bob.token })],
      ["message.created", () => sent(bob, channel.id, `hi @${alice.user.username}`)],
      [
        "message.updated",
        () => call("PATCH", `/channels/${channel.id}/messages/${first.id}`, { token: alice.token, body: { text: "hello, all" } }),
      ],
      // A reply: the reply, then its root's new summary.
      [["message.created", "message.updated"], async () => (reply = await replied(bob, channel.id, first.id, "a reply"))],
      [
        ["message.created", "message.updated"],
        async () => (echoed = await replied(alice, channel.id, first.id, "also in channel", { also_send_to_channel: true })),
      ],
      ["reaction.added", () => react(bob, channel.id, first.id, "👍")],
      ["reaction.added", () => react(alice, channel.id, first.id, ":+1:")],
      ["reaction.added", () => react(alice, channel.id, first.id, "🎉")],
      ["reaction.added", () => react(alice, channel.id, reply.id, "👀")],
      ["reaction.added", () => react(bob, channel.id, echoed.id, "✅")],
      ["reaction.removed", () => react(bob, channel.id, first.id, "👍", "DELETE")],
      ["pin.added", () => pin(alice, channel.id, first.id)],
      ["pin.added", () => pin(bob, channel.id, reply.id)],
      ["pin.added", () => pin(bob, channel.id, echoed.id)],
      [
        "message.updated",
        () => call("PATCH", `/channels/${channel.id}/messages/${reply.id}`, { token: bob.token, body: { text: "a better reply" } }),
      ],
      ["reaction.removed", () => react(alice, channel.id, reply.id, "👀", "DELETE")],
      ["pin.removed", () => pin(alice, channel.id, first.id, "DELETE")],
      // Deleting a pinned reply: its tombstone, its unpinning, its root's summary.
      [
        ["message.deleted", "pin.removed", "message.updated"],
        () => call("DELETE", `/channels/${channel.id}/messages/${reply.id}`, { token: bob.token }),
      ],
      ["message.created", () => sent(alice, channel.id, "a file", { file_ids: [upload.file.id] })],
      [
        ["file.updated", "file.updated"],
        async () => {
          expect((await putBytes(upload.upload.url, "hello")).status).toBe(204);
          expectStatus(await call("POST", `/files/${upload.file.id}/complete`, { token: alice.token }), 200);
          expect((await scanned(alice, upload.file.id)).status).toBe("clean");
          // The consumer writes the verdict, then announces it: wait for the announcement.
          while ((await allEvents(alice, channel.id)).filter((e) => e.type === "file.updated").length < 2)
            await new Promise((r) => setTimeout(r, 50));
        },
      ],
      ["file.deleted", () => call("DELETE", `/files/${upload.file.id}`, { token: alice.token })],
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

    expect([...(await verifyActions(observer, channel.id, actions))].sort()).toEqual(EVENT_TYPES);
  });

  it("in a group DM: its messages, topic, a participant leaving and reopening it", async () => {
    const { owner, alice, bob } = await workspace();
    const dm = expectStatus(await call("POST", "/dms", { token: alice.token, body: { user_ids: [bob.user.id, owner.user.id] } }), 201);
    const openAgain = (as: Account) => call("POST", "/dms", { token: as.token, body: { user_ids: [alice.user.id, owner.user.id] } });
    let hello: any;
    const seen = await verifyActions(owner, dm.id, [
      ["message.created", async () => (hello = await sent(alice, dm.id, "hello, both"))],
      ["reaction.added", () => react(bob, dm.id, hello.id, "👋")],
      ["channel.updated", () => call("PATCH", `/channels/${dm.id}`, { token: bob.token, body: { topic: "lunch" } })],
      ["member.left", () => call("POST", `/channels/${dm.id}/leave`, { token: bob.token })],
      // Reopening the group DM puts the participant back (ChannelRoom.restoreDmMember).
      ["member.joined", async () => expect((await openAgain(bob)).status).toBe(200)],
      // A workspace admin may delete in a DM.
      ["message.deleted", () => call("DELETE", `/channels/${dm.id}/messages/${hello.id}`, { token: owner.token })],
    ]);
    expect(seen.size).toBe(6);
  });
});
