import { eq, or } from "drizzle-orm";
import type { Database } from "../../db/client";
import { invites, users } from "../../db/schema";
import { uniqueViolation } from "../../db/uniqueViolation";
import { conflict, forbidden, notFound } from "../../lib/ColinkError";
import { config } from "../../lib/config";
import { newId, sha256Hex } from "../../lib/ids";
import type { RegisterInput } from "../../protocol/auth";
import type { Role } from "../../protocol/roles";
import type { UpdateProfile, UserView } from "../../protocol/users";
import { unauthorized } from "../auth/authenticate";
import { admitLoginAttempt, knownAccount, loginSucceeded, unknownAccount } from "../auth/loginThrottle";
import { assertStrongPassword, hashPassword, needsRehash, verifyPassword } from "../auth/passwords";
import { type SignedIn, startSession } from "../auth/sessions";
import { countAttempt } from "../auth/throttles";
import { emitUserEvent } from "../emitUserEvent";
import { getUser, toUserView } from "../queries/users";
import { onUserCreated } from "./onUserCreated";

// A person's own account: built-in sign-up and sign-in with a password, and their profile.

export type Client = { ip: string; userAgent: string | null };

/** The hash of a usable invite token, or 403 saying why it is not usable. */
async function usableInviteHash(db: Database, token: string): Promise<string> {
  const tokenHash = await sha256Hex(token);
  const found = await db
    .select({ invite: invites, creatorDeactivated: users.deactivated })
    .from(invites)
    .innerJoin(users, eq(users.id, invites.createdBy))
    .where(eq(invites.tokenHash, tokenHash))
    .get();
  if (!found) throw forbidden("The invite is not valid.", "invite_invalid");
  const { invite, creatorDeactivated } = found;
  if (invite.usedBy !== null) throw forbidden("The invite has already been used.", "invite_used");
  if (invite.revokedAt !== null) throw forbidden("The invite was revoked.", "invite_revoked");
  if (creatorDeactivated) throw forbidden("The invite is no longer valid: whoever made it was deactivated.", "invite_invalid");
  if (invite.expiresAt <= new Date().toISOString()) throw forbidden("The invite has expired.", "invite_expired");
  return tokenHash;
}

const usernameTaken = () => conflict("username_taken", "That username is taken.");
const emailTaken = () => conflict("email_taken", "An account with that email address exists.");

/**
 * Creates an account and signs it in. The first account of the workspace becomes its owner; later
 * ones need an invite (which sets their role) unless OPEN_SIGNUP is on. Cheap checks come first so
 * that refused sign-ups never pay for a password hash.
 */
