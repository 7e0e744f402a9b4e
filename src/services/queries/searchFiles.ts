import { and, desc, eq, exists, gte, inArray, lt, ne, or, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../../db/client";
import { channels, filePosts, files, memberships, users } from "../../db/schema";
import { ColinkError } from "../../lib/ColinkError";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { matchText } from "../../lib/search/matchText";
import type { FileHit, SearchFilesQuery } from "../../protocol/search";
import type { AuthUser } from "../auth/authUser";
import { fileFromRow } from "./files";
import { parseSearchQuery } from "./searchMessages";

const FileCursor = z.object({ at: z.string().max(40), id: z.string().max(64) });

/** Rows read from D1 at a time, and at most per request: a page may come back short, with a cursor, rather than scan without end. */
const BATCH = 200;
const MAX_SCANNED = 2_000;

/**
 * Files by filename (`GET /search/files`), newest first, that the caller may read now: their own
 * uploads, and files posted in a channel they may read (members read their channels and DMs,
 * non-guests every public channel), as message search decides. A quarantined file is found only
 * by its uploader. Filenames are matched as message text is (Latin words by prefix, CJK as
 * substrings, case- and accent-insensitive, phrases, -excluded words), over the visible files in
 * time order, at most MAX_SCANNED per request (a short page then carries a cursor).
 */
export async function searchFiles(
  db: Database,
  user: AuthUser,
  input: SearchFilesQuery,
): Promise<{ items: FileHit[]; next_cursor: string | null }> {
  const query = parseSearchQuery(input.q);
  if (query.hasFile || query.hasLink || query.isThread)
    throw new ColinkError(422, "invalid_query", "File search takes words, phrases, from:, in:, before:, after: and on: only.");
  const readable = db
    .select({ id: memberships.channelId })
    .from(memberships)
    .where(eq(memberships.userId, user.id))
    .union(
      db
        .select({ id: channels.id })
        .from(channels)
        .where(and(eq(channels.kind, "public"), user.role === "guest" ? sql`0` : undefined)),
    );
  /** Posted in any of the channels `channelIds` (a subquery) selects. */
  const postedIn = (channelIds: SQLWrapper) =>
    exists(
      db
        .select({ one: sql`1` })
        .from(filePosts)
        .where(and(eq(filePosts.fileId, files.id), inArray(filePosts.channelId, channelIds))),
    );
  const conditions: (SQL | undefined)[] = [or(eq(files.uploadedBy, user.id), and(ne(files.status, "quarantined"), postedIn(readable)))];
  if (query.from.length > 0)
    conditions.push(
      inArray(
        files.uploadedBy,
        db
          .select({ id: users.id })
          .from(users)
          .where(inArray(sql`lower(${users.username})`, query.from)),
      ),
    );
  if (query.in.length > 0) conditions.push(postedIn(db.select({ id: channels.id }).from(channels).where(inArray(channels.name, query.in))));
  if (query.since !== null) conditions.push(gte(files.createdAt, new Date(query.since).toISOString()));
  if (query.until !== null) conditions.push(lt(files.createdAt, new Date(query.until).toISOString()));

  let after = input.cursor === undefined ? null : decodeCursor(input.cursor, FileCursor);
  const items: FileHit[] = [];
  for (let scanned = 0; scanned < MAX_SCANNED; ) {
    const page = after ? or(lt(files.createdAt, after.at), and(eq(files.createdAt, after.at), lt(files.id, after.id))) : undefined;
    const rows = await db
      .select()
      .from(files)
      .where(and(...conditions, page))
      .orderBy(desc(files.createdAt), desc(files.id))
      .limit(BATCH)
      .all();
    for (const row of rows) {
      scanned++;
      after = { at: row.createdAt, id: row.id };
      const highlights = matchText(row.filename, query.terms);
      if (highlights !== null) items.push({ file: fileFromRow(row), highlights });
      if (items.length === input.limit) return { items, next_cursor: encodeCursor(after) };
    }
    if (rows.length < BATCH) return { items, next_cursor: null };
  }
  return { items, next_cursor: after ? encodeCursor(after) : null };
}
