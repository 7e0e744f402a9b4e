import { eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { workspaceSettings } from "../../db/schema";
import type { Retention } from "../../protocol/admin";
import { type AuditActor, auditEntry } from "../audit";

// Workspace-wide retention (API.md "Retention"). The setting lives in D1; each ChannelRoom reads it
// from its own retention alarm and prunes its history (durable-objects/channel-room/MessageRetention.ts).

export async function getRetention(db: Database): Promise<Retention> {
  const row = await db.select().from(workspaceSettings).where(eq(workspaceSettings.id, 1)).get();
  return { message_days: row?.messageDays ?? null, file_days: row?.fileDays ?? null };
}

/** Sets both windows (null keeps forever), audited `retention.changed` with the old and new values in the same batch. */
export async function setRetention(db: Database, actor: AuditActor, next: Retention): Promise<Retention> {
  const before = await getRetention(db);
  const values = {
    messageDays: next.message_days,
    fileDays: next.file_days,
    updatedAt: new Date().toISOString(),
    updatedBy: actor.user.id,
  };
  await db.batch([
    auditEntry(db, actor, "retention.changed", { type: "workspace", id: "retention" }, { from: before, to: next }),
    db
      .insert(workspaceSettings)
      .values({ id: 1, ...values })
      .onConflictDoUpdate({ target: workspaceSettings.id, set: values }),
  ]);
  return next;
}
