import type { Database } from "../../db/client";
import { postMessage } from "../../lib/postMessage";
import { channelRoom } from "../../lib/stubs";
import { recordFollowsQuietly } from "../../lib/threadReplyFollowUp";
import type { Message, SendMessageBody } from "../../protocol/messages";
import { actorOf } from "../actorOf";
import { flushRoomAudit } from "../audit";
import type { AuthUser } from "../auth/authUser";
import { assertNotMuted } from "../mute";
import { roomValue } from "../roomValue";

// Messages live only in their ChannelRoom, which stores each change and fans out its event.
// Reads are in queries/messages.ts. A send also arrives over the socket (UserSession's SocketSend):
// the same flow (lib/postMessage.ts).

/**
 * Sends a message, with the sender's files if `file_ids` names any: the same flow as a socket
 * `send` (lib/postMessage.ts); `created: false` when a retry named an existing `client_msg_id`.
 */
export async function sendMessage(
  env: Env,
  db: Database,
  user: AuthUser,
  channelId: string,
  body: SendMessageBody,
): Promise<{ message: Message; created: boolean }> {
  assertNotMuted(user);
  const { message, created } = roomValue(await postMessage(env, db, channelId, actorOf(user), body));
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
