import type { ParsedQuery, SearchTerm } from "./parseQuery";
import { cjkRuns, words } from "./searchText";

// A parsed query as an FTS5 MATCH expression over search_fts (migrations/0005_search.sql). Every
// piece of user text reaches FTS5 inside double quotes (a quote in it doubled), so no input is
// ever read as FTS5 syntax: a query cannot cause an FTS5 syntax error.

const quote = (text: string) => `"${text.replaceAll('"', '""')}"`;

/** The expression for one term: its words in `body` (a prefix for a word), its CJK runs as bigram phrases in `cjk`. */
export function termExpression(term: SearchTerm): string {
  const parts: string[] = [];
  const latin = words(term.text).map((w) => term.text.slice(w.start, w.end));
  if (latin.length > 0) parts.push(`body : ${quote(latin.join(" "))}${term.kind === "word" ? " *" : ""}`);
  for (const run of cjkRuns(term.text)) {
    const chars = Array.from(run.text);
    if (chars.length === 1) {
      parts.push(`cjk : ${quote(run.text)} *`);
      continue;
    }
    const grams: string[] = [];
    for (let i = 0; i + 1 < chars.length; i++) grams.push(`${chars[i]}${chars[i + 1]}`);
    parts.push(`cjk : ${quote(grams.join(" "))}`);
  }
  return parts.length === 1 ? (parts[0] as string) : `(${parts.join(" AND ")})`;
}

/**
 * `include`: what a result must match (null when the query has only excluded terms or none);
 * `exclude`: what it must not match, as one expression (null when nothing is excluded).
 */
export function ftsExpression(query: Pick<ParsedQuery, "terms">): { include: string | null; exclude: string | null } {
  const positive = query.terms.filter((t) => !t.exclude).map(termExpression);
  const negative = query.terms.filter((t) => t.exclude).map(termExpression);
  return {
    include: positive.length === 0 ? null : positive.join(" AND "),
    exclude: negative.length === 0 ? null : negative.join(" OR "),
  };
}
