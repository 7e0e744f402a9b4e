import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ColinkError } from "../lib/ColinkError";

const MAX_JSON_BYTES = 256 * 1024;
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;

/**
 * Every request that carries a body to the JSON API must say it is JSON (400 otherwise) and stay
 * under the size limit (413). Bodies are read once here, so a lying Content-Length cannot slip by.
 */
export const requireJsonBody = createMiddleware<AppEnv>(async (c, next) => {
  const method = c.req.method;
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") return next();
  const length = Number(c.req.header("content-length") ?? "0");
  if (length > MAX_JSON_BYTES) throw new ColinkError(413, "body_too_large", `Request bodies are limited to ${MAX_JSON_BYTES} bytes.`);
  const hasBody = length > 0 || c.req.header("transfer-encoding") !== undefined;
  if (!hasBody) return next();
  const type = c.req.header("content-type") ?? "";
  if (!JSON_TYPE.test(type)) throw new ColinkError(400, "unsupported_content_type", "Send the body as application/json.");
  const text = await c.req.text();
  if (new TextEncoder().encode(text).byteLength > MAX_JSON_BYTES)
    throw new ColinkError(413, "body_too_large", `Request bodies are limited to ${MAX_JSON_BYTES} bytes.`);
  return next();
});
