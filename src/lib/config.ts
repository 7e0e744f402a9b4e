import { z } from "zod";
import { ROLES, type Role } from "../protocol/roles";

const bool = z.enum(["true", "false", "1", "0", ""]).transform((v) => v === "true" || v === "1");
const int = (min: number) => z.coerce.number().int().min(min);
const list = z.string().transform((v) =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
);

/**
 * JWS algorithms an external (OIDC) issuer may sign with: asymmetric only, so that a public key
 * from the JWKS can never be turned into an HMAC secret, and never `none`.
 */
export const ASYMMETRIC_JWS_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];

/** `idpRole:colinkRole,...`; the IdP role may itself contain `:` (the last one separates). */
const roleMap = z.string().transform((value, ctx) => {
  const map = new Map<string, Role>();
  for (const entry of value.split(",").map((s) => s.trim())) {
    if (!entry) continue;
    const at = entry.lastIndexOf(":");
    const idpRole = entry.slice(0, at).trim();
    const role = entry.slice(at + 1).trim();
    if (at <= 0 || !idpRole || !(ROLES as readonly string[]).includes(role)) {
      ctx.addIssue({ code: "custom", message: `"${entry}" is not idpRole:${ROLES.join("|")}` });
      continue;
    }
    if (map.has(idpRole) && map.get(idpRole) !== role) {
      ctx.addIssue({ code: "custom", message: `"${idpRole}" is mapped to two roles` });
      continue;
    }
    map.set(idpRole, role as Role);
  }
  return map as ReadonlyMap<string, Role>;
});

