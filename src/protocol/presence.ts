import { z } from "@hono/zod-openapi";
import { MAX_PRESENCE_SUBSCRIPTIONS } from "./frames";

export const PRESENCE_STATUSES = ["active", "away", "dnd", "offline"] as const;
export type PresenceStatus = (typeof PRESENCE_STATUSES)[number];
export type PresenceView = { user_id: string; status: PresenceStatus; last_active_at: string | null };

export const PresenceSchema = z
  .object({
    user_id: z.string(),
    status: z.enum(PRESENCE_STATUSES),
    last_active_at: z.string().nullable(),
  })
  .openapi("Presence");

export const PresenceListSchema = z.object({ items: z.array(PresenceSchema) }).openapi("PresenceList");

export const PresenceQuerySchema = z.object({
  ids: z
    .string()
    .max(MAX_PRESENCE_SUBSCRIPTIONS * 65)
    .transform((v) => [...new Set(v.split(",").filter(Boolean))])
    .pipe(z.array(z.string().max(64)).min(1).max(MAX_PRESENCE_SUBSCRIPTIONS))
    .openapi({ param: { description: `Comma-separated user ids, at most ${MAX_PRESENCE_SUBSCRIPTIONS}` }, example: "u_…,u_…" }),
});

export const SetPresenceSchema = z
  .strictObject({
    status: z.enum(["active", "away", "dnd"]).openapi({ description: "`active` returns to automatic presence" }),
    dnd_until: z.iso
      .datetime({ offset: true })
      .nullish()
      .openapi({ description: "With `dnd`: when it ends (RFC 3339); omit for until further notice" }),
  })
  .refine((b) => b.status === "dnd" || b.dnd_until == null, { path: ["dnd_until"], message: "only with status dnd" })
  .refine((b) => b.dnd_until == null || Date.parse(b.dnd_until) > Date.now(), { path: ["dnd_until"], message: "must be in the future" })
  .openapi("SetPresence");
