import type { Database } from "../../db/client";
import { config } from "../../lib/config";
import { log } from "../../lib/log";
import { profileFromClaims } from "../../lib/oidcClaims";
import { unverifiedIssuer } from "./accessTokens";
import type { AuthUser } from "./authUser";
import { resolveExternalUser } from "./oidcIdentity";
import { issuerKeys, verifyExternalToken } from "./oidcVerifier";

/**
 * Verifies a Bearer token from the configured OpenID Connect issuer and returns the Colink user
 * it maps to (created on first sight, keyed by `(iss, sub)`). Returns null, never throws, for
 * anything else: OIDC not configured, another issuer, a token that does not verify, an issuer
 * that cannot be reached, a deactivated account. The caller answers 401.
 */
export async function authenticateExternalToken(env: Env, db: Database, token: string): Promise<AuthUser | null> {
  const cfg = config(env);
  const issuer = unverifiedIssuer(token);
  // Only the configured issuer is ever contacted: an unverified `iss` never picks a URL to fetch.
  if (!cfg.OIDC_ISSUER || issuer !== cfg.OIDC_ISSUER) {
    const reason = issuer === null ? "not_a_jwt_with_issuer" : cfg.OIDC_ISSUER ? "unknown_issuer" : "not_a_colink_token";
    log("warn", "bearer token rejected", { reason });
    return null;
  }
  const result = await verifyExternalToken(
    token,
    {
      issuer: cfg.OIDC_ISSUER,
      audience: cfg.OIDC_AUDIENCE,
      algorithms: cfg.OIDC_ALLOWED_ALGS,
      clockToleranceSeconds: cfg.OIDC_CLOCK_SKEW_SECONDS,
    },
    issuerKeys(cfg.OIDC_ISSUER),
  );
  if (!result.ok) {
    log("warn", "oidc token rejected", { reason: result.reason, detail: result.detail?.slice(0, 300) });
    return null;
  }
  const profile = profileFromClaims(result.claims, {
    rolesClaim: cfg.OIDC_ROLES_CLAIM,
    roleMap: cfg.OIDC_ROLE_MAP,
    defaultRole: cfg.OIDC_DEFAULT_ROLE,
  });
  const user = await resolveExternalUser(env, db, {
    issuer: cfg.OIDC_ISSUER,
    subject: result.claims.sub,
    issuedAt: result.claims.iat,
    profile,
  });
  if (!user) log("warn", "oidc token rejected", { reason: "account_deactivated_or_unavailable" });
  return user;
}
