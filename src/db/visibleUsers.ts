import { and, eq, inArray, or, type SQL, sql } from "drizzle-orm";
import type { Role } from "../protocol/roles";
import { d1Chunks } from "./chunked";
import type { Database } from "./client";
import { users } from "./schema";

// Who sees whom: members and admins see everyone; a guest sees themselves and the people they
// share a channel or DM with. The one query for it, used by the HTTP directory
// (services/directory/userVisibility.ts) and by presence subscriptions over the socket (UserSession).

export type Viewer = { id: string; role: Role };

/** A condition on `users` rows: those `viewer` may see. Undefined when they see everyone. */
export function visibleTo(viewer: Viewer): SQL | undefined {
  if (viewer.role !== "guest") return undefined;
  const sharesAChannel = sql`EXISTS (SELECT 1 FROM memberships AS mine JOIN memberships AS theirs ON theirs.channel_id = mine.channel_id
    WHERE mine.user_id = ${viewer.id} AND theirs.user_id = ${users.id})`;
  return or(eq(users.id, viewer.id), sharesAChannel);
}

/** The ids among `ids` that `viewer` may see. */
export async function visibleIds(db: Database, viewer: Viewer, ids: readonly string[]): Promise<Set<string>> {
  const unique = [...new Set(ids)];
  const condition = visibleTo(viewer);
  if (!condition) return new Set(unique);
  const seen = new Set<string>();
  for (const chunk of d1Chunks(unique, 1, 2)) {
    const rows = await db
      .select({ id: users.id })
      .from(users)
      .where(and(inArray(users.id, chunk), condition));
    for (const row of rows) seen.add(row.id);
  }
  return seen;
}
