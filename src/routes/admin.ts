import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../env";
import { bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { requireAdmin } from "../middleware/requireAdmin";
import { requireUser } from "../middleware/requireUser";
import {
  AuditPageSchema,
  AuditQuerySchema,
  ChangeRoleBody,
  CreateInviteBody,
  CreatePasswordResetBody,
  InviteIdParam,
  InviteListSchema,
  InviteSchema,
  PasswordResetSchema,
} from "../protocol/admin";
import { UserIdParam, UserSchema } from "../protocol/users";
import { createInvite, listInvites, revokeInvite } from "../services/actions/invites";
import { createPasswordReset } from "../services/actions/passwords";
import { changeRole, deactivateUser, reactivateUser } from "../services/actions/userAdmin";
import type { AuditActor } from "../services/audit";
import { listAudit } from "../services/queries/audit";

const common = { tags: ["Admin"], middleware: [requireUser, requireAdmin], security: bearerSecurity };

const actor = (c: Context<AppEnv>): AuditActor => ({ user: c.var.user, requestId: c.var.requestId });

export const adminRoutes = createRouter()
  .openapi(
    createRoute({
      ...common,
      method: "patch",
      path: "/users/{user_id}",
      summary: "Change a user's role",
      description: "Admins may move users between member and guest; only owners may grant or remove owner and admin.",
      request: { params: UserIdParam, body: jsonBody(ChangeRoleBody) },
      responses: { 200: jsonContent(UserSchema, "The user"), ...errorResponses },
    }),
    async (c) => c.json(await changeRole(c.env, c.var.db, actor(c), c.req.valid("param").user_id, c.req.valid("json").role), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/users/{user_id}/deactivate",
      summary: "Deactivate a user",
      description: "Their sessions end and their sockets close at once; they can no longer sign in.",
      request: { params: UserIdParam },
      responses: { 200: jsonContent(UserSchema, "The user"), ...errorResponses },
    }),
    async (c) => c.json(await deactivateUser(c.env, c.var.db, actor(c), c.req.valid("param").user_id), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/users/{user_id}/reactivate",
      summary: "Reactivate a user",
      request: { params: UserIdParam },
      responses: { 200: jsonContent(UserSchema, "The user"), ...errorResponses },
    }),
    async (c) => c.json(await reactivateUser(c.var.db, actor(c), c.req.valid("param").user_id), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/invites",
      summary: "Create a single-use invite",
      request: { body: { ...jsonBody(CreateInviteBody), required: false } },
      responses: { 201: jsonContent(InviteSchema, "The invite; its token is shown only now"), ...errorResponses },
    }),
    async (c) => {
      // An absent body is validated as {} by the router, but reaches us unparsed: default it here too.
      const body = CreateInviteBody.parse(c.req.valid("json"));
      return c.json(await createInvite(c.var.db, actor(c), { role: body.role, expiresInHours: body.expires_in_hours }), 201);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/users/{user_id}/password-reset",
      summary: "Issue a single-use password reset token for a user",
      description:
        "Valid for `expires_in_hours` (1–24, default 24) and once; a newer one replaces it. There is no e-mail service: hand the " +
        "token to the person, who sets a new password with POST /auth/password-reset (which ends all their sessions). Only " +
        "its hash is stored, and it is audited as `user.password_reset`. Owners may reset anyone's password, admins those of " +
        "members and guests (403 `owner_required`). Accounts from an identity provider have none (409 `no_password`).",
      request: { params: UserIdParam, body: { ...jsonBody(CreatePasswordResetBody), required: false } },
      responses: { 201: jsonContent(PasswordResetSchema, "The reset token; shown only now"), ...errorResponses },
    }),
    async (c) => {
      // An absent body is validated as {} by the router, but reaches us unparsed: default it here too.
      const body = CreatePasswordResetBody.parse(c.req.valid("json") ?? {});
      return c.json(await createPasswordReset(c.env, c.var.db, actor(c), c.req.valid("param").user_id, body.expires_in_hours), 201);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/invites",
      summary: "List the invites that can still be used",
      description: "Unexpired, unused and unrevoked invites whose creator is still active, newest first (at most 1000).",
      responses: { 200: jsonContent(InviteListSchema, "The invites"), ...errorResponses },
    }),
    async (c) => c.json(await listInvites(c.var.db), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "delete",
      path: "/invites/{invite_id}",
      summary: "Revoke an invite",
      description: "Audited as `invite.revoked`. 409 `invite_used` or `invite_revoked` when it can no longer be revoked.",
      request: { params: InviteIdParam },
      responses: { 204: { description: "Revoked" }, ...errorResponses },
    }),
    async (c) => {
      await revokeInvite(c.var.db, actor(c), c.req.valid("param").invite_id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/audit",
      summary: "The audit log, newest first",
      description:
        "Every admin and moderation action: role changes, deactivation and reactivation, password resets, mutes, invites, " +
        "moderators deleting someone's message or removing a member, archiving, report resolutions, retention changes and runs, " +
        "exports. Filters match exactly. Rows are append-only (the database refuses updates) and kept for AUDIT_RETENTION_DAYS.",
      request: { query: AuditQuerySchema },
      responses: { 200: jsonContent(AuditPageSchema, "A page of the audit log"), ...errorResponses },
    }),
    async (c) => c.json(await listAudit(c.var.db, c.req.valid("query")), 200),
  );
