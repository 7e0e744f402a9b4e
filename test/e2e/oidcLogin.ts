import { createHash, randomBytes } from "node:crypto";
import type { IdpAccount, IdpInfo } from "./oidcProvider";

// What a Colink client does to get an access token from the organisation's identity provider:
// the OAuth 2.0 authorization-code flow with PKCE (RFC 7636) and a resource indicator
// (RFC 8707), driven over plain HTTP the way a browser would: follow the redirects, fill in the
// provider's sign-in and consent forms, take the code from the redirect, redeem it.

export type TokenResponse = {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
  scope?: string;
};

/** A per-login cookie jar: the provider's interaction and session cookies, as a browser keeps them. */
class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const expired = attributes.some(
        (a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split("=")[1] ?? "") < Date.now()),
      );
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, pair.slice(eq + 1).trim());
    }
  }

  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

const base64url = (bytes: Buffer) => bytes.toString("base64url");

export async function discover(issuer: string): Promise<{ authorization_endpoint: string; token_endpoint: string; jwks_uri: string }> {
  const res = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (res.status !== 200) throw new Error(`discovery failed: ${res.status}`);
  return (await res.json()) as { authorization_endpoint: string; token_endpoint: string; jwks_uri: string };
}

/** Creates or updates an account at the provider, through its admin API. */
export async function putIdpAccount(idp: IdpInfo, account: IdpAccount): Promise<void> {
  const { sub, ...attributes } = account;
  const res = await fetch(`${idp.issuer}/admin/accounts/${encodeURIComponent(sub)}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${idp.adminSecret}`, "content-type": "application/json" },
    body: JSON.stringify(attributes),
  });
  if (res.status !== 204) throw new Error(`admin API answered ${res.status}: ${await res.text()}`);
}

/** Signs `username` in at the provider and returns the token response for `resource`. */
export async function signInWithPkce(
  idp: Pick<IdpInfo, "issuer" | "clientId" | "redirectUri">,
  credentials: { username: string; password: string },
  resource: string,
): Promise<TokenResponse> {
  const { authorization_endpoint, token_endpoint } = await discover(idp.issuer);
  const jar = new CookieJar();
  const verifier = base64url(randomBytes(32));
  const challenge = base64url(createHash("sha256").update(verifier).digest());
  const state = base64url(randomBytes(16));
  const authorize = new URL(authorization_endpoint);
  authorize.search = new URLSearchParams({
    response_type: "code",
    client_id: idp.clientId,
    redirect_uri: idp.redirectUri,
    scope: "openid profile email chat",
    state,
    nonce: base64url(randomBytes(16)),
    code_challenge: challenge,
    code_challenge_method: "S256",
    resource,
  }).toString();

  const request = async (url: string, init: RequestInit = {}) => {
    const res = await fetch(url, {
      ...init,
      redirect: "manual",
      headers: { ...(init.headers as Record<string, string>), cookie: jar.header() },
    });
    jar.store(res);
    return res;
  };

  let res = await request(authorize.href);
  let url = authorize.href;
  for (let step = 0; step < 12; step++) {
    if (res.status >= 300 && res.status < 400) {
      const location = new URL(res.headers.get("location") ?? "", url).href;
      await res.body?.cancel();
      if (location.startsWith(idp.redirectUri)) return redeem(new URL(location));
      url = location;
      res = await request(url);
      continue;
    }
    const page = await res.text();
    if (res.status !== 200) throw new Error(`provider answered ${res.status} at ${url}: ${page.slice(0, 500)}`);
    const action = page.match(/<form method="post" action="([^"]+)"/)?.[1];
    const prompt = page.match(/name="prompt" value="(\w+)"/)?.[1];
    if (!action || !prompt) throw new Error(`unexpected page at ${url}: ${page.slice(0, 500)}`);
    const form = new URLSearchParams({ prompt });
    if (prompt === "login") {
      form.set("username", credentials.username);
      form.set("password", credentials.password);
    }
    url = new URL(action, url).href;
    res = await request(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form.toString() });
  }
  throw new Error("too many redirects in the authorization flow");

  async function redeem(callback: URL): Promise<TokenResponse> {
    const error = callback.searchParams.get("error");
    if (error) throw new Error(`authorization failed: ${error} ${callback.searchParams.get("error_description") ?? ""}`);
    if (callback.searchParams.get("state") !== state) throw new Error("state mismatch");
    // RFC 9207: the authorization response names its issuer (mix-up defence).
    if (callback.searchParams.get("iss") !== idp.issuer) throw new Error(`unexpected iss ${callback.searchParams.get("iss")}`);
    const code = callback.searchParams.get("code");
    if (!code) throw new Error(`no code in ${callback.href}`);
    const tokenRes = await fetch(token_endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: idp.redirectUri,
        client_id: idp.clientId,
        code_verifier: verifier,
        resource,
      }).toString(),
    });
    const body = (await tokenRes.json()) as TokenResponse & { error?: string; error_description?: string };
    if (tokenRes.status !== 200)
      throw new Error(`token endpoint answered ${tokenRes.status}: ${body.error} ${body.error_description ?? ""}`);
    return body;
  }
}
