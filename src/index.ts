import { app } from "./app";
import { createDb } from "./db/client";
import { config } from "./lib/config";
import { log } from "./lib/log";
import { consumeExportBatch } from "./queues/exportJob";
import { pruneDirectory } from "./services/actions/pruneDirectory";

export { ChannelRoom } from "../durable-objects/channel-room/ChannelRoom";
export { UserSession } from "../durable-objects/user-session/UserSession";

export default {
  fetch: app.fetch,
  /** Queue consumers, by queue: the workspace export's slices. */
  async queue(batch, env) {
    if (batch.queue === "colink-export") await consumeExportBatch(batch, env);
    else log("warn", "message batch from an unknown queue", { queue: batch.queue });
  },
  /** The daily cron (wrangler.toml [triggers]): directory housekeeping. */
  async scheduled(_controller, env) {
    log("info", "directory pruned", await pruneDirectory(createDb(env.DB), Date.now(), config(env).AUDIT_RETENTION_DAYS));
  },
} satisfies ExportedHandler<Env>;
