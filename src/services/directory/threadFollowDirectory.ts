import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { threadFollows } from "../../db/schema";

export { recordThreadFollows } from "../../db/threadFollows";

// The D1 side of thread following: which channels to ask for a user's followed threads. The
// ChannelRoom keeps followers and read markers and decides; these rows only say where to look.
// Written when someone starts or stops following (on purpose or by replying or being mentioned),
// never per message. A member who leaves a channel loses its rows with the membership
// (channelDirectory.removeDirectoryMember).

export async function forgetThreadFollow(db: Database, userId: string, channelId: string, rootId: string): Promise<void> {
  await db
    .delete(threadFollows)
    .where(and(eq(threadFollows.userId, userId), eq(threadFollows.channelId, channelId), eq(threadFollows.rootId, rootId)));
}

/** The channels in which a user follows at least one thread. */
export async function channelsWithFollowedThreads(db: Database, userId: string): Promise<string[]> {
  const rows = await db
    .selectDistinct({ channelId: threadFollows.channelId })
    .from(threadFollows)
    .where(eq(threadFollows.userId, userId))
    .orderBy(threadFollows.channelId);
  return rows.map((r) => r.channelId);
}
