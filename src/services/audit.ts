import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { auditLog } from "../db/schema";
import { log } from "../lib/log";
import { channelRoom } from "../lib/stubs";
import type { AuthUser } from "./auth/authUser";

/** Who is acting, for the audit log: the caller and the request that carries the action. */
export type AuditActor = { user: AuthUser; requestId: string };

/**
 * Every audited action. Those a ChannelRoom records itself, through its outbox in the transaction
 * of the change (durable-objects/channel-room/DirectoryOutbox.ts), are `message.deleted` (someone
 * else's message), `member.removed`, `channel.archived`, `channel.unarchived` and `retention.run`
 * (a room's message pruning; the file sweep writes its own `retention.run` for files and exports).
 */
export type AuditAction =
  | "user.role_changed"
  | "user.deactivated"
  | "user.reactivated"
  | "user.password_changed"
  | "user.password_reset"
  | "user.muted"
  | "user.unmuted"
  | "invite.created"
  | "invite.revoked"
  | "report.resolved"
  | "retention.changed"
  | "retention.run"
  | "export.created"
  | "file.quarantined"
  | "file.deleted"
  | "search.rebuild_started";

export type AuditTargetType = "user" | "invite" | "report" | "workspace" | "channel" | "message" | "export" | "file";

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
  target: { type: AuditTargetType; id: string },
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
      sql`SELECT NULL, ${new Date().toISOString()}, ${actor?.user.id ?? null}, ${action}, ${target.type}, ${target.id}, ${JSON.stringify(details)}, ${actor?.requestId ?? null}, NULL WHERE ${onlyIf}`,
    );
}

/**
 * Sends a ChannelRoom's outbox (the audit rows of moderation it just did) to D1 now, so the audit
 * log shows them at once. The change stands whatever happens here, and the room's alarm sends
 * them later if this fails, so a failure is logged, not thrown.
 */
export async function flushRoomAudit(env: Env, channelId: string): Promise<void> {
  await channelRoom(env, channelId)
    .flushDirectoryOutbox()
    .catch((error: unknown) => log("warn", "room audit flush failed; the room's alarm retries", { channel_id: channelId, error }));
}
