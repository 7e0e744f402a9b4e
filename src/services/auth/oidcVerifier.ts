import { createRemoteJWKSet, decodeProtectedHeader, errors, type JWTVerifyGetKey, jwtVerify, type RemoteJWKSet } from "jose";
import { z } from "zod";
import { log } from "../../lib/log";
import { ExternalClaims } from "../../lib/oidcClaims";

// Verification of access tokens from the configured OpenID Connect issuer: its keys come from
// the discovery document's `jwks_uri`, cached per isolate.

export type ExternalTokenPolicy = {
  issuer: string;
  audience: string;
  /** Asymmetric algorithms only (config.ts refuses anything else). */
  algorithms: string[];
  clockToleranceSeconds: number;
};

export type ExternalVerification = { ok: true; claims: ExternalClaims } | { ok: false; reason: string; detail?: string };

/** Generous for a Keycloak token carrying many roles and groups; anything bigger is not one. */
export const MAX_EXTERNAL_TOKEN_LENGTH = 16 * 1024;

// RFC 9068 access tokens say `at+jwt`; Keycloak says `JWT`. Any other type (an ID token's
// Keycloak `typ: ID`, a logout token, a DPoP proof) is a token for something else.
const ACCESS_TOKEN_TYPES = new Set(["jwt", "at+jwt", "application/at+jwt"]);

const reject = (reason: string, detail?: string): ExternalVerification => ({ ok: false, reason, detail });

/**
 * Verifies signature (allow-listed algorithms), `iss`, `aud`, `exp` (required), `nbf` and `sub`
 * (required). Never throws: every failure is a reason, for the log.
 */
export async function verifyExternalToken(
  token: string,
  policy: ExternalTokenPolicy,
  keys: JWTVerifyGetKey,
): Promise<ExternalVerification> {
  if (token.length > MAX_EXTERNAL_TOKEN_LENGTH) return reject("token_too_large");
  try {
    const header = decodeProtectedHeader(token);
    if (typeof header.alg !== "string" || !policy.algorithms.includes(header.alg)) return reject("alg_not_allowed", String(header.alg));
    if (header.typ !== undefined && (typeof header.typ !== "string" || !ACCESS_TOKEN_TYPES.has(header.typ.toLowerCase()))) {
      return reject("wrong_token_type", String(header.typ));
    }
    const { payload } = await jwtVerify(token, keys, {
      algorithms: policy.algorithms,
      issuer: policy.issuer,
      audience: policy.audience,
      clockTolerance: policy.clockToleranceSeconds,
      requiredClaims: ["sub", "exp"],
    });
    // jose checks `iat` only for a maximum age; a token issued in the future would also pin the
    // account's profile (claims apply in `iat` order) until that moment.
    if (typeof payload.iat === "number" && payload.iat > Date.now() / 1000 + policy.clockToleranceSeconds)
      return reject("issued_in_the_future");
    // Keycloak marks its own token kinds in a `typ` claim: only its access tokens say Bearer.
    if (payload.typ !== undefined && payload.typ !== "Bearer") return reject("wrong_token_type", String(payload.typ));
    // A sender-constrained (DPoP, mTLS) token must not be replayable as a plain Bearer token.
    if (payload.cnf !== undefined) return reject("sender_constrained_token");
    const claims = ExternalClaims.safeParse(payload);
    if (!claims.success) return reject("invalid_claims", z.prettifyError(claims.error));
    return { ok: true, claims: claims.data };
  } catch (err) {
    if (err instanceof errors.JOSEError) return reject(err.code, err.message);
    return reject("verification_failed", err instanceof Error ? `${err.name}: ${err.message}` : String(err));
  }
}

// --- The issuer's keys ------------------------------------------------------------------------

const DiscoveryDocument = z.looseObject({ issuer: z.string(), jwks_uri: z.url() });

const DISCOVERY_TTL_MS = 60 * 60_000;
/** After a failed first discovery, hostile tokens must not turn into a flood of fetches. */
const DISCOVERY_RETRY_MS = 5_000;
const FETCH_TIMEOUT_MS = 5_000;

type Discovered = { jwksUri: string; keys: RemoteJWKSet; discoveredAt: number };
const discovered = new Map<string, Discovered>();
const failedAt = new Map<string, number>();

async function fetchJwksUri(issuer: string): Promise<string> {
  const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  const res = await fetch(url, {
    headers: { accept: "application/json" },
    redirect: "manual",
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`discovery document answered ${res.status}`);
  }
  const doc = DiscoveryDocument.parse(await res.json());
  // OpenID Connect Discovery 1.0 §4.3: the document must name exactly the issuer it was fetched for.
  if (doc.issuer !== issuer) throw new Error(`discovery document names issuer ${doc.issuer}`);
  const jwksUri = new URL(doc.jwks_uri);
  if (jwksUri.protocol !== "https:" && !(jwksUri.protocol === "http:" && issuer.startsWith("http:"))) {
    throw new Error("jwks_uri must use https");
  }
  return jwksUri.href;
}

async function issuerKeySet(issuer: string): Promise<RemoteJWKSet> {
  const now = Date.now();
  const cached = discovered.get(issuer);
  if (cached && now - cached.discoveredAt < DISCOVERY_TTL_MS) return cached.keys;
  const failed = failedAt.get(issuer);
  if (!cached && failed !== undefined && now - failed < DISCOVERY_RETRY_MS) throw new Error("discovery failed moments ago");
  try {
    const jwksUri = await fetchJwksUri(issuer);
    // Keep the key set (and the keys it holds) when the document still points at it. jose
    // refetches it by itself when stale (10 min) or when a token names an unknown `kid` (key
    // rotation), at most once per cooldown so unknown kids cannot flood the issuer.
    const keys =
      cached?.jwksUri === jwksUri
        ? cached.keys
        : createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: FETCH_TIMEOUT_MS, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
    discovered.set(issuer, { jwksUri, keys, discoveredAt: now });
    failedAt.delete(issuer);
    return keys;
  } catch (err) {
    if (!cached) {
      failedAt.set(issuer, now);
      throw err;
    }
    // The issuer's discovery is down but its keys were known: keep using them, retry soon.
    log("warn", "oidc discovery refresh failed; keeping the known keys", { issuer, error: err });
    cached.discoveredAt = now - DISCOVERY_TTL_MS + DISCOVERY_RETRY_MS;
    return cached.keys;
  }
}

/** A jose key resolver for `issuer`: discovery, then its JWKS (both cached per isolate). */
export function issuerKeys(issuer: string): JWTVerifyGetKey {
  return async (header, token) => (await issuerKeySet(issuer))(header, token);
}
