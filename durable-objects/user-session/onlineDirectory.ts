import { log } from "../../src/lib/log";

/**
 * Lists the user in D1's `online_users` while they have a socket open (first socket: in, last
 * socket: out), for GET /admin/stats' `online_now`, which a trigger counts (migrations/0006_admin.sql).
 * Idempotent either way; a failure is logged (the stat is off until the next transition), never thrown.
 */
export async function recordOnline(db: D1Database, userId: string, online: boolean): Promise<void> {
  const statement = online
    ? db.prepare("INSERT INTO online_users (user_id) VALUES (?) ON CONFLICT (user_id) DO NOTHING")
    : db.prepare("DELETE FROM online_users WHERE user_id = ?");
  await statement
    .bind(userId)
    .run()
    .catch((error: unknown) => log("warn", "online_users write failed", { user_id: userId, online, error }));
}
