import { createRoute, z } from "@hono/zod-openapi";
import { bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { requireAdmin } from "../middleware/requireAdmin";
import { requireUser } from "../middleware/requireUser";
import { SearchRebuildSchema, StartSearchRebuildBodySchema } from "../protocol/search";
import { searchRebuildState, startSearchRebuild } from "../services/actions/searchRebuild";

const common = { tags: ["Admin"], middleware: [requireUser, requireAdmin], security: bearerSecurity };

/** `/admin/search/rebuild`: rebuild the search index from the ChannelRooms (README "Backing up"). */
export const adminSearchRoutes = createRouter()
  .openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/rebuild",
      summary: "Rebuild the search index from the channels' histories (resumable; runs in the background through the index queue)",
      description:
        "Starts a run, or resumes the one in progress where it stopped (call again if its progress stalls). `from_scratch` empties the index first, as after restoring a D1 backup (which cannot hold the FTS5 tables). Audited `search.rebuild_started`.",
      request: { body: jsonBody(StartSearchRebuildBodySchema) },
      responses: { 202: jsonContent(SearchRebuildSchema, "The run's progress"), ...errorResponses },
    }),
    async (c) =>
      c.json(await startSearchRebuild(c.env, { user: c.var.user, requestId: c.var.requestId }, c.req.valid("json").from_scratch), 202),
  )
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/rebuild",
      summary: "The progress of the current or last index rebuild",
      responses: {
        200: jsonContent(z.object({ rebuild: SearchRebuildSchema.nullable() }), "null if the index was never rebuilt"),
        ...errorResponses,
      },
    }),
    async (c) => c.json({ rebuild: await searchRebuildState(c.env.DB) }, 200),
  );
