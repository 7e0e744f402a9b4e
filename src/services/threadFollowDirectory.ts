import { and, eq } from "drizzle-orm";
import type { Database } from "../db/client";
import { threadFollows } from "../db/schema";

// The D1 side of thread following: which channels to ask for a user's followed threads. The
// ChannelRoom keeps followers and read markers and decides; these rows only say where to look.
// Written when someone starts or stops following (on purpose or by replying or being mentioned),
// never per message. A member who leaves a channel loses its rows with the membership
// (channelDirectory.removeDirectoryMember).

/** D1 binds at most 100 parameters per statement; a row binds 3. */
const ROWS_PER_INSERT = 33;

/** Records that these users follow a thread; idempotent, so a retry repairs a missed write. */
export async function recordThreadFollows(db: Database, channelId: string, rootId: string, userIds: readonly string[]): Promise<void> {
  const rows = userIds.map((userId) => ({ userId, channelId, rootId }));
  const inserts = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT)
    inserts.push(
      db
        .insert(threadFollows)
        .values(rows.slice(i, i + ROWS_PER_INSERT))
        .onConflictDoNothing(),
    );
  const [first, ...rest] = inserts;
  if (first) await db.batch([first, ...rest]);
}

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
