import type { TokenRefresher, Tokens } from "../../client/index.ts";
import type { AuthConfig } from "../../src/protocol/auth";

// Sign-in through the configured OpenID Connect provider: authorization code with PKCE (RFC 7636),
// asking for an access token for Colink's audience (RFC 8707 resource indicator). The verifier and
// state wait in sessionStorage across the redirect (they are not tokens, and die with the tab).

export type OidcSettings = NonNullable<AuthConfig["oidc"]>;
type Discovery = { authorization_endpoint: string; token_endpoint: string; end_session_endpoint?: string };
type TokenAnswer = { access_token: string; refresh_token?: string; expires_in?: number; id_token?: string };

const PENDING_KEY = "colink.oidc.pending";

const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
const random = (n: number) => b64url(crypto.getRandomValues(new Uint8Array(n)));

async function discover(issuer: string): Promise<Discovery> {
  const res = await fetch(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`The identity provider did not answer (${res.status}).`);
  return (await res.json()) as Discovery;
}

export const redirectUri = () => `${location.origin}/`;

/** Leaves for the provider's sign-in page. */
export async function beginOidcSignIn(oidc: OidcSettings): Promise<void> {
  const meta = await discover(oidc.issuer);
  const verifier = random(48);
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  const state = random(24);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, back: location.hash }));
  const url = new URL(meta.authorization_endpoint);
  const params: Record<string, string> = {
    response_type: "code",
    client_id: oidc.client_id,
    redirect_uri: redirectUri(),
    scope: oidc.scope,
    code_challenge: challenge,
    code_challenge_method: "S256",
    state,
    resource: oidc.audience,
    prompt: "consent",
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  location.assign(url.href);
}

async function tokenRequest(oidc: OidcSettings, body: Record<string, string>): Promise<Tokens> {
  const meta = await discover(oidc.issuer);
  const res = await fetch(meta.token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: oidc.client_id, resource: oidc.audience, ...body }),
  });
  if (!res.ok) {
    const err = new Error(`The identity provider refused the sign-in (${res.status}).`) as Error & { status: number };
    err.status = res.status;
    throw err;
  }
  const t = (await res.json()) as TokenAnswer;
  return { accessToken: t.access_token, refreshToken: t.refresh_token ?? null, expiresAt: Date.now() + (t.expires_in ?? 300) * 1000 };
}

/** Renews the provider's tokens at its token endpoint. */
export const oidcRefresher =
  (oidc: OidcSettings): TokenRefresher =>
  async (current) => {
    if (!current.refreshToken) throw new Error("no refresh token");
    return tokenRequest(oidc, { grant_type: "refresh_token", refresh_token: current.refreshToken });
  };

/** On the page the provider sent back to: trades the code for tokens, or null when this is not such a page. */
export async function completeOidcSignIn(oidc: OidcSettings): Promise<{ tokens: Tokens; back: string } | null> {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  const state = params.get("state");
  const error = params.get("error");
  if (!code && !error) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? "null") as { verifier: string; state: string; back: string } | null;
  sessionStorage.removeItem(PENDING_KEY);
  history.replaceState(null, "", `/${pending?.back ?? ""}`);
  if (error) throw new Error(params.get("error_description") ?? error);
  if (!pending || pending.state !== state || !code) throw new Error("The sign-in could not be verified; try again.");
  const tokens = await tokenRequest(oidc, {
    grant_type: "authorization_code",
    code,
    redirect_uri: redirectUri(),
    code_verifier: pending.verifier,
  });
  return { tokens, back: pending.back };
}
