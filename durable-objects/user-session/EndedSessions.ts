import { DAY_MS } from "../../src/lib/time";

/**
 * Login sessions of this user that have ended (closeSessionSockets), kept a day. A socket is bound
 * to its session: that binding, not a D1 read per frame, is what stops a `send` once the session
 * is over. Closing the session's sockets does most of it; this list also refuses a socket whose
 * handshake passed the D1 check just before the session ended but reached us just after, and a
 * frame such a socket sent.
 */
export class EndedSessions {
  private ids: Set<string> | null = null;

  constructor(private readonly sql: SqlStorage) {}

  has(sessionId: string | null): boolean {
    if (sessionId === null) return false;
    this.ids ??= new Set(
      this.sql
        .exec<{ session_id: string }>("SELECT session_id FROM ended_sessions")
        .toArray()
        .map((r) => r.session_id),
    );
    return this.ids.has(sessionId);
  }

  add(sessionId: string, now: number): void {
    this.sql.exec("DELETE FROM ended_sessions WHERE at < ?", now - DAY_MS);
    this.sql.exec("INSERT OR REPLACE INTO ended_sessions (session_id, at) VALUES (?, ?)", sessionId, now);
    this.ids = null;
  }
}
