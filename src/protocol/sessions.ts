import { z } from "@hono/zod-openapi";

// Login sessions (API.md "Account security (additions)").

export const SessionSchema = z
  .object({
    id: z.string(),
    created_at: z.string().openapi({ description: "When the session signed in (RFC 3339 UTC)." }),
    last_used_at: z.string().openapi({
      description:
        "When it last signed in or traded its refresh token. A client in use refreshes at least once per access-token lifetime (15 minutes).",
    }),
    user_agent: z.string().nullable().openapi({ description: "The User-Agent it signed in with (at most 256 characters)." }),
    current: z.boolean().openapi({ description: "True for the session of the access token making this request." }),
  })
  .openapi("Session");
export type SessionView = z.infer<typeof SessionSchema>;

export const SessionListSchema = z.object({ items: z.array(SessionSchema) }).openapi("SessionList");

export const SessionIdParam = z.object({
  session_id: z
    .string()
    .regex(/^s_[0-9a-z]{26}$/)
    .openapi({ param: { name: "session_id", in: "path" }, example: "s_01hzx3k9q8m2n4p6r7s8t9v0wx" }),
});
