import { log } from "../lib/log";
import { type SearchIndexJob, SearchIndexJobSchema } from "../protocol/search";
import { runSearchRebuildStep } from "../services/actions/searchRebuild";
import { type IndexEntry, writeIndexEntries } from "../services/directory/searchIndex";

/** The queue ChannelRoom outboxes (and index rebuilds) send to (wrangler.toml). */
export const SEARCH_INDEX_QUEUE = "colink-search-index";

/**
 * The colink-search-index consumer: writes a batch's message jobs to the D1 index in one go
 * (idempotent and version-guarded, so redelivery and reordering do no harm), then runs any
 * rebuild steps. A job that does not parse is logged and dropped, never retried forever. If the
 * write fails, the batch's jobs are retried (with a delay) by the queue.
 */
export async function consumeSearchIndex(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const entries: IndexEntry[] = [];
  const indexed: Message<unknown>[] = [];
  const rebuilds: { message: Message<unknown>; job: Extract<SearchIndexJob, { kind: "rebuild" }> }[] = [];
  for (const message of batch.messages) {
    const parsed = SearchIndexJobSchema.safeParse(message.body);
    if (!parsed.success) {
      log("error", "search index job dropped: not a job", { id: message.id, issues: parsed.error.issues.slice(0, 5) });
      message.ack();
    } else if (parsed.data.kind === "message") {
      entries.push({ version: parsed.data.version, doc: parsed.data.doc });
      indexed.push(message);
    } else rebuilds.push({ message, job: parsed.data });
  }
  if (entries.length > 0) {
    try {
      await writeIndexEntries(env.DB, entries);
      for (const m of indexed) m.ack();
    } catch (error) {
      log("error", "search index write failed; retrying the batch", { jobs: entries.length, error });
      for (const m of indexed) m.retry({ delaySeconds: Math.min(60, 2 ** m.attempts) });
    }
  }
  for (const { message, job } of rebuilds) {
    try {
      await runSearchRebuildStep(env, job);
      message.ack();
    } catch (error) {
      log("error", "search rebuild step failed; retrying", { run_id: job.run_id, channel_id: job.channel_id, error });
      message.retry({ delaySeconds: Math.min(60, 2 ** message.attempts) });
    }
  }
}
