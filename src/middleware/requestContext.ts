import { createMiddleware } from "hono/factory";
import { createDb } from "../db/client";
import type { AppEnv } from "../env";
import { log } from "../lib/log";

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Request id (echoed, or made), the drizzle handle, and one structured access-log line. */
export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header("x-request-id");
  const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
  c.set("requestId", requestId);
  c.set("db", createDb(c.env.DB));
  const started = Date.now();
  await next();
  c.header("x-request-id", requestId);
  // Paths only, never query strings: tickets travel in them.
  log("info", "request", {
    request_id: requestId,
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    ms: Date.now() - started,
    user_id: c.get("user")?.id,
  });
});
