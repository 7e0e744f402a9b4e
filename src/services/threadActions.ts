import type { Database } from "../db/client";
import { log } from "../lib/log";
import { channelRoom } from "../lib/stubs";
import type { MyThreadsQuery, ThreadState } from "../protocol/threads";
import type { AuthUser } from "./authUser";
import { actorOf } from "./channelActions";
import { emitUserEvent } from "./emitUserEvent";
import { roomValue } from "./roomValue";
import { channelsWithFollowedThreads, forgetThreadFollow, recordThreadFollows } from "./threadFollowDirectory";

// Following threads and reading them. The ChannelRoom holds followers and read markers; the
// directory's thread_follows rows only say which rooms to ask for "my threads".

/**
 * Follows or unfollows a thread on purpose (idempotent). The directory row is written every time,
 * so a repeat repairs one an earlier failure missed.
 */
export async function setThreadFollowing(
  env: Env,
  db: Database,
  user: AuthUser,
  channelId: string,
  rootId: string,
  following: boolean,
): Promise<ThreadState> {
  const state = roomValue(await channelRoom(env, channelId).setThreadFollowing(actorOf(user), rootId, following));
  if (following) await recordThreadFollows(db, channelId, rootId, [user.id]);
  else await forgetThreadFollow(db, user.id, channelId, rootId);
  return state;
}

/** Moves the caller's read marker in a thread forward (never back). */
/** Moves the caller's read marker in a thread forward (never back) and tells their other devices. */
export async function markThreadRead(env: Env, user: AuthUser, channelId: string, rootId: string, seq: number): Promise<ThreadState> {
  const { state, moved } = roomValue(await channelRoom(env, channelId).markThreadRead(actorOf(user), rootId, seq));
  if (moved) await emitUserEvent(env, [user.id], "thread.read", { channel_id: channelId, root_id: rootId, seq: state.last_read_seq });
  return state;
}

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
