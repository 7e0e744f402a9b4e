import { z } from "zod";
import { withoutInvisibleCharacters } from "../protocol/invisibleCharacters";
import type { Role } from "../protocol/roles";

// Mapping an external identity's verified token claims onto a Colink profile. Pure functions:
// what to do with the profile (create, update) is the job of services/auth/oidcIdentity.ts.

const optionalString = z.string().optional().catch(undefined);

/** The claims Colink reads from an external access token; anything else is ignored. */
export const ExternalClaims = z.looseObject({
  sub: z.string().min(1).max(255),
  iat: z.number().optional().catch(undefined),
  preferred_username: optionalString,
  email: optionalString,
  email_verified: z.boolean().optional().catch(undefined),
  name: optionalString,
  given_name: optionalString,
  family_name: optionalString,
});
export type ExternalClaims = z.infer<typeof ExternalClaims>;

export const USERNAME_MIN = 2;
export const USERNAME_MAX = 32;
export const DISPLAY_NAME_MAX = 64;

/** Names that mean something else in a message (`@here`, `@channel`, ...), never given to a person. */
export const RESERVED_USERNAMES: ReadonlySet<string> = new Set(["here", "channel", "everyone", "all"]);

const ROLE_RANK: Record<Role, number> = { owner: 3, admin: 2, member: 1, guest: 0 };

/**
 * The value at a dot path such as `realm_access.roles` or `resource_access.colink-web.roles`.
 * Keycloak client ids may themselves contain dots, so at each level the longest matching key wins.
 */
export function claimAtPath(claims: Record<string, unknown>, path: string): unknown {
  const segments = path.split(".");
  const walk = (node: unknown, from: number): unknown => {
    if (from === segments.length) return node;
    if (node === null || typeof node !== "object" || Array.isArray(node)) return undefined;
    for (let to = segments.length; to > from; to--) {
      const key = segments.slice(from, to).join(".");
      if (!Object.hasOwn(node, key)) continue;
      const found = walk((node as Record<string, unknown>)[key], to);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return walk(claims, 0);
}

/** The IdP roles in a roles claim: a JSON array of strings, or one space- or comma-separated string. */
export function rolesFromClaim(value: unknown): string[] {
  if (typeof value === "string") return value.split(/[\s,]+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return [];
}

/** The highest Colink role any of the IdP roles maps to, or the default role when none maps. */
export function mapRole(idpRoles: readonly string[], roleMap: ReadonlyMap<string, Role>, defaultRole: Role): Role {
  let best: Role | null = null;
  for (const idpRole of idpRoles) {
    const role = roleMap.get(idpRole);
    if (role && (best === null || ROLE_RANK[role] > ROLE_RANK[best])) best = role;
  }
  return best ?? defaultRole;
}

/**
 * A username candidate from an IdP name: lowercase `[a-z0-9._-]`, 2–32 characters, accents
 * folded, the domain of an e-mail-shaped name dropped; null when too little is left.
 */
export function sanitizeUsername(raw: string): string | null {
  const at = raw.indexOf("@");
  const local = at >= 0 ? raw.slice(0, at) : raw;
  const cleaned = local
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "_")
    .replace(/^[._-]+/, "")
    .slice(0, USERNAME_MAX)
    .replace(/[._-]+$/, "");
  return cleaned.length >= USERNAME_MIN ? cleaned : null;
}

/** `base` with a numeric or random suffix, still within the length limit. */
export function withSuffix(base: string, suffix: string): string {
  return `${base.slice(0, USERNAME_MAX - suffix.length - 1)}-${suffix}`;
}

const Email = z.email().max(254);

/**
 * One line of at most DISPLAY_NAME_MAX characters, as a person could have typed it in Colink:
 * without the invisible characters a Colink display name refuses (an IdP's cannot be sent back).
 */
function lineOfText(raw: string): string {
  return withoutInvisibleCharacters(raw.replace(/[\p{Cc}\s]+/gu, " "))
    .replace(/\s+/gu, " ")
    .trim()
    .slice(0, DISPLAY_NAME_MAX)
    .replace(/[\uD800-\uDBFF]$/, "")
    .trim();
}

/** What Colink keeps of an external identity. `undefined` = the token says nothing about it. */
export type ExternalProfile = {
  username: string;
  email: string | undefined;
  displayName: string | undefined;
  role: Role;
};

export function profileFromClaims(
  claims: ExternalClaims,
  options: { rolesClaim: string; roleMap: ReadonlyMap<string, Role>; defaultRole: Role },
): ExternalProfile {
  const email =
    claims.email !== undefined && claims.email_verified !== false && Email.safeParse(claims.email.trim()).success
      ? claims.email.trim().toLowerCase()
      : undefined;
  const fullName = [claims.given_name, claims.family_name].filter(Boolean).join(" ");
  const displayName = lineOfText(claims.name ?? "") || lineOfText(fullName) || undefined;
  const username =
    [claims.preferred_username, email, claims.name].map((v) => (v ? sanitizeUsername(v) : null)).find((v) => v !== null) ?? "user";
  const role = mapRole(rolesFromClaim(claimAtPath(claims, options.rolesClaim)), options.roleMap, options.defaultRole);
  return { username, email, displayName, role };
}
