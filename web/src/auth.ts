import { Colink, type Tokens } from "../../client/index.ts";
import type { AuthConfig } from "../../src/protocol/auth";
import type { UserView } from "../../src/protocol/users";
import { completeOidcSignIn, type OidcSettings, oidcRefresher } from "./oidc.ts";

// The page's one Colink client, and where its session survives a reload: access tokens live in
// memory only; the refresh token goes to sessionStorage (this tab only, gone when it closes, never
// localStorage), with which provider issued it.

const SAVED_KEY = "colink.session";
type Saved = { kind: "colink" | "oidc"; refreshToken: string };

export function createColink(): Colink {
  return new Colink({ baseUrl: "" });
}

/** Keeps the current refresh token saved while signed in; forgets it when signed out. */
export function persistSession(colink: Colink, kind: Saved["kind"]): () => void {
  const save = (tokens: Tokens | null) => {
    if (tokens?.refreshToken)
      sessionStorage.setItem(SAVED_KEY, JSON.stringify({ kind, refreshToken: tokens.refreshToken } satisfies Saved));
    else sessionStorage.removeItem(SAVED_KEY);
  };
  save(colink.session.tokens);
  return colink.session.onChange(save);
}

export async function authConfig(colink: Colink): Promise<AuthConfig> {
  try {
    return await colink.http.request<AuthConfig>("GET", "/auth/config", { auth: false });
  } catch {
    return { open_signup: false, oidc: null };
  }
}

/** Signs in again from what this tab kept, or from the provider's redirect; null when there is nothing to go on. */
export type Restored = { user: UserView; kind: Saved["kind"] };

export async function restoreSession(colink: Colink, config: AuthConfig): Promise<Restored | null> {
  if (config.oidc) {
    const done = await completeOidcSignIn(config.oidc);
    if (done) return { user: await signInWithOidcTokens(colink, config.oidc, done.tokens), kind: "oidc" };
  }
  const saved = JSON.parse(sessionStorage.getItem(SAVED_KEY) ?? "null") as Saved | null;
  if (!saved) return null;
  try {
    if (saved.kind === "oidc" && config.oidc) {
      const refresher = oidcRefresher(config.oidc);
      const tokens = await refresher({ accessToken: "", refreshToken: saved.refreshToken, expiresAt: 0 });
      return { user: await signInWithOidcTokens(colink, config.oidc, tokens), kind: "oidc" };
    }
    return { user: await colink.resumeSession(saved.refreshToken), kind: "colink" };
  } catch {
    sessionStorage.removeItem(SAVED_KEY);
    return null;
  }
}

async function signInWithOidcTokens(colink: Colink, oidc: OidcSettings, tokens: Tokens): Promise<UserView> {
  colink.useTokens(tokens, oidcRefresher(oidc));
  return colink.api.me();
}
