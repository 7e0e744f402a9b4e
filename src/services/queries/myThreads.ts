import type { Database } from "../../db/client";
import { log } from "../../lib/log";
import { channelRoom } from "../../lib/stubs";
import type { MyThreadsQuery, ThreadState } from "../../protocol/threads";
import { actorOf } from "../actorOf";
import type { AuthUser } from "../auth/authUser";
import { channelsWithFollowedThreads } from "../directory/threadFollowDirectory";

const activity = (t: ThreadState) => t.last_reply_at ?? t.root.created_at;

/**
 * The caller's followed threads across channels, newest activity first. The directory names the
 * channels; each room, asked in parallel, returns its followed threads the caller may still read
 * (none when they are no longer a member: it fails closed), at most `limit` each.
 */
export async function listMyThreads(env: Env, db: Database, user: AuthUser, query: MyThreadsQuery): Promise<{ items: ThreadState[] }> {
  const channelIds = await channelsWithFollowedThreads(db, user.id);
  const perChannel = await Promise.all(
    channelIds.map(async (channelId) => {
      const result = await channelRoom(env, channelId).followedThreads(actorOf(user), query.limit);
      if (result.ok) return result.value;
      log("warn", "directory lists followed threads of a room that refuses them", {
        channel_id: channelId,
        user_id: user.id,
        code: result.error.code,
      });
      return [];
    }),
  );
  const items = perChannel
    .flat()
    .sort((a, b) => activity(b).localeCompare(activity(a)) || b.root.id.localeCompare(a.root.id))
    .slice(0, query.limit);
  return { items };
}
