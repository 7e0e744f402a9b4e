import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PUBLISH_HEAD_DELAY_MS } from "../../durable-objects/channel-room/HeadPublisher";
import type { UserSession } from "../../durable-objects/user-session/UserSession";
import { addMembers, allEvents, createChannel, expectStatus, send, workspace } from "../channelFixtures";
import { type Account, call } from "../helpers";
import { openLiveSocket } from "../socketClient";

// GET /users/me/channels from each member's UserSession (issue 17, item 4): one call, not one per
// room. The counts must stay exactly the rooms' own: random traffic (sends with and without
// mentions, thread replies, edits, deletes, reads, joins, leaves, DMs), with lists read in between
// so caches exist and must notice what changed, then every list compared with every room.

const room = (channelId: string) => env.CHANNEL_ROOM.getByName(channelId);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Mention = "none" | "user" | "channel" | "here";
type Action =
  | { k: "send"; who: number; ch: number; mention: Mention; target: number; reply: boolean; also: boolean }
  | { k: "edit"; who: number; ch: number; target: number }
  | { k: "delete"; who: number; ch: number }
  | { k: "read"; who: number; ch: number }
  | { k: "join"; who: number; ch: number }
  | { k: "leave"; who: number; ch: number }
  | { k: "dm"; who: number; target: number }
  | { k: "list"; who: number };

const PEOPLE = 4;
const who = fc.nat(PEOPLE - 1);
const ch = fc.nat(5);
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant("send" as const),
      who,
      ch,
      mention: fc.constantFrom<Mention>("none", "none", "user", "channel", "here"),
      target: who,
      reply: fc.boolean(),
      also: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("edit" as const), who, ch, target: who }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("delete" as const), who, ch }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("read" as const), who, ch }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("join" as const), who, ch }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("leave" as const), who, ch }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("dm" as const), who, target: who }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("list" as const), who }) },
);

async function myChannels(as: Account) {
  return expectStatus(await call("GET", "/users/me/channels", { token: as.token }), 200).items as any[];
}

