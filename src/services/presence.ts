import { and, eq, inArray } from "drizzle-orm";
import type { Database } from "../db/client";
import { users } from "../db/schema";
import { userSession } from "../lib/stubs";
import type { PresenceView } from "../protocol/presence";

/** Presence of existing, active users among `ids` (others are left out), in the order asked. */
export async function readPresence(env: Env, db: Database, ids: string[]): Promise<PresenceView[]> {
  const known = new Set<string>();
  // D1 binds at most 100 parameters per statement.
  for (let i = 0; i < ids.length; i += 99) {
    const rows = await db
      .select({ id: users.id })
      .from(users)
      .where(and(inArray(users.id, ids.slice(i, i + 99)), eq(users.deactivated, false)));
    for (const r of rows) known.add(r.id);
  }
  return Promise.all(ids.filter((id) => known.has(id)).map((id) => userSession(env, id).getPresence(id)));
}

export async function setPresence(env: Env, userId: string, status: "active" | "away" | "dnd", dndUntil: string | null | undefined) {
  return userSession(env, userId).setPresence(userId, status, dndUntil ? Date.parse(dndUntil) : null);
}
