import { EMOJI_SHORTCODES } from "./emojiShortcodes";

// Reaction emoji (API.md "Reactions"): one Unicode emoji, or a built-in `:shortcode:` that stands
// for one. Reactions are stored and shown as Unicode, so `:+1:`, `:thumbsup:` and 👍 are one
// reaction.

/** Longest reaction emoji, in UTF-16 code units (the longest ZWJ family or tag flag fits). */
export const MAX_EMOJI_LENGTH = 32;

const VS16 = /\uFE0F/g;

// One pictograph, optionally in emoji presentation (VS16) or with a skin tone. Extended_Pictographic
// also covers code points reserved for future emoji, so new emoji work without a code change.
const ELEMENT = String.raw`\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?`;

/**
 * Exactly one emoji: a flag (two regional indicators), a keycap (`1️⃣`, `#️⃣`), or a pictograph
 * followed either by tag characters (subdivision flags such as 🏴󠁧󠁢󠁳󠁣󠁴󠁿) or by ZWJ-joined
 * pictographs (👩🏽‍💻, 👨‍👩‍👧‍👦, 🏳️‍🌈).
 */
const SINGLE_EMOJI = new RegExp(
  String.raw`^(?:\p{Regional_Indicator}{2}|[0-9#*]\uFE0F?\u20E3|${ELEMENT}(?:[\u{E0020}-\u{E007E}]+\u{E007F}|(?:\u200D${ELEMENT})*))$`,
  "u",
);

const SHORTCODE = /^:([a-z0-9_+-]{1,40}):$/i;

/** The built-in emoji by their form without VS16, so "❤" (text presentation) becomes "❤️". */
const CANONICAL = new Map([...EMOJI_SHORTCODES.values()].map((emoji) => [emoji.replace(VS16, ""), emoji]));

/**
 * The canonical form of a reaction: the emoji a built-in shortcode stands for, or a single Unicode
 * emoji (the built-in spelling if it is one of those). Null when `input` is neither.
 */
export function canonicalEmoji(input: string): string | null {
  const shortcode = SHORTCODE.exec(input)?.[1];
  if (shortcode !== undefined) return EMOJI_SHORTCODES.get(shortcode.toLowerCase()) ?? null;
  if (input.length > MAX_EMOJI_LENGTH || !SINGLE_EMOJI.test(input)) return null;
  return CANONICAL.get(input.replace(VS16, "")) ?? input;
}
