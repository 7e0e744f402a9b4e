import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env";
import { ColinkError } from "../lib/ColinkError";
import { config } from "../lib/config";
import { fieldErrors } from "../lib/openapi";
import { CHANNEL_ID_PATTERN } from "../protocol/channels";
import { seedMessages } from "../services/actions/seedMessages";

// Bench-only bulk seeding of a channel's history (bench/README.md "Seeding history"). Invisible
// (404, like any unknown path) unless BENCH_SEED_TOKEN is set and the caller presents it; it is
// unset by default and must stay unset in a real deployment. Not part of the public API.

const SeedBody = z.strictObject({ count: z.number().int().min(1).max(50_000), author_id: z.string().min(1).max(64) });

const notFound = () => new ColinkError(404, "not_found", "No such resource.");

async function sameSecret(a: string, b: string): Promise<boolean> {
  const digest = async (s: string) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  return crypto.subtle.timingSafeEqual(await digest(a), await digest(b));
}

export const benchSeedRoutes = new Hono<AppEnv>().post("/channels/:channel_id/seed-messages", async (c) => {
  const token = config(c.env).BENCH_SEED_TOKEN;
  if (!token || !(await sameSecret(c.req.header("x-bench-seed-token") ?? "", token))) throw notFound();
  const channelId = c.req.param("channel_id");
  if (!CHANNEL_ID_PATTERN.test(channelId)) throw notFound();
  const parsed = SeedBody.safeParse(await c.req.json().catch(() => null));
  if (!parsed.success) throw new ColinkError(422, "validation_failed", "Some fields are invalid.", { errors: fieldErrors(parsed.error) });
  return c.json(await seedMessages(c.env, channelId, parsed.data.author_id, parsed.data.count), 200);
});
