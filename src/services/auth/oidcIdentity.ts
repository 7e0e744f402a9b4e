import { and, eq, inArray, isNull, lte, ne, or, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { identities, users } from "../../db/schema";
import { newId } from "../../lib/ids";
import { log } from "../../lib/log";
import { type ExternalProfile, RESERVED_USERNAMES, withSuffix } from "../../lib/oidcClaims";
import type { Role } from "../../protocol/roles";
import { onUserCreated } from "../actions/onUserCreated";
import { emitUserEvent } from "../emitUserEvent";
import { toUserView } from "../queries/users";
import type { AuthUser } from "./authUser";

// The Colink account behind an external identity `(iss, sub)`: created on first sight, and kept
// in step with the IdP (display name, e-mail, role) on every later token. The IdP is the source
// of truth for these accounts; they have no password (password_hash stays null), so they can
// only sign in through the IdP. Accounts are never linked by e-mail: that would hand a local
// account to whoever controls a matching address at the IdP.

type IdentityRow = AuthUser & { email: string | null; deactivated: boolean; claimsIssuedAt: number | null };

/** The verified token an identity was seen with: who, what its claims say, and when it was issued. */
export type ExternalSighting = { issuer: string; subject: string; issuedAt: number | undefined; profile: ExternalProfile };

const CREATE_ATTEMPTS = 4;

async function findByIdentity(db: Database, issuer: string, subject: string): Promise<IdentityRow | undefined> {
  return db
    .select({
      id: users.id,
      username: users.username,
      role: users.role,
      displayName: users.displayName,
      mutedUntil: users.mutedUntil,
      email: users.email,
      deactivated: users.deactivated,
      claimsIssuedAt: identities.claimsIssuedAt,
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
  const user: AuthUser = { id: row.id, username: row.username, role: row.role, displayName: row.displayName };
  return row.mutedUntil ? { ...user, mutedUntil: row.mutedUntil } : user;
}

/**
 * Creates the account and its identity row in one D1 batch (a transaction). Two first requests
 * for the same identity race on the identities primary key: the loser's batch rolls back whole,
 * and it returns the winner's account. A username or e-mail taken between the check and the
 * insert also rolls back; the next attempt checks again.
 */
async function createExternalUser(db: Database, sighting: ExternalSighting): Promise<{ row: IdentityRow; created: boolean } | null> {
  const { issuer, subject, profile } = sighting;
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
      claimsIssuedAt: sighting.issuedAt ?? null,
    };
    try {
      await db.batch([
        db.insert(users).values({ id: row.id, username, email, displayName: row.displayName, role: row.role, passwordHash: null }),
        db.insert(identities).values({ issuer, subject, userId: row.id, claimsIssuedAt: row.claimsIssuedAt }),
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

/** True unless the row is an owner with no other active owner: the IdP cannot leave the workspace ownerless either. */
const keepsAnActiveOwner = (userId: string) =>
  sql`(${users.role} <> 'owner' OR EXISTS (SELECT 1 FROM users AS other WHERE other.role = 'owner' AND other.deactivated = 0 AND other.id <> ${userId}))`;

type ProfileChanges = Partial<{ displayName: string; email: string; role: Role }>;

async function profileChanges(db: Database, row: IdentityRow, profile: ExternalProfile): Promise<ProfileChanges> {
  const changes: ProfileChanges = {};
  if (profile.displayName !== undefined && profile.displayName !== row.displayName) changes.displayName = profile.displayName;
  if (profile.role !== row.role) changes.role = profile.role;
  if (profile.email !== undefined && profile.email !== row.email) {
    if (await emailTaken(db, profile.email, row.id)) {
      log("info", "oidc e-mail change not applied: the address belongs to another account", { user_id: row.id });
    } else {
      changes.email = profile.email;
    }
  }
  return changes;
}

/**
 * Applies the IdP's current name, e-mail and role to an existing account, writing (and telling
 * the user's devices, `user.updated`) only on change.
 * Claims are applied in token order: a token issued before the last applied one (a device still
 * holding yesterday's role) changes nothing, so the newest word of the IdP stands.
 */
async function syncProfile(env: Env, db: Database, row: IdentityRow, sighting: ExternalSighting): Promise<IdentityRow> {
  const { issuedAt } = sighting;
  if (issuedAt !== undefined && row.claimsIssuedAt !== null && issuedAt < row.claimsIssuedAt) return row;
  const changes = await profileChanges(db, row, sighting.profile);
  if (Object.keys(changes).length === 0) return row;
  if (issuedAt !== undefined) {
    const claimed = await db
      .update(identities)
      .set({ claimsIssuedAt: issuedAt })
      .where(
        and(
          eq(identities.issuer, sighting.issuer),
          eq(identities.subject, sighting.subject),
          or(isNull(identities.claimsIssuedAt), lte(identities.claimsIssuedAt, issuedAt)),
        ),
      )
      .returning({ userId: identities.userId })
      .get();
    // A newer token was applied meanwhile: its claims stand.
    if (!claimed) return (await findByIdentity(db, sighting.issuer, sighting.subject)) ?? row;
  }
  const pending: ProfileChanges = { ...changes };
  for (let attempt = 0; attempt < 3 && Object.keys(pending).length > 0; attempt++) {
    const demotesOwner = pending.role !== undefined && row.role === "owner";
    try {
      const updated = await db
        .update(users)
        .set({ ...pending, updatedAt: new Date().toISOString() })
        .where(and(eq(users.id, row.id), demotesOwner ? keepsAnActiveOwner(row.id) : undefined))
        .returning()
        .get();
      if (updated) {
        if (pending.role) log("info", "oidc role change applied", { user_id: row.id, from: row.role, to: pending.role });
        await emitUserEvent(env, [row.id], "user.updated", { user: toUserView(updated) });
        return { ...row, ...pending };
      }
      if (!demotesOwner) return row;
      log("warn", "oidc role change not applied: the account is the last active owner", { user_id: row.id, to: pending.role });
      delete pending.role;
    } catch (err) {
      // The e-mail is the one change that can collide: another account took it since the check.
      if (pending.email === undefined || !(await emailTaken(db, pending.email, row.id))) throw err;
      log("info", "oidc e-mail change not applied: the address belongs to another account", { user_id: row.id });
      delete pending.email;
    }
  }
  return row;
}

/**
 * The live Colink user for a verified external identity: found by `(issuer, subject)` and synced,
 * or created. Null when the account is deactivated (or could not be created).
 */
export async function resolveExternalUser(env: Env, db: Database, sighting: ExternalSighting): Promise<AuthUser | null> {
  const existing = await findByIdentity(db, sighting.issuer, sighting.subject);
  if (existing) return existing.deactivated ? null : toAuthUser(await syncProfile(env, db, existing, sighting));
  const result = await createExternalUser(db, sighting);
  if (!result) return null;
  if (!result.created) return result.row.deactivated ? null : toAuthUser(await syncProfile(env, db, result.row, sighting));
  log("info", "oidc user created", { user_id: result.row.id, role: result.row.role });
  try {
    await onUserCreated(env, db, { id: result.row.id, role: result.row.role });
  } catch (err) {
    // The account exists either way; a failed welcome (#general) must not lock its owner out.
    log("error", "onUserCreated failed for an oidc user", { user_id: result.row.id, error: err });
  }
  return toAuthUser(result.row);
}
