import { activeUsersById } from "../../src/db/activeUsers";
import { createDb } from "../../src/db/client";
import { visibleIds } from "../../src/db/visibleUsers";
import { log } from "../../src/lib/log";
import { userSession } from "../../src/lib/stubs";
import type { PresenceView } from "../../src/protocol/presence";
import { OPEN, sendQuietly } from "../shared/sockets";
import type { SocketRegistry } from "./SocketRegistry";

const presenceFrame = (view: PresenceView) => JSON.stringify({ type: "presence", data: view });

/**
 * Who watches whose presence, both ways: `socket_subscriptions` (what each of this user's sockets
 * watches; the watched users' sessions know us as a subscriber) and `presence_subscribers` (the
 * sessions watching this user). A subscriber none of whose sockets still watches is dropped the
 * next time it is told something.
 */
export class PresenceSubscriptions {
  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
    private readonly sockets: SocketRegistry,
    private readonly userId: () => string | null,
    /** This user's own presence now (a socket may watch its own user). */
    private readonly ownView: () => PresenceView,
  ) {}

  /**
   * Replaces what a socket watches with the active users among `userIds` this user may see (the
   * directory's rule: a guest only those who share a channel with them; the others are left out
   * silently, as GET /users/presence leaves them out), and sends each one's presence now.
   */
  async subscribe(ws: WebSocket, userIds: string[]): Promise<void> {
    const me = this.me();
    const socketId = this.sockets.attachment(ws).id;
    const wanted = [...new Set(userIds)];
    const db = createDb(this.env.DB);
    const active = await activeUsersById(db, [...wanted, me]);
    const viewer = active.get(me);
    const known = viewer
      ? await visibleIds(
          db,
          { id: me, role: viewer.role },
          [...wanted].filter((id) => active.has(id)),
        )
      : new Set<string>();
    const previous = this.sql
      .exec<{ target_id: string }>("SELECT target_id FROM socket_subscriptions WHERE socket_id = ?", socketId)
      .toArray();
    this.sql.exec("DELETE FROM socket_subscriptions WHERE socket_id = ?", socketId);
    for (const id of known) this.sql.exec("INSERT INTO socket_subscriptions (socket_id, target_id) VALUES (?, ?)", socketId, id);
    this.release(previous.map((r) => r.target_id));
    const views = await Promise.all(
      [...known].map((id) =>
        id === me
          ? this.ownView()
          : userSession(this.env, id)
              .addPresenceSubscriber(me)
              .catch(() => null),
      ),
    );
    for (const view of views) if (view) sendQuietly(ws, presenceFrame(view));
  }

  /** A socket is gone: it watches nobody any more. */
  drop(socketId: string): void {
    const targets = this.sql
      .exec<{ target_id: string }>("DELETE FROM socket_subscriptions WHERE socket_id = ? RETURNING target_id", socketId)
      .toArray();
    this.release(targets.map((r) => r.target_id));
  }

  addSubscriber(subscriberId: string): void {
    this.sql.exec("INSERT OR IGNORE INTO presence_subscribers (user_id) VALUES (?)", subscriberId);
  }

  removeSubscriber(subscriberId: string): void {
    this.sql.exec("DELETE FROM presence_subscribers WHERE user_id = ?", subscriberId);
  }

  /** A watched user's presence changed: tell the sockets watching them. False if none does. */
  deliver(view: PresenceView): boolean {
    const frame = presenceFrame(view);
    let watching = false;
    for (const row of this.sql.exec<{ socket_id: string }>(
      "SELECT socket_id FROM socket_subscriptions WHERE target_id = ?",
      view.user_id,
    )) {
      const ws = this.sockets.byId(row.socket_id);
      if (ws?.readyState === OPEN) {
        watching = true;
        sendQuietly(ws, frame);
      }
    }
    return watching;
  }

  /** This user's new status, to every session that watches it; one that no longer does is dropped. */
  broadcast(view: PresenceView): void {
    const me = this.me();
    for (const { user_id: subscriber } of this.sql.exec<{ user_id: string }>("SELECT user_id FROM presence_subscribers")) {
      const delivered = subscriber === me ? Promise.resolve(this.deliver(view)) : userSession(this.env, subscriber).deliverPresence(view);
      delivered
        .then((watching) => {
          if (!watching) this.removeSubscriber(subscriber);
        })
        .catch((error: unknown) => log("warn", "presence delivery failed", { user_id: me, subscriber, error }));
    }
  }

  /** Stops watching users no socket of ours watches any more (best effort; stale ones self-heal). */
  private release(targetIds: string[]): void {
    const me = this.userId();
    if (!me) return;
    for (const id of targetIds) {
      if (id === me) continue;
      const still = this.sql.exec("SELECT 1 FROM socket_subscriptions WHERE target_id = ? LIMIT 1", id).toArray().length > 0;
      if (!still)
        userSession(this.env, id)
          .removePresenceSubscriber(me)
          .catch(() => {});
    }
  }

  private me(): string {
    const me = this.userId();
    if (!me) throw new Error("UserSession has no user yet");
    return me;
  }
}
