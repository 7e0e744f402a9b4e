import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import Provider, { type AnyObject, errors, type Token } from "oidc-provider";

// A real OpenID Connect provider (panva's oidc-provider, the certified implementation) for the
// e2e suite, shaped like a Keycloak realm: the issuer has a path (`/realms/colink`), access
// tokens for the Colink resource are ES256 JWTs carrying `preferred_username`, `email`, `name`
// and Keycloak's `realm_access.roles`. Users sign in through its own login and consent pages
// (our minimal interaction handlers), and a small admin API plays Keycloak's: tests create
// accounts and change their attributes or roles through it.

export const REALM_PATH = "/realms/colink";
export const CLIENT_ID = "colink-web";
export const REDIRECT_URI = "http://127.0.0.1/oidc/callback";
/** A second API of the same realm: its tokens are genuine but not meant for Colink. */
export const OTHER_AUDIENCE = "urn:example:reports-api";

export type IdpAccount = {
  sub: string;
  password: string;
  preferred_username?: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  roles?: string[];
};

export type IdpInfo = {
  issuer: string;
  audience: string;
  clientId: string;
  redirectUri: string;
  adminSecret: string;
  /** The realm's public signing keys, as its JWKS serves them. */
  publicJwks: JWK[];
  /** The realm's ES256 private key: only for minting tokens a real issuer key signed but Colink must refuse (expired). */
  es256PrivateJwk: JWK;
};

export type IdpServer = IdpInfo & { stop(): Promise<void> };

const html = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  let body = "";
  for await (const chunk of req) {
    body += chunk;
    if (body.length > limit) throw new Error("body too large");
  }
  return body;
}

function send(res: ServerResponse, status: number, type: string, body: string) {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(body);
}

