import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, createRouter, errorResponses, jsonContent } from "../lib/openapi";
import { requireUser } from "../middleware/requireUser";
import { SessionIdParam, SessionListSchema } from "../protocol/sessions";
import { endOwnSession } from "../services/actions/sessions";
import { listSessions } from "../services/queries/sessions";

const common = { tags: ["Auth"], middleware: [requireUser], security: bearerSecurity };

/** `/users/me/sessions`: the caller's login sessions (one per sign-in), to review and end. */
export const mySessionsRoutes = createRouter()
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/",
      summary: "The caller's live sessions, most recently used first",
      responses: { 200: jsonContent(SessionListSchema, "The caller's sessions"), ...errorResponses },
    }),
    async (c) => c.json({ items: await listSessions(c.var.db, c.var.user.id, c.var.sessionId) }, 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "delete",
      path: "/{session_id}",
      summary: "End one of the caller's sessions",
      description:
        "Its refresh token and access tokens stop working and its sockets close with 4001. The current session may be ended too " +
        "(like POST /auth/logout). A session that is not the caller's, or has already ended, is 404 `session_not_found`.",
      request: { params: SessionIdParam },
      responses: { 204: { description: "Ended" }, ...errorResponses },
    }),
    async (c) => {
      await endOwnSession(c.env, c.var.db, c.var.user.id, c.req.valid("param").session_id);
      return c.body(null, 204);
    },
  );
