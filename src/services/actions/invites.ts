import { and, desc, eq, gt, isNull, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { invites, users } from "../../db/schema";
import { conflict, notFound } from "../../lib/ColinkError";
import { newId, newSecret, sha256Hex } from "../../lib/ids";
import type { Role } from "../../protocol/roles";
import { type AuditActor, auditEntry } from "../audit";
import { assertMayManageRole } from "./userAdmin";

// Invites are single-use bearer secrets; only their SHA-256 is stored, so a leaked database does
// not hand out sign-ups. One stops working when it is used, expires or is revoked, or when the
// admin who made it is deactivated (accounts.ts checks at sign-up, inside the claiming UPDATE).

export async function createInvite(
  db: Database,
  actor: AuditActor,
  options: { role: Role; expiresInHours: number },
): Promise<{ id: string; invite_token: string; expires_at: string }> {
  assertMayManageRole(actor.user.role, options.role);
  const id = newId("inv");
  const token = newSecret();
  const expiresAt = new Date(Date.now() + options.expiresInHours * 3_600_000).toISOString();
  await db.batch([
    db.insert(invites).values({ id, tokenHash: await sha256Hex(token), createdBy: actor.user.id, role: options.role, expiresAt }),
    auditEntry(db, actor, "invite.created", { type: "invite", id }, { role: options.role, expires_at: expiresAt }),
  ]);
  return { id, invite_token: token, expires_at: expiresAt };
}

/** Invites that can still be used: unexpired, unused, unrevoked, made by someone still active. Newest first. */
export async function listInvites(db: Database) {
  const rows = await db
    .select({
      id: invites.id,
      createdBy: invites.createdBy,
      role: invites.role,
      createdAt: invites.createdAt,
      expiresAt: invites.expiresAt,
    })
    .from(invites)
    .innerJoin(users, eq(users.id, invites.createdBy))
    .where(
      and(gt(invites.expiresAt, new Date().toISOString()), isNull(invites.usedBy), isNull(invites.revokedAt), eq(users.deactivated, false)),
    )
    .orderBy(desc(invites.createdAt), desc(invites.id))
    .limit(1000);
  return {
    items: rows.map((r) => ({ id: r.id, created_by: r.createdBy, role: r.role, created_at: r.createdAt, expires_at: r.expiresAt })),
  };
}

/** Revokes an unused invite (audited): 404 for none, 409 `invite_used` / `invite_revoked`. */
export async function revokeInvite(db: Database, actor: AuditActor, inviteId: string): Promise<void> {
  const invite = await db.select().from(invites).where(eq(invites.id, inviteId)).get();
  if (!invite) throw notFound("invite");
  assertMayManageRole(actor.user.role, invite.role);
  const where = and(eq(invites.id, inviteId), isNull(invites.usedBy), isNull(invites.revokedAt));
  const [, [row]] = await db.batch([
    auditEntry(
      db,
      actor,
      "invite.revoked",
      { type: "invite", id: inviteId },
      { role: invite.role },
      sql`EXISTS (SELECT 1 FROM invites WHERE id = ${inviteId} AND used_by IS NULL AND revoked_at IS NULL)`,
    ),
    db.update(invites).set({ revokedAt: new Date().toISOString() }).where(where).returning({ id: invites.id }),
  ]);
  if (!row)
    throw invite.usedBy !== null
      ? conflict("invite_used", "The invite has already been used.")
      : conflict("invite_revoked", "The invite is already revoked.");
}