const sameSecret = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export async function startOidcProvider(options: {
  audience: string;
  host?: string;
  /** More redirect URIs for the public client, e.g. the web client's page (its origin may then call the token endpoint). */
  redirectUris?: string[];
}): Promise<IdpServer> {
  const host = options.host ?? "127.0.0.1";
  const accounts = new Map<string, IdpAccount>();
  const adminSecret = randomBytes(24).toString("base64url");

  const es = await generateKeyPair("ES256", { extractable: true });
  const rs = await generateKeyPair("RS256", { extractable: true, modulusLength: 2048 });
  const esPrivate = { ...(await exportJWK(es.privateKey)), kid: `es-${randomBytes(4).toString("hex")}`, alg: "ES256", use: "sig" };
  const rsPrivate = { ...(await exportJWK(rs.privateKey)), kid: `rs-${randomBytes(4).toString("hex")}`, alg: "RS256", use: "sig" };
  const publicOf = ({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub }: JWK) => pub;

  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host}:${port}`;
  const issuer = `${origin}${REALM_PATH}`;

  const resourceServer = (audience: string) => ({
    audience,
    scope: "chat",
    accessTokenTTL: 300,
    accessTokenFormat: "jwt" as const,
    jwt: { sign: { alg: "ES256" } },
  });

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_name: "Colink web",
        application_type: "web",
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        redirect_uris: [REDIRECT_URI, ...(options.redirectUris ?? [])],
      },
    ],
    jwks: { keys: [rsPrivate, esPrivate] },
    scopes: ["openid", "offline_access", "profile", "email"],
    claims: { openid: ["sub"], profile: ["name", "preferred_username"], email: ["email", "email_verified"] },
    findAccount: (_ctx, sub) => {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        claims: () => ({
          sub,
          name: account.name,
          preferred_username: account.preferred_username,
          email: account.email,
          email_verified: account.email_verified,
        }),
      };
    },
    // What a Keycloak access token carries: the profile and the realm roles.
    extraTokenClaims: (_ctx, token: Token) => {
      const account = token.kind === "AccessToken" && token.accountId ? accounts.get(token.accountId) : undefined;
      if (!account) return undefined;
      const claims: AnyObject = {
        preferred_username: account.preferred_username,
        email: account.email,
        email_verified: account.email_verified,
        name: account.name,
        realm_access: { roles: account.roles ?? [] },
      };
      return Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
    },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => {
          if (indicator === options.audience || indicator === OTHER_AUDIENCE) return resourceServer(indicator);
          throw new errors.InvalidTarget();
        },
      },
    },
    interactions: { url: (_ctx, interaction) => `${REALM_PATH}/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    ttl: { AccessToken: 300, AuthorizationCode: 60, IdToken: 300, Interaction: 600, Session: 3600, Grant: 3600, RefreshToken: 3600 },
    renderError: (ctx, out) => {
      ctx.type = "json";
      ctx.body = out;
    },
  });
  const oidc = provider.callback();

  async function interaction(req: IncomingMessage, res: ServerResponse, uid: string, action: string | undefined) {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return send(res, 400, "text/plain", "interaction mismatch");
    const submit = `${REALM_PATH}/interaction/${uid}`;
    if (req.method === "GET" && action === undefined) {
      if (details.prompt.name === "login") {
        return send(
          res,
          200,
          "text/html",
          html(
            "Sign in",
            `<form method="post" action="${submit}/login"><input type="hidden" name="prompt" value="login">` +
              `<input name="username"><input name="password" type="password"><button>Sign in</button></form>`,
          ),
        );
      }
      return send(
        res,
        200,
        "text/html",
        html(
          "Authorize",
          `<p>${escapeHtml(String(details.params.client_id))} asks for ${escapeHtml(String(details.params.scope))}</p>` +
            `<form method="post" action="${submit}/confirm"><input type="hidden" name="prompt" value="consent"><button>Allow</button></form>`,
        ),
      );
    }
    if (req.method !== "POST") return send(res, 405, "text/plain", "method not allowed");
    const form = new URLSearchParams(await readBody(req));
    if (action === "login" && details.prompt.name === "login") {
      const account = [...accounts.values()].find((a) => a.preferred_username === form.get("username"));
      if (!account || !sameSecret(account.password, form.get("password") ?? "")) {
        return send(res, 401, "text/html", html("Sign in", "<p>Invalid username or password.</p>"));
      }
      return provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
    }
    if (action === "confirm" && details.prompt.name === "consent") {
      const accountId = details.session?.accountId;
      if (!accountId) return send(res, 400, "text/plain", "no session");
      const grant =
        (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ??
        new provider.Grant({ accountId, clientId: String(details.params.client_id) });
      const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
      if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(" "));
      if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(" "));
      return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
    }
    return send(res, 400, "text/plain", "unexpected interaction step");
  }

  async function admin(req: IncomingMessage, res: ServerResponse, sub: string) {
    if (!sameSecret(req.headers.authorization ?? "", `Bearer ${adminSecret}`)) return send(res, 401, "text/plain", "unauthorized");
    if (req.method !== "PUT") return send(res, 405, "text/plain", "method not allowed");
    const account = { ...(JSON.parse(await readBody(req)) as Omit<IdpAccount, "sub">), sub };
    accounts.set(sub, account);
    return send(res, 204, "text/plain", "");
  }

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", origin);
    if (!url.pathname.startsWith(`${REALM_PATH}/`)) return send(res, 404, "text/plain", "not found");
    const inRealm = url.pathname.slice(REALM_PATH.length);
    const interactionPath = inRealm.match(/^\/interaction\/([\w-]+)(?:\/(login|confirm))?$/);
    const adminPath = inRealm.match(/^\/admin\/accounts\/([\w.@-]+)$/);
    const handled = interactionPath?.[1]
      ? interaction(req, res, interactionPath[1], interactionPath[2])
      : adminPath?.[1]
        ? admin(req, res, adminPath[1])
        : undefined;
    if (handled) {
      handled.catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, "text/plain", String(err));
      });
      return;
    }
    // The provider mounted under the realm path, as Keycloak is: it sees paths relative to it.
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = req.url;
    req.url = `${inRealm || "/"}${url.search}`;
    oidc(req, res);
  });

  let stopped = false;
  return {
    issuer,
    audience: options.audience,
    clientId: CLIENT_ID,
    redirectUri: REDIRECT_URI,
    adminSecret,
    publicJwks: [publicOf(rsPrivate), publicOf(esPrivate)],
    es256PrivateJwk: esPrivate,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
