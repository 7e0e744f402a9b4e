import { z } from "zod";
import colink from "../../src/index";
import { ColinkError, problemResponse } from "../../src/lib/ColinkError";
import { fieldErrors } from "../../src/lib/openapi";
import { hasLink, indexColumns } from "../../src/lib/search/searchText";
import { CHANNEL_ID_PATTERN } from "../../src/protocol/channels";
import { SEARCH_ROWID_SLOTS } from "../../src/services/directory/searchIndex";
import { roomValue } from "../../src/services/roomValue";
import { type BenchChannelRoom, MAX_SEARCH_SEED_BATCH, MAX_SEED_BATCH } from "./BenchChannelRoom";

// The bench's seeding Worker: Colink's Worker and Durable Objects, with CHANNEL_ROOM bound to
// BenchChannelRoom, plus one route that seeds a channel's history in bulk (bench/README.md
// "Seeding history"). Started by the bench's `history` scenario (bench/seeding/wrangler.toml),
// never deployed. Everything else is Colink's Worker unchanged.
//
//   POST /_bench/channels/:channel_id/seed-messages  {"count": 1..50000, "author_id": "<user id>"}
//        → 200 {"first_seq", "last_seq"}; a bad body 422, an unknown channel 404 (problem+json)
//   POST /_bench/channels/:channel_id/seed-search  {"count": 1..5000, "author_ids": [...], "seed", "from_ms", "step_ms"}
//        → 200 {"first_seq", "last_seq", "db_bytes"}: messages of the search corpus (searchCorpus.ts) in
//        the room and their index rows written to D1 in bulk, as the index consumer would write them
//        (rowid = created_at × 1024: the caller gives each channel its own milliseconds)

export { UserSession } from "../../src/index";
export { BenchChannelRoom } from "./BenchChannelRoom";

const SEED_PATH = /^\/_bench\/channels\/([^/]+)\/seed-(messages|search)$/;
const SeedBody = z.strictObject({ count: z.number().int().min(1).max(MAX_SEED_BATCH), author_id: z.string().min(1).max(64) });
const SeedSearchBody = z.strictObject({
  count: z.number().int().min(1).max(MAX_SEARCH_SEED_BATCH),
  author_ids: z.array(z.string().min(1).max(64)).min(1).max(1000),
  seed: z.number().int(),
  from_ms: z.number().int(),
  step_ms: z.number().int().min(0),
});
/** Index rows per D1 statement (one JSON parameter each). */
const INDEX_CHUNK = 500;

async function seedSearch(request: Request, env: Env, channelId: string): Promise<Response> {
  if (!CHANNEL_ID_PATTERN.test(channelId)) throw new ColinkError(404, "not_found", "No such resource.");
  const parsed = SeedSearchBody.safeParse(await request.json().catch(() => null));
  if (!parsed.success) throw new ColinkError(422, "validation_failed", "Some fields are invalid.", { errors: fieldErrors(parsed.error) });
  const { count, author_ids, seed, from_ms, step_ms } = parsed.data;
  const rooms = env.CHANNEL_ROOM as unknown as DurableObjectNamespace<BenchChannelRoom>;
  const { docs, version } = roomValue(await rooms.getByName(channelId).seedSearchMessages(author_ids, count, seed, from_ms, step_ms));
  let dbBytes = 0;
  for (let i = 0; i < docs.length; i += INDEX_CHUNK) {
    const rows = docs.slice(i, i + INDEX_CHUNK).map((d) => ({ ...d, ...indexColumns(d.text), has_link: hasLink(d.text) ? 1 : 0 }));
    const json = JSON.stringify(rows);
    const results = await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO search_messages (rowid, message_id, channel_id, seq, author_id, created_at, in_thread, has_file, has_link, deleted, version, indexed)
         SELECT json_extract(value, '$.created_at') * ${SEARCH_ROWID_SLOTS}, json_extract(value, '$.id'), ?2, json_extract(value, '$.seq'), json_extract(value, '$.author_id'), json_extract(value, '$.created_at'),
           0, 0, json_extract(value, '$.has_link'), 0, ?3, 1 FROM json_each(?1)`,
      ).bind(json, channelId, version),
      env.DB.prepare(
        `INSERT INTO search_fts (rowid, body, cjk) SELECT s.rowid, json_extract(j.value, '$.body'), json_extract(j.value, '$.cjk')
         FROM json_each(?1) j JOIN search_messages s ON s.message_id = json_extract(j.value, '$.id')`,
      ).bind(json),
    ]);
    dbBytes = results.at(-1)?.meta.size_after ?? dbBytes;
  }
  return Response.json({ first_seq: docs[0]?.seq ?? null, last_seq: docs.at(-1)?.seq ?? null, db_bytes: dbBytes });
}

async function seed(request: Request, env: Env, channelId: string): Promise<Response> {
  if (!CHANNEL_ID_PATTERN.test(channelId)) throw new ColinkError(404, "not_found", "No such resource.");
  const parsed = SeedBody.safeParse(await request.json().catch(() => null));
  if (!parsed.success) throw new ColinkError(422, "validation_failed", "Some fields are invalid.", { errors: fieldErrors(parsed.error) });
  // This Worker binds CHANNEL_ROOM to BenchChannelRoom; Env is typed from Colink's own configuration.
  const rooms = env.CHANNEL_ROOM as unknown as DurableObjectNamespace<BenchChannelRoom>;
  return Response.json(roomValue(await rooms.getByName(channelId).seedMessages(parsed.data.author_id, parsed.data.count)));
}

export default {
  async fetch(request, env, ctx) {
    const route = request.method === "POST" ? SEED_PATH.exec(new URL(request.url).pathname) : null;
    if (!route) return colink.fetch(request, env, ctx);
    try {
      return route[2] === "search" ? await seedSearch(request, env, route[1] ?? "") : await seed(request, env, route[1] ?? "");
    } catch (err) {
      if (err instanceof ColinkError) return problemResponse(err);
      throw err;
    }
  },
  queue: colink.queue,
  scheduled: colink.scheduled,
} satisfies ExportedHandler<Env>;
