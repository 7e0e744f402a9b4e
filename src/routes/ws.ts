import { createRoute, z } from "@hono/zod-openapi";
import { ColinkError } from "../lib/ColinkError";
import { bearerSecurity, createRouter, errorResponses, jsonContent } from "../lib/openapi";
import { userSession } from "../lib/stubs";
import { rateLimitPerUser } from "../middleware/rateLimitPerUser";
import { requireUser } from "../middleware/requireUser";
import { ROLE_HEADER, SESSION_ID_HEADER, USER_ID_HEADER } from "../protocol/internalHeaders";
import { TicketSchema } from "../protocol/ws";
import { authenticateSocket } from "../services/auth/authenticateSocket";
import { issueSocketTicket } from "../services/auth/issueSocketTicket";

const connect = createRoute({
  method: "get",
  path: "/",
  summary: "Open the real-time socket",
  description:
    "Upgrades to a WebSocket carrying every event of every channel and DM the user belongs to. Authenticate with " +
    "`Authorization: Bearer` or, from a browser, `?ticket=` from POST /ws/ticket. Frames are JSON text: send " +
    '`{"type":"resume","user_seq":N,"channels":{"<channel id>":<last seen seq>}}` first after a reconnect, and ' +
    '`{"type":"ping"}` (answered `{"type":"pong"}`) to keep the connection alive, and ' +
    '`{"type":"send","channel_id":"…","text":"…","client_msg_id":"…"}` to send a message as POST /channels/{channel_id}/messages ' +
    'does, with the same optional fields (`thread_root_id`, `also_send_to_channel`, `file_ids`) and the same rules (answered `{"type":"ack","client_msg_id","message"}` once durable, or an `error` frame with the same problem). Every frame and event, the resume ' +
    "guarantee, close codes and limits: /api/docs/realtime (docs/realtime.md).",
  request: { query: z.object({ ticket: z.string().max(512).optional() }) },
  responses: {
    101: { description: "Switching protocols" },
    400: errorResponses[400],
    401: errorResponses[401],
    403: errorResponses[403],
    426: { description: "Not a WebSocket upgrade request" },
  },
  security: bearerSecurity,
});

const issueTicket = createRoute({
  method: "post",
  path: "/ticket",
  summary: "Get a single-use socket ticket (valid 30 s) for a browser handshake",
  description: "At most WS_TICKET_RATE_PER_MINUTE (60) per user per minute, then 429 `rate_limited` with Retry-After.",
  middleware: [requireUser, rateLimitPerUser("ws-ticket", (cfg) => cfg.WS_TICKET_RATE_PER_MINUTE, 60)] as const,
  responses: { 200: jsonContent(TicketSchema, "A ticket bound to the caller"), 401: errorResponses[401], 429: errorResponses[429] },
  security: bearerSecurity,
});

export const wsRoutes = createRouter()
  .openapi(connect, async (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket")
      throw new ColinkError(426, "upgrade_required", "This endpoint speaks WebSocket only.");
    const { user, sessionId } = await authenticateSocket(c.env, c.var.db, {
      authorization: c.req.header("authorization"),
      ticket: c.req.valid("query").ticket,
      origin: c.req.header("origin"),
      requestUrl: c.req.url,
    });
    c.set("user", user);
    const headers = new Headers({ upgrade: "websocket", [USER_ID_HEADER]: user.id, [ROLE_HEADER]: user.role });
    if (sessionId) headers.set(SESSION_ID_HEADER, sessionId);
    return userSession(c.env, user.id).fetch(new Request("https://user-session/ws", { headers }));
  })
  .openapi(issueTicket, async (c) => {
    return c.json(await issueSocketTicket(c.env, c.var.user.id, c.var.sessionId), 200);
  });
