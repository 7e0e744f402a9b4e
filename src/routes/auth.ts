import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../env";
import { clientAddress } from "../lib/clientAddress";
import { config } from "../lib/config";
import { bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { requireUser } from "../middleware/requireUser";
import {
  AuthConfigSchema,
  AuthResponseSchema,
  ChangePasswordBody,
  LoginBody,
  RefreshBody,
  RegisterBody,
  ResetPasswordBody,
} from "../protocol/auth";
import { type Client, logIn, register } from "../services/actions/accounts";
import { changePassword, resetPassword } from "../services/actions/passwords";
import { endAllSessions } from "../services/actions/sessions";
import { refreshSession, revokeSession, type SignedIn } from "../services/auth/sessions";

const tags = ["Auth"];

/** The caller's address (lib/clientAddress.ts says when `cf-connecting-ip` is believed) and user agent. */
const client = (c: Context<AppEnv>): Client => ({
  ip: clientAddress(c.env, c.req.header("cf-connecting-ip")),
  userAgent: c.req.header("user-agent") ?? null,
});

const authResponse = ({ user, tokens }: SignedIn) => ({ user, ...tokens });

const THROTTLING =
  "Failed attempts slow down further ones from the same client address, for that account (after " +
  "LOGIN_FAILURES_PER_ACCOUNT_AND_IP failures) and for any account (after LOGIN_FAILURES_PER_IP): each further try waits " +
  "1 s, 2 s, 4 s … after the one before (at most LOGIN_MAX_DELAY_SECONDS), answered 429 `too_many_attempts` with " +
  "Retry-After meanwhile. Successful sign-ins never count, and one clears its account's count from that address.";

export const authRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/config",
      tags,
      summary: "How a client may sign in here",
      description:
        "Public. Whether sign-up is open, and the OpenID Connect issuer, audience and public client id a browser signs in " +
        "through (authorization code with PKCE) when one is configured (OIDC_ISSUER, OIDC_AUDIENCE, OIDC_CLIENT_ID, OIDC_SCOPES).",
      responses: { 200: jsonContent(AuthConfigSchema, "The sign-in options"), ...errorResponses },
    }),
    (c) => {
      const settings = config(c.env);
      const oidc =
        settings.OIDC_ISSUER && settings.OIDC_CLIENT_ID
          ? {
              issuer: settings.OIDC_ISSUER,
              audience: settings.OIDC_AUDIENCE,
              client_id: settings.OIDC_CLIENT_ID,
              scope: settings.OIDC_SCOPES,
            }
          : null;
      return c.json({ open_signup: settings.OPEN_SIGNUP, oidc }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/register",
      tags,
      summary: "Create an account",
      description:
        "The first account becomes the workspace owner; later sign-ups need an invite unless open sign-up is enabled. " +
        "At most SIGNUP_RATE_PER_HOUR sign-ups per client address per hour (429 `too_many_attempts`).",
      request: { body: jsonBody(RegisterBody) },
      responses: { 201: jsonContent(AuthResponseSchema, "The new account, signed in"), ...errorResponses },
    }),
    async (c) => c.json(authResponse(await register(c.env, c.var.db, c.req.valid("json"), client(c))), 201),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/login",
      tags,
      summary: "Sign in with a username or email and a password",
      description: THROTTLING,
      request: { body: jsonBody(LoginBody) },
      responses: { 200: jsonContent(AuthResponseSchema, "Signed in"), ...errorResponses },
    }),
    async (c) => c.json(authResponse(await logIn(c.env, c.var.db, c.req.valid("json"), client(c))), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/refresh",
      tags,
      summary: "Trade a refresh token for a new pair",
      description: "The refresh token is spent. Presenting a spent one ends the whole session (401).",
      request: { body: jsonBody(RefreshBody) },
      responses: { 200: jsonContent(AuthResponseSchema, "A new token pair"), ...errorResponses },
    }),
    async (c) => c.json(authResponse(await refreshSession(c.env, c.var.db, c.req.valid("json").refresh_token)), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/logout",
      tags,
      summary: "End the caller's session",
      description: "Its refresh token, access tokens and sockets stop working.",
      middleware: [requireUser] as const,
      security: bearerSecurity,
      responses: { 204: { description: "Signed out" }, ...errorResponses },
    }),
    async (c) => {
      const sessionId = c.var.sessionId;
      // Tokens from an external identity provider have no Colink session to end.
      if (sessionId) await revokeSession(c.env, c.var.db, c.var.user.id, sessionId, "logout");
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/logout-all",
      tags,
      summary: "End every session of the caller, this one included",
      description: "Every refresh token and access token of the caller stops working, and every socket of theirs closes with 4001.",
      middleware: [requireUser] as const,
      security: bearerSecurity,
      responses: { 204: { description: "Signed out everywhere" }, ...errorResponses },
    }),
    async (c) => {
      await endAllSessions(c.env, c.var.db, c.var.user.id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/password",
      tags,
      summary: "Change the caller's password",
      description:
        "Needs the current password: a wrong one is 403 `invalid_current_password` (the caller is signed in but has not " +
        "proved they may do this) and counts like a failed sign-in (429 `too_many_attempts` with Retry-After past the " +
        "thresholds). The new one follows the sign-up rules (422 `validation_failed` or `weak_password` on `new_password`). " +
        "Every other session of the caller ends (refresh tokens, access tokens, sockets with 4001); this one stays signed in. " +
        "Accounts from an identity provider have no Colink password (409 `no_password`).",
      middleware: [requireUser] as const,
      security: bearerSecurity,
      request: { body: jsonBody(ChangePasswordBody) },
      responses: { 204: { description: "Changed" }, ...errorResponses },
    }),
    async (c) => {
      const actor = { user: c.var.user, requestId: c.var.requestId };
      const caller = { sessionId: c.var.sessionId, address: client(c).ip };
      await changePassword(c.env, c.var.db, actor, caller, c.req.valid("json"));
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/password-reset",
      tags,
      summary: "Set a new password with a reset token from an admin",
      description:
        "The token (POST /admin/users/{user_id}/password-reset) works once, within its lifetime (403 `reset_token_invalid`, " +
        "`reset_token_used`, `reset_token_expired`). Every session of the user ends: refresh tokens, access tokens, sockets (4001).",
      request: { body: jsonBody(ResetPasswordBody) },
      responses: { 204: { description: "The new password is set; sign in with it" }, ...errorResponses },
    }),
    async (c) => {
      await resetPassword(c.env, c.var.db, c.var.requestId, c.req.valid("json"));
      return c.body(null, 204);
    },
  );
