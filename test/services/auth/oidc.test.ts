import { env, runInDurableObject } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { base64url, createLocalJWKSet, exportJWK, generateKeyPair, type JWTPayload, SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createDb } from "../../../src/db/client";
import { channels, identities, memberships, users } from "../../../src/db/schema";
import { config } from "../../../src/lib/config";
import { claimAtPath, ExternalClaims, mapRole, profileFromClaims, sanitizeUsername } from "../../../src/lib/oidcClaims";
import { authenticateExternalToken } from "../../../src/services/auth/oidc";
import { resolveExternalUser } from "../../../src/services/auth/oidcIdentity";
import { type ExternalTokenPolicy, verifyExternalToken } from "../../../src/services/auth/oidcVerifier";

// External identity, in the Workers runtime: claim mapping, token verification rules (against a
// local JWKS: the real issuer, discovery and JWKS fetching are covered by test/e2e/oidc.e2e.ts
// against a real OpenID provider) and the account behind an (iss, sub).

const db = () => createDb(env.DB);
const withVars = (vars: Record<string, string>) => ({ ...env, ...vars }) as Env;

const roleMap = config(withVars({ OIDC_ROLE_MAP: "kc-owner:owner,kc-admin:admin,kc-user:member,kc-guest:guest" })).OIDC_ROLE_MAP;
const mapping = { rolesClaim: "realm_access.roles", roleMap, defaultRole: "member" as const };

describe("claims → profile", () => {
  it("reads dot paths, including Keycloak client ids that contain dots", () => {
    const claims = {
      realm_access: { roles: ["a"] },
      resource_access: { "colink.web": { roles: ["b"] }, colink: { roles: ["c"] } },
    };
    expect(claimAtPath(claims, "realm_access.roles")).toEqual(["a"]);
    expect(claimAtPath(claims, "resource_access.colink.web.roles")).toEqual(["b"]);
    expect(claimAtPath(claims, "resource_access.colink.roles")).toEqual(["c"]);
    expect(claimAtPath(claims, "resource_access.nope.roles")).toBeUndefined();
    expect(claimAtPath({ roles: "x" }, "roles.length")).toBeUndefined();
  });

  it("maps IdP roles to the highest Colink role, or the default", () => {
    expect(mapRole(["kc-user", "kc-admin", "other"], roleMap, "member")).toBe("admin");
    expect(mapRole(["kc-guest"], roleMap, "member")).toBe("guest");
    expect(mapRole(["kc-owner", "kc-guest"], roleMap, "member")).toBe("owner");
    expect(mapRole(["unmapped"], roleMap, "guest")).toBe("guest");
    expect(mapRole([], roleMap, "member")).toBe("member");
  });

  it("sanitizes usernames to lowercase [a-z0-9._-], 2–32 characters", () => {
    expect(sanitizeUsername("Alice.Smith")).toBe("alice.smith");
    expect(sanitizeUsername("jöhn doe")).toBe("john_doe");
    expect(sanitizeUsername("alice@example.com")).toBe("alice");
    expect(sanitizeUsername("--x--")).toBeNull();
    expect(sanitizeUsername("日本")).toBeNull();
    expect(sanitizeUsername("a".repeat(40))).toBe("a".repeat(32));
    expect(sanitizeUsername(`${"b".repeat(31)}.c`)).toBe("b".repeat(31));
  });

  it("builds a profile; an unverified or malformed e-mail is dropped", () => {
    const claims = ExternalClaims.parse({
      sub: "s1",
      preferred_username: "Bob",
      email: "Bob@Example.com",
      name: " Bob Builder ",
      realm_access: { roles: ["kc-admin"] },
    });
    expect(profileFromClaims(claims, mapping)).toEqual({
      username: "bob",
      email: "bob@example.com",
      displayName: "Bob Builder",
      role: "admin",
    });
    const unverified = ExternalClaims.parse({
      sub: "s2",
      email: "eve@example.com",
      email_verified: false,
      given_name: "Eve",
      family_name: "E",
    });
    expect(profileFromClaims(unverified, mapping)).toEqual({ username: "user", email: undefined, displayName: "Eve E", role: "member" });
    const odd = ExternalClaims.parse({ sub: "s3", email: "not an address", name: 42, preferred_username: ["x"] });
    expect(profileFromClaims(odd, mapping)).toEqual({ username: "user", email: undefined, displayName: undefined, role: "member" });
    // An IdP's name cannot be refused like a typed one: the invisible characters a Colink display name refuses are dropped.
    const disguised = ExternalClaims.parse({ sub: "s4", preferred_username: "mallory", name: "\u202EAd\u200Bmin \u2066👩‍💻\u2069" });
    expect(profileFromClaims(disguised, mapping).displayName).toBe("Admin 👩‍💻");
  });
});

