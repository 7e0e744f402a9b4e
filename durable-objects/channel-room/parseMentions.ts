/** Most distinct `@names` resolved per message; the rest are plain text. */
export const MAX_MENTION_NAMES = 50;

// `@name` at the start or after a non-word character, so `ada@example.com` is not a mention.
const MENTION = /(?<![\p{L}\p{N}_@.+-])@([\p{L}\p{N}_][\p{L}\p{N}._-]*)/gu;

export type MentionTokens = { usernames: string[]; channel: boolean; here: boolean };

/**
 * The mentions written in a message: `@channel`, `@here` and up to MAX_MENTION_NAMES distinct
 * lowercased `@username` candidates (trailing sentence punctuation dropped). Which candidates are
 * members is for the room to decide.
 */
export function parseMentions(text: string): MentionTokens {
  const usernames = new Set<string>();
  let channel = false;
  let here = false;
  for (const match of text.matchAll(MENTION)) {
    const name = (match[1] ?? "").replace(/[.-]+$/, "").toLowerCase();
    if (name === "channel") channel = true;
    else if (name === "here") here = true;
    else if (name && usernames.size < MAX_MENTION_NAMES) usernames.add(name);
  }
  return { usernames: [...usernames], channel, here };
}
