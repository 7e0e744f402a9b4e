import { DurableObject } from "cloudflare:workers";
import { runMigrations } from "../shared/runMigrations";
import { channelRoomMigrations } from "./schema";

/** One per channel and per DM: message history, the channel's event log, fan-out. */
export class ChannelRoom extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => runMigrations(ctx.storage.sql, channelRoomMigrations));
  }
}
