import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../env";
import { bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { requireUser } from "../middleware/requireUser";
import { AuthResponseSchema, LoginBody, RefreshBody, RegisterBody } from "../protocol/auth";
import { type Client, logIn, register } from "../services/actions/accounts";
import { refreshSession, revokeSession, type SignedIn } from "../services/auth/sessions";

const tags = ["Auth"];

/** The caller's address as Cloudflare's edge reports it; locally anything may claim any. */
const client = (c: Context<AppEnv>): Client => ({
  ip: c.req.header("cf-connecting-ip")?.slice(0, 64) || "unknown",
  userAgent: c.req.header("user-agent") ?? null,
});

const authResponse = ({ user, tokens }: SignedIn) => ({ user, ...tokens });

export const authRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/register",
      tags,
      summary: "Create an account",
      description: "The first account becomes the workspace owner; later sign-ups need an invite unless open sign-up is enabled.",
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
  );
