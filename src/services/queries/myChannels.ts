import { asc, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { channelHeads, memberships } from "../../db/schema";
import { userSession } from "../../lib/stubs";
import type { ChannelReadState } from "../../protocol/channels";
import type { AuthUser } from "../auth/authUser";

/**
 * Every channel and DM the caller is in, with read state: one D1 query (the memberships, each
 * with the event head its room last published) and one call to the caller's UserSession, which
 * keeps each channel's read state and asks again only the rooms that changed since
 * (ChannelSummaries). A room that no longer counts the caller as a member is left out.
 */
export async function listMyChannels(env: Env, db: Database, user: AuthUser): Promise<{ items: ChannelReadState[] }> {
  const rows = await db
    .select({ channel_id: memberships.channelId, head: channelHeads.eventSeq })
    .from(memberships)
    .leftJoin(channelHeads, eq(channelHeads.channelId, memberships.channelId))
    .where(eq(memberships.userId, user.id))
    .orderBy(asc(memberships.joinedAt), asc(memberships.channelId));
  const items = await userSession(env, user.id).myChannels(rows.map((r) => ({ channel_id: r.channel_id, head: r.head ?? 0 })));
  return { items };
}
