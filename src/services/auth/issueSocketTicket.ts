import type { z } from "@hono/zod-openapi";
import { userSession } from "../../lib/stubs";
import type { TicketSchema } from "../../protocol/ws";

/** A single-use socket ticket for a browser handshake, bound to the caller's login session and kept by their UserSession (authenticateSocket redeems it). */
export async function issueSocketTicket(env: Env, userId: string, sessionId: string | null): Promise<z.infer<typeof TicketSchema>> {
  const { ticket, expiresAt } = await userSession(env, userId).issueTicket(sessionId);
  return { ticket, expires_at: new Date(expiresAt).toISOString() };
}
