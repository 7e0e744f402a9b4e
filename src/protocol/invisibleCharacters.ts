// Characters that draw nothing but change how the text around them reads: controls (Cc), format
// characters (Cf: the bidirectional embeddings, overrides and isolates U+202A–U+202E and
// U+2066–U+2069, the marks U+200E, U+200F and U+061C, zero-width space U+200B, word joiner, BOM,
// soft hyphen, tags) and the other default-ignorable code points (Hangul fillers, variation
// selectors, the combining grapheme joiner). In a name they let one person pass for another
// ("admin" and "ad\u200Bmin" look alike) or turn the text after them around (U+202E).
//
// A few of them have a job in some scripts and in emoji, and are allowed exactly where they do it:
// ZWJ inside an emoji ZWJ sequence (👩‍💻, 🏳️‍🌈); ZWJ and ZWNJ after a virama-like sign, which
// choose a conjunct's form in Indic and other Brahmic scripts (ශ්‍රී), and between letters of the
// joining scripts (Persian می‌خواهم); emoji and text presentation selectors after an emoji; tag
// characters in a subdivision flag (🏴󠁧󠁢󠁳󠁣󠁴󠁿); ideographic variation selectors after a CJK ideograph
// (Japanese names use them for a kanji's variant); Mongolian variation selectors after Mongolian.
// Everywhere else they are refused, ZWJ and ZWNJ between Latin letters included.

const INVISIBLE = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/u;

const JOINING = String.raw`\p{scx=Arab}\p{scx=Syrc}\p{scx=Nkoo}\p{scx=Mong}\p{scx=Adlm}\p{scx=Rohg}\p{scx=Mand}`;

/** Where each otherwise refused character does its job (matched on the whole text). */
const ALLOWED_IN_CONTEXT = [
  /(?<=\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}]?)\u200D(?=\p{Extended_Pictographic})/gu,
  // Digits, # and * are emoji only as keycaps: a selector after a bare one would be invisible.
  /(?<=(?![0-9#*])\p{Emoji})[\uFE0E\uFE0F]|(?<=[0-9#*])\uFE0F(?=\u20E3)/gu,
  /(?<=\u{1F3F4})[\u{E0020}-\u{E007E}]+\u{E007F}/gu,
  // A virama is a combining mark of its own script; generic marks (Inherited, Common) do not count.
  /(?<=(?![\p{sc=Zinh}\p{sc=Zyyy}])\p{M})[\u200C\u200D]/gu,
  new RegExp(String.raw`(?<=[${JOINING}])[\u200C\u200D](?=[${JOINING}])`, "gu"),
  /(?<=\p{scx=Mong})[\u180B-\u180F]/gu,
  /(?<=\p{Ideographic})[\u{E0100}-\u{E01EF}]/gu,
];

/** Code unit offsets of the characters that `ALLOWED_IN_CONTEXT` lets through. */
function allowedOffsets(text: string): Set<number> {
  const allowed = new Set<number>();
  for (const pattern of ALLOWED_IN_CONTEXT) {
    for (const match of text.matchAll(pattern)) {
      for (let i = 0; i < match[0].length; i++) allowed.add(match.index + i);
    }
  }
  return allowed;
}

/** Each refused invisible character of `text` with its offset, in order. */
function* refused(text: string): Generator<{ char: string; offset: number }> {
  if (!INVISIBLE.test(text)) return;
  const allowed = allowedOffsets(text);
  let offset = 0;
  for (const char of text) {
    if (!allowed.has(offset) && INVISIBLE.test(char)) yield { char, offset };
    offset += char.length;
  }
}

const codePoint = (char: string) => `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;

/** The first refused invisible character of `text`, as `U+XXXX`, or null when there is none. */
export function firstInvisibleCharacter(text: string): string | null {
  for (const { char } of refused(text)) return codePoint(char);
  return null;
}

/** `text` without its refused invisible characters (for names from elsewhere, which cannot be sent back). */
export function withoutInvisibleCharacters(text: string): string {
  const drop = new Set<number>();
  for (const { offset } of refused(text)) drop.add(offset);
  if (drop.size === 0) return text;
  let out = "";
  let offset = 0;
  for (const char of text) {
    if (!drop.has(offset)) out += char;
    offset += char.length;
  }
  return out;
}
