import { eq } from "drizzle-orm";
import { createDb, type Database } from "../../src/db/client";
import { users } from "../../src/db/schema";
import { ColinkError } from "../../src/lib/ColinkError";
import { log } from "../../src/lib/log";
import { assertNotMuted } from "../../src/lib/mute";
import { postMessage } from "../../src/lib/postMessage";
import { channelRoom } from "../../src/lib/stubs";
import { CloseCode } from "../../src/protocol/closeCodes";
import { ackFrame, type SendFrame, sendErrorFrame } from "../../src/protocol/frames";
import { ROLES, type Role } from "../../src/protocol/roles";
import { closeQuietly, sendQuietly } from "../shared/sockets";
import type { SessionCore } from "./SessionCore";

/**
 * `send` frames: a message sent on the socket, exactly as POST /channels/{id}/messages sends it:
 * the same fields and rules (protocol `withSendRules`), the same flow (lib/postMessage.ts: the
 * files `file_ids` names, then the ChannelRoom call that decides membership, archive, content,
 * thread root, the author's send rate and the author's `client_msg_id` key space, so a retry over
 * either path returns the first message; then the thread reply's follow-up). The ack leaves once
 * the room answered, i.e. after its write is durable (the room's output gate holds its answer
 * until then).
 *
 * What the HTTP path reads from D1 on every request (the session is live, the user active) is the
 * socket's binding here: a socket is closed when its session ends or its user is deactivated, and
 * EndedSessions refuses a frame from one that slipped through. The role (which only decides
 * whether a non-member is told 403 or 404) is the one the handshake read, kept current by
 * `user.updated`. A workspace mute is read from D1 with each send (one primary-key read), as HTTP
 * reads it with each request: a mute holds on sockets open before it and cannot be lost to a
 * handshake racing it. Sends to one channel are written in the order they arrived, even when one
 * waits on D1 for its files (`tails`).
 */
export class SocketSend {
  /** One stub per channel. */
  private readonly rooms = new Map<string, ReturnType<typeof channelRoom>>();
  /** Per channel, the send last queued: the next one starts when it has been answered. */
  private readonly tails = new Map<string, Promise<void>>();
  private database: Database | undefined;

  constructor(private readonly core: SessionCore) {}

  /** Answers a `send` frame, after the sends to its channel that came before it. */
  send(ws: WebSocket, frame: SendFrame): Promise<void> {
    const channelId = frame.channel_id;
    const run = (this.tails.get(channelId) ?? Promise.resolve()).then(() => this.sendNow(ws, frame));
    const tail = run.catch(() => {});
    this.tails.set(channelId, tail);
    void tail.then(() => {
      if (this.tails.get(channelId) === tail) this.tails.delete(channelId);
    });
    return run;
  }

  private async sendNow(ws: WebSocket, frame: SendFrame): Promise<void> {
    const { sockets, sessions, env } = this.core;
    const sid = sockets.attachment(ws).sid;
    if (sessions.has(sid)) {
      sendQuietly(ws, sendErrorFrame(frame.client_msg_id, { status: 401, code: "invalid_token", detail: "The session has ended." }));
      closeQuietly(ws, CloseCode.Unauthorized, "session ended");
      return;
    }
    const actor = { id: this.core.requireUserId(), role: this.role() };
    const { channel_id: channelId, type: _, ...body } = frame;
    let result: Awaited<ReturnType<typeof postMessage>>;
    try {
      const me = await this.db().select({ mutedUntil: users.mutedUntil }).from(users).where(eq(users.id, actor.id)).get();
      assertNotMuted(me?.mutedUntil);
      result = await postMessage(env, this.db(), channelId, actor, body, this.room(channelId));
    } catch (error) {
      if (error instanceof ColinkError) {
        // A mute (403 muted) or a file that cannot be attached (422 invalid_file), as HTTP answers it.
        const { errors, retryAfterSeconds, members } = error.extra;
        sendQuietly(
          ws,
          sendErrorFrame(frame.client_msg_id, {
            status: error.status,
            code: error.code,
            detail: error.detail,
            errors,
            retryAfterSeconds,
            members,
          }),
        );
        return;
      }
      // Written or not, the client may retry with the same client_msg_id: never a duplicate.
      log("error", "socket send failed", { user_id: actor.id, channel_id: channelId, error });
      sendQuietly(
        ws,
        sendErrorFrame(frame.client_msg_id, {
          status: 500,
          code: "internal_error",
          detail: "Something went wrong on our side; try again.",
        }),
      );
      return;
    }
    if (!result.ok) {
      sendQuietly(ws, sendErrorFrame(frame.client_msg_id, result.error));
      return;
    }
    sendQuietly(ws, ackFrame(frame.client_msg_id, result.value.message));
  }

  private db(): Database {
    this.database ??= createDb(this.core.env.DB);
    return this.database;
  }

  private role(): Role {
    const role = this.core.meta.get("role");
    // Before any handshake recorded one (cannot happen for a socket): the least a member may be.
    return (ROLES as readonly string[]).includes(role ?? "") ? (role as Role) : "guest";
  }

  private room(channelId: string): ReturnType<typeof channelRoom> {
    let stub = this.rooms.get(channelId);
    if (!stub) {
      // Bounded: ids of the right shape that name nothing must not grow it without end.
      if (this.rooms.size >= 1_000) this.rooms.clear();
      stub = channelRoom(this.core.env, channelId);
      this.rooms.set(channelId, stub);
    }
    return stub;
  }
}
