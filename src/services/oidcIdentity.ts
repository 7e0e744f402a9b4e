import { and, eq, inArray, ne } from "drizzle-orm";
import type { Database } from "../db/client";
import { identities, type Role, users } from "../db/schema";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import { type ExternalProfile, RESERVED_USERNAMES, withSuffix } from "../lib/oidcClaims";
import type { AuthUser } from "./authUser";
import { onUserCreated } from "./onUserCreated";

// The Colink account behind an external identity `(iss, sub)`: created on first sight, and kept
// in step with the IdP (display name, e-mail, role) on every later token. The IdP is the source
// of truth for these accounts; they have no password (password_hash stays null), so they can
// only sign in through the IdP. Accounts are never linked by e-mail: that would hand a local
// account to whoever controls a matching address at the IdP.

type IdentityRow = AuthUser & { email: string | null; deactivated: boolean };

const CREATE_ATTEMPTS = 4;

async function findByIdentity(db: Database, issuer: string, subject: string): Promise<IdentityRow | undefined> {
  return db
    .select({
      id: users.id,
      username: users.username,
      role: users.role,
      displayName: users.displayName,
      email: users.email,
      deactivated: users.deactivated,
    })
    .from(identities)
    .innerJoin(users, eq(users.id, identities.userId))
    .where(and(eq(identities.issuer, issuer), eq(identities.subject, subject)))
    .get();
}

async function emailTaken(db: Database, email: string, exceptUserId?: string): Promise<boolean> {
  const where = exceptUserId ? and(eq(users.email, email), ne(users.id, exceptUserId)) : eq(users.email, email);
  return (await db.select({ id: users.id }).from(users).where(where).get()) !== undefined;
}

/** The wanted name if free, else `name-2` … `name-9`, else `name-<random>`. */
async function freeUsername(db: Database, wanted: string): Promise<string> {
  const candidates = [wanted, ...[2, 3, 4, 5, 6, 7, 8, 9].map((n) => withSuffix(wanted, String(n)))];
  const taken = new Set(
    (await db.select({ username: users.username }).from(users).where(inArray(users.username, candidates)).all()).map((r) => r.username),
  );
  const free = candidates.find((c) => !taken.has(c) && !RESERVED_USERNAMES.has(c));
  return free ?? withSuffix(wanted, newId("u").slice(-6));
}

function toAuthUser(row: IdentityRow): AuthUser {
  return { id: row.id, username: row.username, role: row.role, displayName: row.displayName };
}

/**
 * Creates the account and its identity row in one D1 batch (a transaction). Two first requests
 * for the same identity race on the identities primary key: the loser's batch rolls back whole,
 * and it returns the winner's account. A username or e-mail taken between the check and the
 * insert also rolls back; the next attempt checks again.
 */
async function createExternalUser(
  db: Database,
  issuer: string,
  subject: string,
  profile: ExternalProfile,
): Promise<{ row: IdentityRow; created: boolean } | null> {
  let lastError: unknown;
  for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
    const username = await freeUsername(db, profile.username);
    const email = profile.email && !(await emailTaken(db, profile.email)) ? profile.email : null;
    const row: IdentityRow = {
      id: newId("u"),
      username,
      role: profile.role,
      displayName: profile.displayName ?? username,
      email,
      deactivated: false,
    };
    try {
      await db.batch([
        db.insert(users).values({ id: row.id, username, email, displayName: row.displayName, role: row.role, passwordHash: null }),
        db.insert(identities).values({ issuer, subject, userId: row.id }),
      ]);
      if (profile.email && !email)
        log("info", "oidc user created without e-mail: the address belongs to another account", { user_id: row.id });
      return { row, created: true };
    } catch (err) {
      const winner = await findByIdentity(db, issuer, subject);
      if (winner) return { row: winner, created: false };
      lastError = err;
    }
  }
  log("error", "could not create an account for an external identity", { issuer, error: lastError });
  return null;
}

/** Applies the IdP's current name, e-mail and role to an existing account, writing only on change. */
async function syncProfile(db: Database, row: IdentityRow, profile: ExternalProfile): Promise<IdentityRow> {
  const changes: Partial<{ displayName: string; email: string; role: Role }> = {};
  if (profile.displayName !== undefined && profile.displayName !== row.displayName) changes.displayName = profile.displayName;
  if (profile.role !== row.role) changes.role = profile.role;
  if (profile.email !== undefined && profile.email !== row.email) {
    if (await emailTaken(db, profile.email, row.id)) {
      log("info", "oidc e-mail change not applied: the address belongs to another account", { user_id: row.id });
    } else {
      changes.email = profile.email;
    }
  }
  if (Object.keys(changes).length === 0) return row;
  try {
    await db
      .update(users)
      .set({ ...changes, updatedAt: new Date().toISOString() })
      .where(eq(users.id, row.id));
  } catch (err) {
    // Only the e-mail can collide (another account took it since the check): apply the rest.
    if (changes.email === undefined) throw err;
    const { email: _email, ...rest } = changes;
    if (Object.keys(rest).length === 0) return row;
    await db
      .update(users)
      .set({ ...rest, updatedAt: new Date().toISOString() })
      .where(eq(users.id, row.id));
    return { ...row, ...rest };
  }
  if (changes.role) log("info", "oidc role change applied", { user_id: row.id, from: row.role, to: changes.role });
  return { ...row, ...changes };
}

/**
 * The live Colink user for a verified external identity: found by `(issuer, subject)` and synced,
 * or created. Null when the account is deactivated (or could not be created).
 */
export async function resolveExternalUser(
  env: Env,
  db: Database,
  issuer: string,
  subject: string,
  profile: ExternalProfile,
): Promise<AuthUser | null> {
  const existing = await findByIdentity(db, issuer, subject);
  if (existing) return existing.deactivated ? null : toAuthUser(await syncProfile(db, existing, profile));
  const result = await createExternalUser(db, issuer, subject, profile);
  if (!result) return null;
  if (!result.created) return result.row.deactivated ? null : toAuthUser(await syncProfile(db, result.row, profile));
  log("info", "oidc user created", { user_id: result.row.id, role: result.row.role });
  try {
    await onUserCreated(env, db, { id: result.row.id, role: result.row.role });
  } catch (err) {
    // The account exists either way; a failed welcome (#general) must not lock its owner out.
    log("error", "onUserCreated failed for an oidc user", { user_id: result.row.id, error: err });
  }
  return toAuthUser(result.row);
}
