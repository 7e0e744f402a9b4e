import { channelRoom } from "../../lib/stubs";
import type { Pin } from "../../protocol/pins";
import { actorOf } from "../actorOf";
import type { AuthUser } from "../auth/authUser";
import { roomValue } from "../roomValue";

// Pins live in their ChannelRoom, which appends `pin.added` / `pin.removed` and fans them out.

export async function pinMessage(env: Env, user: AuthUser, channelId: string, messageId: string): Promise<Pin> {
  return roomValue(await channelRoom(env, channelId).pin(actorOf(user), messageId));
}

export async function unpinMessage(env: Env, user: AuthUser, channelId: string, messageId: string): Promise<void> {
  roomValue(await channelRoom(env, channelId).unpin(actorOf(user), messageId));
}
