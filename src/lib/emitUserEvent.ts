import type { UserEventData, UserEventType } from "../protocol/userEvents";
import { log } from "./log";
import { userSession } from "./stubs";

/**
 * Appends a user event to each user's own stream, after the change it reports is durable. The
 * change stands even if an append fails (the user still sees it on their next fetch), so failures
 * are logged, not thrown. `data` is typed by the event type (protocol/userEvents.ts), so a
 * payload that does not match its type does not compile.
 */
export async function emitUserEvent<T extends UserEventType>(
  env: Env,
  userIds: readonly string[],
  type: T,
  data: UserEventData<T>,
): Promise<void> {
  await Promise.all(
    userIds.map((userId) =>
      userSession(env, userId)
        .appendUserEvent(type, data)
        .catch((error: unknown) => log("warn", "user event append failed", { user_id: userId, type, error })),
    ),
  );
}
