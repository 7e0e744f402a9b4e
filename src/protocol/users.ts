import { z } from "@hono/zod-openapi";
import { canonicalEmoji } from "./emoji";
import { firstInvisibleCharacter } from "./invisibleCharacters";
import { ROLES } from "./roles";

// Users on the wire (API.md "Users").

export const USER_ID_PATTERN = /^u_[0-9a-z]{26}$/;
export const MAX_USERS_PAGE = 200;
export const DEFAULT_USERS_PAGE = 50;

export const RoleSchema = z.enum(ROLES).openapi("Role", { description: "Workspace role." });

export const UserSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    display_name: z.string(),
    email: z.string().nullable().openapi({ description: "Null for accounts from an identity provider that shares none." }),
    role: RoleSchema,
    title: z.string(),
    timezone: z.string().openapi({ description: "IANA time zone name.", example: "Europe/Paris" }),
    status_text: z.string(),
    status_emoji: z.string(),
    deactivated: z.boolean(),
    created_at: z.string().openapi({ description: "RFC 3339 UTC." }),
  })
  .openapi("User");
export type UserView = z.infer<typeof UserSchema>;

export const UserListSchema = z
  .object({
    items: z.array(UserSchema),
    next_cursor: z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null on the last one." }),
  })
  .openapi("UserList");

/** One line of text a person typed: trimmed, no control characters (newlines, escapes). */
export const lineOfText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .refine((text) => !/\p{Cc}/u.test(text), "Must not contain control characters.");

/**
 * Text shown with a person's name (display name, title, status text): one line, without invisible
 * or text-direction characters, which would let one person pass for another or turn the name
 * shown after them around (invisibleCharacters.ts).
 */
export const personText = (max: number) =>
  lineOfText(max).superRefine((text, ctx) => {
    const found = firstInvisibleCharacter(text);
    if (found) ctx.addIssue({ code: "custom", message: `Must not contain invisible or text-direction control characters (${found}).` });
  });

/** One emoji (or a built-in `:shortcode:`, stored as the emoji), or "" for none. */
const StatusEmojiSchema = z
  .string()
  .trim()
  .max(64)
  .transform((text, ctx) => {
    if (text === "") return "";
    const emoji = canonicalEmoji(text);
    if (emoji) return emoji;
    ctx.addIssue({ code: "custom", message: "Must be one emoji or a :shortcode: such as :palm_tree:, or empty for none." });
    return z.NEVER;
  })
  .openapi({ type: "string", example: "🌴", description: "One emoji or a built-in :shortcode: (stored as the emoji); empty clears it." });

/** Accepts what Intl knows as a time zone and stores its canonical spelling ("utc" → "UTC"). */
const TimezoneSchema = z
  .string()
  .max(64)
  .transform((name, ctx) => {
    const canonical = canonicalTimeZone(name);
    if (canonical) return canonical;
    ctx.addIssue({ code: "custom", message: "Must be an IANA time zone name such as Europe/Paris or UTC." });
    return z.NEVER;
  })
  .openapi({ type: "string", example: "Europe/Paris" });

function canonicalTimeZone(name: string): string | null {
  try {
    const resolved = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
    // Intl also takes UTC offsets ("+01:00"); those are not IANA names and break with DST.
    return /^[A-Za-z]/.test(resolved) ? resolved : null;
  } catch {
    return null;
  }
}

export const UpdateProfileBody = z
  .strictObject({
    display_name: personText(64).optional(),
    title: personText(100).optional(),
    timezone: TimezoneSchema.optional(),
    status_text: personText(100).optional(),
    status_emoji: StatusEmojiSchema.optional(),
  })
  .openapi("UpdateProfile", {
    description: "Only these fields; anything else (role, email, username, id) is refused with 422.",
  });
export type UpdateProfile = z.infer<typeof UpdateProfileBody>;

export const ListUsersQuery = z.object({
  query: z
    .string()
    .trim()
    .max(100)
    .optional()
    .openapi({ description: "Matches anywhere in username, display name or email (case-insensitive for ASCII)." }),
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_USERS_PAGE).default(DEFAULT_USERS_PAGE),
});

export const UserIdParam = z.object({
  user_id: z
    .string()
    .regex(USER_ID_PATTERN)
    .openapi({ param: { name: "user_id", in: "path" }, example: "u_01hzx3k9q8m2n4p6r7s8t9v0wx" }),
});
