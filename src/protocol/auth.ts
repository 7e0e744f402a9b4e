import { z } from "@hono/zod-openapi";
import { personText, UserSchema } from "./users";

// Built-in accounts (API.md "Auth").

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;
/** What a sign-in accepts: longer than any new password may be, so old ones keep working. */
const GIVEN_PASSWORD_MAX_LENGTH = 1024;

/** Names that would read as the group mentions `@all`, `@channel`, `@everyone`, `@here`. */
const RESERVED_USERNAMES = new Set(["all", "channel", "everyone", "here"]);

export const UsernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9._-]{2,32}$/, "2–32 characters: lowercase letters, digits, '.', '_' or '-'.")
  .refine((name) => !RESERVED_USERNAMES.has(name), "This username is reserved.")
  .openapi({ description: "Stored lowercase.", example: "ada.lovelace" });

export const EmailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email())
  .openapi({ format: "email", example: "ada@example.com" });

const NewPasswordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH)
  .max(PASSWORD_MAX_LENGTH)
  .openapi({ description: `${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters; not a common password, not the username or email.` });

export const RegisterBody = z
  .object({
    email: EmailSchema,
    username: UsernameSchema,
    password: NewPasswordSchema,
    display_name: personText(64).optional(),
    invite_token: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .openapi({ description: "Required unless this is the first account or sign-up is open." }),
  })
  .openapi("RegisterRequest");
export type RegisterInput = z.infer<typeof RegisterBody>;

export const LoginBody = z
  .object({
    login: z.string().trim().toLowerCase().min(1).max(254).openapi({ description: "Email address or username." }),
    password: z.string().min(1).max(GIVEN_PASSWORD_MAX_LENGTH),
  })
  .openapi("LoginRequest");

export const RefreshBody = z.object({ refresh_token: z.string().min(1).max(256) }).openapi("RefreshRequest");

export const AuthResponseSchema = z
  .object({
    user: UserSchema,
    access_token: z.string().openapi({ description: "ES256 JWT; send as `Authorization: Bearer …`." }),
    refresh_token: z.string().openapi({ description: "Opaque, single use: POST it to /auth/refresh for a new pair." }),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int().openapi({ description: "Seconds until the access token expires." }),
  })
  .openapi("AuthResponse");

export const ChangePasswordBody = z
  .strictObject({
    current_password: z.string().min(1).max(GIVEN_PASSWORD_MAX_LENGTH),
    new_password: NewPasswordSchema,
  })
  .openapi("ChangePasswordRequest");

export const ResetPasswordBody = z
  .strictObject({
    reset_token: z.string().min(1).max(256).openapi({ description: "From POST /admin/users/{user_id}/password-reset." }),
    new_password: NewPasswordSchema,
  })
  .openapi("ResetPasswordRequest");

export const AuthConfigSchema = z
  .object({
    open_signup: z.boolean().openapi({ description: "Whether anyone may register without an invite." }),
    oidc: z
      .object({
        issuer: z.string().openapi({ description: "The OpenID Connect issuer (its /.well-known/openid-configuration is public)." }),
        audience: z.string().openapi({ description: "The resource indicator to ask the issuer for: Colink accepts tokens for it." }),
        client_id: z.string().openapi({ description: "The public client (authorization code with PKCE) registered for this web client." }),
        scope: z
          .string()
          .openapi({ description: "The scopes to ask for, space-separated.", example: "openid profile email offline_access" }),
      })
      .nullable()
      .openapi({ description: "Null when no external identity provider is configured for browser sign-in." }),
  })
  .openapi("AuthConfig");
export type AuthConfig = z.infer<typeof AuthConfigSchema>;
