import type { Database } from "../db/client";
import type { SendMessageBody } from "../protocol/messages";
import { announceChanges, prepareAttachments } from "./attachFiles";
import { channelRoom } from "./stubs";
import { followUpThreadReply } from "./threadReplyFollowUp";

type Room = ReturnType<typeof channelRoom>;
type RoomActor = Parameters<Room["appendMessage"]>[0];

/**
 * A send, from either path (POST /channels/{id}/messages through services/actions/messages.ts,
 * and the socket's `send` frame through UserSession's SocketSend), so the two cannot drift apart:
 * the files `file_ids` names are checked and listed (lib/attachFiles.ts, a ColinkError when one
 * cannot be attached), the ChannelRoom decides and stores, a refused send takes the listings back,
 * and a new message announces files that changed meanwhile and follows up a thread reply. Returns
 * the room's answer: the caller turns a refusal into its own kind of error. `room`: a caller that
 * keeps one stub per channel (the socket, for ordering) passes it.
 */
export async function postMessage(
  env: Env,
  db: Database,
  channelId: string,
  actor: RoomActor,
  body: SendMessageBody,
  room: Room = channelRoom(env, channelId),
): Promise<Awaited<ReturnType<Room["appendMessage"]>>> {
  const { file_ids: fileIds = [], ...rest } = body;
  const attachments = await prepareAttachments(db, actor.id, channelId, fileIds);
  const answer = await room.appendMessage(actor, rest, attachments.files);
  if (!answer.ok) {
    await attachments.undo();
    return answer;
  }
  const { message, created, thread } = answer.value;
  if (created) await announceChanges(env, db, channelId, attachments.files);
  if (thread) await followUpThreadReply(env, db, channelId, message, thread);
  return answer;
}