describe("configuration", () => {
  it.each(["HS256", "none", "RS256,HS512", ""])("refuses OIDC_ALLOWED_ALGS=%j", (algs) => {
    expect(() => config(withVars({ OIDC_ALLOWED_ALGS: algs }))).toThrow(/OIDC_ALLOWED_ALGS/);
  });

  it("needs an audience and a URL when an issuer is set", () => {
    expect(() => config(withVars({ OIDC_ISSUER: "https://idp.example", OIDC_AUDIENCE: "" }))).toThrow(/OIDC_AUDIENCE/);
    expect(() => config(withVars({ OIDC_ISSUER: "idp", OIDC_AUDIENCE: "colink" }))).toThrow(/OIDC_ISSUER/);
    expect(config(withVars({ OIDC_ISSUER: "https://idp.example/realms/x", OIDC_AUDIENCE: "colink" })).OIDC_ISSUER).toBe(
      "https://idp.example/realms/x",
    );
  });

  it("refuses a malformed role map", () => {
    expect(() => config(withVars({ OIDC_ROLE_MAP: "kc-admin:superuser" }))).toThrow(/OIDC_ROLE_MAP/);
    expect(() => config(withVars({ OIDC_ROLE_MAP: "kc-admin" }))).toThrow(/OIDC_ROLE_MAP/);
    expect(() => config(withVars({ OIDC_ROLE_MAP: "x:admin,x:guest" }))).toThrow(/two roles/);
    expect([...config(withVars({ OIDC_ROLE_MAP: "urn:team:lead:admin, x:guest," })).OIDC_ROLE_MAP]).toEqual([
      ["urn:team:lead", "admin"],
      ["x", "guest"],
    ]);
  });
});

