import type { TestProject } from "vitest/node";
// @ts-expect-error: a plain ES module script without types (scripts/ holds the repo's Node scripts)
import { buildWeb } from "../../scripts/buildWeb.mjs";
import { freeTcpPort } from "../../scripts/freePort.mjs";
import { type Clamd, startClamd } from "./clamd";
import { type IdpInfo, type IdpServer, startOidcProvider } from "./oidcProvider";
import { type DevServer, startWranglerDev } from "./wranglerDev";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    owner: { login: string; password: string };
    /** REPLAY_INLINE_LIMIT of the suite's server: small, so a resume past it (channel.gap) is quick to provoke. */
    replayInlineLimit: number;
    /** The suite's OpenID provider, the issuer Colink trusts (OIDC_ISSUER). */
    idp: IdpInfo;
    /** REQUEST_BODY_TIMEOUT_SECONDS of the suite's server: short, so a stalled body's 408 comes quickly. */
    requestBodyTimeoutSeconds: number;
    /** UPLOAD_URL_TTL_SECONDS of the suite's server: short, so an expired upload URL is quick to get. */
    uploadUrlTtlSeconds: number;
  }
}

/** The audience Colink expects in external access tokens (OIDC_AUDIENCE): the resource indicator clients ask for. */
export const COLINK_AUDIENCE = "urn:colink:api";

/** Above the 50 events a resume test replays inline, low enough that exceeding it stays fast. */
const REPLAY_INLINE_LIMIT = 60;

/** Well above what a local body takes to arrive, well below the 10 s default. */
const REQUEST_BODY_TIMEOUT_SECONDS = 2;

/** Long enough for an upload on a busy machine, short enough to wait out. */
const UPLOAD_URL_TTL_SECONDS = 8;

/** Realm roles → Colink roles, as an operator would configure them for Keycloak. */
export const OIDC_ROLE_MAP = "colink-owner:owner,colink-admin:admin,colink-member:member,colink-guest:guest";

export default async function setup(project: TestProject) {
  // The web client the server serves (web/dist), as npm start builds it.
  await buildWeb({ quiet: true });
  // The provider first: Colink is started already pointing at its issuer, as in production.
  // The web client signs in there too (test/e2e/web.e2e.ts): its page is the redirect URI, so the
  // server's port is chosen first.
  const port = await freeTcpPort();
  const idp: IdpServer = await startOidcProvider({ audience: COLINK_AUDIENCE, redirectUris: [`http://127.0.0.1:${port}/`] });
  // A real clamd for the suite's server (files are scanned, as in production).
  let scanner: Clamd;
  try {
    scanner = await startClamd();
  } catch (err) {
    await idp.stop();
    throw err;
  }
  let server: DevServer;
  try {
    server = await startWranglerDev({
      port,
      vars: {
        REPLAY_INLINE_LIMIT: String(REPLAY_INLINE_LIMIT),
        // Every suite signs people up and creates channels through the owner, all as one client
        // address; the limits themselves are tested in the runtime suite.
        SIGNUP_RATE_PER_HOUR: "100000",
        SEND_RATE_PER_MINUTE: "100000",
        REQUEST_BODY_TIMEOUT_SECONDS: String(REQUEST_BODY_TIMEOUT_SECONDS),
        CHANNEL_CREATE_RATE_PER_HOUR: "100000",
        WS_TICKET_RATE_PER_MINUTE: "100000",
        OIDC_ISSUER: idp.issuer,
        OIDC_AUDIENCE: COLINK_AUDIENCE,
        OIDC_ROLES_CLAIM: "realm_access.roles",
        OIDC_ROLE_MAP,
        OIDC_CLIENT_ID: idp.clientId,
        // The provider issues access tokens for a resource only with one of its scopes.
        OIDC_SCOPES: "openid profile email offline_access chat",
        CLAMD_ADDRESS: scanner.address,
        UPLOAD_URL_TTL_SECONDS: String(UPLOAD_URL_TTL_SECONDS),
      },
    });
  } catch (err) {
    await idp.stop();
    await scanner.close();
    throw err;
  }
  const stop = async () => {
    await server.stop();
    await idp.stop();
    await scanner.close();
  };
  try {
    const owner = { login: "owner", password: `owner-${crypto.randomUUID()}` };
    const res = await fetch(`${server.url}/api/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "owner@example.test", username: owner.login, password: owner.password, display_name: "Owner" }),
    });
    if (res.status !== 201) throw new Error(`could not register the owner: ${res.status} ${await res.text()}`);
    project.provide("baseUrl", server.url);
    project.provide("owner", owner);
    project.provide("replayInlineLimit", REPLAY_INLINE_LIMIT);
    project.provide("requestBodyTimeoutSeconds", REQUEST_BODY_TIMEOUT_SECONDS);
    project.provide("uploadUrlTtlSeconds", UPLOAD_URL_TTL_SECONDS);
    const { stop: _stop, ...info } = idp;
    project.provide("idp", info);
  } catch (err) {
    await stop();
    throw err;
  }
  return stop;
}
