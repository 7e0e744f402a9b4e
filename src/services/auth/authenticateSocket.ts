import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { users } from "../../db/schema";
import { ColinkError } from "../../lib/ColinkError";
import { config } from "../../lib/config";
import { ID_PATTERN } from "../../lib/ids";
import { originAllowed } from "../../lib/originAllowed";
import { userSession } from "../../lib/stubs";
import { authenticate, bearerToken, liveSessionUser, unauthorized } from "./authenticate";
import type { AuthUser } from "./authUser";

/**
 * Authenticates a WebSocket handshake: a Bearer header (non-browser clients) or a single-use
 * ticket (browsers). A browser handshake carries an Origin, checked against ALLOWED_ORIGINS
 * (ASVS 4.4.2); the service's own origin is always allowed.
 */
export async function authenticateSocket(
  env: Env,
  db: Database,
  req: { authorization?: string; ticket?: string; origin?: string; requestUrl: string },
): Promise<{ user: AuthUser; sessionId: string | null }> {
  if (req.origin !== undefined && !originAllowed(config(env).ALLOWED_ORIGINS, req.origin, req.requestUrl))
    throw new ColinkError(403, "origin_not_allowed", "This origin may not open sockets.");
  if (req.authorization !== undefined) return authenticate(env, db, bearerToken(req.authorization));
  if (req.ticket === undefined) throw unauthorized("Send a Bearer token or a ticket from POST /api/v1/ws/ticket.");
  const dot = req.ticket.indexOf(".");
  const userId = req.ticket.slice(0, dot);
  const secret = req.ticket.slice(dot + 1);
  if (dot < 0 || !ID_PATTERN.test(userId) || secret.length < 16) throw unauthorized("The ticket is invalid.", "invalid_ticket");
  const redeemed = await userSession(env, userId).redeemTicket(secret);
  if (!redeemed) throw unauthorized("The ticket is invalid, used or expired.", "invalid_ticket");
  const { sessionId } = redeemed;
  // A ticket lives no longer than the login session that minted it, and its socket is bound to it.
  const user = sessionId
    ? await liveSessionUser(db).get({ userId, sessionId })
    : await db
        .select({ id: users.id, username: users.username, role: users.role, displayName: users.displayName })
        .from(users)
        .where(and(eq(users.id, userId), eq(users.deactivated, false)))
        .get();
  if (!user) throw unauthorized("The ticket is invalid, used or expired.", "invalid_ticket");
  return { user, sessionId };
}
