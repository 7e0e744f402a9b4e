import { log } from "../lib/log";
import { userSession } from "../lib/stubs";
import type { UserEventType } from "../protocol/userEvents";

/**
 * Appends a user event to each user's own stream, after the change it reports is durable. The
 * change stands even if an append fails (the user still sees it on their next fetch), so failures
 * are logged, not thrown.
 */
export async function emitUserEvent(env: Env, userIds: readonly string[], type: UserEventType, data: unknown): Promise<void> {
  await Promise.all(
    userIds.map((userId) =>
      userSession(env, userId)
        .appendUserEvent(type, data)
        .catch((error: unknown) => log("warn", "user event append failed", { user_id: userId, type, error })),
    ),
  );
}
