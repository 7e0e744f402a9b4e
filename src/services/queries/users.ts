import { and, asc, eq, gt, or, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../../db/client";
import { users } from "../../db/schema";
import { notFound } from "../../lib/ColinkError";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import type { UserView } from "../../protocol/users";

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

const UsersCursor = z.object({ after: z.string() });

// LIKE treats % and _ as wildcards; a search for "a_b" means those characters literally.
const likeContains = (text: string) => `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

/** The directory, by username; `query` matches anywhere in username, display name or email. */
export async function listUsers(
  db: Database,
  options: { query?: string; cursor?: string; limit: number },
): Promise<{ items: UserView[]; next_cursor: string | null }> {
  const conditions: (SQL | undefined)[] = [];
  if (options.cursor) conditions.push(gt(users.username, decodeCursor(options.cursor, UsersCursor).after));
  if (options.query) {
    const pattern = likeContains(options.query);
    conditions.push(or(...[users.username, users.displayName, users.email].map((column) => sql`${column} LIKE ${pattern} ESCAPE '\\'`)));
  }
  const rows = await db
    .select()
    .from(users)
    .where(and(...conditions))
    .orderBy(asc(users.username))
    .limit(options.limit + 1);
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  return { items: page.map(toUserView), next_cursor: rows.length > options.limit && last ? encodeCursor({ after: last.username }) : null };
}
