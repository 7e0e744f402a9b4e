import type { Database } from "../../db/client";
import { log } from "../../lib/log";
import { channelRoom } from "../../lib/stubs";
import type { Message, SendMessageBody } from "../../protocol/messages";
import type { ThreadReplyEventData } from "../../protocol/threads";
import { actorOf } from "../actorOf";
import { flushRoomAudit } from "../audit";
import type { AuthUser } from "../auth/authUser";
import { recordThreadFollows } from "../directory/threadFollowDirectory";
import { emitUserEvent } from "../emitUserEvent";
import { announceChanges, prepareAttachments } from "../files/attachFiles";
import { assertNotMuted } from "../mute";
import { roomValue } from "../roomValue";

// Messages live only in their ChannelRoom, which stores each change and fans out its event.
// Reads are in queries/messages.ts.

/**
 * Sends a message, with the sender's files if `file_ids` names any (services/files/attachFiles.ts);
 * `created: false` when a retry named an existing `client_msg_id`. After a new
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
  assertNotMuted(user);
  const { file_ids: fileIds = [], ...rest } = body;
  const attachments = await prepareAttachments(db, user, channelId, fileIds);
  const answer = await channelRoom(env, channelId).appendMessage(actorOf(user), rest, attachments.files);
  if (!answer.ok) await attachments.undo();
  const { message, created, thread } = roomValue(answer);
  if (created) await announceChanges(env, db, channelId, attachments.files);
  if (thread) {
    const data: ThreadReplyEventData = { channel_id: channelId, root_id: thread.root_id, message };
    await Promise.all([
      recordFollowsQuietly(db, channelId, thread.root_id, thread.new_followers),
      emitUserEvent(env, thread.notify, "thread.reply", data),
    ]);
  }
  return { message, created };
}

/** Edits a message; members a reply's edit newly mentions follow its thread (recorded in the directory, best effort). */
export async function editMessage(
  env: Env,
  db: Database,
  user: AuthUser,
  channelId: string,
  messageId: string,
  text: string,
): Promise<Message> {
  assertNotMuted(user);
  const { message, thread } = roomValue(await channelRoom(env, channelId).editMessage(actorOf(user), messageId, text));
  if (thread) await recordFollowsQuietly(db, channelId, thread.root_id, thread.new_followers);
  return message;
}

/** The reply or edit stands whatever happens to the directory row; a failure is logged. */
async function recordFollowsQuietly(db: Database, channelId: string, rootId: string, userIds: string[]): Promise<void> {
  if (userIds.length === 0) return;
  await recordThreadFollows(db, channelId, rootId, userIds).catch((error: unknown) =>
    log("warn", "thread follow directory write failed", { channel_id: channelId, root_id: rootId, error }),
  );
}

/**
 * Deletes a message: the author, a channel admin or a workspace admin (`moderator`: a workspace
 * admin on any channel, seen or not, as /admin and report resolutions do). Deleting someone
 * else's message is audited by the room, in the transaction of the delete.
 */
export async function deleteMessage(
  env: Env,
  user: AuthUser,
  channelId: string,
  messageId: string,
  options: { requestId?: string; moderator?: boolean } = {},
): Promise<Message> {
  const room = channelRoom(env, channelId);
  const actor = actorOf(user, options.requestId);
  const message = roomValue(
    await (options.moderator ? room.moderatorDeleteMessage(actor, messageId) : room.deleteMessage(actor, messageId)),
  );
  if (message.author_id !== user.id) await flushRoomAudit(env, channelId);
  return message;
}
