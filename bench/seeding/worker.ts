import { z } from "zod";
import colink from "../../src/index";
import { ColinkError, problemResponse } from "../../src/lib/ColinkError";
import { fieldErrors } from "../../src/lib/openapi";
import { CHANNEL_ID_PATTERN } from "../../src/protocol/channels";
import { roomValue } from "../../src/services/roomValue";
import { type BenchChannelRoom, MAX_SEED_BATCH } from "./BenchChannelRoom";

// The bench's seeding Worker: Colink's Worker and Durable Objects, with CHANNEL_ROOM bound to
// BenchChannelRoom, plus one route that seeds a channel's history in bulk (bench/README.md
// "Seeding history"). Started by the bench's `history` scenario (bench/seeding/wrangler.toml),
// never deployed. Everything else is Colink's Worker unchanged.
//
//   POST /_bench/channels/:channel_id/seed-messages  {"count": 1..50000, "author_id": "<user id>"}
//        → 200 {"first_seq", "last_seq"}; a bad body 422, an unknown channel 404 (problem+json)

export { UserSession } from "../../src/index";
export { BenchChannelRoom } from "./BenchChannelRoom";

const SEED_PATH = /^\/_bench\/channels\/([^/]+)\/seed-messages$/;
const SeedBody = z.strictObject({ count: z.number().int().min(1).max(MAX_SEED_BATCH), author_id: z.string().min(1).max(64) });

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
      return await seed(request, env, route[1] ?? "");
    } catch (err) {
      if (err instanceof ColinkError) return problemResponse(err);
      throw err;
    }
  },
  scheduled: colink.scheduled,
  queue: colink.queue,
} satisfies ExportedHandler<Env>;
