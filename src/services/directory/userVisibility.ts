import { and, eq, inArray, or, type SQL, sql } from "drizzle-orm";
import { d1Chunks } from "../../db/chunked";
import type { Database } from "../../db/client";
import { users } from "../../db/schema";
import { notFound } from "../../lib/ColinkError";
import { config } from "../../lib/config";
import { isAdminRole, type Role } from "../../protocol/roles";

// Who sees whom in the directory. Members and admins see everyone; a guest sees themselves and the
// people they share a channel or DM with, and for a guest everyone else does not exist (404, as for
// channels they are not in). E-mail addresses are for admins, and for members when the workspace
// shows them (SHOW_EMAIL_TO_MEMBERS); everyone sees their own.

export type Viewer = { id: string; role: Role };

/** A condition on `users` rows: those `viewer` may see. Undefined when they see everyone. */
export function visibleTo(viewer: Viewer): SQL | undefined {
  if (viewer.role !== "guest") return undefined;
  const sharesAChannel = sql`EXISTS (SELECT 1 FROM memberships AS mine JOIN memberships AS theirs ON theirs.channel_id = mine.channel_id
    WHERE mine.user_id = ${viewer.id} AND theirs.user_id = ${users.id})`;
  return or(eq(users.id, viewer.id), sharesAChannel);
}

/** Whether `viewer` sees other people's e-mail addresses. */
export const seesOthersEmail = (env: Env, viewer: Viewer) =>
  isAdminRole(viewer.role) || (viewer.role === "member" && config(env).SHOW_EMAIL_TO_MEMBERS);

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

/** 404 `user_not_found` unless `viewer` may see every one of `ids`: for a guest, the others do not exist. */
export async function requireVisibleUsers(db: Database, viewer: Viewer, ids: readonly string[]): Promise<void> {
  if (viewer.role !== "guest") return;
  const seen = await visibleIds(db, viewer, ids);
  if (ids.some((id) => !seen.has(id))) throw notFound("user");
}
