import { app } from "./app";
import { createDb } from "./db/client";
import { config } from "./lib/config";
import { log } from "./lib/log";
import { consumeExportBatch, EXPORT_QUEUE } from "./queues/exportJob";
import { consumeFailedFileScans, consumeFileScans, FILE_SCAN_DLQ, FILE_SCAN_QUEUE } from "./queues/fileScan";
import { consumeSearchIndex, SEARCH_INDEX_QUEUE } from "./queues/searchIndex";
import { sweepFiles } from "./services/actions/fileSweep";
import { pruneDirectory } from "./services/actions/pruneDirectory";
import { sweepRetention } from "./services/actions/retentionSweep";

export { ChannelRoom } from "../durable-objects/channel-room/ChannelRoom";
export { UserSession } from "../durable-objects/user-session/UserSession";

/** The file sweep's cron (wrangler.toml [triggers]); the other one is the daily directory prune. (Not exported: every export of the entry module must be a handler or a class.) */
const FILE_SWEEP_CRON = "*/10 * * * *";

export default {
  fetch: app.fetch,
  /** One consumer per queue (wrangler.toml [[queues.consumers]]). */
  async queue(batch, env, _ctx) {
    switch (batch.queue) {
      case FILE_SCAN_QUEUE:
        return consumeFileScans(batch, env);
      case FILE_SCAN_DLQ:
        return consumeFailedFileScans(batch, env);
      case SEARCH_INDEX_QUEUE:
        return consumeSearchIndex(batch, env);
      case EXPORT_QUEUE:
        return consumeExportBatch(batch, env);
      default:
        log("error", "batch from an unknown queue left to retry", { queue: batch.queue });
        batch.retryAll();
    }
  },
  /** The crons (wrangler.toml [triggers]): the file and retention sweeps every 10 minutes, directory housekeeping daily. */
  async scheduled(controller, env) {
    const db = createDb(env.DB);
    if (controller.cron === FILE_SWEEP_CRON) {
      // One after the other (both may delete files), each on its own: a failing file sweep (an R2
      // delete, the scan queue) must not hold up retention.
      let failed = false;
      for (const [name, sweep] of [
        ["files swept", sweepFiles],
        ["retention swept", sweepRetention],
      ] as const) {
        try {
          log("info", name, await sweep(env, db));
        } catch (error) {
          failed = true;
          log("error", `${name}: failed`, { error });
        }
      }
      if (failed) throw new Error("a sweep failed; see the log");
    } else log("info", "directory pruned", await pruneDirectory(db, Date.now(), config(env).AUDIT_RETENTION_DAYS));
  },
} satisfies ExportedHandler<Env>;
