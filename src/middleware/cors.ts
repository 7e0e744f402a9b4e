import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ColinkError, problemResponse } from "../lib/ColinkError";
import { config } from "../lib/config";
import { originAllowed } from "../lib/originAllowed";

// CORS for browser clients of the HTTP API. Hono's own cors middleware is not used: it sends
// Allow-Methods, Allow-Headers and Expose-Headers to every origin, answers any OPTIONS as a
// preflight, and would write headers into a WebSocket upgrade's immutable response.

/** Every method the API routes use. */
const ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE";
/** Request headers clients send: the Bearer token, JSON bodies, a request id to correlate logs. */
const ALLOW_HEADERS = "Authorization, Content-Type, X-Request-Id";
/** Response headers a browser client needs to read: rate limits, auth challenges, request ids. */
const EXPOSE_HEADERS = "Retry-After, WWW-Authenticate, X-Request-Id";
/** How long a browser may cache a preflight: Chromium caps it at 2 hours. */
const MAX_AGE_SECONDS = "7200";

/**
 * Allowed origins (the service's own plus ALLOWED_ORIGINS, as for sockets) get a 204 preflight and
 * `Access-Control-Allow-Origin` on every answer, errors included. Any other origin gets no CORS
 * header at all (a preflight from one is refused with 403), so the browser keeps the answer from it.
 * No credentials mode: the API authenticates with Bearer tokens, never cookies.
 */
export const cors = createMiddleware<AppEnv>(async (c, next) => {
  const origin = c.req.header("origin");
  const allowed = origin !== undefined && originAllowed(config(c.env).ALLOWED_ORIGINS, origin, c.req.url);
  if (c.req.method === "OPTIONS" && origin !== undefined && c.req.header("access-control-request-method") !== undefined) {
    if (!allowed) {
      const refused = problemResponse(new ColinkError(403, "origin_not_allowed", "This origin may not call the API."), c.get("requestId"));
      refused.headers.append("vary", "Origin");
      return refused;
    }
    return new Response(null, {
      status: 204,
      headers: {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": ALLOW_METHODS,
        "access-control-allow-headers": ALLOW_HEADERS,
        "access-control-max-age": MAX_AGE_SECONDS,
        vary: "Origin",
      },
    });
  }
  await next();
  // A WebSocket handshake is not subject to CORS, and its response's headers cannot change.
  if (c.res.status === 101) return;
  c.res.headers.append("vary", "Origin");
  if (!allowed) return;
  c.res.headers.set("access-control-allow-origin", origin);
  c.res.headers.set("access-control-expose-headers", EXPOSE_HEADERS);
});
