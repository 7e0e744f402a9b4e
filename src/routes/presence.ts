import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { requireUser } from "../middleware/requireUser";
import { PresenceListSchema, PresenceQuerySchema, PresenceSchema, SetPresenceSchema } from "../protocol/presence";
import { setPresence } from "../services/actions/presence";
import { readPresence } from "../services/queries/presence";

const read = createRoute({
  method: "get",
  path: "/presence",
  summary: "Read the presence of up to 500 users",
  description: "Unknown and deactivated users are left out, and for a guest so are people they share no channel with.",
  middleware: [requireUser] as const,
  request: { query: PresenceQuerySchema },
  responses: {
    200: jsonContent(PresenceListSchema, "Presence of the known users among ids"),
    400: errorResponses[400],
    401: errorResponses[401],
  },
  security: bearerSecurity,
});

const set = createRoute({
  method: "put",
  path: "/me/presence",
  summary: "Set your presence by hand: away, dnd (optionally until a time), or active (automatic)",
  middleware: [requireUser] as const,
  request: { body: jsonBody(SetPresenceSchema) },
  responses: {
    200: jsonContent(PresenceSchema, "Your presence now"),
    400: errorResponses[400],
    401: errorResponses[401],
    422: errorResponses[422],
  },
  security: bearerSecurity,
});

/** Mounted at /users ahead of the users router, so /users/presence is not read as a user id. */
export const presenceRoutes = createRouter()
  .openapi(read, async (c) => c.json({ items: await readPresence(c.env, c.var.db, c.var.user, c.req.valid("query").ids) }, 200))
  .openapi(set, async (c) => {
    const body = c.req.valid("json");
    return c.json(await setPresence(c.env, c.var.user.id, body.status, body.dnd_until), 200);
  });