describe("GET /users/me/channels", () => {
  it("property: after random traffic, every list's counts equal the rooms' own", async () => {
    const { owner, alice, bob, guest } = await workspace();
    const people = [owner, alice, bob, guest];
    // Alice is online: her summaries also learn from the fan-out; the others only from D1 heads.
    const { ws } = await openLiveSocket(alice.token);
    const pub1 = await createChannel(owner);
    const pub2 = await createChannel(alice);
    const priv = await createChannel(bob, { is_private: true });
    await addMembers(owner, pub1.id, alice, bob);
    await addMembers(bob, priv.id, owner, guest);
    // #general (everyone's, from the workspace) too.
    const general = (await myChannels(owner)).map((s) => s.channel.id).filter((id) => ![pub1.id, pub2.id, priv.id].includes(id));
    const channels: string[] = [pub1.id, pub2.id, priv.id, ...general];

    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 25 }), async (actions) => {
        const sentBy = new Map<string, string[]>();
        const roots = new Map<string, string>();
        for (const a of actions) {
          const me = people[a.who] as Account;
          const chId = "ch" in a ? channels[a.ch % channels.length] : undefined;
          switch (a.k) {
            case "send": {
              if (!chId) break;
              const other = people[a.target] as Account;
              const text =
                a.mention === "user"
                  ? `hi @${other.user.username}`
                  : a.mention === "channel"
                    ? "hey @channel"
                    : a.mention === "here"
                      ? "hey @here"
                      : "plain";
              const root = roots.get(chId);
              const extra = a.reply && root ? { thread_root_id: root, also_send_to_channel: a.also } : {};
              const r = await send(me, chId, text, extra);
              if (r.status === 201) {
                const key = `${me.user.id}/${chId}`;
                sentBy.set(key, [...(sentBy.get(key) ?? []), r.body.id]);
                if (!r.body.thread_root_id) roots.set(chId, r.body.id);
              }
              break;
            }
            case "edit": {
              const id = chId && sentBy.get(`${me.user.id}/${chId}`)?.at(-1);
              const other = people[a.target] as Account;
              if (id)
                await call("PATCH", `/channels/${chId}/messages/${id}`, { token: me.token, body: { text: `now @${other.user.username}` } });
              break;
            }
            case "delete": {
              const id = chId && sentBy.get(`${me.user.id}/${chId}`)?.pop();
              if (id) {
                await call("DELETE", `/channels/${chId}/messages/${id}`, { token: me.token });
                if (roots.get(chId) === id) roots.delete(chId);
              }
              break;
            }
            case "read": {
              if (chId) await call("POST", `/channels/${chId}/read`, { token: me.token, body: { seq: Number.MAX_SAFE_INTEGER } });
              break;
            }
            case "join":
              if (chId) await call("POST", `/channels/${chId}/join`, { token: me.token });
              break;
            case "leave":
              if (chId) await call("POST", `/channels/${chId}/leave`, { token: me.token });
              break;
            case "dm": {
              const other = people[a.target] as Account;
              const dm = await call("POST", "/dms", { token: me.token, body: { user_ids: [other.user.id] } });
              if (dm.status === 201 || dm.status === 200) {
                if (!channels.includes(dm.body.id)) channels.push(dm.body.id);
                await send(me, dm.body.id, "a direct message");
              }
              break;
            }
            case "list":
              await myChannels(me);
              break;
          }
        }
        // Heads are published a moment after the last change; make sure every room's has been.
        await sleep(PUBLISH_HEAD_DELAY_MS + 50);
        for (const id of channels) await runDurableObjectAlarm(room(id));
        for (const person of people) {
          const listed = new Map((await myChannels(person)).map((s) => [s.channel.id, s]));
          const expected = new Map<string, any>();
          for (const id of channels) {
            const own = await room(id).readState(person.user.id);
            if (own.ok) expected.set(id, own.value);
          }
          expect([...listed.keys()].sort()).toEqual([...expected.keys()].sort());
          for (const [id, state] of expected) expect(listed.get(id), `${person.user.username} in ${id}`).toEqual(state);
        }
      }),
      { numRuns: 6 },
    );
    ws.close();
  }, 120_000);

  it("an online member's list counts a message as soon as their socket has it", async () => {
    const { owner, alice } = await workspace();
    const channel = await createChannel(owner);
    await addMembers(owner, channel.id, alice);
    const { ws } = await openLiveSocket(alice.token);
    const before = (await myChannels(alice)).find((s) => s.channel.id === channel.id);
    expect(before).toMatchObject({ unread_count: 0, mention_count: 0 });
    const sent = await send(owner, channel.id, `hello @${alice.user.username}`);
    await ws.until((f) => f.type === "message.created" && f.data.id === sent.body.id);
    const after = (await myChannels(alice)).find((s) => s.channel.id === channel.id);
    expect(after).toMatchObject({ unread_count: 1, mention_count: 1, last_seq: sent.body.seq });
  });

  it("a read marker moved is reflected at once (read.updated drops the cached state)", async () => {
    const { owner, alice } = await workspace();
    const channel = await createChannel(owner);
    await addMembers(owner, channel.id, alice);
    const sent = await send(owner, channel.id, "unread");
    await sleep(PUBLISH_HEAD_DELAY_MS + 50);
    await runDurableObjectAlarm(room(channel.id));
    expect((await myChannels(alice)).find((s) => s.channel.id === channel.id)).toMatchObject({ unread_count: 1 });
    expectStatus(await call("POST", `/channels/${channel.id}/read`, { token: alice.token, body: { seq: sent.body.seq } }), 200);
    expect((await myChannels(alice)).find((s) => s.channel.id === channel.id)).toMatchObject({
      unread_count: 0,
      last_read_seq: sent.body.seq,
    });
  });

  it("an offline member hears at once of a message that mentions them or a DM, not of plain channel messages", async () => {
    const { owner, alice } = await workspace();
    const channel = await createChannel(owner);
    await addMembers(owner, channel.id, alice);
    const dm = expectStatus(await call("POST", "/dms", { token: owner.token, body: { user_ids: [alice.user.id] } }), 201);
    /** The newest seq alice's UserSession was told of, per channel (none of it came from a fan-out: she has no socket). */
    const seen = (id: string) =>
      runInDurableObject(env.USER_SESSION.getByName(alice.user.id), (instance: UserSession) => {
        const core = (instance as unknown as { core: { summaries: { seen: Map<string, number> } } }).core;
        return core.summaries.seen.get(id) ?? 0;
      });
    const head = async (id: string) => (await allEvents(owner, id)).at(-1)?.seq ?? 0;
    const until = async (check: () => Promise<boolean>) => {
      for (let i = 0; i < 100 && !(await check()); i++) await sleep(20);
      return check();
    };
    // A new member counts as online until a push finds no socket: this first message takes her offline.
    await send(owner, channel.id, "warm-up");
    await send(owner, dm.id, "warm-up");
    await sleep(200);
    const before = await seen(channel.id);
    await send(owner, channel.id, "plain, no mention");
    await sleep(200);
    expect(await seen(channel.id)).toBe(before);
    await send(owner, channel.id, `@${alice.user.username} look`);
    const mentioned = await head(channel.id);
    expect(await until(async () => (await seen(channel.id)) === mentioned)).toBe(true);
    await send(owner, dm.id, "a direct message");
    const direct = await head(dm.id);
    expect(await until(async () => (await seen(dm.id)) === direct)).toBe(true);
  });
});
