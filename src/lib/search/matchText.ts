import type { SearchTerm } from "./parseQuery";
import { cjkRuns, type Span, words } from "./searchText";

// Checks a message's current text against a query's terms, the way the index matches them, and
// finds what to highlight. The index may lag behind an edit: a result whose current text no
// longer matches is dropped, so an edited message is found by its new text only.

export type Highlight = { start: number; end: number };

type Analyzed = { words: Span[]; runs: Span[] };

const analyze = (text: string): Analyzed => ({ words: words(text), runs: cjkRuns(text) });

/** Where one term occurs in the text (empty if it does not). */
function occurrences(term: SearchTerm, text: Analyzed): Highlight[] | null {
  const found: Highlight[] = [];
  const latin = words(term.text).map((w) => w.text);
  if (latin.length > 0) {
    const hits: Highlight[] = [];
    const n = latin.length;
    for (let i = 0; i + n <= text.words.length; i++) {
      let ok = true;
      for (let j = 0; j < n && ok; j++) {
        const w = (text.words[i + j] as Span).text;
        const q = latin[j] as string;
        ok = j === n - 1 && term.kind === "word" ? w.startsWith(q) : w === q;
      }
      if (ok) hits.push({ start: (text.words[i] as Span).start, end: (text.words[i + n - 1] as Span).end });
    }
    if (hits.length === 0) return null;
    found.push(...hits);
  }
  for (const q of cjkRuns(term.text)) {
    const hits: Highlight[] = [];
    for (const run of text.runs) {
      for (let at = run.text.indexOf(q.text); at !== -1; at = run.text.indexOf(q.text, at + 1))
        hits.push({ start: run.start + at, end: run.start + at + q.text.length });
    }
    if (hits.length === 0) return null;
    found.push(...hits);
  }
  return found;
}

/** Sorted, with overlapping and touching spans merged. */
function merge(spans: Highlight[]): Highlight[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Highlight[] = [];
  for (const s of sorted) {
    const last = out.at(-1);
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

/**
 * Null when the text does not match every included term, or matches an excluded one; otherwise
 * the highlights (UTF-16 offsets into `text`) of the included terms.
 */
export function matchText(text: string, terms: readonly SearchTerm[]): Highlight[] | null {
  const analyzed = analyze(text);
  const spans: Highlight[] = [];
  for (const term of terms) {
    const hits = occurrences(term, analyzed);
    if (term.exclude) {
      if (hits) return null;
    } else {
      if (!hits) return null;
      spans.push(...hits);
    }
  }
  return merge(spans);
}
