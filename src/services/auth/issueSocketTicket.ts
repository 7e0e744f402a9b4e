import type { z } from "@hono/zod-openapi";
import { userSession } from "../../lib/stubs";
import type { TicketSchema } from "../../protocol/ws";

/** A single-use socket ticket for a browser handshake, kept by the user's UserSession (authenticateSocket redeems it). */
export async function issueSocketTicket(env: Env, userId: string): Promise<z.infer<typeof TicketSchema>> {
  const { ticket, expiresAt } = await userSession(env, userId).issueTicket();
  return { ticket, expires_at: new Date(expiresAt).toISOString() };
}
