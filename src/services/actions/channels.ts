import { and, eq, ne } from "drizzle-orm";
import type { NewMember } from "../../../durable-objects/channel-room/rpcTypes";
import type { Database } from "../../db/client";
import { channels } from "../../db/schema";
import { uniqueViolation } from "../../db/uniqueViolation";
import { conflict, forbidden } from "../../lib/ColinkError";
import { newId } from "../../lib/ids";
import { channelRoom } from "../../lib/stubs";
import type { Channel, ChannelReadState, CreateChannelBody, UpdateChannelBody } from "../../protocol/channels";
import { actorOf } from "../actorOf";
import { flushRoomAudit } from "../audit";
import type { AuthUser } from "../auth/authUser";
import {
  addDirectoryMembers,
  insertDirectoryChannel,
  mirrorDirectoryChannel,
  removeDirectoryMember,
  requireActiveUsers,
} from "../directory/channelDirectory";
import { emitUserEvent } from "../emitUserEvent";
import { roomValue } from "../roomValue";

// Actions on channels and membership. Each one changes the ChannelRoom first (the authority, which
// appends and fans out the channel event), then mirrors the change into the D1 directory, then
// appends the user events of those it concerns alone.

const nameTaken = () => conflict("name_taken", "A channel with this name already exists.");

export type NewRoom = {
  kind: Channel["kind"];
  name: string | null;
  topic: string;
  purpose: string;
  createdBy: string;
  members: NewMember[];
  dmKey: string | null;
};

/**
 * Creates a ChannelRoom, then lists it in the directory. When the directory refuses it (the name
 * or DM key was taken meanwhile), the never-announced room is discarded and the taken column
 * returned, for the caller to answer 409 or fall back to the existing channel.
 */
export async function createRoom(env: Env, db: Database, spec: NewRoom): Promise<{ channel: Channel } | { taken: string }> {
  const id = newId("c");
  const room = channelRoom(env, id);
  const channel = roomValue(
    await room.create({
      channel: {
        id,
        kind: spec.kind,
        name: spec.name,
        topic: spec.topic,
        purpose: spec.purpose,
        created_by: spec.createdBy,
        created_at: new Date().toISOString(),
      },
      members: spec.members,
    }),
  );
  try {
    await insertDirectoryChannel(db, channel, spec.dmKey, spec.members);
  } catch (err) {
    await room.discard();
    const taken = uniqueViolation(err);
    if (taken) return { taken };
    throw err;
  }
  return { channel };
}

/** A public or private channel; the creator is its first member and a channel admin. */
export async function createChannel(env: Env, db: Database, user: AuthUser, body: CreateChannelBody): Promise<Channel> {
  if (user.role === "guest") throw forbidden("Guests cannot create channels.", "guest_not_allowed");
  if (await db.select({ id: channels.id }).from(channels).where(eq(channels.name, body.name)).get()) throw nameTaken();
  const result = await createRoom(env, db, {
    kind: body.is_private ? "private" : "public",
    name: body.name,
    topic: body.topic,
    purpose: body.purpose,
    createdBy: user.id,
    members: [{ user_id: user.id, username: user.username, role: "admin" }],
    dmKey: null,
  });
  if ("taken" in result) throw nameTaken();
  await emitUserEvent(env, [user.id], "channel.added", { channel: result.channel });
  return result.channel;
}

/**
 * Renames (creator, channel admin or workspace admin) or changes topic and purpose (any member).
 * A name is checked free first; if another rename takes it in between, the directory refuses and
 * the room's rename is undone (clients see both `channel.updated` events).
 */
export async function updateChannel(env: Env, db: Database, user: AuthUser, channelId: string, patch: UpdateChannelBody): Promise<Channel> {
  const room = channelRoom(env, channelId);
  const actor = actorOf(user);
  if (patch.name !== undefined) {
    // Permission first: a caller who may not see or rename the channel must not learn of names.
    roomValue(await room.checkUpdate(actor, patch));
    const holder = await db
      .select({ id: channels.id })
      .from(channels)
      .where(and(eq(channels.name, patch.name), ne(channels.id, channelId)))
      .get();
    if (holder) throw nameTaken();
  }
  const { channel, previousName } = roomValue(await room.updateChannel(actor, patch));
  try {
    await mirrorDirectoryChannel(db, channel);
  } catch (err) {
    if (uniqueViolation(err) !== "channels.name" || channel.name === null) throw err;
    roomValue(await room.restoreName(channel.name, previousName));
    throw nameTaken();
  }
  return channel;
}

/** Archive (read-only from then on) or unarchive: the creator, a channel admin or a workspace admin. Audited (by the room). */
export async function setChannelArchived(
  env: Env,
  db: Database,
  user: AuthUser,
  channelId: string,
  archived: boolean,
  requestId?: string,
): Promise<Channel> {
  const channel = roomValue(await channelRoom(env, channelId).setArchived(actorOf(user, requestId), archived));
  await Promise.all([mirrorDirectoryChannel(db, channel), flushRoomAudit(env, channelId)]);
  return channel;
}

/** Joins a public channel (idempotent). */
export async function joinChannel(env: Env, db: Database, user: AuthUser, channelId: string): Promise<Channel> {
  const { channel, joined } = roomValue(await channelRoom(env, channelId).join(actorOf(user), user.username));
  await addDirectoryMembers(db, channelId, [{ userId: user.id, role: "member" }]);
  if (joined) await emitUserEvent(env, [user.id], "channel.added", { channel });
  return channel;
}

/** A member adds active users; those already in are skipped. */
export async function addChannelMembers(env: Env, db: Database, user: AuthUser, channelId: string, userIds: string[]): Promise<Channel> {
  const people = await requireActiveUsers(db, userIds);
  const { channel, added } = roomValue(
    await channelRoom(env, channelId).addMembers(
      actorOf(user),
      people.map((p) => ({ user_id: p.id, username: p.username })),
    ),
  );
  await addDirectoryMembers(
    db,
    channelId,
    added.map((userId) => ({ userId, role: "member" })),
  );
  await emitUserEvent(env, added, "channel.added", { channel });
  return channel;
}

/**
 * Removes someone (channel admin or workspace admin; audited by the room), or the caller
 * themselves: leaving. `moderator`: a workspace admin acting on any channel, seen or not (/admin).
 */
export async function removeChannelMember(
  env: Env,
  db: Database,
  user: AuthUser,
  channelId: string,
  userId: string,
  options: { requestId?: string; moderator?: boolean } = {},
): Promise<void> {
  const room = channelRoom(env, channelId);
  const actor = actorOf(user, options.requestId);
  const { removed } = roomValue(await (options.moderator ? room.moderatorRemoveMember(actor, userId) : room.removeMember(actor, userId)));
  await Promise.all([removeDirectoryMember(db, channelId, userId), userId === user.id ? null : flushRoomAudit(env, channelId)]);
  if (removed) await emitUserEvent(env, [userId], "channel.removed", { channel_id: channelId });
}

/** Moves the caller's read marker forward (never back) and tells their other devices. */
export async function markChannelRead(env: Env, user: AuthUser, channelId: string, seq: number): Promise<ChannelReadState> {
  const { state, moved } = roomValue(await channelRoom(env, channelId).markRead(actorOf(user), seq));
  if (moved) await emitUserEvent(env, [user.id], "read.updated", { channel_id: channelId, seq: state.last_read_seq });
  return state;
}
