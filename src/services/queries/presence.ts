import { activeUsersById } from "../../db/activeUsers";
import type { Database } from "../../db/client";
import { userSession } from "../../lib/stubs";
import type { PresenceView } from "../../protocol/presence";

/** Presence of existing, active users among `ids` (others are left out), in the order asked. */
export async function readPresence(env: Env, db: Database, ids: string[]): Promise<PresenceView[]> {
  const known = await activeUsersById(db, ids);
  return Promise.all(ids.filter((id) => known.has(id)).map((id) => userSession(env, id).getPresence(id)));
}
