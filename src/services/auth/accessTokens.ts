import { eq } from "drizzle-orm";
import {
  type CryptoKey,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  jwtVerify,
  SignJWT,
} from "jose";
import { z } from "zod";
import type { Database } from "../../db/client";
import { signingKeys } from "../../db/schema";
import { config } from "../../lib/config";
import { newSecret } from "../../lib/ids";

// Colink's own access tokens: ES256 JWTs, at most 15 minutes. The private key comes from the
// JWT_PRIVATE_KEY secret (a JWK) in production; locally it is generated once and kept in D1.

const ALG = "ES256";
const LOCAL_KID = "local-1";

type KeyPair = { kid: string; privateKey: CryptoKey; publicKey: CryptoKey };
const keyCache = new WeakMap<object, Promise<KeyPair>>();

const EcPrivateJwk = z.looseObject({
  kty: z.literal("EC"),
  crv: z.literal("P-256"),
  x: z.string(),
  y: z.string(),
  d: z.string(),
  kid: z.string().optional(),
});
const parseJwk = (text: string) => EcPrivateJwk.parse(JSON.parse(text)) as JWK & { kid?: string };

async function fromJwk(jwk: JWK & { kid?: string }): Promise<KeyPair> {
  const { d: _d, ...pub } = jwk;
  return {
    kid: jwk.kid ?? "secret-1",
    privateKey: (await importJWK(jwk, ALG)) as CryptoKey,
    publicKey: (await importJWK(pub, ALG)) as CryptoKey,
  };
}

async function loadKeys(env: Env, db: Database): Promise<KeyPair> {
  const secret = config(env).JWT_PRIVATE_KEY;
  if (secret) return fromJwk(parseJwk(secret));
  const row = await db.select().from(signingKeys).where(eq(signingKeys.kid, LOCAL_KID)).get();
  if (row) return fromJwk(parseJwk(row.privateJwk));
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: LOCAL_KID };
  // Two isolates may race here: the first insert wins and both use the stored key.
  await db
    .insert(signingKeys)
    .values({ kid: LOCAL_KID, privateJwk: JSON.stringify(jwk) })
    .onConflictDoNothing();
  const stored = await db.select().from(signingKeys).where(eq(signingKeys.kid, LOCAL_KID)).get();
  return fromJwk(stored ? parseJwk(stored.privateJwk) : jwk);
}

function keys(env: Env, db: Database): Promise<KeyPair> {
  let p = keyCache.get(env);
  if (!p) {
    p = loadKeys(env, db);
    p.catch(() => keyCache.delete(env));
    keyCache.set(env, p);
  }
  return p;
}

export type AccessClaims = { sub: string; sid: string; jti: string; exp: number; iat: number };

export async function signAccessToken(env: Env, db: Database, userId: string, sessionId: string) {
  const { kid, privateKey } = await keys(env, db);
  const cfg = config(env);
  const token = await new SignJWT({ sid: sessionId })
    .setProtectedHeader({ alg: ALG, kid, typ: "at+jwt" })
    .setIssuer(cfg.JWT_ISSUER)
    .setAudience(cfg.JWT_AUDIENCE)
    .setSubject(userId)
    .setJti(newSecret(12))
    .setIssuedAt()
    .setExpirationTime(`${cfg.ACCESS_TOKEN_TTL_SECONDS}s`)
    .sign(privateKey);
  return { token, expiresIn: cfg.ACCESS_TOKEN_TTL_SECONDS };
}

/**
 * Tokens whose signature and claims have been checked, by their exact text, per environment (like
 * the keys: the result depends on its key, issuer and audience). A client presents the same token
 * on every request for up to 15 minutes, and the ES256 check was a twentieth of a send's CPU. Only
 * expiry depends on the time, so a hit checks that again. Whether the session and user are still
 * live is never cached (authenticate asks D1 every time).
 */
const verifiedCache = new WeakMap<object, Map<string, AccessClaims>>();
const VERIFIED_CACHE_SIZE = 10_000;
const CLOCK_TOLERANCE_SECONDS = 5;

/** Verifies a Colink access token; returns null for anything that is not a valid one. */
export async function verifyAccessToken(env: Env, db: Database, token: string): Promise<AccessClaims | null> {
  let verified = verifiedCache.get(env);
  if (!verified) {
    verified = new Map();
    verifiedCache.set(env, verified);
  }
  const known = verified.get(token);
  if (known) {
    if (known.exp + CLOCK_TOLERANCE_SECONDS > Date.now() / 1000) return known;
    verified.delete(token);
    return null;
  }
  const claims = await verifySignedToken(env, db, token);
  if (claims) {
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value as string);
    verified.set(token, claims);
  }
  return claims;
}

async function verifySignedToken(env: Env, db: Database, token: string): Promise<AccessClaims | null> {
  if (!hasOurHeader(token)) return null;
  const { publicKey } = await keys(env, db);
  const cfg = config(env);
  try {
    const { payload } = await jwtVerify(token, publicKey, {
      algorithms: [ALG],
      issuer: cfg.JWT_ISSUER,
      audience: cfg.JWT_AUDIENCE,
      requiredClaims: ["sub", "exp", "iat", "jti"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    if (typeof payload.sub !== "string" || typeof payload.sid !== "string") return null;
    return payload as unknown as AccessClaims;
  } catch {
    return null;
  }
}

/**
 * Refuses a foreign header (another alg, `crit`, `b64`) before jose sees it. jose rejects those
 * synchronously and hands the rejection back through a promise it does not await, which workerd
 * reports as an unhandled rejection even though we catch it: noise in logs, a failed test run.
 */
function hasOurHeader(token: string): boolean {
  try {
    const header = decodeProtectedHeader(token);
    return header.alg === ALG && header.crit === undefined && header.b64 === undefined;
  } catch {
    return false;
  }
}

/** Peeks at the unverified `iss` claim to route a token to the right verifier. */
export function unverifiedIssuer(token: string): string | null {
  try {
    const { iss } = decodeJwt(token);
    return typeof iss === "string" ? iss : null;
  } catch {
    return null;
  }
}
