import { activeUsersById } from "../../db/activeUsers";
import type { Database } from "../../db/client";
import { type Viewer, visibleIds } from "../../db/visibleUsers";
import { userSession } from "../../lib/stubs";
import type { PresenceView } from "../../protocol/presence";

/** Presence of existing, active users among `ids` that `viewer` may see (others are left out), in the order asked. */
export async function readPresence(env: Env, db: Database, viewer: Viewer, ids: string[]): Promise<PresenceView[]> {
  const [known, visible] = await Promise.all([activeUsersById(db, ids), visibleIds(db, viewer, ids)]);
  return Promise.all(ids.filter((id) => known.has(id) && visible.has(id)).map((id) => userSession(env, id).getPresence()));
}
