import { eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { channels } from "../../db/schema";
import { invalid } from "../../lib/ColinkError";
import { assertNotMuted } from "../../lib/mute";
import { channelRoom } from "../../lib/stubs";
import { type Channel, MAX_GROUP_DM_SIZE } from "../../protocol/channels";
import type { AuthUser } from "../auth/authUser";
import { addDirectoryMembers, requireActiveUsers } from "../directory/channelDirectory";
import { requireVisibleUsers } from "../directory/userVisibility";
import { emitUserEvent } from "../emitUserEvent";
import { roomValue } from "../roomValue";
import { createRoom } from "./channels";

/**
 * Gets or creates the DM (2 people) or group DM (3 to 9) between the caller and `userIds`. The
 * sorted member ids are a unique key in the directory, so concurrent opens agree on one. Reopening
 * a group DM the caller left puts them back in. A guest may open DMs only with people they already
 * share a channel with.
 */
export async function openDm(env: Env, db: Database, user: AuthUser, userIds: string[]): Promise<{ channel: Channel; created: boolean }> {
  assertNotMuted(user.mutedUntil);
  const others = [...new Set(userIds)].filter((id) => id !== user.id);
  if (others.length === 0) throw invalid("user_ids", "Name at least one other person.");
  if (others.length + 1 > MAX_GROUP_DM_SIZE) throw invalid("user_ids", `A group DM has at most ${MAX_GROUP_DM_SIZE} people, you included.`);
  // For a guest, people they share no channel with do not exist: 404, whether or not the id is real.
  await requireVisibleUsers(db, user, others);
  const people = [{ id: user.id, username: user.username }, ...(await requireActiveUsers(db, others))];
  const dmKey = people
    .map((p) => p.id)
    .sort()
    .join(",");

  const existing = await db.select().from(channels).where(eq(channels.dmKey, dmKey)).get();
  if (existing) return { channel: await rejoin(env, db, user, existing.id), created: false };

  const result = await createRoom(env, db, {
    kind: people.length === 2 ? "dm" : "group_dm",
    name: null,
    topic: "",
    purpose: "",
    createdBy: user.id,
    members: people.map((p) => ({ user_id: p.id, username: p.username, role: "member" })),
    dmKey,
  });
  if ("taken" in result) {
    // Another open of the same DM won the race.
    const winner = await db.select().from(channels).where(eq(channels.dmKey, dmKey)).get();
    if (!winner) throw new Error(`dm_key ${dmKey} was taken but cannot be read back (${result.taken})`);
    return { channel: await rejoin(env, db, user, winner.id), created: false };
  }
  await emitUserEvent(
    env,
    people.map((p) => p.id),
    "channel.added",
    { channel: result.channel },
  );
  return { channel: result.channel, created: true };
}

async function rejoin(env: Env, db: Database, user: AuthUser, channelId: string): Promise<Channel> {
  const { channel, added } = roomValue(await channelRoom(env, channelId).restoreDmMember({ user_id: user.id, username: user.username }));
  if (added) {
    await addDirectoryMembers(db, channelId, [{ userId: user.id, role: "member" }]);
    await emitUserEvent(env, [user.id], "channel.added", { channel });
  }
  return channel;
}
