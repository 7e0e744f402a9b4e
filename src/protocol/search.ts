import { z } from "@hono/zod-openapi";
import { ChannelSchema } from "./channels";
import { FileSchema } from "./files";
import { MessageSchema } from "./messages";

// Search on the wire (API.md "Search"), and the jobs of the colink-search-index queue.

export const MAX_SEARCH_PAGE = 100;
export const DEFAULT_SEARCH_PAGE = 20;
/** Longer than the parser's own limit, so a long query is answered 422 invalid_query with a reason. */
const MAX_Q_PARAM = 4000;

export const SearchMessagesQuerySchema = z.object({
  q: z.string().max(MAX_Q_PARAM).openapi({
    description:
      'Words (all must match, Latin-script words by prefix), "quoted phrases", -excluded words, and the operators from:@username, in:#channel, has:file, has:link, is:thread, before:/after:/on:YYYY-MM-DD (UTC days). README "Search query syntax".',
    example: 'deploy "release notes" in:#ops after:2026-01-31',
  }),
  cursor: z.string().min(1).max(400).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_SEARCH_PAGE).default(DEFAULT_SEARCH_PAGE),
  sort: z.enum(["relevance", "recent"]).default("relevance").openapi({ description: "relevance (bm25) or recent (newest first)." }),
});
export type SearchMessagesQuery = z.infer<typeof SearchMessagesQuerySchema>;

export const HighlightSchema = z.object({ start: z.number().int(), end: z.number().int() }).openapi("Highlight", {
  description: "A matched span of `message.text`, in UTF-16 code units (as JavaScript strings index), end exclusive.",
});

export const MessageHitSchema = z
  .object({ message: MessageSchema, channel_id: z.string(), highlights: z.array(HighlightSchema) })
  .openapi("MessageHit");
export type MessageHit = z.infer<typeof MessageHitSchema>;

export const MessageSearchPageSchema = z
  .object({ items: z.array(MessageHitSchema), next_cursor: z.string().nullable() })
  .openapi("MessageSearchPage");

export const SearchChannelsQuerySchema = z.object({
  q: z
    .string()
    .max(MAX_Q_PARAM)
    .openapi({ description: "Words, each found in the name, topic or purpose (case- and accent-insensitive)." }),
  cursor: z.string().min(1).max(400).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_SEARCH_PAGE).default(DEFAULT_SEARCH_PAGE),
});
export type SearchChannelsQuery = z.infer<typeof SearchChannelsQuerySchema>;

export const ChannelSearchPageSchema = z
  .object({ items: z.array(ChannelSchema), next_cursor: z.string().nullable() })
  .openapi("ChannelSearchPage");

export const SearchFilesQuerySchema = z.object({
  q: z.string().max(MAX_Q_PARAM).openapi({
    description:
      "Words and phrases found in the filename, with from:@username (uploader), in:#channel (posted there) and before:/after:/on:YYYY-MM-DD (uploaded).",
    example: "report in:#finance after:2026-01-01",
  }),
  cursor: z.string().min(1).max(400).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_SEARCH_PAGE).default(DEFAULT_SEARCH_PAGE),
});
export type SearchFilesQuery = z.infer<typeof SearchFilesQuerySchema>;

export const FileHitSchema = z.object({ file: FileSchema, highlights: z.array(HighlightSchema) }).openapi("FileHit", {
  description: "A file whose name matches; `highlights` are UTF-16 offsets into `file.filename`.",
});
export type FileHit = z.infer<typeof FileHitSchema>;

export const FileSearchPageSchema = z
  .object({ items: z.array(FileHitSchema), next_cursor: z.string().nullable() })
  .openapi("FileSearchPage");

// ── The queue ────────────────────────────────────────────────────────────────────────────────

/** A message as the index needs it; a deleted one has `deleted: true` and empty text. */
export const SearchDocumentSchema = z.object({
  message_id: z.string().min(1),
  channel_id: z.string().min(1),
  seq: z.number().int().min(1),
  author_id: z.string().min(1),
  created_at: z.string(),
  thread_root_id: z.string().nullable(),
  reply_count: z.number().int().min(0),
  has_file: z.boolean(),
  text: z.string(),
  deleted: z.boolean(),
});
export type SearchDocument = z.infer<typeof SearchDocumentSchema>;

export const SearchIndexJobSchema = z.discriminatedUnion("kind", [
  /** The message as its room had it at `version` (the room's event seq then): an older version never overwrites a newer one. */
  z.object({ kind: z.literal("message"), version: z.number().int().min(0), doc: SearchDocumentSchema }),
  /** One step of an index rebuild: the next page of `channel_id` after `after_seq` (POST /admin/search/rebuild). */
  z.object({ kind: z.literal("rebuild"), run_id: z.string().min(1), channel_id: z.string().min(1), after_seq: z.number().int().min(0) }),
]);
export type SearchIndexJob = z.infer<typeof SearchIndexJobSchema>;

export const SearchRebuildSchema = z
  .object({
    run_id: z.string(),
    status: z.enum(["running", "done"]),
    channels_done: z.number().int(),
    channels_total: z.number().int(),
    messages_indexed: z.number().int(),
    started_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("SearchRebuild");
export type SearchRebuild = z.infer<typeof SearchRebuildSchema>;

export const StartSearchRebuildBodySchema = z
  .strictObject({
    from_scratch: z.boolean().default(false).openapi({
      description:
        "Empty the index and start over from the first channel (after restoring a backup). Otherwise a run in progress resumes where it stopped, and a finished one starts again over the current index.",
    }),
  })
  .openapi("StartSearchRebuild");
