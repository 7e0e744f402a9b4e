import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent, ProblemSchema } from "../lib/openapi";
import { rateLimitPerUser } from "../middleware/rateLimitPerUser";
import { requireUser } from "../middleware/requireUser";
import { ChannelEventPageSchema, ChannelEventQuerySchema } from "../protocol/channelEvents";
import {
  AddMembersBodySchema,
  ChannelListQuerySchema,
  ChannelListSchema,
  ChannelParamsSchema,
  ChannelReadStateSchema,
  ChannelSchema,
  CreateChannelBodySchema,
  MarkReadBodySchema,
  MemberListQuerySchema,
  MemberListSchema,
  MemberParamsSchema,
  UpdateChannelBodySchema,
} from "../protocol/channels";
import {
  addChannelMembers,
  createChannel,
  joinChannel,
  markChannelRead,
  removeChannelMember,
  setChannelArchived,
  updateChannel,
} from "../services/actions/channels";
import { getChannel, listChannelEvents, listChannelMembers, listChannels } from "../services/queries/channels";

const common = { tags: ["Channels"], middleware: [requireUser], security: bearerSecurity };
const channelResponse = (description: string) => ({ 200: jsonContent(ChannelSchema, description), ...errorResponses });
const noContent = (description: string) => ({ 204: { description }, ...errorResponses });

export const channelsRoutes = createRouter()
  .openapi(
    createRoute({
      ...common,
      middleware: [requireUser, rateLimitPerUser("channel-create", (cfg) => cfg.CHANNEL_CREATE_RATE_PER_HOUR, 3600)] as const,
      method: "post",
      path: "/",
      summary: "Create a channel; the creator is its first member and admin",
      description: "At most CHANNEL_CREATE_RATE_PER_HOUR (60) per user per hour, then 429 `rate_limited` with Retry-After.",
      request: { body: jsonBody(CreateChannelBodySchema) },
      responses: { 201: jsonContent(ChannelSchema, "The new channel"), ...errorResponses },
    }),
    async (c) => c.json(await createChannel(c.env, c.var.db, c.var.user, c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/",
      summary: "Browse channels: the public ones and the caller's private ones, by name",
      request: { query: ChannelListQuerySchema },
      responses: { 200: jsonContent(ChannelListSchema, "A page of channels"), ...errorResponses },
    }),
    async (c) => c.json(await listChannels(c.var.db, c.var.user, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/{channel_id}",
      summary: "One channel or DM",
      request: { params: ChannelParamsSchema },
      responses: channelResponse("The channel"),
    }),
    async (c) => c.json(await getChannel(c.env, c.var.user, c.req.valid("param").channel_id), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "patch",
      path: "/{channel_id}",
      summary: "Change topic or purpose (any member) or name (creator, channel admin or workspace admin)",
      request: { params: ChannelParamsSchema, body: jsonBody(UpdateChannelBodySchema) },
      responses: channelResponse("The updated channel"),
    }),
    async (c) => c.json(await updateChannel(c.env, c.var.db, c.var.user, c.req.valid("param").channel_id, c.req.valid("json")), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/{channel_id}/archive",
      summary: "Archive: the channel stays readable but nothing can be posted or changed",
      request: { params: ChannelParamsSchema },
      responses: channelResponse("The archived channel"),
    }),
    async (c) => c.json(await setChannelArchived(c.env, c.var.db, c.var.user, c.req.valid("param").channel_id, true, c.var.requestId), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/{channel_id}/unarchive",
      summary: "Unarchive",
      request: { params: ChannelParamsSchema },
      responses: channelResponse("The unarchived channel"),
    }),
    async (c) =>
      c.json(await setChannelArchived(c.env, c.var.db, c.var.user, c.req.valid("param").channel_id, false, c.var.requestId), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/{channel_id}/join",
      summary: "Join a public channel (joining again is a no-op)",
      request: { params: ChannelParamsSchema },
      responses: channelResponse("The channel"),
    }),
    async (c) => c.json(await joinChannel(c.env, c.var.db, c.var.user, c.req.valid("param").channel_id), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/{channel_id}/leave",
      summary: "Leave a channel or group DM (a 1:1 DM cannot be left)",
      request: { params: ChannelParamsSchema },
      responses: noContent("Left"),
    }),
    async (c) => {
      await removeChannelMember(c.env, c.var.db, c.var.user, c.req.valid("param").channel_id, c.var.user.id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/{channel_id}/members",
      summary: "Who is in the channel",
      request: { params: ChannelParamsSchema, query: MemberListQuerySchema },
      responses: { 200: jsonContent(MemberListSchema, "A page of members, by user id"), ...errorResponses },
    }),
    async (c) => c.json(await listChannelMembers(c.env, c.var.user, c.req.valid("param").channel_id, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/{channel_id}/members",
      summary: "Add people (any member but a guest; those already in are skipped)",
      request: { params: ChannelParamsSchema, body: jsonBody(AddMembersBodySchema) },
      responses: channelResponse("The channel"),
    }),
    async (c) =>
      c.json(await addChannelMembers(c.env, c.var.db, c.var.user, c.req.valid("param").channel_id, c.req.valid("json").user_ids), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "delete",
      path: "/{channel_id}/members/{user_id}",
      summary: "Remove someone (channel admin or workspace admin); removing yourself is leaving",
      request: { params: MemberParamsSchema },
      responses: noContent("Removed"),
    }),
    async (c) => {
      const { channel_id, user_id } = c.req.valid("param");
      await removeChannelMember(c.env, c.var.db, c.var.user, channel_id, user_id, { requestId: c.var.requestId });
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/{channel_id}/read",
      summary: "Mark everything up to a message seq read (the marker never moves backwards)",
      request: { params: ChannelParamsSchema, body: jsonBody(MarkReadBodySchema) },
      responses: { 200: jsonContent(ChannelReadStateSchema, "The caller's read state in this channel"), ...errorResponses },
    }),
    async (c) => c.json(await markChannelRead(c.env, c.var.user, c.req.valid("param").channel_id, c.req.valid("json").seq), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/{channel_id}/events",
      summary: "The channel's event log after a seq, oldest first (fetch a `channel.gap` here)",
      description: "A cursor older than the events still kept (EVENT_RETENTION_DAYS) is answered 410 `resync_required`.",
      request: { params: ChannelParamsSchema, query: ChannelEventQuerySchema },
      responses: {
        200: jsonContent(ChannelEventPageSchema, "A page of events"),
        ...errorResponses,
        410: {
          description: "Events after this cursor were pruned: reload the channel",
          content: { "application/problem+json": { schema: ProblemSchema } },
        },
      },
    }),
    async (c) => c.json(await listChannelEvents(c.env, c.var.user, c.req.valid("param").channel_id, c.req.valid("query")), 200),
  );
