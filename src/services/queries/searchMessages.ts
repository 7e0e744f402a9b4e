import { z } from "zod";
import { ColinkError } from "../../lib/ColinkError";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { ftsExpression } from "../../lib/search/ftsExpression";
import { matchText } from "../../lib/search/matchText";
import { InvalidQuery, type ParsedQuery, parseQuery } from "../../lib/search/parseQuery";
import { hasLink } from "../../lib/search/searchText";
import { channelRoom } from "../../lib/stubs";
import type { Message } from "../../protocol/messages";
import type { MessageHit, SearchMessagesQuery } from "../../protocol/search";
import { actorOf } from "../actorOf";
import type { AuthUser } from "../auth/authUser";
import { rowidAt } from "../directory/searchIndex";

// Message search (API.md "Search"). The D1 index finds candidates among the channels the caller
// may read now (memberships and channel kinds, read at query time); then each candidate's room,
// the authority, is asked for the message as it is now: a channel the caller can no longer read,
// a deleted message, or one whose current text no longer matches (an edit the index has not
// caught up with) is left out. Highlights are computed on that current text.

/** Parses `q`, or answers 422 invalid_query with the reason. */
export function parseSearchQuery(q: string): ParsedQuery {
  try {
    return parseQuery(q);
  } catch (err) {
    if (err instanceof InvalidQuery) throw new ColinkError(422, "invalid_query", err.detail);
    throw err;
  }
}

/**
 * Relevance ranks (bm25) the newest RELEVANCE_WINDOW matches the caller may read: ranking every
 * match of a common word over a million messages reads its whole doclist (seconds), while walking
 * the newest ones in reverse rowid order stops early. A query with fewer matches is ranked whole;
 * older matches of a common word are reached with sort=recent. bench/README.md "search" has the numbers.
 */
export const RELEVANCE_WINDOW = 2000;

const RelevanceCursor = z.object({ s: z.literal("relevance"), score: z.number(), rowid: z.number().int(), snap: z.number().int() });
const RecentCursor = z.object({ s: z.literal("recent"), rowid: z.number().int() });
const SearchCursor = z.discriminatedUnion("s", [RelevanceCursor, RecentCursor]);

type Candidate = { rowid: number; message_id: string; channel_id: string; created_at: number; score: number | null };

/** The SQL conditions of a parsed query's operators, on search_messages `s` (dates as ranges of `rowid`, the time order). */
function filters(query: ParsedQuery, rowid: string, where: string[], params: unknown[]): void {
  if (query.from.length > 0) {
    where.push("s.author_id IN (SELECT id FROM users WHERE lower(username) IN (SELECT value FROM json_each(?)))");
    params.push(JSON.stringify(query.from));
  }
  if (query.in.length > 0) {
    where.push("s.channel_id IN (SELECT id FROM channels WHERE name IN (SELECT value FROM json_each(?)))");
    params.push(JSON.stringify(query.in));
  }
  if (query.hasFile) where.push("s.has_file = 1");
  if (query.hasLink) where.push("s.has_link = 1");
  if (query.isThread) where.push("s.in_thread = 1");
  if (query.since !== null) {
    where.push(`${rowid} >= ?`);
    params.push(rowidAt(query.since));
  }
  if (query.until !== null) {
    where.push(`${rowid} < ?`);
    params.push(rowidAt(query.until));
  }
}

