import { z } from "@hono/zod-openapi";

export const TicketSchema = z.object({ ticket: z.string(), expires_at: z.string() }).openapi("SocketTicket");
