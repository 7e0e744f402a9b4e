import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, createRouter, errorResponses, jsonContent } from "../lib/openapi";
import { requireUser } from "../middleware/requireUser";
import { MyThreadsQuerySchema, MyThreadsSchema } from "../protocol/threads";
import { listMyThreads } from "../services/queries/myThreads";

/** `GET /users/me/threads`: the caller's followed threads across channels, with unread replies. */
export const myThreadsRoutes = createRouter().openapi(
  createRoute({
    tags: ["Threads"],
    middleware: [requireUser],
    security: bearerSecurity,
    method: "get",
    path: "/",
    summary: "The threads the caller follows, across channels and DMs, newest activity first, with unread reply counts",
    description: "Threads in channels the caller can no longer read (they left a private channel) are not listed.",
    request: { query: MyThreadsQuerySchema },
    responses: { 200: jsonContent(MyThreadsSchema, "The caller's followed threads"), ...errorResponses },
  }),
  async (c) => c.json(await listMyThreads(c.env, c.var.db, c.var.user, c.req.valid("query")), 200),
);
