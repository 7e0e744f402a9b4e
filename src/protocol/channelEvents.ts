import { z } from "@hono/zod-openapi";
import { ChannelMemberSchema, ChannelSchema, MAX_EVENT_PAGE } from "./channels";
import { FileDeletedEventDataSchema, FileUpdatedEventDataSchema } from "./files";
import { MessageSchema, seqQuery } from "./messages";
import { PinRemovedEventDataSchema, PinSchema } from "./pins";
import { ReactionEventDataSchema } from "./reactions";

// A channel's event log (API.md "Real time"): every event of a channel carries the channel's next
// event `seq`, gap-free and shared by all types. The same frame goes to sockets, to resume replay
// and to `GET /channels/{id}/events`.

const frame = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.object({
    type: z.literal(type),
    channel_id: z.string(),
    seq: z.number().int().min(1),
    at: z.string(),
    data,
  });

const MemberLeftSchema = z.object({ user_id: z.string() });

export const ChannelEventSchema = z
  .discriminatedUnion("type", [
    frame("message.created", MessageSchema),
    frame(
      "message.updated",
      MessageSchema.openapi({ description: "The whole message after an edit, or a thread root after its summary changed." }),
    ),
    frame("message.deleted", MessageSchema.openapi({ description: "The tombstone: empty text, `deleted: true`." })),
    frame("member.joined", ChannelMemberSchema),
    frame("member.left", MemberLeftSchema),
    frame("channel.updated", ChannelSchema),
    frame("channel.archived", ChannelSchema),
    frame("channel.unarchived", ChannelSchema),
    frame("reaction.added", ReactionEventDataSchema),
    frame("reaction.removed", ReactionEventDataSchema),
    frame("pin.added", PinSchema),
    frame("pin.removed", PinRemovedEventDataSchema),
    frame("file.updated", FileUpdatedEventDataSchema),
    frame("file.deleted", FileDeletedEventDataSchema),
  ])
  .openapi("ChannelEvent");
export type ChannelEvent = z.infer<typeof ChannelEventSchema>;
export type ChannelEventType = ChannelEvent["type"];
/** The `data` of a channel event of type T. */
export type ChannelEventData<T extends ChannelEventType> = Extract<ChannelEvent, { type: T }>["data"];

export const ChannelEventQuerySchema = z.object({
  after: seqQuery.default(0).openapi({ description: "Events with a larger seq, oldest first." }),
  limit: z.coerce.number().int().min(1).max(MAX_EVENT_PAGE).default(200),
});
export type ChannelEventQuery = z.infer<typeof ChannelEventQuerySchema>;

export const ChannelEventPageSchema = z.object({ items: z.array(ChannelEventSchema), has_more: z.boolean() }).openapi("ChannelEventPage");
