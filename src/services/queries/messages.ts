import { channelRoom } from "../../lib/stubs";
import type { MessageHistoryQuery, MessagePage } from "../../protocol/messages";
import type { RepliesQuery, ReplyPage } from "../../protocol/threads";
import { actorOf } from "../actorOf";
import type { AuthUser } from "../auth/authUser";
import { roomValue } from "../roomValue";

// Messages live only in their ChannelRoom, which decides what the caller may read.

export async function listMessages(env: Env, user: AuthUser, channelId: string, query: MessageHistoryQuery): Promise<MessagePage> {
  return roomValue(await channelRoom(env, channelId).listMessages(actorOf(user), query));
}

export async function listReplies(env: Env, user: AuthUser, channelId: string, rootId: string, query: RepliesQuery): Promise<ReplyPage> {
  return roomValue(await channelRoom(env, channelId).listReplies(actorOf(user), rootId, query));
}
