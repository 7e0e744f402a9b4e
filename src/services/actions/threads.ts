import type { Database } from "../../db/client";
import { channelRoom } from "../../lib/stubs";
import type { ThreadState } from "../../protocol/threads";
import { actorOf } from "../actorOf";
import type { AuthUser } from "../auth/authUser";
import { forgetThreadFollow, recordThreadFollows } from "../directory/threadFollowDirectory";
import { emitUserEvent } from "../emitUserEvent";
import { roomValue } from "../roomValue";

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

/** Moves the caller's read marker in a thread forward (never back) and tells their other devices. */
export async function markThreadRead(env: Env, user: AuthUser, channelId: string, rootId: string, seq: number): Promise<ThreadState> {
  const { state, moved } = roomValue(await channelRoom(env, channelId).markThreadRead(actorOf(user), rootId, seq));
  if (moved) await emitUserEvent(env, [user.id], "thread.read", { channel_id: channelId, root_id: rootId, seq: state.last_read_seq });
  return state;
}
