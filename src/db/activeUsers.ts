import { and, eq, inArray } from "drizzle-orm";
import type { Role } from "../protocol/roles";
import { d1Chunks } from "./chunked";
import type { Database } from "./client";
import { users } from "./schema";

export type DirectoryUser = { id: string; username: string; role: Role };

/** The active (not deactivated) users among `ids`, by id. The one answer to "which of these may take part". */
export async function activeUsersById(db: Database, ids: readonly string[]): Promise<Map<string, DirectoryUser>> {
  const found = new Map<string, DirectoryUser>();
  for (const chunk of d1Chunks([...new Set(ids)], 1, 1)) {
    const rows = await db
      .select({ id: users.id, username: users.username, role: users.role })
      .from(users)
      .where(and(inArray(users.id, chunk), eq(users.deactivated, false)));
    for (const row of rows) found.set(row.id, row);
  }
  return found;
}
