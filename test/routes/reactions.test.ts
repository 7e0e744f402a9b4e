import { describe, expect, it } from "vitest";
import { EMOJI_SHORTCODES } from "../../src/protocol/emojiShortcodes";
import { MAX_REACTIONS_PER_MESSAGE } from "../../src/protocol/messages";
import {
  addMembers,
  allEvents,
  createChannel,
  expectStatus,
  fetchMessage,
  react,
  reactionPath,
  replied,
  sent,
  workspace,
} from "../channelFixtures";
import { call, expectProblem } from "../helpers";

// Reactions (API.md "Reactions"): PUT adds, DELETE removes, both idempotent; every change is a
// channel event with its own seq.

async function scene() {
  const ws = await workspace();
  const carol = ws.admin;
  const channel = await createChannel(ws.alice);
  await addMembers(ws.alice, channel.id, ws.bob, carol);
  const message = await sent(ws.alice, channel.id, "react to me");
  return { ...ws, carol, channel, message };
}

const headOf = async (as: Parameters<typeof allEvents>[0], channelId: string) => (await allEvents(as, channelId)).at(-1)?.seq ?? 0;

describe("PUT and DELETE /channels/{id}/messages/{message_id}/reactions/{emoji}", () => {
  it("adds and removes idempotently, :+1: and 👍 being one reaction; only changes append events", async () => {
    const { alice, bob, carol, channel, message } = await scene();
    const head = await headOf(alice, channel.id);
    const added = expectStatus(await react(bob, channel.id, message.id, "👍"), 200);
    expect(added).toEqual({ ...message, reactions: [{ emoji: "👍", count: 1, user_ids: [bob.user.id] }] });
    expect(expectStatus(await react(bob, channel.id, message.id, "👍"), 200)).toEqual(added);
    expect(expectStatus(await react(bob, channel.id, message.id, ":+1:"), 200)).toEqual(added);
    const both = expectStatus(await react(carol, channel.id, message.id, ":thumbsup:"), 200);
    expect(both.reactions).toEqual([{ emoji: "👍", count: 2, user_ids: [bob.user.id, carol.user.id] }]);
    expect(expectStatus(await react(bob, channel.id, message.id, "👍", "DELETE"), 200).reactions).toEqual([
      { emoji: "👍", count: 1, user_ids: [carol.user.id] },
    ]);
    expectStatus(await react(bob, channel.id, message.id, "👍", "DELETE"), 200);
    expect(expectStatus(await react(carol, channel.id, message.id, ":+1:", "DELETE"), 200)).toEqual(message);
    expect(await fetchMessage(alice, channel.id, message)).toEqual(message);

    const events = await allEvents(alice, channel.id, head);
    const data = (user: { user: { id: string } }) => ({
      message_id: message.id,
      message_seq: message.seq,
      emoji: "👍",
      user_id: user.user.id,
    });
    expect(events.map((e) => [e.seq, e.type, e.data])).toEqual([
      [head + 1, "reaction.added", data(bob)],
      [head + 2, "reaction.added", data(carol)],
      [head + 3, "reaction.removed", data(bob)],
      [head + 4, "reaction.removed", data(carol)],
    ]);
  });

  it("groups by emoji in order of first use (an emptied group comes back last), reactors in the order they reacted", async () => {
    const { alice, bob, carol, channel, message } = await scene();
    await react(bob, channel.id, message.id, "🎉");
    await react(carol, channel.id, message.id, "👀");
    await react(alice, channel.id, message.id, ":tada:");
    await react(alice, channel.id, message.id, "❤"); // text presentation: stored as ❤️
    await react(carol, channel.id, message.id, "🎉");
    await react(carol, channel.id, message.id, "👀", "DELETE");
    await react(bob, channel.id, message.id, "👀");
    const expected = [
      { emoji: "🎉", count: 3, user_ids: [bob.user.id, alice.user.id, carol.user.id] },
      { emoji: "❤️", count: 1, user_ids: [alice.user.id] },
      { emoji: "👀", count: 1, user_ids: [bob.user.id] },
    ];
    expect((await fetchMessage(alice, channel.id, message)).reactions).toEqual(expected);
    // Edits carry the reactions along; replies have their own.
    const edited = expectStatus(
      await call("PATCH", `/channels/${channel.id}/messages/${message.id}`, { token: alice.token, body: { text: "edited" } }),
      200,
    );
    expect(edited.reactions).toEqual(expected);
    expect((await allEvents(alice, channel.id)).at(-1)).toMatchObject({ type: "message.updated", data: { reactions: expected } });
    const reply = await replied(bob, channel.id, message.id, "a reply");
    expect(expectStatus(await react(alice, channel.id, reply.id, "🚀"), 200).reactions).toEqual([
      { emoji: "🚀", count: 1, user_ids: [alice.user.id] },
    ]);
    expect((await fetchMessage(alice, channel.id, reply)).reactions).toHaveLength(1);
    // A deleted message loses its reactions (the tombstone says so) and takes no new ones.
    expectStatus(await call("DELETE", `/channels/${channel.id}/messages/${message.id}`, { token: alice.token }), 204);
    expect((await fetchMessage(alice, channel.id, message)).reactions).toEqual([]);
    expectProblem(await react(bob, channel.id, message.id, "👍"), 409, "message_deleted");
    expectProblem(await react(bob, channel.id, message.id, "🎉", "DELETE"), 409, "message_deleted");
  });

  it("accepts one emoji of any shape, raw or percent-encoded in the path; anything else is 422 invalid_emoji", async () => {
    const { bob, channel, message } = await scene();
    const accepted = ["👍🏽", "👩🏽‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "1️⃣", "🇯🇵", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", ":white_check_mark:"];
    for (const emoji of accepted) expectStatus(await react(bob, channel.id, message.id, emoji), 200);
    expectStatus(await call("PUT", `/channels/${channel.id}/messages/${message.id}/reactions/🦀`, { token: bob.token }), 200);
    expectStatus(await call("PUT", `/channels/${channel.id}/messages/${message.id}/reactions/:rocket:`, { token: bob.token }), 200);
    const emojis = (await fetchMessage(bob, channel.id, message)).reactions.map((r: { emoji: string }) => r.emoji);
    expect(emojis).toEqual([...accepted.slice(0, -1), "✅", "🦀", "🚀"]);

    const refused = ["a", "ab", "👍👍", "👍 ", ":nope:", ":+1", "🇫", "x".repeat(40), "<script>", "\u0000", "%ZZ", "%F0%9F"];
    for (const emoji of refused) {
      const problem = expectProblem(await react(bob, channel.id, message.id, emoji), 422, "invalid_emoji");
      expect(problem.errors).toEqual([{ path: "emoji", message: expect.any(String) }]);
    }
    // Raw, badly encoded path segments are answered too.
    for (const raw of ["%ZZ", "%F0%9F", "%C0%AF", "%00"])
      expect((await call("PUT", `/channels/${channel.id}/messages/${message.id}/reactions/${raw}`, { token: bob.token })).status).toBe(422);
    expectProblem(await react(bob, channel.id, message.id, "ab", "DELETE"), 422, "invalid_emoji");
  });

  it(`takes at most ${MAX_REACTIONS_PER_MESSAGE} different emoji per message (409); more people on one already there are fine`, async () => {
    const { alice, bob, channel, message } = await scene();
    const distinct = [...new Set(EMOJI_SHORTCODES.values())].slice(0, MAX_REACTIONS_PER_MESSAGE + 1);
    const head = await headOf(alice, channel.id);
    const answers = await Promise.all(distinct.slice(0, -1).map((e) => react(bob, channel.id, message.id, e)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expectProblem(await react(alice, channel.id, message.id, distinct.at(-1) as string), 409, "too_many_reactions");
    expectStatus(await react(alice, channel.id, message.id, distinct[0] as string), 200);
    const reactions = (await fetchMessage(alice, channel.id, message)).reactions;
    expect(reactions).toHaveLength(MAX_REACTIONS_PER_MESSAGE);
    // The 50 adds raced each other, so distinct[0] may sit anywhere in the list.
    expect(reactions.find((r: { emoji: string }) => r.emoji === distinct[0])).toEqual({
      emoji: distinct[0],
      count: 2,
      user_ids: [bob.user.id, alice.user.id],
    });
    // The concurrent adds are in the log in the order they were applied, which is the order shown.
    const added = (await allEvents(alice, channel.id, head)).filter((e) => e.type === "reaction.added" && e.data.user_id === bob.user.id);
    expect(added.map((e) => e.data.emoji)).toEqual(reactions.map((r: { emoji: string }) => r.emoji));
    // Removing one makes room again.
    expectStatus(await react(bob, channel.id, message.id, distinct[1] as string, "DELETE"), 200);
    expectStatus(await react(alice, channel.id, message.id, distinct.at(-1) as string), 200);
  });

  it("members only: a public channel's readers get 403, private channels and guests 404; unknown ids 404; archived 409", async () => {
    const { owner, alice, guest, channel, message } = await scene();
    expectProblem(await react(owner, channel.id, message.id, "👍"), 403, "not_a_member");
    expectProblem(await react(owner, channel.id, message.id, "👍", "DELETE"), 403, "not_a_member");
    expectProblem(await react(guest, channel.id, message.id, "👍"), 404, "channel_not_found");
    const priv = await createChannel(alice, { is_private: true });
    const secret = await sent(alice, priv.id, "secret");
    expectProblem(await react(owner, priv.id, secret.id, "👍"), 404, "channel_not_found");
    expectProblem(await react(alice, channel.id, "m_00000000000000000000000000", "👍"), 404, "message_not_found");
    expectProblem(await react(alice, channel.id, secret.id, "👍"), 404, "message_not_found"); // another channel's message
    expectProblem(await react(alice, channel.id, "nope", "👍"), 404);
    expectProblem(await react(alice, "c_nope", message.id, "👍"), 404);
    expectProblem(await call("PUT", reactionPath(channel.id, message.id, "👍"), {}), 401);
    expectStatus(await react(alice, channel.id, message.id, "👍"), 200);
    expectStatus(await call("POST", `/channels/${channel.id}/archive`, { token: alice.token }), 200);
    expectProblem(await react(alice, channel.id, message.id, "🎉"), 409, "channel_archived");
    expectProblem(await react(alice, channel.id, message.id, "👍", "DELETE"), 409, "channel_archived");
    expect((await fetchMessage(owner, channel.id, message)).reactions).toEqual([{ emoji: "👍", count: 1, user_ids: [alice.user.id] }]);
  });
});
