import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import { createDb, type Database } from "../db/client";
import { channels, exportEntries, exportsTable, memberships, users } from "../db/schema";
import { log } from "../lib/log";
import { channelRoom } from "../lib/stubs";
import { centralDirectory, type ZipOptions, zipEnd, zipEntry } from "../lib/zip";
import { channelFolder, exportJson, slackChannel, slackMessage, slackUser } from "../services/exports/slackFormat";

// The export job (POST /admin/exports): a ZIP in Slack's export layout, streamed into R2 as a
// multipart upload, a slice per queue message. Each slice continues from the checkpoint in the
// export's D1 row, writes up to `maxEntries` archive entries, uploads every full part, then saves
// the bytes not yet in a part to R2 and the new checkpoint to D1 (a compare-and-set on `version`)
// and enqueues the next slice. A slice that dies (the Worker restarts, R2 fails) leaves the
// checkpoint as it was: its message is retried and redoes the slice from there. At most one part
// and one channel-day of messages are ever held in memory. The central directory's records are
// checkpointed in chunks of ENTRY_CHUNK (D1 rows of export_entries, written in the batch that
// saves the checkpoint past them), so the checkpoint row stays small however many entries there
// are; the last slice writes the directory a chunk at a time, in ZIP64 form where it must be
// (over 65,534 entries or 4 GiB: src/lib/zip.ts).

/** The queue the export's slices travel on (wrangler.toml). */
export const EXPORT_QUEUE = "colink-export";

export const ExportMessage = z.object({ export_id: z.string(), version: z.number().int().min(0) });
export type ExportMessage = z.infer<typeof ExportMessage>;

/** R2 wants every part but the last of one size, at least 5 MiB. */
export const EXPORT_PART_SIZE = 5 * 1024 * 1024;
const MESSAGE_PAGE = 500;
/** Central directory records per export_entries row (each about 100-200 bytes of JSON). */
export const ENTRY_CHUNK = 1000;

const EntryRecord = z.object({ name: z.string(), crc: z.number(), compressedSize: z.number(), size: z.number(), offset: z.number() });

const Checkpoint = z.object({
  uploadId: z.string(),
  parts: z.array(z.object({ partNumber: z.number().int(), etag: z.string() })),
  /** Bytes of the archive so far: the uploaded parts and the carry. */
  written: z.number().int(),
  /** The R2 object holding the bytes written but not yet in a part, if any. */
  carryKey: z.string().nullable(),
  /** The records not yet in an export_entries chunk (fewer than ENTRY_CHUNK after each checkpoint). */
  entries: z.array(EntryRecord),
  /** The export_entries chunks saved (numbered from 0), and how many records they hold. */
  entryChunks: z.number().int().default(0),
  chunkedEntries: z.number().int().default(0),
  channels: z.array(z.string()),
  phase: z.enum(["meta", "messages"]),
  channel: z.number().int(),
  afterSeq: z.number().int(),
});
type Checkpoint = z.infer<typeof Checkpoint>;

export const exportObjectKey = (exportId: string) => `exports/${exportId}.zip`;

export type SliceOptions = {
  maxEntries?: number;
  partSize?: number;
  failAfterEntries?: number;
  /** Records per checkpointed chunk (tests make it small). */
  entryChunk?: number;
  /** Every ZIP structure in ZIP64 form (tests of readers). */
  zip?: ZipOptions;
};

