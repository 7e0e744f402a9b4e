import type { Database } from "../db/client";
import { log } from "../lib/log";
import { channelRoom } from "../lib/stubs";
import type { Message, MessageHistoryQuery, MessagePage, SendMessageBody } from "../protocol/messages";
import type { RepliesQuery, ReplyPage, ThreadReplyEventData } from "../protocol/threads";
import type { AuthUser } from "./authUser";
import { actorOf } from "./channelActions";
import { emitUserEvent } from "./emitUserEvent";
import { roomValue } from "./roomValue";
import { recordThreadFollows } from "./threadFollowDirectory";

// Messages live only in their ChannelRoom, which stores each change and fans out its event.

/**
 * Sends a message; `created: false` when a retry named an existing `client_msg_id`. After a new
 * thread reply is durable, those who started following are listed in the directory and every
 * follower but the author gets the user event `thread.reply`. Both are best effort: the reply
 * stands, and a failure is logged.
 */
export async function sendMessage(
  env: Env,
  db: Database,
  user: AuthUser,
  channelId: string,
  body: SendMessageBody,
): Promise<{ message: Message; created: boolean }> {
  const { message, created, thread } = roomValue(await channelRoom(env, channelId).appendMessage(actorOf(user), body));
  if (thread) {
    const data: ThreadReplyEventData = { channel_id: channelId, root_id: thread.root_id, message };
    await Promise.all([
      recordThreadFollows(db, channelId, thread.root_id, thread.new_followers).catch((error: unknown) =>
        log("warn", "thread follow directory write failed", { channel_id: channelId, root_id: thread.root_id, error }),
      ),
      emitUserEvent(env, thread.notify, "thread.reply", data),
    ]);
  }
  return { message, created };
}

export async function listMessages(env: Env, user: AuthUser, channelId: string, query: MessageHistoryQuery): Promise<MessagePage> {
  return roomValue(await channelRoom(env, channelId).listMessages(actorOf(user), query));
}

export async function listReplies(env: Env, user: AuthUser, channelId: string, rootId: string, query: RepliesQuery): Promise<ReplyPage> {
  return roomValue(await channelRoom(env, channelId).listReplies(actorOf(user), rootId, query));
}

export async function editMessage(env: Env, user: AuthUser, channelId: string, messageId: string, text: string): Promise<Message> {
  return roomValue(await channelRoom(env, channelId).editMessage(actorOf(user), messageId, text));
}

export async function deleteMessage(env: Env, user: AuthUser, channelId: string, messageId: string): Promise<void> {
  roomValue(await channelRoom(env, channelId).deleteMessage(actorOf(user), messageId));
}
