import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../../db/client";
import { auditLog } from "../../db/schema";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import type { AuditEntryView, AuditQuery } from "../../protocol/admin";

const AuditCursor = z.object({ before: z.number().int().min(1) });

/** The audit log, newest first, filtered by action, actor and target (each an exact match); keyset-paged by row id. */
export async function listAudit(db: Database, query: AuditQuery): Promise<{ items: AuditEntryView[]; next_cursor: string | null }> {
  const where: SQL[] = [];
  if (query.action !== undefined) where.push(eq(auditLog.action, query.action));
  if (query.actor_id !== undefined) where.push(eq(auditLog.actorId, query.actor_id));
  if (query.target_id !== undefined) where.push(eq(auditLog.targetId, query.target_id));
  if (query.cursor !== undefined) where.push(lt(auditLog.id, decodeCursor(query.cursor, AuditCursor).before));
  const rows = await db
    .select()
    .from(auditLog)
    .where(and(...where))
    .orderBy(desc(auditLog.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => ({
      id: String(r.id),
      at: r.at,
      actor_id: r.actorId,
      action: r.action,
      target: { type: r.targetType, id: r.targetId },
      details: isRecord(r.details) ? r.details : {},
    })),
    next_cursor: rows.length > query.limit && last ? encodeCursor({ before: last.id }) : null,
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
