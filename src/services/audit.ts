import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { auditLog } from "../db/schema";
import type { AuthUser } from "./auth/authUser";

/** Who is acting, for the audit log: the caller and the request that carries the action. */
export type AuditActor = { user: AuthUser; requestId: string };

export type AuditAction =
  | "user.role_changed"
  | "user.deactivated"
  | "user.reactivated"
  | "user.password_changed"
  | "user.password_reset"
  | "invite.created"
  | "file.quarantined";

/**
 * One audit-log row, as a query so it goes in the same D1 batch (one transaction) as the change it
 * records. A change that may be refused by its own WHERE passes that condition as `onlyIf`, and the
 * entry goes first in the batch: both see the same rows, so the entry is written exactly when the
 * change is.
 */
export function auditEntry(
  db: Database,
  /** null: Colink itself (the file scanner). */
  actor: AuditActor | null,
  action: AuditAction,
  target: { type: "user" | "invite" | "file"; id: string },
  details: Record<string, unknown> = {},
  onlyIf?: SQL,
) {
  if (onlyIf === undefined)
    return db.insert(auditLog).values({
      actorId: actor?.user.id ?? null,
      action,
      targetType: target.type,
      targetId: target.id,
      details,
      requestId: actor?.requestId ?? null,
    });
  // The columns in table order (drizzle's INSERT … SELECT names them all); a NULL id is the next rowid.
  return db
    .insert(auditLog)
    .select(
      sql`SELECT NULL, ${new Date().toISOString()}, ${actor?.user.id ?? null}, ${action}, ${target.type}, ${target.id}, ${JSON.stringify(details)}, ${actor?.requestId ?? null} WHERE ${onlyIf}`,
    );
}
