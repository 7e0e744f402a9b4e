import type { Database } from "../db/client";
import type { AuthUser } from "./authUser";

/**
 * Verifies a Bearer token from the configured OpenID Connect issuer and returns the Colink user
 * it maps to (created on first sight). Returns null when OIDC is not configured or the token is
 * not from that issuer.
 */
export async function authenticateExternalToken(_env: Env, _db: Database, _token: string): Promise<AuthUser | null> {
  return null;
}
