import { and, desc, eq, lt, or, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../../db/client";
import { reports } from "../../db/schema";
import { uniqueViolation } from "../../db/uniqueViolation";
import { ColinkError, conflict, notFound } from "../../lib/ColinkError";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { newId } from "../../lib/ids";
import { channelRoom } from "../../lib/stubs";
import type { ReportAction, ReportQuery, ReportResolvedEventData, ReportView } from "../../protocol/admin";
import { REPORT_ACTIONS, REPORT_REASONS } from "../../protocol/admin";
import { actorOf } from "../actorOf";
import { type AuditActor, auditEntry } from "../audit";
import type { AuthUser } from "../auth/authUser";
import { emitUserEvent } from "../emitUserEvent";
import { roomValue } from "../roomValue";
import { deleteMessage } from "./messages";
import { deactivateUser } from "./userAdmin";

// Reports of messages and the moderation queue (API.md "Admin and moderation"). A report keeps the
// message as the reporter saw it, so the queue still shows it after an edit or a delete, and admins
// see what was reported in channels they are not in.

type ReportRow = typeof reports.$inferSelect;

const toView = (r: ReportRow): ReportView => ({
  id: r.id,
  status: r.status,
  reason: z.enum(REPORT_REASONS).parse(r.reason),
  comment: r.comment,
  reporter_id: r.reporterId,
  message: (r.message ?? {}) as Record<string, unknown>,
  channel_id: r.channelId,
  created_at: r.createdAt,
  resolution:
    r.status === "resolved" && r.resolvedBy !== null && r.resolvedAt !== null
      ? {
          action: z.enum(REPORT_ACTIONS).parse(r.resolutionAction),
          note: r.resolutionNote,
          resolved_by: r.resolvedBy,
          resolved_at: r.resolvedAt,
        }
      : null,
});

/**
 * Any reader of a message reports it, once: the room decides who may read (404 for a message or
 * channel the reporter cannot see, exactly as reading it would answer); a second report of the same
 * message by the same person is 409 `already_reported`. A deleted message cannot be reported (409).
 */
export async function reportMessage(
  env: Env,
  db: Database,
  user: AuthUser,
  channelId: string,
  messageId: string,
  body: { reason: (typeof REPORT_REASONS)[number]; comment?: string | undefined },
): Promise<ReportView> {
  const message = roomValue(await channelRoom(env, channelId).getMessage(actorOf(user), messageId));
  if (message.deleted) throw conflict("message_deleted", "The message was deleted.");
  try {
    const [row] = await db
      .insert(reports)
      .values({
        id: newId("rep"),
        channelId,
        messageId,
        authorId: message.author_id,
        reporterId: user.id,
        reason: body.reason,
        comment: body.comment ?? null,
        message,
      })
      .returning();
    if (!row) throw new Error("report insert returned no row");
    return toView(row);
  } catch (err) {
    if (uniqueViolation(err)) throw conflict("already_reported", "You have already reported this message.");
    throw err;
  }
}

const ReportCursor = z.object({ at: z.string(), id: z.string() });

/** The moderation queue, newest first, optionally by status; keyset-paged on (created_at, id). */
export async function listReports(db: Database, query: ReportQuery): Promise<{ items: ReportView[]; next_cursor: string | null }> {
  const where: (SQL | undefined)[] = [];
  if (query.status !== undefined) where.push(eq(reports.status, query.status));
  if (query.cursor !== undefined) {
    const c = decodeCursor(query.cursor, ReportCursor);
    where.push(or(lt(reports.createdAt, c.at), and(eq(reports.createdAt, c.at), lt(reports.id, c.id))));
  }
  const rows = await db
    .select()
    .from(reports)
    .where(and(...where))
    .orderBy(desc(reports.createdAt), desc(reports.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map(toView),
    next_cursor: rows.length > query.limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null,
  };
}

/**
 * Resolves an open report: `dismiss`; `delete_message` (as a moderator, in any channel: the room
 * audits `message.deleted`); `deactivate_user` (the author; the usual role rules apply, so an admin
 * cannot deactivate an owner: 403, and the report stays open). Then the report is marked resolved
 * with its `report.resolved` audit row in one batch, and the reporter gets the user event
 * `report.resolved`. 409 `report_resolved` if it was resolved already.
 */
export async function resolveReport(
  env: Env,
  db: Database,
  actor: AuditActor,
  reportId: string,
  body: { action: ReportAction; note?: string | undefined },
): Promise<ReportView> {
  const report = await db.select().from(reports).where(eq(reports.id, reportId)).get();
  if (!report) throw notFound("report");
  const resolved = () => conflict("report_resolved", "The report has already been resolved.");
  if (report.status !== "open") throw resolved();

  if (body.action === "delete_message")
    await deleteMessage(env, actor.user, report.channelId, report.messageId, { requestId: actor.requestId, moderator: true });
  if (body.action === "deactivate_user") {
    try {
      await deactivateUser(env, db, actor, report.authorId);
    } catch (err) {
      if (!(err instanceof ColinkError && err.code === "already_deactivated")) throw err;
    }
  }

  const now = new Date().toISOString();
  const stillOpen = sql`EXISTS (SELECT 1 FROM reports WHERE id = ${reportId} AND status = 'open')`;
  const [, [row]] = await db.batch([
    auditEntry(
      db,
      actor,
      "report.resolved",
      { type: "report", id: reportId },
      { action: body.action, channel_id: report.channelId, message_id: report.messageId, author_id: report.authorId },
      stillOpen,
    ),
    db
      .update(reports)
      .set({
        status: "resolved",
        resolvedAt: now,
        resolvedBy: actor.user.id,
        resolutionAction: body.action,
        resolutionNote: body.note ?? null,
      })
      .where(and(eq(reports.id, reportId), eq(reports.status, "open")))
      .returning(),
  ]);
  if (!row) throw resolved();
  const data: ReportResolvedEventData = {
    report_id: reportId,
    channel_id: report.channelId,
    message_id: report.messageId,
    action: body.action,
  };
  await emitUserEvent(env, [report.reporterId], "report.resolved", data);
  return toView(row);
}
