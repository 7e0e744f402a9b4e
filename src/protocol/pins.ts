import { z } from "@hono/zod-openapi";
import { channelIdParam } from "./channels";
import { MessageSchema, messageIdParam } from "./messages";

// Pinned messages on the wire (API.md "Pins").

export const MAX_PINS_PER_CHANNEL = 100;

export const PinParamsSchema = z.object({ channel_id: channelIdParam, message_id: messageIdParam });

export const PinSchema = z
  .object({ message_id: z.string(), pinned_by: z.string(), pinned_at: z.string(), message: MessageSchema })
  .openapi("Pin");
export type Pin = z.infer<typeof PinSchema>;

export const PinListSchema = z.object({ items: z.array(PinSchema).openapi({ description: "Newest pin first." }) }).openapi("PinList");
export type PinList = z.infer<typeof PinListSchema>;

/** `data` of `pin.removed`: who had pinned it and who unpinned it (or deleted the message). */
export const PinRemovedEventDataSchema = z
  .object({ message_id: z.string(), pinned_by: z.string(), pinned_at: z.string(), unpinned_by: z.string() })
  .openapi("PinRemovedEventData");
export type PinRemovedEventData = z.infer<typeof PinRemovedEventDataSchema>;