describe("verifyExternalToken", async () => {
  const issuer = "https://idp.example/realms/colink";
  const es = await generateKeyPair("ES256", { extractable: true });
  const rs = await generateKeyPair("RS256", { extractable: true });
  const attacker = await generateKeyPair("ES256");
  const esJwk = { ...(await exportJWK(es.publicKey)), kid: "es-1", alg: "ES256", use: "sig" };
  const rsJwk = { ...(await exportJWK(rs.publicKey)), kid: "rs-1", alg: "RS256", use: "sig" };
  const keys = createLocalJWKSet({ keys: [esJwk, rsJwk] });
  const policy: ExternalTokenPolicy = { issuer, audience: "colink-api", algorithms: ["ES256", "RS256"], clockToleranceSeconds: 30 };
  const now = () => Math.floor(Date.now() / 1000);

  const sign = (payload: JWTPayload, opts: { alg?: string; kid?: string; typ?: string; key?: CryptoKey } = {}) =>
    new SignJWT({ iss: issuer, aud: "colink-api", sub: "subject-1", iat: now(), exp: now() + 300, ...payload })
      .setProtectedHeader({ alg: opts.alg ?? "ES256", kid: opts.kid ?? "es-1", ...(opts.typ ? { typ: opts.typ } : {}) })
      .sign(opts.key ?? es.privateKey);

  const reason = async (token: string) => {
    const r = await verifyExternalToken(token, policy, keys);
    return r.ok ? "ok" : r.reason;
  };

  it("accepts a good token (ES256 and RS256, at+jwt or JWT typ)", async () => {
    const r = await verifyExternalToken(await sign({ preferred_username: "a" }, { typ: "at+jwt" }), policy, keys);
    expect(r).toMatchObject({ ok: true, claims: { sub: "subject-1", preferred_username: "a" } });
    expect(await reason(await sign({}, { alg: "RS256", kid: "rs-1", key: rs.privateKey, typ: "JWT" }))).toBe("ok");
    expect(await reason(await sign({ aud: ["other", "colink-api"] }))).toBe("ok");
  });

  it("applies the clock skew to exp and nbf, and requires exp", async () => {
    expect(await reason(await sign({ exp: now() - 10 }))).toBe("ok");
    expect(await reason(await sign({ exp: now() - 60 }))).toBe("ERR_JWT_EXPIRED");
    expect(await reason(await sign({ nbf: now() + 10 }))).toBe("ok");
    expect(await reason(await sign({ nbf: now() + 120 }))).toBe("ERR_JWT_CLAIM_VALIDATION_FAILED");
    expect(await reason(await sign({ exp: undefined }))).toBe("ERR_JWT_CLAIM_VALIDATION_FAILED");
    expect(await reason(await sign({ iat: now() + 10 }))).toBe("ok");
    expect(await reason(await sign({ iat: now() + 3600, exp: now() + 7200 }))).toBe("issued_in_the_future");
  });

  it("checks issuer, audience and subject", async () => {
    expect(await reason(await sign({ iss: "https://idp.example/realms/other" }))).toBe("ERR_JWT_CLAIM_VALIDATION_FAILED");
    expect(await reason(await sign({ aud: "account" }))).toBe("ERR_JWT_CLAIM_VALIDATION_FAILED");
    expect(await reason(await sign({ sub: undefined }))).toBe("ERR_JWT_CLAIM_VALIDATION_FAILED");
    expect(await reason(await sign({ sub: "" }))).toBe("invalid_claims");
  });

  it("refuses other signers, tampering, none, HMAC and unlisted algorithms", async () => {
    expect(await reason(await sign({}, { key: attacker.privateKey }))).toBe("ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
    expect(await reason(await sign({}, { key: attacker.privateKey, kid: "unknown" }))).toBe("ERR_JWKS_NO_MATCHING_KEY");
    const [h, , s] = (await sign({})).split(".");
    const forged = base64url.encode(JSON.stringify({ iss: issuer, aud: "colink-api", sub: "admin", exp: now() + 300 }));
    expect(await reason(`${h}.${forged}.${s}`)).toBe("ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
    const none = new UnsecuredJWT({ iss: issuer, aud: "colink-api", sub: "x" }).setExpirationTime("5m").encode();
    expect(await reason(none)).toBe("alg_not_allowed");
    // The classic confusion: the issuer's public key used as an HMAC secret.
    const hmacKey = new TextEncoder().encode(JSON.stringify(esJwk));
    expect(await reason(await sign({}, { alg: "HS256", key: hmacKey as unknown as CryptoKey }))).toBe("alg_not_allowed");
  });

  it("refuses tokens of other types and sender-constrained tokens", async () => {
    expect(await reason(await sign({}, { typ: "logout+jwt" }))).toBe("wrong_token_type");
    expect(await reason(await sign({ typ: "ID" }))).toBe("wrong_token_type");
    expect(await reason(await sign({ typ: "Bearer" }))).toBe("ok");
    expect(await reason(await sign({ cnf: { jkt: "abc" } }))).toBe("sender_constrained_token");
  });

  it("refuses garbage and oversized tokens without throwing", async () => {
    for (const garbage of ["", "x", "a.b.c", "e30.e30.", `${"A".repeat(100)}.${"B".repeat(100)}.C`, "....."]) {
      expect(await reason(garbage)).not.toBe("ok");
    }
    expect(await reason(await sign({ pad: "x".repeat(20_000) }))).toBe("token_too_large");
  });
});

describe("resolveExternalUser", () => {
  const issuer = "https://idp.example/realms/colink";
  type Profile = ReturnType<typeof profileFromClaims>;
  const profile = (p: Partial<Profile> = {}): Profile => ({
    username: "carol",
    email: "carol@example.com",
    displayName: "Carol",
    role: "member",
    ...p,
  });
  let clock = 1_800_000_000;
  /** A sighting of `subject` with a token issued now (each call a second later) or at `issuedAt`. */
  const seen = (subject: string, p: Partial<Profile> = {}, issuedAt: number | undefined = ++clock, iss = issuer) =>
    resolveExternalUser(env, db(), { issuer: iss, subject, issuedAt, profile: profile(p) });
  const userRow = async (id: string | undefined) =>
    db()
      .select()
      .from(users)
      .where(eq(users.id, id ?? ""))
      .get();

  it("creates the account on first sight, without a password, and finds it again by (iss, sub)", async () => {
    const first = await seen("sub-carol");
    expect(first).toMatchObject({ username: "carol", displayName: "Carol", role: "member" });
    expect(await userRow(first?.id)).toMatchObject({ email: "carol@example.com", passwordHash: null, deactivated: false });
    const again = await seen("sub-carol");
    expect(again?.id).toBe(first?.id);
    // The same subject at another issuer is another person.
    const other = await seen("sub-carol", {}, undefined, "https://elsewhere.example");
    expect(other?.id).not.toBe(first?.id);
    expect(other?.username).toBe("carol-2");
  });

  it("applies later changes of name, e-mail and role; absent claims change nothing", async () => {
    const first = await seen("sub-dan", { username: "dan", email: "dan@example.com" });
    const changed = await seen("sub-dan", { username: "ignored", email: "dan@new.example", displayName: "Daniel", role: "admin" });
    expect(changed).toEqual({ id: first?.id, username: "dan", displayName: "Daniel", role: "admin" });
    const silent = await seen("sub-dan", { email: undefined, displayName: undefined, role: "admin" });
    expect(silent).toEqual(changed);
    expect(await userRow(first?.id)).toMatchObject({ email: "dan@new.example", displayName: "Daniel", role: "admin" });
  });

  it("tells the user's devices of a change (user.updated), and puts a new non-guest into #general", async () => {
    const hank = await seen("sub-hank", { username: "hank", email: undefined });
    const guest = await seen("sub-gus", { username: "gus", email: undefined, role: "guest" });
    const general = await db().select({ id: channels.id }).from(channels).where(eq(channels.name, "general")).get();
    const members = await db()
      .select({ userId: memberships.userId })
      .from(memberships)
      .where(eq(memberships.channelId, general?.id ?? ""))
      .all();
    expect(members.map((m) => m.userId)).toContain(hank?.id);
    expect(members.map((m) => m.userId)).not.toContain(guest?.id);

    await seen("sub-hank", { username: "hank", email: undefined, displayName: "Hank H", role: "admin" });
    await seen("sub-hank", { username: "hank", email: undefined, displayName: "Hank H", role: "admin" });
    const frames = await runInDurableObject(env.USER_SESSION.getByName(hank?.id ?? ""), (_instance, state) =>
      state.storage.sql.exec<{ frame: string }>("SELECT frame FROM user_events WHERE type = 'user.updated'").toArray(),
    );
    expect(frames.map((f) => JSON.parse(f.frame).data.user)).toEqual([
      expect.objectContaining({ id: hank?.id, display_name: "Hank H", role: "admin", username: "hank" }),
    ]);
  });

  it("never lets an older token undo what a newer one applied", async () => {
    const t0 = ++clock;
    await seen("sub-ivy", { username: "ivy", email: undefined, role: "admin" }, t0);
    const demoted = await seen("sub-ivy", { username: "ivy", email: undefined, role: "member" }, t0 + 60);
    expect(demoted?.role).toBe("member");
    // A device still holding the token from before the demotion.
    const stale = await seen("sub-ivy", { username: "ivy", email: undefined, role: "admin" }, t0 + 30);
    expect(stale?.role).toBe("member");
    expect((await userRow(stale?.id))?.role).toBe("member");
    const promoted = await seen("sub-ivy", { username: "ivy", email: undefined, role: "admin" }, t0 + 90);
    expect(promoted?.role).toBe("admin");
  });

  it("does not let the IdP demote the last active owner", async () => {
    const owner = await seen("sub-olga", { username: "olga", email: undefined, role: "owner" });
    expect(owner?.role).toBe("owner");
    const kept = await seen("sub-olga", { username: "olga", email: undefined, role: "member", displayName: "Olga O" });
    expect(kept).toMatchObject({ role: "owner", displayName: "Olga O" });
    await seen("sub-otto", { username: "otto", email: undefined, role: "owner" });
    expect((await seen("sub-olga", { username: "olga", email: undefined, role: "member" }))?.role).toBe("member");
  });

  it("never takes another account's e-mail, and dedupes reserved or taken usernames", async () => {
    await db()
      .insert(users)
      .values({ id: "u_local0000000000000000000000", username: "erin", email: "erin@example.com", passwordHash: "x" });
    const erin = await seen("sub-erin", { username: "erin", email: "erin@example.com" });
    expect(erin?.username).toBe("erin-2");
    expect(erin?.id).not.toBe("u_local0000000000000000000000");
    expect((await userRow(erin?.id))?.email).toBeNull();
    const here = await seen("sub-here", { username: "here", email: undefined });
    expect(here?.username).toBe("here-2");
    // Nor on a later token.
    const moved = await seen("sub-here", { username: "here", email: "erin@example.com" });
    expect(moved?.id).toBe(here?.id);
    expect((await userRow(here?.id))?.email).toBeNull();
  });

  it("returns null for a deactivated account, and changes nothing", async () => {
    const user = await seen("sub-frank", { username: "frank", email: undefined });
    await db()
      .update(users)
      .set({ deactivated: true })
      .where(eq(users.id, user?.id ?? ""));
    expect(await seen("sub-frank", { username: "frank", role: "admin" })).toBeNull();
    expect((await userRow(user?.id))?.role).toBe("member");
  });

  it("creates one account when first requests race", async () => {
    const issuedAt = ++clock;
    const results = await Promise.all(
      Array.from({ length: 6 }, () => seen("sub-gina", { username: "gina", email: "gina@example.com" }, issuedAt)),
    );
    const ids = new Set(results.map((r) => r?.id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^u_/);
    expect(await db().select().from(identities).where(eq(identities.subject, "sub-gina")).all()).toHaveLength(1);
    expect(await db().select().from(users).where(eq(users.email, "gina@example.com")).all()).toHaveLength(1);
  });
});

describe("authenticateExternalToken", () => {
  const token = async (iss: string) => {
    const { privateKey } = await generateKeyPair("ES256");
    return new SignJWT({ iss, aud: "colink-api", sub: "x" }).setProtectedHeader({ alg: "ES256" }).setExpirationTime("5m").sign(privateKey);
  };

  it("returns null when no issuer is configured, or for another issuer", async () => {
    expect(await authenticateExternalToken(env, db(), await token("https://idp.example"))).toBeNull();
    const configured = withVars({ OIDC_ISSUER: "https://idp.example", OIDC_AUDIENCE: "colink-api" });
    expect(await authenticateExternalToken(configured, db(), await token("https://evil.example"))).toBeNull();
    expect(await authenticateExternalToken(configured, db(), "not-a-jwt")).toBeNull();
  });

  it("returns null, without throwing, when the issuer cannot be reached", async () => {
    const unreachable = withVars({ OIDC_ISSUER: "http://127.0.0.1:9", OIDC_AUDIENCE: "colink-api" });
    expect(await authenticateExternalToken(unreachable, db(), await token("http://127.0.0.1:9"))).toBeNull();
    // Straight after a failed discovery the issuer is not asked again.
    expect(await authenticateExternalToken(unreachable, db(), await token("http://127.0.0.1:9"))).toBeNull();
  });
});
