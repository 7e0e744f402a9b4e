import { and, desc, eq, lt, ne, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../../db/client";
import { files } from "../../db/schema";
import { ColinkError } from "../../lib/ColinkError";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { matchText } from "../../lib/search/matchText";
import type { FileInfo } from "../../protocol/files";
import type { SearchFilesQuery } from "../../protocol/search";
import type { AuthUser } from "../auth/authUser";
import { type FileRow, fileFromRow, mayReadFile } from "./files";
import { parseSearchQuery } from "./searchMessages";

const FileCursor = z.object({ at: z.string().max(40), id: z.string().max(64) });

/** Rows read from D1 per step while matching. */
const STEP = 500;

/**
 * Files by filename (`GET /search/files`), newest first: every word must match (Latin words by
 * prefix, CJK as substrings, case- and accent-insensitive), as in message search. Candidates are
 * the files the caller uploaded or that were posted in a channel the directory says they may read
 * (members; non-guests also public channels); each one not their own is then checked with its
 * channels' rooms (`mayReadFile`), as `GET /files/{id}` does. Filenames are matched in the Worker,
 * a page of rows at a time: a workspace has thousands of files, not millions.
 */
export async function searchFiles(
  env: Env,
  db: Database,
  user: AuthUser,
  input: SearchFilesQuery,
): Promise<{ items: FileInfo[]; next_cursor: string | null }> {
  const query = parseSearchQuery(input.q);
  if (
    query.from.length ||
    query.in.length ||
    query.hasFile ||
    query.hasLink ||
    query.isThread ||
    query.since !== null ||
    query.until !== null
  )
    throw new ColinkError(422, "invalid_query", "File search takes words and phrases only, no operators.");
  let after = input.cursor === undefined ? null : decodeCursor(input.cursor, FileCursor);
  const items: FileInfo[] = [];
  let last: FileRow | null = null;
  let more = false;
  while (!more) {
    const nonGuest = user.role === "guest" ? 0 : 1;
    const rows = await db
      .select()
      .from(files)
      .where(
        and(
          ne(files.status, "uploading"),
          or(
            eq(files.uploadedBy, user.id),
            sql`EXISTS (SELECT 1 FROM file_posts p WHERE p.file_id = ${files.id} AND p.channel_id IN
              (SELECT channel_id FROM memberships WHERE user_id = ${user.id} UNION ALL SELECT id FROM channels WHERE kind = 'public' AND ${nonGuest} = 1))`,
          ),
          after === null ? undefined : or(lt(files.createdAt, after.at), and(eq(files.createdAt, after.at), lt(files.id, after.id))),
        ),
      )
      .orderBy(desc(files.createdAt), desc(files.id))
      .limit(STEP)
      .all();
    const matching = rows.filter((r) => matchText(r.filename, query.terms) !== null);
    const readable = await Promise.all(matching.map(async (r) => ((await mayReadFile(env, db, user, r)) ? r : null)));
    for (const r of readable) {
      if (!r) continue;
      if (items.length === input.limit) {
        more = true;
        break;
      }
      items.push(fileFromRow(r));
      last = r;
    }
    const end = rows.at(-1);
    if (rows.length < STEP || !end) break;
    after = { at: end.createdAt, id: end.id };
  }
  return { items, next_cursor: more && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null };
}
