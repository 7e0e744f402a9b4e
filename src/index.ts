import { app } from "./app";
import { createDb } from "./db/client";
import { config } from "./lib/config";
import { log } from "./lib/log";
import { pruneDirectory } from "./services/actions/pruneDirectory";

export { ChannelRoom } from "../durable-objects/channel-room/ChannelRoom";
export { UserSession } from "../durable-objects/user-session/UserSession";

export default {
  fetch: app.fetch,
  /** The daily cron (wrangler.toml [triggers]): directory housekeeping. */
  async scheduled(_controller, env) {
    log("info", "directory pruned", await pruneDirectory(createDb(env.DB), Date.now(), config(env).AUDIT_RETENTION_DAYS));
  },
} satisfies ExportedHandler<Env>;
