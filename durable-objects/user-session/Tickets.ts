import { newSecret, sha256Hex } from "../../src/lib/ids";

const TICKET_TTL_MS = 30_000;

/**
 * Single-use socket tickets for browser handshakes, valid 30 s, each bound to the login session
 * that minted it (null for an external identity provider's token). Only a hash is stored.
 */
export class Tickets {
  constructor(private readonly sql: SqlStorage) {}

  /** A new ticket secret; the caller prefixes the user id. */
  async issue(sessionId: string | null): Promise<{ secret: string; expiresAt: number }> {
    const secret = newSecret();
    const expiresAt = Date.now() + TICKET_TTL_MS;
    this.sql.exec("DELETE FROM tickets WHERE expires_at < ?", Date.now());
    this.sql.exec(
      "INSERT INTO tickets (secret_hash, expires_at, session_id) VALUES (?, ?, ?)",
      await sha256Hex(secret),
      expiresAt,
      sessionId,
    );
    return { secret, expiresAt };
  }

  /** Spends a ticket secret: the session it was minted under the first time within its lifetime, else undefined. */
  async redeem(secret: string): Promise<{ sessionId: string | null } | undefined> {
    const hash = await sha256Hex(secret);
    const row = this.sql
      .exec<{ expires_at: number; session_id: string | null }>(
        "DELETE FROM tickets WHERE secret_hash = ? RETURNING expires_at, session_id",
        hash,
      )
      .toArray()[0];
    return row !== undefined && row.expires_at >= Date.now() ? { sessionId: row.session_id } : undefined;
  }

  /** A login session ended: its unspent tickets die with it. */
  dropSession(sessionId: string): void {
    this.sql.exec("DELETE FROM tickets WHERE session_id = ?", sessionId);
  }
}
