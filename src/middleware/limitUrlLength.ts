import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ColinkError } from "../lib/ColinkError";

/**
 * Longest URL Colink answers: Cloudflare's own edge limit (16 KiB), so that local and production
 * agree, and below workerd's (64 KiB, answered there in plain text). The longest legitimate URL,
 * a presence read of 500 user ids, is about 15 KB.
 */
export const MAX_URL_LENGTH = 16 * 1024;

export const limitUrlLength = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.url.length > MAX_URL_LENGTH)
    throw new ColinkError(414, "uri_too_long", `URLs are limited to ${MAX_URL_LENGTH} characters; send long lists in pages.`);
  return next();
});
