import { and, eq, sql } from "drizzle-orm";
import type { NewMember } from "../../../durable-objects/channel-room/rpcTypes";
import { activeUsersById, type DirectoryUser } from "../../db/activeUsers";
import { d1Chunks } from "../../db/chunked";
import type { Database } from "../../db/client";
import { channels, memberships, threadFollows } from "../../db/schema";
import { ColinkError } from "../../lib/ColinkError";
import type { Channel } from "../../protocol/channels";
import type { ChannelRole } from "../../protocol/roles";

// The D1 side of channels: the directory that lists channels and who is in what, for browsing and
// "my channels". Each ChannelRoom stays the authority; the actions write here after it.

export type ChannelRow = typeof channels.$inferSelect;

export function channelFromRow(row: ChannelRow): Channel {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    topic: row.topic,
    purpose: row.purpose,
    archived: row.archived,
    created_by: row.createdBy,
    created_at: row.createdAt,
    member_count: row.memberCount,
  };
}

/** Counts from the directory's own rows, so concurrent writers converge. */
const recount = (db: Database, channelId: string) =>
  db
    .update(channels)
    .set({ memberCount: sql`(SELECT count(*) FROM ${memberships} WHERE ${memberships.channelId} = ${channelId})` })
    .where(eq(channels.id, channelId));

/** Lists a new channel and its first members, atomically. Throws D1's UNIQUE failure for a taken name or DM key. */
export async function insertDirectoryChannel(db: Database, channel: Channel, dmKey: string | null, members: NewMember[]): Promise<void> {
  await db.batch([
    db.insert(channels).values({
      id: channel.id,
      kind: channel.kind,
      name: channel.name,
      dmKey,
      topic: channel.topic,
      purpose: channel.purpose,
      archived: channel.archived,
      createdBy: channel.created_by,
      memberCount: members.length,
      createdAt: channel.created_at,
    }),
    ...members.map((m) => db.insert(memberships).values({ channelId: channel.id, userId: m.user_id, role: m.role })),
  ]);
}

/** Copies the room's view of name, topic, purpose and archived state into the directory. */
export async function mirrorDirectoryChannel(db: Database, channel: Channel): Promise<void> {
  await db
    .update(channels)
    .set({ name: channel.name, topic: channel.topic, purpose: channel.purpose, archived: channel.archived })
    .where(eq(channels.id, channel.id));
}

/** Records memberships the room has granted; idempotent, so a retried action repairs a missed write. */
export async function addDirectoryMembers(
  db: Database,
  channelId: string,
  members: { userId: string; role: ChannelRole }[],
): Promise<void> {
  const rows = members.map((m) => ({ channelId, userId: m.userId, role: m.role }));
  const [first, ...rest] = d1Chunks(rows, 3).map((chunk) => db.insert(memberships).values(chunk).onConflictDoNothing());
  if (!first) return;
  await db.batch([first, ...rest, recount(db, channelId)]);
}

/** Removes a membership, and with it the member's thread follows there (the room forgot them too). */
export async function removeDirectoryMember(db: Database, channelId: string, userId: string): Promise<void> {
  await db.batch([
    db.delete(memberships).where(and(eq(memberships.channelId, channelId), eq(memberships.userId, userId))),
    db.delete(threadFollows).where(and(eq(threadFollows.channelId, channelId), eq(threadFollows.userId, userId))),
    recount(db, channelId),
  ]);
}

/** The users named by `ids` (a request's `user_ids`), or 422 naming each unknown or deactivated one. */
export async function requireActiveUsers(db: Database, ids: readonly string[]): Promise<DirectoryUser[]> {
  const found = await activeUsersById(db, ids);
  const errors = ids.flatMap((id, i) => (found.has(id) ? [] : [{ path: `user_ids.${i}`, message: "No such active user." }]));
  if (errors.length > 0) throw new ColinkError(422, "unknown_user", "Some users do not exist or are deactivated.", { errors });
  return [...new Set(ids)].flatMap((id) => found.get(id) ?? []);
}
