import { z } from "zod";

const bool = z.enum(["true", "false", "1", "0", ""]).transform((v) => v === "true" || v === "1");
const int = (min: number) => z.coerce.number().int().min(min);
const list = z.string().transform((v) =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
);

/** Settings from wrangler.toml [vars] and secrets, validated once per isolate. */
const ConfigSchema = z.object({
  JWT_ISSUER: z.string().min(1).default("colink"),
  JWT_AUDIENCE: z.string().min(1).default("colink"),
  JWT_PRIVATE_KEY: z.string().optional(),
  ACCESS_TOKEN_TTL_SECONDS: int(30).max(900).default(900),
  REFRESH_TOKEN_TTL_DAYS: int(1).default(30),
  OPEN_SIGNUP: bool.default(false),
  ALLOWED_ORIGINS: list.default([]),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: int(1).default(10),
  LOGIN_MAX_ATTEMPTS_PER_IP: int(1).default(50),
  LOGIN_WINDOW_SECONDS: int(1).default(900),
  SEND_RATE_PER_MINUTE: int(1).default(600),
  OIDC_ISSUER: z.string().default(""),
  OIDC_AUDIENCE: z.string().default(""),
  OIDC_ROLES_CLAIM: z.string().default("realm_access.roles"),
  OIDC_ROLE_MAP: z.string().default(""),
  OIDC_DEFAULT_ROLE: z.enum(["owner", "admin", "member", "guest"]).default("member"),
  OIDC_ALLOWED_ALGS: list.default(["RS256", "ES256", "EdDSA"]),
  OIDC_CLOCK_SKEW_SECONDS: int(0).max(300).default(30),
  REPLAY_INLINE_LIMIT: int(1).default(500),
  EVENT_RETENTION_DAYS: int(7).default(30),
});

export type Config = z.infer<typeof ConfigSchema>;

const cache = new WeakMap<object, Config>();

export function config(env: Env): Config {
  let c = cache.get(env);
  if (!c) {
    const parsed = ConfigSchema.safeParse(env);
    if (!parsed.success) throw new Error(`invalid configuration: ${z.prettifyError(parsed.error)}`);
    c = parsed.data;
    cache.set(env, c);
  }
  return c;
}
