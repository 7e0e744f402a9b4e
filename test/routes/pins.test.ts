import { describe, expect, it } from "vitest";
import { MAX_PINS_PER_CHANNEL } from "../../src/protocol/pins";
import { addMembers, allEvents, createChannel, expectStatus, pin, react, replied, sent, workspace } from "../channelFixtures";
import { type Account, call, expectProblem } from "../helpers";

// Pins (API.md "Pins"): PUT pins, DELETE unpins, both idempotent; GET lists newest first.

async function scene() {
  const ws = await workspace();
  const channel = await createChannel(ws.alice);
  await addMembers(ws.alice, channel.id, ws.bob);
  const first = await sent(ws.alice, channel.id, "first");
  const second = await sent(ws.bob, channel.id, "second");
  return { ...ws, channel, first, second };
}

const pins = async (as: Account, channelId: string) =>
  expectStatus(await call("GET", `/channels/${channelId}/pins`, { token: as.token }), 200).items;
const headOf = async (as: Account, channelId: string) => (await allEvents(as, channelId)).at(-1)?.seq ?? 0;

describe("pins", () => {
  it("pins and unpins idempotently, listed newest first with the message and who pinned it; only changes append events", async () => {
    const { alice, bob, channel, first, second } = await scene();
    const head = await headOf(alice, channel.id);
    const a = expectStatus(await pin(bob, channel.id, first.id), 200);
    expect(a).toEqual({ message_id: first.id, pinned_by: bob.user.id, pinned_at: expect.any(String), message: first });
    expect(expectStatus(await pin(alice, channel.id, first.id), 200)).toEqual(a);
    const b = expectStatus(await pin(alice, channel.id, second.id), 200);
    expect(await pins(bob, channel.id)).toEqual([b, a]);

    expectStatus(await pin(alice, channel.id, first.id, "DELETE"), 204);
    expectStatus(await pin(alice, channel.id, first.id, "DELETE"), 204);
    expect(await pins(bob, channel.id)).toEqual([b]);
    const again = expectStatus(await pin(bob, channel.id, first.id), 200);
    expect(await pins(bob, channel.id)).toEqual([again, b]);

    const events = await allEvents(alice, channel.id, head);
    expect(events.map((e) => [e.seq, e.type])).toEqual([
      [head + 1, "pin.added"],
      [head + 2, "pin.added"],
      [head + 3, "pin.removed"],
      [head + 4, "pin.added"],
    ]);
    expect(events[0].data).toEqual(a);
    expect(events[2].data).toEqual({ message_id: first.id, pinned_by: bob.user.id, pinned_at: a.pinned_at, unpinned_by: alice.user.id });
    expect(events[3].data).toEqual(again);
  });

  it("lists pins with the message as it is now (edits, reactions); replies can be pinned too", async () => {
    const { alice, bob, channel, first } = await scene();
    const reply = await replied(bob, channel.id, first.id, "a reply worth pinning");
    expectStatus(await pin(alice, channel.id, first.id), 200);
    expectStatus(await pin(alice, channel.id, reply.id), 200);
    expectStatus(
      await call("PATCH", `/channels/${channel.id}/messages/${first.id}`, { token: alice.token, body: { text: "edited" } }),
      200,
    );
    expectStatus(await react(bob, channel.id, first.id, "📌"), 200);
    const [pinnedReply, pinnedRoot] = await pins(alice, channel.id);
    expect(pinnedReply.message.thread_root_id).toBe(first.id);
    expect(pinnedRoot.message).toMatchObject({
      text: "edited",
      reply_count: 1,
      reactions: [{ emoji: "📌", count: 1, user_ids: [bob.user.id] }],
    });
  });

  it("deleting a pinned message unpins it: message.deleted, then pin.removed, in one step", async () => {
    const { alice, bob, channel, first, second } = await scene();
    expectStatus(await pin(bob, channel.id, first.id), 200);
    expectStatus(await pin(bob, channel.id, second.id), 200);
    const head = await headOf(alice, channel.id);
    expectStatus(await call("DELETE", `/channels/${channel.id}/messages/${first.id}`, { token: alice.token }), 204);
    const events = await allEvents(alice, channel.id, head);
    expect(events.map((e) => e.type)).toEqual(["message.deleted", "pin.removed"]);
    expect(events[1].data).toMatchObject({ message_id: first.id, pinned_by: bob.user.id, unpinned_by: alice.user.id });
    expect((await pins(alice, channel.id)).map((p: { message_id: string }) => p.message_id)).toEqual([second.id]);
    expectProblem(await pin(alice, channel.id, first.id), 409, "message_deleted");
    expectStatus(await pin(alice, channel.id, first.id, "DELETE"), 204);
  });

  it(`keeps at most ${MAX_PINS_PER_CHANNEL} pins per channel (409 too_many_pins)`, async () => {
    const { alice, channel, first, second } = await scene();
    const more = [];
    for (let i = 0; i < MAX_PINS_PER_CHANNEL; i += 25)
      more.push(...(await Promise.all(Array.from({ length: 25 }, (_, j) => sent(alice, channel.id, `m${i + j}`)))));
    const ids = [first.id, ...more.map((m) => m.id)].slice(0, MAX_PINS_PER_CHANNEL);
    const answers = await Promise.all(ids.map((id) => pin(alice, channel.id, id)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expectProblem(await pin(alice, channel.id, second.id), 409, "too_many_pins");
    expectStatus(await pin(alice, channel.id, ids[0] as string), 200); // already pinned: still fine
    expect(await pins(alice, channel.id)).toHaveLength(MAX_PINS_PER_CHANNEL);
    expectStatus(await pin(alice, channel.id, ids[5] as string, "DELETE"), 204);
    expectStatus(await pin(alice, channel.id, second.id), 200);
  });

  it("readable by whoever may read the channel; pinning is for members; unknown ids 404; archived 409", async () => {
    const { owner, alice, guest, channel, first } = await scene();
    expectStatus(await pin(alice, channel.id, first.id), 200);
    expect(await pins(owner, channel.id)).toHaveLength(1); // a reader of a public channel
    expectProblem(await pin(owner, channel.id, first.id), 403, "not_a_member");
    expectProblem(await pin(owner, channel.id, first.id, "DELETE"), 403, "not_a_member");
    expectProblem(await call("GET", `/channels/${channel.id}/pins`, { token: guest.token }), 404, "channel_not_found");
    expectProblem(await pin(guest, channel.id, first.id), 404, "channel_not_found");
    const priv = await createChannel(alice, { is_private: true });
    const secret = await sent(alice, priv.id, "secret");
    expectProblem(await call("GET", `/channels/${priv.id}/pins`, { token: owner.token }), 404, "channel_not_found");
    expectProblem(await pin(owner, priv.id, secret.id), 404, "channel_not_found");
    expectProblem(await pin(alice, channel.id, secret.id), 404, "message_not_found");
    expectProblem(await pin(alice, channel.id, "m_00000000000000000000000000", "DELETE"), 404, "message_not_found");
    expectProblem(await pin(alice, channel.id, "bad"), 404);
    expectProblem(await call("GET", "/channels/nope/pins", { token: alice.token }), 404);
    expectStatus(await call("POST", `/channels/${channel.id}/archive`, { token: alice.token }), 200);
    const second = await call("GET", `/channels/${channel.id}/pins`, { token: alice.token });
    expect(expectStatus(second, 200).items).toHaveLength(1);
    expectProblem(await pin(alice, channel.id, first.id, "DELETE"), 409, "channel_archived");
    expectProblem(await pin(alice, channel.id, first.id), 409, "channel_archived");
  });
});
