import type { Database } from "../db/client";
import { auditLog } from "../db/schema";
import type { AuthUser } from "./auth/authUser";

/** Who is acting, for the audit log: the caller and the request that carries the action. */
export type Actor = { user: AuthUser; requestId: string };

export type AuditAction = "user.role_changed" | "user.deactivated" | "user.reactivated" | "invite.created";

/** One audit-log row, as a query so it can go in the same batch as the change it records. */
export function auditEntry(
  db: Database,
  actor: Actor,
  action: AuditAction,
  target: { type: "user" | "invite"; id: string },
  details: Record<string, unknown> = {},
) {
  return db.insert(auditLog).values({
    actorId: actor.user.id,
    action,
    targetType: target.type,
    targetId: target.id,
    details,
    requestId: actor.requestId,
  });
}
