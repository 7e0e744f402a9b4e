import { z } from "@hono/zod-openapi";
import { ReportResolvedEventDataSchema } from "./admin";
import { ChannelSchema } from "./channels";
import { ThreadReplyEventDataSchema } from "./threads";
import { UserSchema } from "./users";

// A user's own event stream (docs/realtime.md "User events"): what concerns one user alone, in
// their own gap-free `user_seq` order, the same on all of the user's devices. The same frame goes
// to sockets and to resume replay.

const frame = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.object({
    type: z.literal(type),
    user_seq: z.number().int().min(1),
    at: z.string(),
    data,
  });

export const UserEventSchema = z
  .discriminatedUnion("type", [
    frame("channel.added", z.object({ channel: ChannelSchema })),
    frame("channel.removed", z.object({ channel_id: z.string() })),
    frame(
      "read.updated",
      z.object({ channel_id: z.string(), seq: z.number().int().openapi({ description: "The message seq read up to." }) }),
    ),
    frame("user.updated", z.object({ user: UserSchema })),
    frame("thread.reply", ThreadReplyEventDataSchema),
    frame("thread.read", z.object({ channel_id: z.string(), root_id: z.string(), seq: z.number().int() })),
    frame("report.resolved", ReportResolvedEventDataSchema),
  ])
  .openapi("UserEvent");
export type UserEvent = z.infer<typeof UserEventSchema>;
export type UserEventType = UserEvent["type"];
/** The `data` of a user event of type T. */
export type UserEventData<T extends UserEventType> = Extract<UserEvent, { type: T }>["data"];

/** User event types, in the order the union lists them. */
export const USER_EVENT_TYPES = UserEventSchema.options.map((o) => o.shape.type.value) as readonly UserEventType[];
