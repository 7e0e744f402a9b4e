import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { forbidden } from "../lib/ColinkError";
import { isAdminRole } from "../protocol/roles";

/** After `requireUser`: lets owners and admins through, answers 403 to everyone else. */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  if (!isAdminRole(c.var.user.role)) throw forbidden("Only workspace owners and admins may do this.", "admin_required");
  await next();
});
