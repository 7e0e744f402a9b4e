import { DurableObject } from "cloudflare:workers";
import { runMigrations } from "../shared/runMigrations";
import { userSessionMigrations } from "./schema";

/** User event types: what concerns one user alone, in their own `user_seq` order. */
export type UserEventType = "channel.added" | "channel.removed" | "read.updated" | "user.updated" | "thread.reply";

/** One per user: the user's hibernating sockets (all devices), their event log and presence. */
export class UserSession extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => runMigrations(ctx.storage.sql, userSessionMigrations));
  }

  /**
   * Called by a ChannelRoom for each online member, in channel `seq` order, with the event's
   * channel event `seq` and its frame already serialised (`{"type","channel_id","seq","at","data"}`).
   * Returns false when the user has no open socket, so the room can stop pushing to them.
   */
  async deliverChannelEvent(_userId: string, _channelId: string, _seq: number, _frame: string): Promise<boolean> {
    return false;
  }

  /** Appends a user event with the next `user_seq`, durably, and pushes it to every socket. */
  async appendUserEvent(_userId: string, _type: UserEventType, _data: unknown): Promise<number> {
    return 0;
  }

  /** Closes every socket of the user with an app close code (deactivation, session revoked). */
  async closeAllSockets(_userId: string, _code: number, _reason: string): Promise<void> {}
}