/** Runs one slice of an export; returns what happened (for tests and logs). */
export async function runExportSlice(
  env: Env,
  message: ExportMessage,
  options: SliceOptions = {},
): Promise<"continued" | "done" | "stale"> {
  const db = createDb(env.DB);
  const row = await db.select().from(exportsTable).where(eq(exportsTable.id, message.export_id)).get();
  if (row?.status !== "running" || row.version !== message.version) return "stale";
  const maxEntries = options.maxEntries ?? 50;
  const partSize = options.partSize ?? EXPORT_PART_SIZE;
  const entryChunk = options.entryChunk ?? ENTRY_CHUNK;
  const zip = options.zip ?? {};
  const key = exportObjectKey(row.id);
  const at = new Date(row.createdAt);

  const state: Checkpoint = row.checkpoint
    ? Checkpoint.parse(JSON.parse(row.checkpoint))
    : {
        uploadId: (await env.FILES.createMultipartUpload(key, { httpMetadata: { contentType: "application/zip" } })).uploadId,
        parts: [],
        written: 0,
        carryKey: null,
        entries: [],
        entryChunks: 0,
        chunkedEntries: 0,
        channels: await channelsToExport(db, row.channelIds ?? null, row.includeDms),
        phase: "meta",
        channel: 0,
        afterSeq: 0,
      };
  const upload = env.FILES.resumeMultipartUpload(key, state.uploadId);
  const carried = state.carryKey ? await env.FILES.get(state.carryKey) : null;
  let pending: Uint8Array[] = carried ? [new Uint8Array(await carried.arrayBuffer())] : [];
  let pendingBytes = pending[0]?.length ?? 0;
  let added = 0;

  const uploadFullParts = async (all: boolean) => {
    while (pendingBytes >= partSize || (all && pendingBytes > 0)) {
      const merged = concat(pending, pendingBytes);
      const size = Math.min(partSize, merged.length);
      const part = await upload.uploadPart(state.parts.length + 1, merged.slice(0, size));
      state.parts.push({ partNumber: part.partNumber, etag: part.etag });
      pending = [merged.slice(size)];
      pendingBytes = merged.length - size;
    }
  };
  const push = async (bytes: Uint8Array) => {
    pending.push(bytes);
    pendingBytes += bytes.length;
    state.written += bytes.length;
    await uploadFullParts(false);
  };
  const addEntry = async (name: string, data: Uint8Array) => {
    const { bytes, record } = await zipEntry(name, data, state.written, at, zip);
    pending.push(bytes);
    pendingBytes += bytes.length;
    state.written += bytes.length;
    state.entries.push(record);
    added++;
    if (options.failAfterEntries !== undefined && added >= options.failAfterEntries) throw new SimulatedCrash();
    await uploadFullParts(false);
  };

  if (state.phase === "meta") {
    for (const [name, data] of await metaFiles(db, state.channels)) await addEntry(name, data);
    state.phase = "messages";
  }
  while (state.channel < state.channels.length && added < maxEntries) {
    const channelId = state.channels[state.channel] as string;
    const done = await exportChannelDays(env, channelId, state, addEntry, () => added >= maxEntries);
    if (done) {
      state.channel++;
      state.afterSeq = 0;
    }
  }
  if (state.channel >= state.channels.length) {
    // The central directory, a checkpointed chunk at a time, then the records of this slice.
    const cdOffset = state.written;
    for (let chunk = 0; chunk < state.entryChunks; chunk++) {
      const saved = await db
        .select({ entries: exportEntries.entries })
        .from(exportEntries)
        .where(and(eq(exportEntries.exportId, row.id), eq(exportEntries.chunk, chunk)))
        .get();
      if (!saved) throw new Error(`export ${row.id}: central directory chunk ${chunk} is missing`);
      await push(centralDirectory(z.array(EntryRecord).parse(JSON.parse(saved.entries)), at, zip));
    }
    await push(centralDirectory(state.entries, at, zip));
    const entryCount = state.chunkedEntries + state.entries.length;
    await push(zipEnd({ entries: entryCount, offset: cdOffset, size: state.written - cdOffset }, zip));
    await uploadFullParts(true);
    await upload.complete(state.parts);
    if (state.carryKey) await env.FILES.delete(state.carryKey);
    await db.batch([
      db
        .update(exportsTable)
        .set({
          status: "done",
          objectKey: key,
          size: state.written,
          checkpoint: null,
          finishedAt: new Date().toISOString(),
          version: row.version + 1,
        })
        .where(and(eq(exportsTable.id, row.id), eq(exportsTable.version, row.version))),
      db.delete(exportEntries).where(eq(exportEntries.exportId, row.id)),
    ]);
    return "done";
  }

  // Checkpoint: the carry under a key of its own version, so a slice that dies before its D1 write
  // leaves the previous checkpoint's carry intact.
  const version = row.version + 1;
  const carryKey = pendingBytes > 0 ? `exports/${row.id}.carry.${version}` : null;
  if (carryKey) await env.FILES.put(carryKey, concat(pending, pendingBytes));
  const previousCarry = state.carryKey;
  state.carryKey = carryKey;
  // Enough records for a chunk: they leave the checkpoint for an export_entries row, written only
  // if this slice's compare-and-set wins (the insert is guarded by the same version, first in the batch).
  const chunk = state.entries.length >= entryChunk ? { index: state.entryChunks, entries: state.entries } : null;
  if (chunk) {
    state.entryChunks++;
    state.chunkedEntries += chunk.entries.length;
    state.entries = [];
  }
  const update = db
    .update(exportsTable)
    .set({ checkpoint: JSON.stringify(state), version })
    .where(and(eq(exportsTable.id, row.id), eq(exportsTable.version, row.version)))
    .returning({ id: exportsTable.id });
  const saved = chunk
    ? (
        await db.batch([
          db
            .insert(exportEntries)
            .select(
              sql`SELECT ${row.id}, ${chunk.index}, ${JSON.stringify(chunk.entries)}
                  WHERE EXISTS (SELECT 1 FROM exports WHERE id = ${row.id} AND version = ${row.version})`,
            )
            .onConflictDoUpdate({ target: [exportEntries.exportId, exportEntries.chunk], set: { entries: sql`excluded.entries` } }),
          update,
        ])
      )[1]
    : await update;
  if (saved.length === 0) return "stale";
  if (previousCarry) await env.FILES.delete(previousCarry);
  await env.EXPORT_QUEUE.send({ export_id: row.id, version } satisfies ExportMessage);
  return "continued";
}

