import { channelRoom } from "../../lib/stubs";
import type { PinList } from "../../protocol/pins";
import { actorOf } from "../actorOf";
import type { AuthUser } from "../auth/authUser";
import { roomValue } from "../roomValue";

/** The channel's pins, newest first, for whoever may read it (the ChannelRoom decides). */
export async function listPins(env: Env, user: AuthUser, channelId: string): Promise<PinList> {
  return { items: roomValue(await channelRoom(env, channelId).listPins(actorOf(user))) };
}
