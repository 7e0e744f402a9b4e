import { channelRoom } from "../lib/stubs";
import type { Message, MessageHistoryQuery, MessagePage, SendMessageBody } from "../protocol/messages";
import type { AuthUser } from "./authUser";
import { actorOf } from "./channelActions";
import { roomValue } from "./roomValue";

// Messages live only in their ChannelRoom, which stores each change and fans out its event.

/** Sends a message; `created: false` when a retry named an existing `client_msg_id`. */
export async function sendMessage(
  env: Env,
  user: AuthUser,
  channelId: string,
  body: SendMessageBody,
): Promise<{ message: Message; created: boolean }> {
  return roomValue(await channelRoom(env, channelId).appendMessage(actorOf(user), body));
}

export async function listMessages(env: Env, user: AuthUser, channelId: string, query: MessageHistoryQuery): Promise<MessagePage> {
  return roomValue(await channelRoom(env, channelId).listMessages(actorOf(user), query));
}

export async function editMessage(env: Env, user: AuthUser, channelId: string, messageId: string, text: string): Promise<Message> {
  return roomValue(await channelRoom(env, channelId).editMessage(actorOf(user), messageId, text));
}

export async function deleteMessage(env: Env, user: AuthUser, channelId: string, messageId: string): Promise<void> {
  roomValue(await channelRoom(env, channelId).deleteMessage(actorOf(user), messageId));
}