/** Thrown by tests (`failAfterEntries`) to stand for a Worker that dies mid-slice. */
export class SimulatedCrash extends Error {
  override readonly name = "SimulatedCrash";
}

/**
 * Writes the channel's days after `state.afterSeq`, one entry per UTC day, moving `afterSeq` to the
 * last message of each day written. Stops after a day when `full()`; returns true once the channel is done.
 */
async function exportChannelDays(
  env: Env,
  channelId: string,
  state: Checkpoint,
  addEntry: (name: string, data: Uint8Array) => Promise<void>,
  full: () => boolean,
): Promise<boolean> {
  const room = channelRoom(env, channelId);
  let day: string | null = null;
  let batch: unknown[] = [];
  let lastSeq = state.afterSeq;
  let cursor = state.afterSeq;
  let folder = channelId;
  for (;;) {
    const page = await room.exportPage(cursor, MESSAGE_PAGE);
    if (!page.channel) return true;
    folder = channelFolder(page.channel);
    for (const { message, root } of page.messages) {
      const messageDay = message.created_at.slice(0, 10);
      if (day !== null && messageDay !== day) {
        await addEntry(`${folder}/${day}.json`, exportJson(batch));
        state.afterSeq = lastSeq;
        if (full()) return false;
        batch = [];
      }
      day = messageDay;
      batch.push(slackMessage(message, root));
      lastSeq = message.seq;
    }
    cursor = page.messages.at(-1)?.message.seq ?? cursor;
    if (!page.has_more) break;
  }
  if (day !== null) {
    await addEntry(`${folder}/${day}.json`, exportJson(batch));
    state.afterSeq = lastSeq;
  }
  return true;
}

/** The channels an export covers, fixed at its first slice: those named, or all; DMs only when the workspace allows. */
async function channelsToExport(db: Database, named: string[] | null, includeDms: boolean): Promise<string[]> {
  const kinds = includeDms ? (["public", "private", "dm", "group_dm"] as const) : (["public", "private"] as const);
  const where = named ? and(inArray(channels.kind, [...kinds]), inArray(channels.id, named)) : inArray(channels.kind, [...kinds]);
  const rows = await db.select({ id: channels.id }).from(channels).where(where).orderBy(asc(channels.createdAt), asc(channels.id));
  return rows.map((r) => r.id);
}

