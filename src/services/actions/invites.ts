import type { Database } from "../../db/client";
import { invites } from "../../db/schema";
import { newId, newSecret, sha256Hex } from "../../lib/ids";
import type { Role } from "../../protocol/roles";
import { type AuditActor, auditEntry } from "../audit";
import { assertMayManageRole } from "./userAdmin";

// Invites are single-use bearer secrets; only their SHA-256 is stored, so a leaked database does
// not hand out sign-ups.

export async function createInvite(
  db: Database,
  actor: AuditActor,
  options: { role: Role; expiresInHours: number },
): Promise<{ invite_token: string; expires_at: string }> {
  assertMayManageRole(actor.user.role, options.role);
  const id = newId("inv");
  const token = newSecret();
  const expiresAt = new Date(Date.now() + options.expiresInHours * 3_600_000).toISOString();
  await db.batch([
    db.insert(invites).values({ id, tokenHash: await sha256Hex(token), createdBy: actor.user.id, role: options.role, expiresAt }),
    auditEntry(db, actor, "invite.created", { type: "invite", id }, { role: options.role, expires_at: expiresAt }),
  ]);
  return { invite_token: token, expires_at: expiresAt };
}