export async function register(env: Env, db: Database, input: RegisterInput, client: Client): Promise<SignedIn> {
  const cfg = config(env);
  // Each sign-up costs a password hash, and with open sign-up they are the cheapest way to flood
  // the directory: a budget per client address, successes included.
  await countAttempt(db, `register-ip:${client.ip}`, cfg.SIGNUP_RATE_PER_HOUR, 3600);
  assertStrongPassword(input.password, input);
  const firstAccount = (await db.select({ id: users.id }).from(users).limit(1).get()) === undefined;
  const inviteHash = !firstAccount && input.invite_token ? await usableInviteHash(db, input.invite_token) : null;
  const openSignup = cfg.OPEN_SIGNUP;
  if (!firstAccount && inviteHash === null && !openSignup)
    throw forbidden("Signing up needs an invite from a workspace admin.", "invite_required");
  const taken = await db
    .select({ username: users.username })
    .from(users)
    .where(or(eq(users.username, input.username), eq(users.email, input.email)))
    .get();
  if (taken) throw taken.username === input.username ? usernameTaken() : emailTaken();

  const id = newId("u");
  const passwordHash = await hashPassword(input.password);
  // The role is decided inside the INSERT, so two first sign-ups racing cannot both become owner,
  // and an invite claimed by a concurrent sign-up admits nobody else. When the INSERT fails (name
  // taken meanwhile) the invite claim rolls back with it: a D1 batch is one transaction. (Raw D1
  // statements: drizzle cannot batch raw SQL with parameters.)
  const insert = env.DB.prepare(
    `INSERT INTO users (id, username, email, display_name, password_hash, role)
     SELECT ?1, ?2, ?3, ?4, ?5,
            CASE WHEN NOT EXISTS (SELECT 1 FROM users) THEN 'owner'
                 ELSE coalesce((SELECT role FROM invites WHERE token_hash = ?6 AND used_by = ?1), 'member') END
     WHERE NOT EXISTS (SELECT 1 FROM users) OR ?7 OR EXISTS (SELECT 1 FROM invites WHERE token_hash = ?6 AND used_by = ?1)
     RETURNING role`,
  ).bind(id, input.username, input.email, input.display_name ?? "", passwordHash, inviteHash, openSignup ? 1 : 0);
  let created: { role: Role } | undefined;
  try {
    if (inviteHash) {
      const claim = env.DB.prepare(
        `UPDATE invites SET used_by = ?1, used_at = ?2
         WHERE token_hash = ?3 AND used_by IS NULL AND revoked_at IS NULL AND expires_at > ?2
           AND EXISTS (SELECT 1 FROM users WHERE users.id = invites.created_by AND users.deactivated = 0)`,
      ).bind(id, new Date().toISOString(), inviteHash);
      created = (await env.DB.batch<{ role: Role }>([claim, insert]))[1]?.results[0];
    } else {
      created = (await insert.first<{ role: Role }>()) ?? undefined;
    }
  } catch (err) {
    const column = uniqueViolation(err);
    if (column === "users.username") throw usernameTaken();
    if (column === "users.email") throw emailTaken();
    throw err;
  }
  if (!created)
    throw inviteHash
      ? forbidden("The invite has already been used.", "invite_used")
      : forbidden("Signing up needs an invite.", "invite_required");

  await onUserCreated(env, db, { id, role: created.role });
  return { user: await getUser(db, id), tokens: await startSession(env, db, id, client.userAgent) };
}

/**
 * Signs in with a username or email and a password. Failed attempts slow down further ones per
 * (account, client address) and per address, never per account alone, and successful ones do not
 * count (loginThrottle.ts). Unknown accounts are throttled and timed like known ones, and every
 * refusal reads the same, so neither reveals which accounts exist.
 */
export async function logIn(env: Env, db: Database, credentials: { login: string; password: string }, client: Client): Promise<SignedIn> {
  const user = await db
    .select()
    .from(users)
    .where(or(eq(users.username, credentials.login), eq(users.email, credentials.login)))
    .get();
  const attempt = await admitLoginAttempt(env, user ? knownAccount(user.id) : unknownAccount(credentials.login), client.ip);
  const passwordOk = await verifyPassword(user?.passwordHash ?? null, credentials.password);
  if (!user?.passwordHash || !passwordOk || user.deactivated)
    throw unauthorized("The login or password is incorrect.", "invalid_credentials");

  await loginSucceeded(env, attempt);
  if (needsRehash(user.passwordHash)) {
    await db
      .update(users)
      .set({ passwordHash: await hashPassword(credentials.password) })
      .where(eq(users.id, user.id));
  }
  return { user: toUserView(user), tokens: await startSession(env, db, user.id, client.userAgent) };
}

/** Changes the caller's own profile and tells their other devices. */
export async function updateProfile(env: Env, db: Database, userId: string, patch: UpdateProfile): Promise<UserView> {
  const changes = {
    displayName: patch.display_name,
    title: patch.title,
    timezone: patch.timezone,
    statusText: patch.status_text,
    statusEmoji: patch.status_emoji,
  };
  if (Object.values(changes).every((v) => v === undefined)) return getUser(db, userId);
  const row = await db
    .update(users)
    .set({ ...changes, updatedAt: new Date().toISOString() })
    .where(eq(users.id, userId))
    .returning()
    .get();
  if (!row) throw notFound("user");
  const user = toUserView(row);
  await emitUserEvent(env, [userId], "user.updated", { user });
  return user;
}
