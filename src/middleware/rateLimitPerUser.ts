import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { type Config, config } from "../lib/config";
import { rateLimit } from "../services/auth/throttles";

/**
 * After `requireUser`: at most `limit` such requests per user per window, then 429 `rate_limited`
 * with Retry-After. Counted before the request runs, so refused and failing requests count too.
 */
export const rateLimitPerUser = (bucket: string, limit: (cfg: Config) => number, windowSeconds: number) =>
  createMiddleware<AppEnv>(async (c, next) => {
    await rateLimit(c.var.db, bucket, c.var.user.id, limit(config(c.env)), windowSeconds);
    await next();
  });
