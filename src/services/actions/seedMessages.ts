import { channelRoom } from "../../lib/stubs";
import { roomValue } from "../roomValue";

/** Bench-only: appends `count` messages by `authorId` to a channel's history in bulk (routes/benchSeed.ts guards it). */
export async function seedMessages(env: Env, channelId: string, authorId: string, count: number) {
  return roomValue(await channelRoom(env, channelId).seedMessages(authorId, count));
}
