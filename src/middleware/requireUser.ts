import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { authenticate, bearerToken } from "../services/auth/authenticate";

/** Authenticates the Bearer token and sets `c.var.user`, or answers 401. */
export const requireUser = createMiddleware<AppEnv>(async (c, next) => {
  const { user, sessionId } = await authenticate(c.env, c.var.db, bearerToken(c.req.header("authorization")));
  c.set("user", user);
  c.set("sessionId", sessionId);
  await next();
});
