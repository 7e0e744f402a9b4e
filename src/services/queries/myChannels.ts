import { asc, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { memberships } from "../../db/schema";
import { log } from "../../lib/log";
import { channelRoom } from "../../lib/stubs";
import type { ChannelReadState } from "../../protocol/channels";
import type { AuthUser } from "../auth/authUser";

/**
 * Every channel and DM the caller is in, with read state, asked of each room in parallel. The
 * directory says where to look; a room that no longer counts the caller as a member is left out.
 */
export async function listMyChannels(env: Env, db: Database, user: AuthUser): Promise<{ items: ChannelReadState[] }> {
  const rows = await db
    .select({ channelId: memberships.channelId })
    .from(memberships)
    .where(eq(memberships.userId, user.id))
    .orderBy(asc(memberships.joinedAt), asc(memberships.channelId));
  const states = await Promise.all(
    rows.map(async ({ channelId }) => {
      const result = await channelRoom(env, channelId).readState(user.id);
      if (!result.ok)
        log("warn", "directory lists a membership the room does not", { channel_id: channelId, user_id: user.id, code: result.error.code });
      return result.ok ? result.value : null;
    }),
  );
  return { items: states.filter((s): s is ChannelReadState => s !== null) };
}
