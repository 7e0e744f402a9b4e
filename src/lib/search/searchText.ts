// How search sees text, shared by the indexer (the FTS5 columns), the query (its MATCH
// expression) and the check of each result against the room's current text (highlights).
//
// Latin-script and other space-separated text goes to FTS5's unicode61 tokenizer; Chinese,
// Japanese and Korean text has no spaces between words, so each CJK run is indexed as its
// overlapping bigrams (Lucene's CJKAnalyzer): "東京都" → "東京 京都", plus the run's last character
// on its own so a one-character query can still find every occurrence by prefix. A query of two or
// more CJK characters becomes the phrase of its bigrams, which matches exactly where the query is
// a substring. README "Search" explains the choice.

/** Han (kanji, hanzi, hanja), kana, Hangul, and the katakana prolonged sound mark. */
const CJK_CHAR = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30fc\uff70]/u;
const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30fc\uff70]+/gu;
/** unicode61's token characters (categories L*, N*, Co, and the marks diacritic folding removes), but not CJK. */
const WORD = /(?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30fc\uff70])[\p{L}\p{N}\p{Co}\p{M}])+/gu;

export const isCjkChar = (ch: string): boolean => CJK_CHAR.test(ch);

/** Case- and accent-folded, as unicode61 with remove_diacritics 2 compares tokens. */
export function fold(text: string): string {
  return text
    .normalize("NFD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase();
}

/** A piece of text with its UTF-16 offsets in the original string. */
export type Span = { start: number; end: number; text: string };

/** The non-CJK words of `text` (as unicode61 splits them), with offsets; `text` is folded. */
export function words(text: string): Span[] {
  return [...text.matchAll(WORD)].map((m) => ({ start: m.index, end: m.index + m[0].length, text: fold(m[0]) }));
}

/** The runs of CJK characters in `text`, with offsets. */
export function cjkRuns(text: string): Span[] {
  return [...text.matchAll(CJK_RUN)].map((m) => ({ start: m.index, end: m.index + m[0].length, text: m[0] }));
}

/** A CJK run's tokens: its overlapping bigrams (by code point) and its last character. */
export function bigrams(run: string): string[] {
  const chars = Array.from(run);
  const out: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) out.push(`${chars[i]}${chars[i + 1]}`);
  const last = chars.at(-1);
  if (last !== undefined) out.push(last);
  return out;
}

/** The two FTS5 columns of a message: `body` with its CJK blanked, `cjk` its CJK bigrams. */
export function indexColumns(text: string): { body: string; cjk: string } {
  return {
    body: text.replace(CJK_RUN, (run) => " ".repeat(run.length)),
    cjk: cjkRuns(text)
      .map((run) => bigrams(run.text).join(" "))
      .join(" "),
  };
}

const LINK = /\b(?:https?:\/\/|www\.)[^\s<>]+/i;

/** What `has:link` finds: a URL in the text. */
export const hasLink = (text: string): boolean => LINK.test(text);

/**
 * The longest prefix of a message that is indexed, in UTF-16 code units: an index job must fit a
 * queue message (128 KB), and 30,000 units are at most 90 KB of UTF-8.
 */
export const MAX_INDEXED_UNITS = 30_000;

export function indexedText(text: string): string {
  if (text.length <= MAX_INDEXED_UNITS) return text;
  const cut = text.slice(0, MAX_INDEXED_UNITS);
  // Never split a surrogate pair.
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}
