import { d1Chunks } from "./chunked";
import type { Database } from "./client";
import { threadFollows } from "./schema";

/**
 * Records that these users follow a thread (services/directory/threadFollowDirectory.ts says what
 * the rows are for); idempotent, so a retry repairs a missed write. Here, below services/, because
 * a send over the socket (UserSession) records follows as the HTTP send does.
 */
export async function recordThreadFollows(db: Database, channelId: string, rootId: string, userIds: readonly string[]): Promise<void> {
  const rows = userIds.map((userId) => ({ userId, channelId, rootId }));
  const [first, ...rest] = d1Chunks(rows, 3).map((chunk) => db.insert(threadFollows).values(chunk).onConflictDoNothing());
  if (first) await db.batch([first, ...rest]);
}
