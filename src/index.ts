import { app } from "./app";
import { createDb } from "./db/client";
import { log } from "./lib/log";
import { consumeSearchIndex, SEARCH_INDEX_QUEUE } from "./queues/searchIndex";
import { pruneDirectory } from "./services/actions/pruneDirectory";

export { ChannelRoom } from "../durable-objects/channel-room/ChannelRoom";
export { UserSession } from "../durable-objects/user-session/UserSession";

export default {
  fetch: app.fetch,
  /** Queue consumers, by queue (wrangler.toml [[queues.consumers]]). */
  async queue(batch, env) {
    if (batch.queue === SEARCH_INDEX_QUEUE) return consumeSearchIndex(batch, env);
    log("error", "batch from an unknown queue; retrying it", { queue: batch.queue, messages: batch.messages.length });
    batch.retryAll();
  },
  /** The daily cron (wrangler.toml [triggers]): directory housekeeping. */
  async scheduled(_controller, env) {
    log("info", "directory pruned", await pruneDirectory(createDb(env.DB)));
  },
} satisfies ExportedHandler<Env>;
