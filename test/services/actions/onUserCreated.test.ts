import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../../src/db/client";
import { channels, memberships, users } from "../../../src/db/schema";
import { newId } from "../../../src/lib/ids";
import { GENERAL_CHANNEL_NAME, onUserCreated } from "../../../src/services/actions/onUserCreated";
import { expectStatus } from "../../channelFixtures";
import { call, expectProblem, registerOwner, signUp } from "../../helpers";
import { openLiveSocket } from "../../socketClient";

const generalOf = async (token: string) =>
  expectStatus(await call("GET", "/users/me/channels", { token }), 200).items.find(
    (i: { channel: { name: string } }) => i.channel.name === GENERAL_CHANNEL_NAME,
  );

describe("onUserCreated: #general", () => {
  it("is created with the owner account, who is its admin and is told of it", async () => {
    const owner = await registerOwner();
    const general = await generalOf(owner.token);
    expect(general.channel).toMatchObject({ kind: "public", name: "general", created_by: owner.user.id, member_count: 1 });
    const members = expectStatus(await call("GET", `/channels/${general.channel.id}/members`, { token: owner.token }), 200);
    expect(members.items).toEqual([{ user_id: owner.user.id, role: "admin", joined_at: expect.any(String) }]);
    const { replay, ws } = await openLiveSocket(owner.token);
    expect(replay).toContainEqual(expect.objectContaining({ type: "channel.added", data: { channel: general.channel } }));
    ws.close();
  });

  it("takes in every new non-guest through the join action (member.joined), never a guest", async () => {
    const owner = await registerOwner();
    const [member, admin, guest] = await Promise.all([
      signUp(owner.token),
      signUp(owner.token, { role: "admin" }),
      signUp(owner.token, { role: "guest" }),
    ]);
    const general = await generalOf(member.token);
    expect(general.channel.member_count).toBe(3);
    expect(await generalOf(admin.token)).toBeDefined();
    expect(await generalOf(guest.token)).toBeUndefined();
    expectProblem(await call("GET", `/channels/${general.channel.id}`, { token: guest.token }), 404, "channel_not_found");
    const events = expectStatus(await call("GET", `/channels/${general.channel.id}/events`, { token: owner.token }), 200).items;
    expect(
      events
        .filter((e: { type: string }) => e.type === "member.joined")
        .map((e: { data: { user_id: string } }) => e.data.user_id)
        .sort(),
    ).toEqual([member.user.id, admin.user.id].sort());
  });

  it("makes one #general when the first accounts arrive at once", async () => {
    const db = createDb(env.DB);
    const people = Array.from({ length: 4 }, (_, i) => ({ id: newId("u"), username: `early${i}`, role: "member" as const }));
    await db.insert(users).values(people);
    await Promise.all(people.map((p) => onUserCreated(env, db, p)));
    const generals = await db.select().from(channels).where(eq(channels.name, GENERAL_CHANNEL_NAME));
    expect(generals).toHaveLength(1);
    const generalId = generals[0]?.id ?? "";
    const listed = await db.select({ userId: memberships.userId }).from(memberships).where(eq(memberships.channelId, generalId));
    expect(listed.map((m) => m.userId).sort()).toEqual(people.map((p) => p.id).sort());
    expect(generals[0]?.memberCount).toBe(4);
    const roomMembers = await env.CHANNEL_ROOM.getByName(generalId).listMembers({ id: people[0]?.id ?? "", role: "member" }, { limit: 10 });
    expect(roomMembers.ok && roomMembers.value.items.map((m) => m.user_id).sort()).toEqual(people.map((p) => p.id).sort());
  });
});
