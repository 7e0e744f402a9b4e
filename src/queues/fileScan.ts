import { createDb } from "../db/client";
import { log } from "../lib/log";
import { FileScanJobSchema } from "../protocol/files";
import { failScan, scanFile } from "../services/actions/fileScans";

/** Names of the scan queue and its dead-letter queue (wrangler.toml). */
export const FILE_SCAN_QUEUE = "colink-file-scan";
export const FILE_SCAN_DLQ = "colink-file-scan-dlq";

/** Seconds before the next try: 2, 4, 8 … 256 (about 8.5 minutes over the 8 retries before the dead-letter queue). */
export const scanRetryDelaySeconds = (attempts: number) => Math.min(2 ** Math.max(1, attempts), 256);

/**
 * The scan queue's consumer. Each message is one file; one that cannot be scanned now (clamd
 * unreachable, no verdict) is retried with backoff, and after max_retries lands in the dead-letter
 * queue. Malformed messages are dropped (acked) with a log line: retrying cannot fix them.
 */
export async function consumeFileScans(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const db = createDb(env.DB);
  for (const message of batch.messages) {
    const job = FileScanJobSchema.safeParse(message.body);
    if (!job.success) {
      log("error", "malformed file scan message dropped", { id: message.id });
      message.ack();
      continue;
    }
    try {
      await scanFile(env, db, job.data);
      message.ack();
    } catch (error) {
      const delaySeconds = scanRetryDelaySeconds(message.attempts);
      log("warn", "file scan will be retried", {
        file_id: job.data.file_id,
        attempts: message.attempts,
        delay_seconds: delaySeconds,
        error,
      });
      message.retry({ delaySeconds });
    }
  }
}

/** The dead-letter queue's consumer: every retry failed, so the file becomes `scan_failed` (fail closed). */
export async function consumeFailedFileScans(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const db = createDb(env.DB);
  for (const message of batch.messages) {
    const job = FileScanJobSchema.safeParse(message.body);
    if (job.success) await failScan(env, db, job.data, "clamd could not scan it after every retry");
    message.ack();
  }
}
