import { and, asc, eq, gt, inArray, isNotNull, or } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../../db/client";
import { channels, memberships } from "../../db/schema";
import { ColinkError } from "../../lib/ColinkError";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { matchText } from "../../lib/search/matchText";
import { CHANNEL_NAME_PATTERN, type Channel } from "../../protocol/channels";
import type { SearchChannelsQuery } from "../../protocol/search";
import type { AuthUser } from "../auth/authUser";
import { channelFromRow } from "../directory/channelDirectory";
import { parseSearchQuery } from "./searchMessages";

const ChannelCursor = z.object({ after: z.string().regex(CHANNEL_NAME_PATTERN) });

/**
 * Channels by name, topic and purpose (`GET /search/channels`), with the visibility of "browse
 * channels": public ones for non-guests, and the caller's private ones; by name. Every word must
 * match (Latin words by prefix, CJK as substrings, case- and accent-insensitive), the same
 * matching as message search. A workspace has thousands of channels, not millions: they are
 * matched here rather than through an index.
 */
export async function searchChannels(
  db: Database,
  user: AuthUser,
  input: SearchChannelsQuery,
): Promise<{ items: Channel[]; next_cursor: string | null }> {
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
    throw new ColinkError(422, "invalid_query", "Channel search takes words and phrases only, no operators.");
  const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor, ChannelCursor).after;
  const mine = isNotNull(memberships.userId);
  const rows = await db
    .select({ channel: channels })
    .from(channels)
    .leftJoin(memberships, and(eq(memberships.channelId, channels.id), eq(memberships.userId, user.id)))
    .where(
      and(
        inArray(channels.kind, ["public", "private"]),
        user.role === "guest" ? mine : or(eq(channels.kind, "public"), mine),
        after === undefined ? undefined : gt(channels.name, after),
      ),
    )
    .orderBy(asc(channels.name));
  const items: Channel[] = [];
  let more = false;
  for (const { channel } of rows) {
    if (matchText(`${channel.name ?? ""}\n${channel.topic}\n${channel.purpose}`, query.terms) === null) continue;
    if (items.length === input.limit) {
      more = true;
      break;
    }
    items.push(channelFromRow(channel));
  }
  const last = items.at(-1);
  return { items, next_cursor: more && last?.name ? encodeCursor({ after: last.name }) : null };
}
