import { z } from "@hono/zod-openapi";
import { CHANNEL_KINDS, CHANNEL_ROLES } from "./roles";

// Channels, DMs, membership and read state on the wire (API.md "Channels and DMs").

export const CHANNEL_ID_PATTERN = /^c_[0-9a-z]{26}$/;
export const CHANNEL_NAME_PATTERN = /^[a-z0-9_-]{1,80}$/;
export const MAX_TOPIC_LENGTH = 250;
export const MAX_PURPOSE_LENGTH = 250;
export const MAX_USERS_PER_REQUEST = 100;
/** A group DM has 3 to 9 people, the caller included. */
export const MAX_GROUP_DM_SIZE = 9;
export const MAX_CHANNEL_PAGE = 200;
export const MAX_MEMBER_PAGE = 1000;
export const MAX_EVENT_PAGE = 500;

/** A channel or DM id in a path: anything else names nothing (404). */
export const channelIdParam = z
  .string()
  .regex(CHANNEL_ID_PATTERN)
  .openapi({ param: { name: "channel_id", in: "path" }, example: "c_01jd0000000000000000000000" });

export const ChannelParamsSchema = z.object({ channel_id: channelIdParam });

export const ChannelSchema = z
  .object({
    id: z.string(),
    kind: z.enum(CHANNEL_KINDS),
    name: z.string().nullable().openapi({ description: "Null for DMs and group DMs." }),
    topic: z.string(),
    purpose: z.string(),
    archived: z.boolean(),
    created_by: z.string(),
    created_at: z.string(),
    member_count: z.number().int(),
  })
  .openapi("Channel");
export type Channel = z.infer<typeof ChannelSchema>;

export const ChannelNameSchema = z
  .string()
  .regex(CHANNEL_NAME_PATTERN, "1 to 80 lowercase letters, digits, '-' or '_'.")
  .openapi({ example: "release-planning" });
const topic = z.string().max(MAX_TOPIC_LENGTH);
const purpose = z.string().max(MAX_PURPOSE_LENGTH);

export const CreateChannelBodySchema = z
  .strictObject({ name: ChannelNameSchema, is_private: z.boolean().default(false), topic: topic.default(""), purpose: purpose.default("") })
  .openapi("CreateChannel");
export type CreateChannelBody = z.infer<typeof CreateChannelBodySchema>;

export const UpdateChannelBodySchema = z
  .strictObject({ name: ChannelNameSchema.optional(), topic: topic.optional(), purpose: purpose.optional() })
  .openapi("UpdateChannel");
export type UpdateChannelBody = z.infer<typeof UpdateChannelBodySchema>;

const pageLimit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);
const cursor = z.string().min(1).max(200);

export const ChannelListQuerySchema = z.object({
  joined: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional()
    .openapi({ description: "true: only channels the caller is in; false: only those they could join." }),
  cursor: cursor.optional(),
  limit: pageLimit(MAX_CHANNEL_PAGE, 50),
});
export type ChannelListQuery = z.infer<typeof ChannelListQuerySchema>;

export const ChannelListSchema = z.object({ items: z.array(ChannelSchema), next_cursor: z.string().nullable() }).openapi("ChannelList");

export const ChannelMemberSchema = z
  .object({ user_id: z.string(), role: z.enum(CHANNEL_ROLES), joined_at: z.string() })
  .openapi("ChannelMember");
export type ChannelMember = z.infer<typeof ChannelMemberSchema>;

export const MemberListQuerySchema = z.object({ cursor: cursor.optional(), limit: pageLimit(MAX_MEMBER_PAGE, 200) });
export type MemberListQuery = z.infer<typeof MemberListQuerySchema>;

export const MemberListSchema = z
  .object({ items: z.array(ChannelMemberSchema), next_cursor: z.string().nullable() })
  .openapi("ChannelMemberList");
export type MemberList = z.infer<typeof MemberListSchema>;

const userIds = (max: number) => z.array(z.string().min(1).max(64)).min(1).max(max);

export const AddMembersBodySchema = z.strictObject({ user_ids: userIds(MAX_USERS_PER_REQUEST) }).openapi("AddMembers");

export const MemberParamsSchema = z.object({
  channel_id: channelIdParam,
  user_id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "user_id", in: "path" } }),
});

export const OpenDmBodySchema = z
  .strictObject({
    user_ids: userIds(MAX_GROUP_DM_SIZE).openapi({
      description: "The other people (the caller may be listed too): one for a DM, 2 to 8 for a group DM.",
    }),
  })
  .openapi("OpenDm");

export const MarkReadBodySchema = z
  .strictObject({
    seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).openapi({ description: "A message seq: everything up to it is read." }),
  })
  .openapi("MarkRead");

export const ChannelReadStateSchema = z
  .object({
    channel: ChannelSchema,
    last_seq: z.number().int().openapi({ description: "The seq of the channel's newest message (0 when empty)." }),
    last_read_seq: z.number().int(),
    unread_count: z.number().int().openapi({
      description:
        "Messages after last_read_seq by others, not deleted, that history shows (thread replies only when also sent to the channel).",
    }),
    mention_count: z.number().int().openapi({
      description:
        "Messages after last_read_seq by others, not deleted, mentioning the caller (by name, @channel or @here), thread replies included.",
    }),
  })
  .openapi("ChannelReadState");
export type ChannelReadState = z.infer<typeof ChannelReadStateSchema>;

export const MyChannelsSchema = z.object({ items: z.array(ChannelReadStateSchema) }).openapi("MyChannels");
