import { ColinkError } from "../lib/ColinkError";
import type { AuthUser } from "./auth/authUser";

/**
 * A muted user may read but not post, react or open DMs until the mute ends: 403 `muted` with the
 * end time (`muted_until`). The time comes with the caller's authentication, read fresh each request.
 */
export function assertNotMuted(user: AuthUser, now = Date.now()): void {
  const until = user.mutedUntil;
  if (until && Date.parse(until) > now)
    throw new ColinkError(403, "muted", `You are muted until ${until}: you can read, but not post, react or start DMs.`, {
      members: { muted_until: until },
    });
}
