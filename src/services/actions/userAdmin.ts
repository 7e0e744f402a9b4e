import { and, eq, exists, gt, type SQL, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { users } from "../../db/schema";
import { conflict, forbidden } from "../../lib/ColinkError";
import { userSession } from "../../lib/stubs";
import { CloseCode } from "../../protocol/closeCodes";
import type { Role } from "../../protocol/roles";
import type { UserView } from "../../protocol/users";
import { type AuditActor, auditEntry } from "../audit";
import { revokeUserSessions } from "../auth/sessions";
import { emitUserEvent } from "../emitUserEvent";
import { findUser, toUserView } from "../queries/users";

// Workspace administration. Owners manage everyone; admins manage members and guests only, so
// nobody can raise anyone (themselves included) to their own level or above unless an owner.

/** May a caller with role `actor` act on accounts with role `role` (or hand that role out)? */
export const mayManageRole = (actor: Role, role: Role) =>
  actor === "owner" || (actor === "admin" && (role === "member" || role === "guest"));

export function assertMayManageRole(actor: Role, role: Role): void {
  if (!mayManageRole(actor, role))
    throw forbidden("Only an owner may grant, change or remove the owner and admin roles.", "owner_required");
}

const isoNow = () => new Date().toISOString();

/**
 * True unless the row is an owner with no other active owner. Part of the UPDATE's WHERE, so two
 * owners demoting each other at once cannot leave the workspace with none.
 */
const keepsAnActiveOwner = (userId: string) =>
  sql`(${users.role} <> 'owner' OR EXISTS (SELECT 1 FROM users AS other WHERE other.role = 'owner' AND other.deactivated = 0 AND other.id <> ${userId}))`;

const lastOwner = () => conflict("last_owner", "The workspace must keep at least one active owner.");

/** The row `where` picks out still exists as the batch reaches this point: the condition shared by a change and its records. */
const stillMatches = (db: Database, where: SQL | undefined) => exists(db.select({ one: sql`1` }).from(users).where(where));

export async function changeRole(env: Env, db: Database, actor: AuditActor, userId: string, role: Role): Promise<UserView> {
  const target = await findUser(db, userId);
  assertMayManageRole(actor.user.role, target.role);
  assertMayManageRole(actor.user.role, role);
  if (target.role === role) return toUserView(target);
  const where = and(eq(users.id, userId), role === "owner" ? undefined : keepsAnActiveOwner(userId));
  const [, [row]] = await db.batch([
    auditEntry(db, actor, "user.role_changed", { type: "user", id: userId }, { from: target.role, to: role }, stillMatches(db, where)),
    db.update(users).set({ role, updatedAt: isoNow() }).where(where).returning(),
  ]);
  if (!row) throw lastOwner();
  const user = toUserView(row);
  await emitUserEvent(env, [userId], "user.updated", { user });
  return user;
}

/** Deactivates an account: its sessions end, its sockets close, its tokens stop working at once. */
export async function deactivateUser(env: Env, db: Database, actor: AuditActor, userId: string): Promise<UserView> {
  const target = await findUser(db, userId);
  assertMayManageRole(actor.user.role, target.role);
  const where = and(eq(users.id, userId), eq(users.deactivated, false), keepsAnActiveOwner(userId));
  const [, , [row]] = await db.batch([
    auditEntry(db, actor, "user.deactivated", { type: "user", id: userId }, {}, stillMatches(db, where)),
    revokeUserSessions(db, userId, "deactivated", stillMatches(db, where)),
    db.update(users).set({ deactivated: true, updatedAt: isoNow() }).where(where).returning(),
  ]);
  if (!row) throw target.deactivated ? conflict("already_deactivated", "The user is already deactivated.") : lastOwner();
  await userSession(env, userId).closeAllSockets(CloseCode.Deactivated, "deactivated");
  return toUserView(row);
}

export async function reactivateUser(db: Database, actor: AuditActor, userId: string): Promise<UserView> {
  const target = await findUser(db, userId);
  assertMayManageRole(actor.user.role, target.role);
  const where = and(eq(users.id, userId), eq(users.deactivated, true));
  const [, [row]] = await db.batch([
    auditEntry(db, actor, "user.reactivated", { type: "user", id: userId }, {}, stillMatches(db, where)),
    db.update(users).set({ deactivated: false, updatedAt: isoNow() }).where(where).returning(),
  ]);
  if (!row) throw conflict("not_deactivated", "The user is not deactivated.");
  return toUserView(row);
}

/**
 * Mutes a user workspace-wide for `minutes` (audited `user.muted`): until then they may read but
 * not post, react or open DMs (403 `muted` with the end time). A new mute replaces the old one.
 */
export async function muteUser(
  db: Database,
  actor: AuditActor,
  userId: string,
  minutes: number,
  reason: string | undefined,
): Promise<{ user_id: string; muted_until: string }> {
  const target = await findUser(db, userId);
  assertMayManageRole(actor.user.role, target.role);
  if (userId === actor.user.id) throw forbidden("You cannot mute yourself.", "cannot_mute_self");
  const mutedUntil = new Date(Date.now() + minutes * 60_000).toISOString();
  const where = eq(users.id, userId);
  await db.batch([
    auditEntry(db, actor, "user.muted", { type: "user", id: userId }, { until: mutedUntil, minutes, reason: reason ?? null }),
    db.update(users).set({ mutedUntil, updatedAt: isoNow() }).where(where),
  ]);
  return { user_id: userId, muted_until: mutedUntil };
}

/** Ends a mute early (audited `user.unmuted`); 409 `not_muted` when none is running. */
export async function unmuteUser(db: Database, actor: AuditActor, userId: string): Promise<{ user_id: string; muted_until: null }> {
  const target = await findUser(db, userId);
  assertMayManageRole(actor.user.role, target.role);
  const now = isoNow();
  const where = and(eq(users.id, userId), gt(users.mutedUntil, now));
  const [, [row]] = await db.batch([
    auditEntry(db, actor, "user.unmuted", { type: "user", id: userId }, {}, stillMatches(db, where)),
    db.update(users).set({ mutedUntil: null, updatedAt: now }).where(where).returning({ id: users.id }),
  ]);
  if (!row) throw conflict("not_muted", "The user is not muted.");
  return { user_id: userId, muted_until: null };
}
