import type { Database } from "../../db/client";
import { channelRoom } from "../../lib/stubs";
import { followUpThreadReply, recordFollowsQuietly } from "../../lib/threadReplyFollowUp";
import type { Message, SendMessageBody } from "../../protocol/messages";
import { actorOf } from "../actorOf";
import { flushRoomAudit } from "../audit";
import type { AuthUser } from "../auth/authUser";
import { announceChanges, prepareAttachments } from "../files/attachFiles";
import { assertNotMuted } from "../mute";
import { roomValue } from "../roomValue";

// Messages live only in their ChannelRoom, which stores each change and fans out its event.
// Reads are in queries/messages.ts. A send also arrives over the socket (UserSession's SocketSend):
// the same room call, the same follow-up (lib/threadReplyFollowUp.ts).

/**
 * Sends a message, with the sender's files if `file_ids` names any (services/files/attachFiles.ts);
 * `created: false` when a retry named an existing `client_msg_id`. After a new
 * thread reply is durable, those who started following are listed in the directory and every
 * follower but the author gets the user event `thread.reply` (followUpThreadReply).
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
  if (thread) await followUpThreadReply(env, db, channelId, message, thread);
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
