import { and, eq, exists, gt, isNull, type SQL, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { passwordResets, users } from "../../db/schema";
import { ColinkError, conflict, forbidden } from "../../lib/ColinkError";
import { newId, newSecret, sha256Hex } from "../../lib/ids";
import { log } from "../../lib/log";
import { type MailSender, mailSender } from "../../lib/mailSender";
import { userSession } from "../../lib/stubs";
import { CloseCode } from "../../protocol/closeCodes";
import { type AuditActor, auditEntry } from "../audit";
import { admitLoginAttempt, forgetAccountFailures, knownAccount, loginSucceeded } from "../auth/loginThrottle";
import { assertStrongPassword, hashPassword, verifyPassword } from "../auth/passwords";
import { closeSessionSockets, revokeSessions } from "../auth/sessions";
import { findUser } from "../queries/users";
import { assertMayManageRole } from "./userAdmin";

// Passwords of built-in accounts: a person changes their own (proving the current one), or an admin
// issues a single-use reset token that the person redeems. Either way the sessions that knew the
// old password end: every other one on a change, every one on a reset. Reset tokens are bearer
// secrets: only their SHA-256 is stored.

const isoNow = () => new Date().toISOString();

type UserRow = typeof users.$inferSelect;

const noPassword = () => conflict("no_password", "This account signs in through the identity provider and has no Colink password.");

/** The row `where` picks out still exists as the batch reaches this point. */
const stillMatches = (db: Database, table: typeof users | typeof passwordResets, where: SQL | undefined) =>
  exists(db.select({ one: sql`1` }).from(table).where(where));

/** Spends the user's outstanding reset tokens: a newer reset or a new password supersedes them. */
const spendOutstandingResets = (db: Database, userId: string, onlyIf?: SQL) =>
  db
    .update(passwordResets)
    .set({ spentAt: isoNow() })
    .where(and(eq(passwordResets.userId, userId), isNull(passwordResets.spentAt), onlyIf));

function assertStrong(password: string, user: UserRow, path: string): void {
  try {
    assertStrongPassword(password, { username: user.username, email: user.email ?? "" });
  } catch (err) {
    // The rule names the field `password`; these requests call it `new_password`.
    if (err instanceof ColinkError && err.extra.errors)
      throw new ColinkError(err.status, err.code, err.detail, { errors: err.extra.errors.map((e) => ({ ...e, path })) });
    throw err;
  }
}

/**
 * The caller changes their own password, proving the current one. Wrong guesses count like failed
 * sign-ins (loginThrottle.ts), so a stolen access token cannot be used to guess the password. Every
 * other session of the user ends; the caller's own stays signed in.
 */
export async function changePassword(
  env: Env,
  db: Database,
  actor: AuditActor,
  caller: { sessionId: string | null; address: string },
  input: { current_password: string; new_password: string },
): Promise<void> {
  const user = await findUser(db, actor.user.id);
  if (user.passwordHash === null) throw noPassword();
  assertStrong(input.new_password, user, "new_password");
  const attempt = await admitLoginAttempt(env, knownAccount(user.id), caller.address);
  if (!(await verifyPassword(user.passwordHash, input.current_password)))
    throw forbidden("The current password is not right.", "invalid_current_password");
  await loginSucceeded(env, attempt);

  const passwordHash = await hashPassword(input.new_password);
  // Nothing happens unless the password is still the one just checked: of two concurrent changes
  // one wins, and the other writes no audit entry and ends no session.
  const where = and(eq(users.id, user.id), eq(users.passwordHash, user.passwordHash));
  const unchanged = stillMatches(db, users, where);
  const [, ended, , [changed]] = await db.batch([
    auditEntry(db, actor, "user.password_changed", { type: "user", id: user.id }, { via: "current_password" }, unchanged),
    revokeSessions(db, user.id, "password_changed", { except: caller.sessionId, onlyIf: unchanged }),
    spendOutstandingResets(db, user.id, unchanged),
    db.update(users).set({ passwordHash, updatedAt: isoNow() }).where(where).returning({ id: users.id }),
  ]);
  if (!changed) throw conflict("password_changed", "The password was changed meanwhile; try again with the new one.");
  await forgetAccountFailures(db, user.id);
  await closeSessionSockets(
    env,
    user.id,
    ended.map((s) => s.id),
    "password_changed",
  );
}

/**
 * An admin issues a single-use reset token for someone's password, valid for at most 24 hours; it
 * supersedes any earlier one. Owners may reset anyone's; admins those of members and guests. The
 * token goes back to the admin to hand over, and to the mail sender (which, until there is a mail
 * service, sends nothing).
 */
export async function createPasswordReset(
  env: Env,
  db: Database,
  actor: AuditActor,
  userId: string,
  expiresInHours: number,
  mail: MailSender = mailSender(env),
): Promise<{ reset_token: string; expires_at: string }> {
  const target = await findUser(db, userId);
  assertMayManageRole(actor.user.role, target.role);
  if (target.passwordHash === null) throw noPassword();
  if (target.deactivated) throw conflict("user_deactivated", "The user is deactivated; reactivate them first.");
  const id = newId("pwr");
  const token = newSecret();
  const expiresAt = new Date(Date.now() + Math.min(expiresInHours, 24) * 3_600_000).toISOString();
  await db.batch([
    spendOutstandingResets(db, userId),
    db.insert(passwordResets).values({ id, tokenHash: await sha256Hex(token), userId, createdBy: actor.user.id, expiresAt }),
    auditEntry(db, actor, "user.password_reset", { type: "user", id: userId }, { reset_id: id, expires_at: expiresAt }),
  ]);
  if (target.email) {
    try {
      await mail.send({
        to: target.email,
        subject: "Reset your Colink password",
        text: `An administrator started a password reset for ${target.username}. Until ${expiresAt}, POST this token as reset_token with your new password to /api/v1/auth/password-reset:\n\n${token}\n`,
      });
    } catch (err) {
      // The admin has the token either way; a failing mail service must not undo the reset.
      log("warn", "password reset mail failed", { user_id: userId, error: err });
    }
  }
  return { reset_token: token, expires_at: expiresAt };
}

const resetRefused = (code: "reset_token_invalid" | "reset_token_used" | "reset_token_expired") =>
  forbidden(
    {
      reset_token_invalid: "The reset token is not valid.",
      reset_token_used: "The reset token has already been used or was replaced by a newer one.",
      reset_token_expired: "The reset token has expired; ask an admin for a new one.",
    }[code],
    code,
  );

/**
 * Redeems a reset token: sets the new password and ends every session of the user (their
 * refresh tokens, access tokens and sockets). The token works once.
 */
export async function resetPassword(
  env: Env,
  db: Database,
  requestId: string,
  input: { reset_token: string; new_password: string },
): Promise<void> {
  const reset = await db
    .select()
    .from(passwordResets)
    .where(eq(passwordResets.tokenHash, await sha256Hex(input.reset_token)))
    .get();
  if (!reset) throw resetRefused("reset_token_invalid");
  if (reset.spentAt !== null) throw resetRefused("reset_token_used");
  if (reset.expiresAt <= isoNow()) throw resetRefused("reset_token_expired");
  const user = await findUser(db, reset.userId);
  if (user.deactivated || user.passwordHash === null) throw resetRefused("reset_token_invalid");
  assertStrong(input.new_password, user, "new_password");
  const passwordHash = await hashPassword(input.new_password);

  // Every statement holds only while the token is unspent and the account active, and the token
  // is spent last: of two concurrent redemptions exactly one does anything.
  const usable = and(
    stillMatches(
      db,
      passwordResets,
      and(eq(passwordResets.id, reset.id), isNull(passwordResets.spentAt), gt(passwordResets.expiresAt, isoNow())),
    ),
    stillMatches(db, users, and(eq(users.id, user.id), eq(users.deactivated, false))),
  );
  const actor: AuditActor = {
    user: { id: user.id, username: user.username, role: user.role, displayName: user.displayName },
    requestId,
  };
  const [, , [changed]] = await db.batch([
    auditEntry(db, actor, "user.password_changed", { type: "user", id: user.id }, { via: "reset_token", reset_id: reset.id }, usable),
    revokeSessions(db, user.id, "password_reset", { onlyIf: usable }),
    db
      .update(users)
      .set({ passwordHash, updatedAt: isoNow() })
      .where(and(eq(users.id, user.id), usable))
      .returning({ id: users.id }),
    spendOutstandingResets(db, user.id, usable),
  ]);
  if (!changed) throw resetRefused("reset_token_used");
  await forgetAccountFailures(db, user.id);
  // Every socket, also those opened without a session (tickets, until they carry theirs).
  await userSession(env, user.id).closeAllSockets(CloseCode.Unauthorized, "password_reset");
}