/** users.json, channels.json (public), groups.json (private), dms.json, mpims.json. */
async function metaFiles(db: Database, channelIds: string[]): Promise<[string, Uint8Array][]> {
  const everyone = await db.select().from(users).orderBy(asc(users.createdAt), asc(users.id));
  const rows = channelIds.length
    ? await db.select().from(channels).where(inArray(channels.id, channelIds)).orderBy(asc(channels.createdAt), asc(channels.id))
    : [];
  const members = new Map<string, string[]>();
  for (const ids of chunks(channelIds, 90)) {
    const found = await db
      .select({ channelId: memberships.channelId, userId: memberships.userId })
      .from(memberships)
      .where(inArray(memberships.channelId, ids))
      .orderBy(asc(memberships.joinedAt), asc(memberships.userId));
    for (const m of found) members.set(m.channelId, [...(members.get(m.channelId) ?? []), m.userId]);
  }
  const of = (kind: string) => rows.filter((c) => c.kind === kind).map((c) => slackChannel(c, members.get(c.id) ?? []));
  return [
    ["users.json", exportJson(everyone.map(slackUser))],
    ["channels.json", exportJson(of("public"))],
    ["groups.json", exportJson(of("private"))],
    ["dms.json", exportJson(of("dm"))],
    ["mpims.json", exportJson(of("group_dm"))],
  ];
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1 && parts[0]?.length === total) return parts[0];
  const out = new Uint8Array(total);
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

/**
 * Attempts at one slice before the export is given up (`failed`); wrangler.toml's `max_retries`
 * for `colink-export` is 10, so the queue would drop the message after one more.
 */
export const EXPORT_ATTEMPTS = 10;

/**
 * Gives an export up: it becomes `failed` with the reason, and what it had written goes (the
 * multipart upload is aborted, the carry and the checkpointed directory records deleted), so a
 * failed export leaves nothing in R2 or D1 but its row.
 */
export async function failExport(env: Env, exportId: string, reason: string): Promise<void> {
  const db = createDb(env.DB);
  const row = await db.select().from(exportsTable).where(eq(exportsTable.id, exportId)).get();
  if (row?.status !== "running") return;
  const checkpoint = row.checkpoint ? Checkpoint.safeParse(JSON.parse(row.checkpoint)) : null;
  if (checkpoint?.success) {
    const { uploadId, carryKey } = checkpoint.data;
    try {
      await env.FILES.resumeMultipartUpload(exportObjectKey(row.id), uploadId).abort();
    } catch (error) {
      // Already gone; R2 also aborts an incomplete multipart upload itself after 7 days.
      log("warn", "export: aborting the multipart upload failed", { export_id: row.id, error });
    }
    if (carryKey) await env.FILES.delete(carryKey);
  }
  await db.batch([
    db
      .update(exportsTable)
      // A new version: a duplicate delivery of the slice still running loses its compare-and-set.
      .set({ status: "failed", error: reason, checkpoint: null, finishedAt: new Date().toISOString(), version: row.version + 1 })
      .where(and(eq(exportsTable.id, row.id), eq(exportsTable.version, row.version))),
    db.delete(exportEntries).where(eq(exportEntries.exportId, row.id)),
  ]);
}

/**
 * The queue consumer for `colink-export`: one slice per message; a throw retries it from the same
 * checkpoint, up to EXPORT_ATTEMPTS attempts, then the export fails with the reason.
 */
export async function consumeExportBatch(batch: MessageBatch<unknown>, env: Env, options: SliceOptions = {}): Promise<void> {
  for (const msg of batch.messages) {
    const parsed = ExportMessage.safeParse(msg.body);
    if (!parsed.success) {
      log("warn", "export queue: malformed message dropped", { id: msg.id });
      msg.ack();
      continue;
    }
    try {
      await runExportSlice(env, parsed.data, options);
      msg.ack();
    } catch (error) {
      if (msg.attempts >= EXPORT_ATTEMPTS) {
        log("error", "export slice failed for the last time; the export fails", { export_id: parsed.data.export_id, error });
        const why = error instanceof Error ? error.message : String(error);
        await failExport(env, parsed.data.export_id, `A slice of the export failed ${msg.attempts} times (${why}).`);
        msg.ack();
        continue;
      }
      log("error", "export slice failed; retrying from its checkpoint", { export_id: parsed.data.export_id, error });
      msg.retry({ delaySeconds: 5 });
    }
  }
}
