import { and, asc, eq, gt, or, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../../db/client";
import { users } from "../../db/schema";
import { type Viewer, visibleTo } from "../../db/visibleUsers";
import { notFound } from "../../lib/ColinkError";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import type { UserView } from "../../protocol/users";
import { seesOthersEmail } from "../directory/userVisibility";

type UserRow = typeof users.$inferSelect;

export function toUserView(row: UserRow): UserView {
  return {
    id: row.id,
    username: row.username,
    display_name: row.displayName,
    email: row.email,
    role: row.role,
    title: row.title,
    timezone: row.timezone,
    status_text: row.statusText,
    status_emoji: row.statusEmoji,
    deactivated: row.deactivated,
    created_at: row.createdAt,
  };
}

/** The user row, or 404 `user_not_found`. */
export async function findUser(db: Database, userId: string): Promise<UserRow> {
  const row = await db.select().from(users).where(eq(users.id, userId)).get();
  if (!row) throw notFound("user");
  return row;
}

export const getUser = async (db: Database, userId: string) => toUserView(await findUser(db, userId));

/** A user as `viewer` sees them: their e-mail address only where userVisibility.ts allows it. */
function userViewFor(env: Env, viewer: Viewer, row: UserRow): UserView {
  const view = toUserView(row);
  return row.id === viewer.id || seesOthersEmail(env, viewer) ? view : { ...view, email: null };
}

/** One user as `viewer` sees them; 404 `user_not_found` for one they may not see. */
export async function getUserFor(env: Env, db: Database, viewer: Viewer, userId: string): Promise<UserView> {
  const row = await db
    .select()
    .from(users)
    .where(and(eq(users.id, userId), visibleTo(viewer)))
    .get();
  if (!row) throw notFound("user");
  return userViewFor(env, viewer, row);
}

const UsersCursor = z.object({ after: z.string() });

// LIKE treats % and _ as wildcards; a search for "a_b" means those characters literally.
const likeContains = (text: string) => `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

/**
 * The directory as `viewer` sees it, by username; `query` matches anywhere in username, display
 * name, or e-mail address where the viewer sees addresses (else a search would reveal them).
 */
export async function listUsers(
  env: Env,
  db: Database,
  viewer: Viewer,
  options: { query?: string; cursor?: string; limit: number },
): Promise<{ items: UserView[]; next_cursor: string | null }> {
  const conditions: (SQL | undefined)[] = [visibleTo(viewer)];
  if (options.cursor) conditions.push(gt(users.username, decodeCursor(options.cursor, UsersCursor).after));
  if (options.query) {
    const pattern = likeContains(options.query);
    const columns = seesOthersEmail(env, viewer) ? [users.username, users.displayName, users.email] : [users.username, users.displayName];
    const matches: (SQL | undefined)[] = columns.map((column) => sql`${column} LIKE ${pattern} ESCAPE '\\'`);
    // Their own address is theirs to search by.
    if (!seesOthersEmail(env, viewer)) matches.push(and(eq(users.id, viewer.id), sql`${users.email} LIKE ${pattern} ESCAPE '\\'`));
    conditions.push(or(...matches));
  }
  const rows = await db
    .select()
    .from(users)
    .where(and(...conditions))
    .orderBy(asc(users.username))
    .limit(options.limit + 1);
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => userViewFor(env, viewer, row)),
    next_cursor: rows.length > options.limit && last ? encodeCursor({ after: last.username }) : null,
  };
}
