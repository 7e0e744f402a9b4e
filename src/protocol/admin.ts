import { z } from "@hono/zod-openapi";
import { RoleSchema } from "./users";

// Workspace administration (API.md "Users", Admin).

export const ChangeRoleBody = z.strictObject({ role: RoleSchema }).openapi("ChangeRoleRequest");

export const MAX_INVITE_HOURS = 24 * 30;

export const CreateInviteBody = z
  .strictObject({
    role: RoleSchema.default("member"),
    expires_in_hours: z
      .number()
      .int()
      .min(1)
      .max(MAX_INVITE_HOURS)
      .default(24 * 7),
  })
  .openapi("CreateInviteRequest");

export const InviteSchema = z
  .object({
    invite_token: z.string().openapi({ description: "Shown once; pass as `invite_token` to /auth/register." }),
    expires_at: z.string(),
  })
  .openapi("Invite");

export const MAX_PASSWORD_RESET_HOURS = 24;

export const CreatePasswordResetBody = z
  .strictObject({
    expires_in_hours: z.number().int().min(1).max(MAX_PASSWORD_RESET_HOURS).default(MAX_PASSWORD_RESET_HOURS),
  })
  .openapi("CreatePasswordResetRequest");

export const PasswordResetSchema = z
  .object({
    reset_token: z.string().openapi({
      description: "Shown once. Hand it to the person (there is no e-mail service yet); they POST it to /auth/password-reset.",
    }),
    expires_at: z.string(),
  })
  .openapi("PasswordReset");
