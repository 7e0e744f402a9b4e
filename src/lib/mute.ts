import { ColinkError } from "./ColinkError";

/**
 * A muted user may read but not post, react or open DMs until the mute ends: 403 `muted` with the
 * end time (`muted_until`). HTTP passes the time its authentication read fresh from D1; a socket's
 * `send` the time it reads from D1 for that send (UserSession's SocketSend).
 */
export function assertNotMuted(mutedUntil: string | null | undefined, now = Date.now()): void {
  if (mutedUntil && Date.parse(mutedUntil) > now)
    throw new ColinkError(403, "muted", `You are muted until ${mutedUntil}: you can read, but not post, react or start DMs.`, {
      members: { muted_until: mutedUntil },
    });
}
