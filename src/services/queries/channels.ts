import { and, asc, eq, gt, inArray, isNotNull, isNull, or } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../../db/client";
import { channels, memberships } from "../../db/schema";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { channelRoom } from "../../lib/stubs";
import { type ChannelEvent, type ChannelEventQuery, ChannelEventSchema } from "../../protocol/channelEvents";
import { CHANNEL_NAME_PATTERN, type Channel, type ChannelListQuery, type MemberList, type MemberListQuery } from "../../protocol/channels";
import { actorOf } from "../actorOf";
import type { AuthUser } from "../auth/authUser";
import { channelFromRow } from "../directory/channelDirectory";
import { roomValue } from "../roomValue";

// Reads. What a caller may see of one channel is the ChannelRoom's decision; lists come from the
// directory, restricted to what the caller may see.

export async function getChannel(env: Env, user: AuthUser, channelId: string): Promise<Channel> {
  return roomValue(await channelRoom(env, channelId).getChannel(actorOf(user)));
}

const ChannelCursor = z.object({ after: z.string().regex(CHANNEL_NAME_PATTERN) });

/** Public channels (not for guests) and the caller's private ones, by name. DMs are in "my channels". */
export async function listChannels(
  db: Database,
  user: AuthUser,
  query: ChannelListQuery,
): Promise<{ items: Channel[]; next_cursor: string | null }> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ChannelCursor).after;
  const mine = isNotNull(memberships.userId);
  const rows = await db
    .select({ channel: channels })
    .from(channels)
    .leftJoin(memberships, and(eq(memberships.channelId, channels.id), eq(memberships.userId, user.id)))
    .where(
      and(
        inArray(channels.kind, ["public", "private"]),
        user.role === "guest" ? mine : or(eq(channels.kind, "public"), mine),
        query.joined === true ? mine : query.joined === false ? isNull(memberships.userId) : undefined,
        after === undefined ? undefined : gt(channels.name, after),
      ),
    )
    .orderBy(asc(channels.name))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit).map((r) => channelFromRow(r.channel));
  const last = page.at(-1);
  return { items: page, next_cursor: rows.length > query.limit && last?.name ? encodeCursor({ after: last.name }) : null };
}

const MemberCursor = z.object({ after: z.string().min(1).max(64) });

export async function listChannelMembers(env: Env, user: AuthUser, channelId: string, query: MemberListQuery): Promise<MemberList> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, MemberCursor).after;
  const page = roomValue(await channelRoom(env, channelId).listMembers(actorOf(user), { cursor: after, limit: query.limit }));
  return { items: page.items, next_cursor: page.next_cursor === null ? null : encodeCursor({ after: page.next_cursor }) };
}

/** The channel's event log after a seq, oldest first: what a client fetches after a `channel.gap`. */
export async function listChannelEvents(
  env: Env,
  user: AuthUser,
  channelId: string,
  query: ChannelEventQuery,
): Promise<{ items: ChannelEvent[]; has_more: boolean }> {
  const { frames, has_more } = roomValue(await channelRoom(env, channelId).listEvents(actorOf(user), query));
  return { items: frames.map((frame) => ChannelEventSchema.parse(JSON.parse(frame))), has_more };
}
