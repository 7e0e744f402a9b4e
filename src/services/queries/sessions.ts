import { and, desc, eq, gt, isNull, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { sessions } from "../../db/schema";
import type { SessionView } from "../../protocol/sessions";

/** The user's live sessions (not ended, not expired), most recently used first; `current` marks the caller's. */
export async function listSessions(db: Database, userId: string, currentSessionId: string | null): Promise<SessionView[]> {
  const lastUsed = sql<string>`coalesce(${sessions.lastUsedAt}, ${sessions.createdAt})`;
  const rows = await db
    .select({ id: sessions.id, createdAt: sessions.createdAt, lastUsedAt: lastUsed, userAgent: sessions.userAgent })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, new Date().toISOString())))
    .orderBy(desc(lastUsed), desc(sessions.id));
  return rows.map((r) => ({
    id: r.id,
    created_at: r.createdAt,
    last_used_at: r.lastUsedAt,
    user_agent: r.userAgent,
    current: r.id === currentSessionId,
  }));
}
