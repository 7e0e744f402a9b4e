import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, createRouter, errorResponses, jsonContent } from "../lib/openapi";
import { requireUser } from "../middleware/requireUser";
import {
  ChannelSearchPageSchema,
  FileSearchPageSchema,
  MessageSearchPageSchema,
  SearchChannelsQuerySchema,
  SearchFilesQuerySchema,
  SearchMessagesQuerySchema,
} from "../protocol/search";
import { searchChannels } from "../services/queries/searchChannels";
import { searchFiles } from "../services/queries/searchFiles";
import { searchMessages } from "../services/queries/searchMessages";

const common = { tags: ["Search"], middleware: [requireUser], security: bearerSecurity };

/** `GET /search/messages`, `GET /search/files` and `GET /search/channels` (API.md "Search"). */
export const searchRoutes = createRouter()
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/messages",
      summary: "Search messages the caller may read: words, phrases and operators, by relevance or newest first",
      description:
        'Only messages the caller may read at the time of the query (public channels for non-guests, and their own private channels and DMs); deleted messages are never found, edited ones by their new text only. Indexing is asynchronous: a message is findable within seconds. `highlights` are UTF-16 offsets into `message.text`. A malformed query (unknown operator, bad date, nothing to search for) is 422 `invalid_query`. Syntax: README "Search query syntax".',
      request: { query: SearchMessagesQuerySchema },
      responses: { 200: jsonContent(MessageSearchPageSchema, "A page of results; next_cursor is null on the last"), ...errorResponses },
    }),
    async (c) => c.json(await searchMessages(c.env, c.var.user, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/channels",
      summary: "Search channels by name, topic and purpose (public ones for non-guests, and the caller's private ones)",
      request: { query: SearchChannelsQuerySchema },
      responses: { 200: jsonContent(ChannelSearchPageSchema, "A page of channels, by name"), ...errorResponses },
    }),
    async (c) => c.json(await searchChannels(c.var.db, c.var.user, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/files",
      summary: "Search files by filename (the caller's own uploads, and files posted where they may read), newest first",
      description:
        "Words and phrases match the filename as message search matches text; from:@username is the uploader, in:#channel where it was posted, before:/after:/on: when it was uploaded. A quarantined file is found only by its uploader. A page may hold fewer than `limit` items and still carry a `next_cursor` (at most 2,000 files are looked at per request).",
      request: { query: SearchFilesQuerySchema },
      responses: { 200: jsonContent(FileSearchPageSchema, "A page of files, newest first"), ...errorResponses },
    }),
    async (c) => c.json(await searchFiles(c.var.db, c.var.user, c.req.valid("query")), 200),
  );
