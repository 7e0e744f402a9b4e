import { randomUUID } from "node:crypto";
import { base64url, decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK, type JWTPayload, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ApiResponse, api, ownerAccount } from "./client";
import { putIdpAccount, signInWithPkce } from "./oidcLogin";
import { type IdpAccount, type IdpServer, OTHER_AUDIENCE, startOidcProvider } from "./oidcProvider";

// External identity against a real OpenID provider (API.md "Auth", External identity): the
// suite's wrangler dev trusts the realm globalSetup started. Tokens come from the real
// authorization-code flow with PKCE; the ones Colink must refuse are real too where a real
// provider can produce them (another realm, another audience, an ID token), and otherwise are
// made from real ones (tampered) or by hand (expired, none, HS256, foreign key).

const idp = inject("idp");

type Me = { id: string; username: string; display_name: string; email: string | null; role: string; deactivated: boolean };

const me = (token: string) => api<Me>("GET", "/users/me", { token });

async function channelNames(token: string): Promise<(string | null)[]> {
  const res = await api<{ items: { channel: { name: string | null } }[] }>("GET", "/users/me/channels", { token });
  expect(res.status).toBe(200);
  return res.body.items.map((i) => i.channel.name);
}

let n = 0;
/** A fresh person in the realm, with Keycloak's default realm roles plus `roles`. */
async function idpUser(attributes: Partial<IdpAccount> = {}): Promise<IdpAccount> {
  const tag = `${Date.now().toString(36)}${(n++).toString(36)}`;
  const account: IdpAccount = {
    sub: randomUUID(),
    password: `pw-${randomUUID()}`,
    preferred_username: `Kc.User${tag}`,
    email: `kc.user${tag}@example.test`,
    email_verified: true,
    name: `Keycloak User ${tag}`,
    ...attributes,
    roles: ["offline_access", "uma_authorization", ...(attributes.roles ?? [])],
  };
  await putIdpAccount(idp, account);
  return account;
}

const signIn = async (account: IdpAccount, resource = idp.audience) =>
  signInWithPkce(idp, { username: account.preferred_username ?? "", password: account.password }, resource);

const accessToken = async (account: IdpAccount) => (await signIn(account)).access_token;

function expectRefused(res: ApiResponse) {
  expect(res.status).toBe(401);
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
}

const now = () => Math.floor(Date.now() / 1000);

let ownerLogin: ReturnType<typeof ownerAccount> | undefined;
/** The workspace owner (a built-in account), signed in once for this file. */
const owner = () => {
  ownerLogin ??= ownerAccount();
  return ownerLogin;
};