/** Settings from wrangler.toml [vars] and secrets, validated once per isolate. */
const ConfigSchema = z
  .object({
    JWT_ISSUER: z.string().min(1).default("colink"),
    JWT_AUDIENCE: z.string().min(1).default("colink"),
    JWT_PRIVATE_KEY: z.string().optional(),
    ACCESS_TOKEN_TTL_SECONDS: int(30).max(900).default(900),
    REFRESH_TOKEN_TTL_DAYS: int(1).default(30),
    OPEN_SIGNUP: bool.default(false),
    ALLOWED_ORIGINS: list.default([]),
    /**
     * Whether `cf-connecting-ip` names the client. Cloudflare's edge sets it and drops any value a
     * client sent, so a deployment trusts it; `wrangler dev` passes a client's own value through, so
     * the local launchers turn this off and every local client counts as one address.
     */
    TRUST_CF_CONNECTING_IP: bool.default(false),
    /** Failed sign-ins for one account from one address before each further try there waits. */
    LOGIN_FAILURES_PER_ACCOUNT_AND_IP: int(1).default(5),
    /** Failed sign-ins from one address, whatever the accounts, before each further try there waits. */
    LOGIN_FAILURES_PER_IP: int(1).default(100),
    /** The period those thresholds are per: counted failures drain at threshold/window. */
    LOGIN_WINDOW_SECONDS: int(1).default(900),
    /** The cap of the doubling wait (1 s, 2 s, 4 s, …) past a threshold. */
    LOGIN_MAX_DELAY_SECONDS: int(1).default(900),
    /** Sign-ups per client address per hour (each costs a password hash). */
    SIGNUP_RATE_PER_HOUR: int(1).default(100),
    /** Socket tickets one user may mint per minute. */
    WS_TICKET_RATE_PER_MINUTE: int(1).default(60),
    /** Channels one user may create per hour. */
    CHANNEL_CREATE_RATE_PER_HOUR: int(1).default(60),
    /** Members see each other's e-mail addresses (admins always do, guests never). */
    SHOW_EMAIL_TO_MEMBERS: bool.default(false),
    SEND_RATE_PER_MINUTE: int(1).default(600),
    /** How long a request body may take to arrive in full before the request is answered 408. */
    REQUEST_BODY_TIMEOUT_SECONDS: int(1).max(300).default(10),
    /** The external issuer, exactly as its tokens' `iss` spell it; empty turns external identity off. */
    OIDC_ISSUER: z.string().trim().default(""),
    OIDC_AUDIENCE: z.string().trim().default(""),
    /** The public client the web client signs in through (authorization code + PKCE); empty: no browser sign-in by OIDC. */
    OIDC_CLIENT_ID: z.string().trim().default(""),
    /** What the web client asks the provider for (space-separated), e.g. plus a scope the audience needs. */
    OIDC_SCOPES: z.string().trim().min(1).default("openid profile email offline_access"),
    OIDC_ROLES_CLAIM: z.string().trim().min(1).default("realm_access.roles"),
    OIDC_ROLE_MAP: roleMap.default(new Map()),
    OIDC_DEFAULT_ROLE: z.enum(ROLES).default("member"),
    OIDC_ALLOWED_ALGS: list
      .pipe(
        z
          .array(
            z.string().refine((alg) => ASYMMETRIC_JWS_ALGS.includes(alg), {
              error: (i) => `${String(i.input)} is not an asymmetric JWS algorithm`,
            }),
          )
          .min(1, "at least one algorithm is required"),
      )
      .default(["RS256", "ES256", "EdDSA"]),
    OIDC_CLOCK_SKEW_SECONDS: int(0).max(300).default(30),
    REPLAY_INLINE_LIMIT: int(1).default(500),
    EVENT_RETENTION_DAYS: int(7).default(30),
    /** How long audit-log rows are kept before the daily housekeeping deletes them (at least a year). */
    AUDIT_RETENTION_DAYS: int(365).default(730),
    /** Finished export archives are deleted this many days after they were written (the download then answers 410 `export_expired`). */
    EXPORT_RETENTION_DAYS: int(1).default(7),
    /** Workspace exports include DMs and group DMs (a compliance export). */
    EXPORT_INCLUDE_DMS: bool.default(false),
    /** Largest file `POST /files` accepts (413 `file_too_large` above). */
    MAX_UPLOAD_BYTES: int(1).default(104_857_600),
    /** How long an upload URL works. */
    UPLOAD_URL_TTL_SECONDS: int(1)
      .max(7 * 24 * 3600)
      .default(900),
    /** `required`: every file is scanned by clamd before it is served; `off` (a local trial only): files are clean unscanned. */
    FILE_SCAN: z.enum(["required", "off"]).default("required"),
    /** host:port of clamd; empty leaves files `scanning` until one is configured. */
    CLAMD_ADDRESS: z
      .string()
      .trim()
      .default("")
      .refine((v) => v === "" || parseHostPort(v) !== null, "must be host:port"),
    /** clamd's StreamMaxLength: a longer file cannot be scanned (clamd would only drop the connection), so it fails closed. */
    CLAMD_STREAM_MAX_BYTES: int(1).default(26_214_400),
    /** R2's S3 API, e.g. https://<account id>.r2.cloudflarestorage.com; with both keys set, uploads go straight to R2 (presigned PUT). */
    R2_S3_ENDPOINT: z.string().trim().default(""),
    R2_BUCKET_NAME: z.string().trim().min(1).default("colink-files"),
    R2_ACCESS_KEY_ID: z.string().trim().default(""),
    R2_SECRET_ACCESS_KEY: z.string().trim().default(""),
  })
  .superRefine((c, ctx) => {
    const presigned = [c.R2_S3_ENDPOINT, c.R2_ACCESS_KEY_ID, c.R2_SECRET_ACCESS_KEY].filter(Boolean).length;
    if (presigned !== 0 && presigned !== 3)
      ctx.addIssue({
        code: "custom",
        path: ["R2_S3_ENDPOINT"],
        message: "R2_S3_ENDPOINT, R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY go together",
      });
    if (c.R2_S3_ENDPOINT && !/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(c.R2_S3_ENDPOINT))
      ctx.addIssue({ code: "custom", path: ["R2_S3_ENDPOINT"], message: "must be an http(s) URL" });
    if (!c.OIDC_ISSUER) return;
    const url = URL.parse(c.OIDC_ISSUER);
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.search || url.hash) {
      ctx.addIssue({ code: "custom", path: ["OIDC_ISSUER"], message: "must be an http(s) URL without query or fragment" });
    }
    if (c.OIDC_ISSUER === c.JWT_ISSUER) ctx.addIssue({ code: "custom", path: ["OIDC_ISSUER"], message: "must differ from JWT_ISSUER" });
    if (!c.OIDC_AUDIENCE) ctx.addIssue({ code: "custom", path: ["OIDC_AUDIENCE"], message: "is required when OIDC_ISSUER is set" });
  });

export type Config = z.infer<typeof ConfigSchema>;

/** `host:port` (a bracketed IPv6 host too), or null. */
export function parseHostPort(value: string): { hostname: string; port: number } | null {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):(\d{1,5})$/i.exec(value);
  if (!match?.[1] || !match[2]) return null;
  const port = Number(match[2]);
  return port >= 1 && port <= 65535 ? { hostname: match[1], port } : null;
}

/** The deployment's settings are invalid: the operator's problem, not the caller's (503, details in the log). */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const cache = new WeakMap<object, Config>();

export function config(env: Env): Config {
  let c = cache.get(env);
  if (!c) {
    const parsed = ConfigSchema.safeParse(env);
    if (!parsed.success) throw new ConfigError(`invalid configuration: ${z.prettifyError(parsed.error)}`);
    c = parsed.data;
    cache.set(env, c);
  }
  return c;
}
