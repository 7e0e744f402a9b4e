import type { Database } from "../db/client";
import { recordThreadFollows } from "../db/threadFollows";
import type { Message } from "../protocol/messages";
import type { ThreadReplyEventData } from "../protocol/threads";
import { emitUserEvent } from "./emitUserEvent";
import { log } from "./log";

/** What a ChannelRoom answers about a new thread reply (rpcTypes SentMessage["thread"]). */
export type NewThreadReply = { root_id: string; new_followers: string[]; notify: string[] };

/**
 * After a new thread reply is durable: those who started following are listed in the directory,
 * and every follower but the author gets the user event `thread.reply`. Both are best effort (the
 * reply stands, a failure is logged). One function for both send paths, HTTP
 * (services/actions/messages.ts) and the socket (UserSession), so they cannot drift apart.
 */
export async function followUpThreadReply(
  env: Env,
  db: Database,
  channelId: string,
  message: Message,
  thread: NewThreadReply,
): Promise<void> {
  const data: ThreadReplyEventData = { channel_id: channelId, root_id: thread.root_id, message };
  await Promise.all([
    recordFollowsQuietly(db, channelId, thread.root_id, thread.new_followers),
    emitUserEvent(env, thread.notify, "thread.reply", data),
  ]);
}

/** The reply or edit stands whatever happens to the directory row; a failure is logged. */
export async function recordFollowsQuietly(db: Database, channelId: string, rootId: string, userIds: string[]): Promise<void> {
  if (userIds.length === 0) return;
  await recordThreadFollows(db, channelId, rootId, userIds).catch((error: unknown) =>
    log("warn", "thread follow directory write failed", { channel_id: channelId, root_id: rootId, error }),
  );
}