describe("external identity: a token from the trusted issuer", () => {
  it("signs the user in, created on first sight from the token's claims with the mapped role", async () => {
    const account = await idpUser({ preferred_username: "Grace.Hopper", name: "Grace Hopper", roles: ["colink-admin", "colink-member"] });
    const tokens = await signIn(account);
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: "ES256", typ: "at+jwt" });
    expect(decodeJwt(tokens.access_token)).toMatchObject({ iss: idp.issuer, aud: idp.audience, sub: account.sub });

    const first = await me(tokens.access_token);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      username: "grace.hopper",
      display_name: "Grace Hopper",
      email: account.email,
      role: "admin",
      deactivated: false,
    });
    // Welcomed like any new account (onUserCreated): a non-guest is in #general.
    expect(await channelNames(tokens.access_token)).toContain("general");
    // The same token again, and a new sign-in: the same account, keyed by (iss, sub).
    expect((await me(tokens.access_token)).body.id).toBe(first.body.id);
    expect((await me(await accessToken(account))).body.id).toBe(first.body.id);
  });

  it("finds the account by (iss, sub), not by name: a renamed IdP user keeps their Colink account", async () => {
    const account = await idpUser();
    const before = await me(await accessToken(account));
    expect(before.status).toBe(200);
    const renamed = { ...account, preferred_username: `${account.preferred_username}.renamed` };
    await putIdpAccount(idp, renamed);
    const after = await me(await accessToken(renamed));
    expect(after.body).toMatchObject({ id: before.body.id, username: before.body.username });
  });

  it("applies the IdP's changes of name, e-mail and role on the next token; an older token does not undo them", async () => {
    const account = await idpUser({ roles: ["colink-admin"] });
    const oldToken = await accessToken(account);
    const before = await me(oldToken);
    expect(before.body.role).toBe("admin");

    // Tokens carry whole seconds: make sure the next one is issued after the first.
    await new Promise((r) => setTimeout(r, 1100));
    const changed: IdpAccount = { ...account, name: "Renamed Person", email: `renamed.${account.email}`, roles: ["colink-guest"] };
    await putIdpAccount(idp, changed);
    const after = await me(await accessToken(changed));
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ id: before.body.id, display_name: "Renamed Person", email: changed.email, role: "guest" });

    // A device still holding the token from before the change.
    const stale = await me(oldToken);
    expect(stale.status).toBe(200);
    expect(stale.body).toMatchObject({ id: before.body.id, display_name: "Renamed Person", role: "guest" });
  });

  it("gives the default role when no realm role is mapped; a guest is kept out of #general", async () => {
    const account = await idpUser({ roles: ["some-other-app-role"] });
    expect((await me(await accessToken(account))).body.role).toBe("member");
    const guest = await idpUser({ roles: ["colink-guest"] });
    const guestToken = await accessToken(guest);
    expect((await me(guestToken)).body.role).toBe("guest");
    expect(await channelNames(guestToken)).toEqual([]);
  });

  it("creates exactly one account when the first requests arrive at once", async () => {
    const account = await idpUser();
    const token = await accessToken(account);
    const results = await Promise.all(Array.from({ length: 6 }, () => me(token)));
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    const { token: ownerToken } = await owner();
    const listed = await api<{ items: Me[] }>("GET", `/users?query=${encodeURIComponent(account.email ?? "")}`, { token: ownerToken });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((u) => u.id)).toEqual([results[0]?.body.id]);
  });

  it("works alongside built-in accounts, and such an account cannot sign in with a password", async () => {
    const { token: ownerToken } = await owner();
    expect((await me(ownerToken)).body).toMatchObject({ username: inject("owner").login, role: "owner" });

    const account = await idpUser();
    const user = (await me(await accessToken(account))).body;
    for (const login of [user.username, account.email ?? ""]) {
      const res = await api("POST", "/auth/login", { body: { login, password: account.password } });
      expect(res.status).toBe(401);
    }
  });

  it("stops working when the account is deactivated, and works again when reactivated", async () => {
    const account = await idpUser();
    const token = await accessToken(account);
    const user = (await me(token)).body;
    const { token: ownerToken } = await owner();
    expect((await api("POST", `/admin/users/${user.id}/deactivate`, { token: ownerToken })).status).toBe(200);
    expectRefused(await me(token));
    expectRefused(await me(await accessToken(account)));
    expect((await api("POST", `/admin/users/${user.id}/reactivate`, { token: ownerToken })).status).toBe(200);
    expect((await me(token)).body.id).toBe(user.id);
  });
});