/** Candidates from the index, in result order, at most `take`. */
async function candidates(
  db: D1Database,
  user: AuthUser,
  query: ParsedQuery,
  sort: "relevance" | "recent",
  cursor: z.infer<typeof SearchCursor> | null,
  take: number,
): Promise<{ rows: Candidate[]; snap: number; sort: "relevance" | "recent" }> {
  const { include, exclude } = ftsExpression(query);
  // Without words to rank by, the order is by time.
  const order = include === null ? "recent" : sort;
  if (cursor && cursor.s !== order)
    throw new ColinkError(400, "invalid_cursor", "The cursor is for another sort; start again without one.");
  const where: string[] = ["s.deleted = 0"];
  const params: unknown[] = [];
  if (include !== null) {
    where.push("search_fts MATCH ?");
    params.push(exclude === null ? include : `(${include}) NOT (${exclude})`);
  } else if (exclude !== null) {
    where.push("s.rowid NOT IN (SELECT rowid FROM search_fts WHERE search_fts MATCH ?)");
    params.push(exclude);
  }
  // Who may read what, now: members read their channels and DMs; non-guests every public channel.
  where.push(
    "s.channel_id IN (SELECT channel_id FROM memberships WHERE user_id = ? UNION ALL SELECT id FROM channels WHERE kind = 'public' AND ? = 1)",
  );
  params.push(user.id, user.role === "guest" ? 0 : 1);
  // FTS5 walks its matches in rowid order itself: constraints and order go on its rowid.
  const rowid = include === null ? "s.rowid" : "search_fts.rowid";
  filters(query, rowid, where, params);
  const from = include === null ? "search_messages s" : "search_fts JOIN search_messages s ON s.rowid = search_fts.rowid";
  const columns = "s.rowid AS rowid, s.message_id, s.channel_id, s.created_at";
  let sql: string;
  const tail: unknown[] = [];
  let snap = 0;
  if (order === "relevance") {
    // Later pages see no row added after the first: nothing moves in from behind the cursor.
    snap =
      cursor?.s === "relevance"
        ? cursor.snap
        : ((await db.prepare("SELECT MAX(rowid) AS m FROM search_messages").first<{ m: number | null }>())?.m ?? 0);
    where.push(`${rowid} <= ?`);
    params.push(snap, RELEVANCE_WINDOW);
    const newest = `SELECT ${columns}, bm25(search_fts) AS score FROM ${from} WHERE ${where.join(" AND ")} ORDER BY ${rowid} DESC LIMIT ?`;
    const after = cursor?.s === "relevance" ? "WHERE score > ? OR (score = ? AND rowid > ?)" : "";
    if (cursor?.s === "relevance") tail.push(cursor.score, cursor.score, cursor.rowid);
    sql = `SELECT * FROM (${newest}) ${after} ORDER BY score, rowid LIMIT ?`;
  } else {
    if (cursor?.s === "recent") {
      where.push(`${rowid} < ?`);
      params.push(cursor.rowid);
    }
    sql = `SELECT ${columns}, NULL AS score FROM ${from} WHERE ${where.join(" AND ")} ORDER BY ${rowid} DESC LIMIT ?`;
  }
  const { results } = await db
    .prepare(sql)
    .bind(...params, ...tail, take)
    .all<Candidate>();
  return { rows: results, snap, sort: order };
}

/** The rooms' current messages for the candidates, by id; a room the caller may not read gives none. */
async function currentMessages(env: Env, user: AuthUser, rows: Candidate[]): Promise<Map<string, Message>> {
  const byChannel = new Map<string, string[]>();
  for (const r of rows) byChannel.set(r.channel_id, [...(byChannel.get(r.channel_id) ?? []), r.message_id]);
  const found = new Map<string, Message>();
  await Promise.all(
    [...byChannel].map(async ([channelId, ids]) => {
      const result = await channelRoom(env, channelId).searchHits(actorOf(user), ids);
      if (result.ok) for (const m of result.value) found.set(m.id, m);
    }),
  );
  return found;
}

/** Still true of the message as it is now: what the index may be behind on. */
function stillMatches(message: Message, query: ParsedQuery): boolean {
  if (query.hasLink && !hasLink(message.text)) return false;
  if (query.isThread && message.thread_root_id === null && message.reply_count === 0) return false;
  return true;
}

export async function searchMessages(
  env: Env,
  user: AuthUser,
  input: SearchMessagesQuery,
): Promise<{ items: MessageHit[]; next_cursor: string | null }> {
  const query = parseSearchQuery(input.q);
  const cursor = input.cursor === undefined ? null : decodeCursor(input.cursor, SearchCursor);
  const { rows, snap, sort } = await candidates(env.DB, user, query, input.sort, cursor, input.limit + 1);
  const page = rows.slice(0, input.limit);
  const messages = await currentMessages(env, user, page);
  const items: MessageHit[] = [];
  for (const row of page) {
    const message = messages.get(row.message_id);
    if (!message || !stillMatches(message, query)) continue;
    const highlights = matchText(message.text, query.terms);
    if (highlights === null) continue;
    items.push({ message, channel_id: message.channel_id, highlights });
  }
  const last = page.at(-1);
  let next: string | null = null;
  if (rows.length > input.limit && last)
    next =
      sort === "relevance"
        ? encodeCursor({ s: "relevance", score: last.score ?? 0, rowid: last.rowid, snap })
        : encodeCursor({ s: "recent", rowid: last.rowid });
  return { items, next_cursor: next };
}