describe("external identity: tokens Colink refuses with 401", () => {
  let otherRealm: IdpServer;
  let account: IdpAccount;
  let realToken: string;

  beforeAll(async () => {
    // Another realm, configured exactly like the trusted one (same client, same audience).
    otherRealm = await startOidcProvider({ audience: idp.audience });
    account = await idpUser({ roles: ["colink-member"] });
    realToken = await accessToken(account);
    expect((await me(realToken)).status).toBe(200);
  });

  afterAll(async () => {
    await otherRealm?.stop();
  });

  /** Claims as the trusted realm would issue them for `account`. */
  const claims = (extra: JWTPayload = {}): JWTPayload => ({
    iss: idp.issuer,
    aud: idp.audience,
    sub: account.sub,
    iat: now(),
    exp: now() + 300,
    realm_access: { roles: ["colink-owner"] },
    ...extra,
  });

  const signWithRealmKey = async (payload: JWTPayload) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: idp.es256PrivateJwk.kid })
      .sign(await importJWK(idp.es256PrivateJwk, "ES256"));

  it("a real token from another issuer", async () => {
    const stranger = { sub: account.sub, password: "pw-stranger", preferred_username: "stranger", roles: ["colink-owner"] };
    await putIdpAccount(otherRealm, stranger);
    const tokens = await signInWithPkce(otherRealm, { username: "stranger", password: "pw-stranger" }, idp.audience);
    expect(decodeJwt(tokens.access_token)).toMatchObject({ iss: otherRealm.issuer, aud: idp.audience, sub: account.sub });
    expectRefused(await me(tokens.access_token));
  });

  it("a token claiming the trusted issuer but signed by another key", async () => {
    const { privateKey } = await generateKeyPair("ES256");
    for (const kid of [idp.es256PrivateJwk.kid, "unknown-kid", undefined]) {
      const forged = await new SignJWT(claims()).setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid }).sign(privateKey);
      expectRefused(await me(forged));
    }
  });

  it("an expired token (beyond the allowed clock skew), while a fresh one signed the same way works", async () => {
    expect((await me(await signWithRealmKey(claims({ realm_access: { roles: ["colink-member"] } })))).status).toBe(200);
    expectRefused(await me(await signWithRealmKey(claims({ iat: now() - 900, exp: now() - 120 }))));
    expectRefused(await me(await signWithRealmKey(claims({ exp: undefined }))));
    expectRefused(await me(await signWithRealmKey(claims({ nbf: now() + 600 }))));
  });

  it("a real token for another audience, and the real ID token", async () => {
    const tokens = await signIn(account, OTHER_AUDIENCE);
    expect(decodeJwt(tokens.access_token).aud).toBe(OTHER_AUDIENCE);
    expectRefused(await me(tokens.access_token));
    expect(tokens.id_token).toBeDefined();
    expect(decodeJwt(tokens.id_token ?? "").aud).toBe(idp.clientId);
    expectRefused(await me(tokens.id_token ?? ""));
  });

  it("a tampered token: payload changed or signature altered", async () => {
    const [header, payload, signature] = realToken.split(".") as [string, string, string];
    const escalated = { ...decodeJwt(realToken), realm_access: { roles: ["colink-owner"] } };
    expectRefused(await me(`${header}.${base64url.encode(JSON.stringify(escalated))}.${signature}`));
    const flipped = `${signature.slice(0, 10)}${signature[10] === "A" ? "B" : "A"}${signature.slice(11)}`;
    expectRefused(await me(`${header}.${payload}.${flipped}`));
    expectRefused(await me(`${header}.${payload}.`));
  });

  it("an unsigned token (alg: none)", async () => {
    const header = base64url.encode(JSON.stringify({ alg: "none", typ: "at+jwt" }));
    const body = base64url.encode(JSON.stringify(claims()));
    expectRefused(await me(`${header}.${body}.`));
  });

  it("an HS256 token, keyed with the realm's public key (algorithm confusion) or any secret", async () => {
    const publicJwk = idp.publicJwks.find((k) => k.kid === idp.es256PrivateJwk.kid);
    for (const secret of [JSON.stringify(publicJwk), "secret"]) {
      const token = await new SignJWT(claims())
        .setProtectedHeader({ alg: "HS256", typ: "at+jwt", kid: idp.es256PrivateJwk.kid })
        .sign(new TextEncoder().encode(secret));
      expectRefused(await me(token));
    }
  });

  it("garbage and oversized tokens (never a 5xx)", async () => {
    const huge = await signWithRealmKey(claims({ pad: "x".repeat(20_000) }));
    for (const token of ["garbage", "a.b.c", `${realToken}x`, huge, `eyJhbGciOiJFUzI1NiJ9.${"A".repeat(5000)}.sig`]) {
      expectRefused(await me(token));
    }
  });

  it("and none of them created or changed an account", async () => {
    const { token: ownerToken } = await owner();
    const listed = await api<{ items: Me[] }>("GET", `/users?query=${encodeURIComponent(account.email ?? "")}`, { token: ownerToken });
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).toMatchObject({ role: "member", deactivated: false });
    expect((await api<{ items: Me[] }>("GET", "/users?query=stranger", { token: ownerToken })).body.items).toEqual([]);
  });
});
