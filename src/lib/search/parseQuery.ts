import { DAY_MS } from "../time";
import { cjkRuns, words } from "./searchText";

// The search query language (README "Search query syntax"): words (all must match, by prefix),
// "quoted phrases", -excluded words or phrases, and operators. Pure: no I/O, so it is tested on its
// own (test/lib/search/parseQuery.test.ts, with a fast-check property).

/** A word matches by prefix; a phrase matches its words in order, exactly. */
export type SearchTerm = { kind: "word" | "phrase"; text: string; exclude: boolean };

export type ParsedQuery = {
  /** Terms with something to match (a term that is only punctuation is dropped). */
  terms: SearchTerm[];
  /** Usernames (without "@"), lowercased: any of them wrote it. */
  from: string[];
  /** Channel names (without "#"), lowercased: it is in any of them. */
  in: string[];
  hasFile: boolean;
  hasLink: boolean;
  isThread: boolean;
  /** Sent at or after this instant (epoch ms). */
  since: number | null;
  /** Sent before this instant (epoch ms). */
  until: number | null;
};

export const MAX_QUERY_LENGTH = 1000;
export const MAX_TERMS = 20;

/** Why a query cannot be run: the route answers 422 `invalid_query` with this detail. */
export class InvalidQuery extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = "InvalidQuery";
  }
}

const OPERATORS = ["from", "in", "has", "is", "before", "after", "on"] as const;
type Operator = (typeof OPERATORS)[number];
/**
 * `name:value`; a value starting with "/" is a URL ("https://…"), not an operator. With no value,
 * a known name is a mistake ("from:") and any other is a word ("todo:").
 */
const OPERATOR = /^([A-Za-z]+):(?!\/)(.*)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Midnight UTC starting the day, or an InvalidQuery for anything that is not a real YYYY-MM-DD. */
export function dayStart(value: string, operator: string): number {
  const m = DATE.exec(value);
  const [year, month, day] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  const at = Date.UTC(year, month - 1, day);
  const date = new Date(at);
  if (!m || date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    throw new InvalidQuery(`${operator}: needs a date as YYYY-MM-DD, not "${value}".`);
  return at;
}

/** Splits the query into raw pieces: `"a phrase"`, `-word`, `-"phrase"`, `op:value`, `word`. */
function pieces(q: string): { text: string; quoted: boolean; exclude: boolean }[] {
  const out: { text: string; quoted: boolean; exclude: boolean }[] = [];
  let i = 0;
  while (i < q.length) {
    while (i < q.length && /\s/.test(q[i] as string)) i++;
    if (i >= q.length) break;
    let exclude = false;
    if (q[i] === "-" && i + 1 < q.length && !/\s/.test(q[i + 1] as string)) {
      exclude = true;
      i++;
    }
    if (q[i] === '"') {
      const close = q.indexOf('"', i + 1);
      const end = close === -1 ? q.length : close;
      out.push({ text: q.slice(i + 1, end), quoted: true, exclude });
      i = end + 1;
      continue;
    }
    let end = i;
    while (end < q.length && !/\s/.test(q[end] as string)) end++;
    out.push({ text: q.slice(i, end), quoted: false, exclude });
    i = end;
  }
  return out;
}

const hasContent = (text: string) => words(text).length > 0 || cjkRuns(text).length > 0;

export function parseQuery(q: string): ParsedQuery {
  if (q.length > MAX_QUERY_LENGTH) throw new InvalidQuery(`A query has at most ${MAX_QUERY_LENGTH} characters.`);
  const parsed: ParsedQuery = { terms: [], from: [], in: [], hasFile: false, hasLink: false, isThread: false, since: null, until: null };
  for (const piece of pieces(q)) {
    const op = piece.quoted ? null : OPERATOR.exec(piece.text);
    if (op) {
      const name = (op[1] as string).toLowerCase();
      const known = (OPERATORS as readonly string[]).includes(name);
      if (op[2] === "" && !known) {
        if (hasContent(piece.text)) parsed.terms.push({ kind: "word", text: piece.text, exclude: piece.exclude });
        continue;
      }
      if (op[2] === "") throw new InvalidQuery(`${name}: needs a value.`);
      if (!known) throw new InvalidQuery(`Unknown operator "${op[1]}:". Known: ${OPERATORS.map((o) => `${o}:`).join(", ")}.`);
      if (piece.exclude) throw new InvalidQuery(`Operators cannot be excluded ("-${piece.text}").`);
      applyOperator(parsed, name as Operator, op[2] as string);
      continue;
    }
    if (!hasContent(piece.text)) continue;
    parsed.terms.push({ kind: piece.quoted ? "phrase" : "word", text: piece.text, exclude: piece.exclude });
  }
  if (parsed.terms.length > MAX_TERMS) throw new InvalidQuery(`A query has at most ${MAX_TERMS} words and phrases.`);
  const hasFilter =
    parsed.from.length > 0 ||
    parsed.in.length > 0 ||
    parsed.hasFile ||
    parsed.hasLink ||
    parsed.isThread ||
    parsed.since !== null ||
    parsed.until !== null;
  if (!parsed.terms.some((t) => !t.exclude) && !hasFilter)
    throw new InvalidQuery("Nothing to search for: give a word, a phrase or an operator.");
  return parsed;
}

function applyOperator(parsed: ParsedQuery, name: Operator, value: string): void {
  switch (name) {
    case "from":
      parsed.from.push(value.replace(/^@/, "").toLowerCase());
      return;
    case "in":
      parsed.in.push(value.replace(/^#/, "").toLowerCase());
      return;
    case "has":
      if (value.toLowerCase() === "file") parsed.hasFile = true;
      else if (value.toLowerCase() === "link") parsed.hasLink = true;
      else throw new InvalidQuery(`has: takes "file" or "link", not "${value}".`);
      return;
    case "is":
      if (value.toLowerCase() !== "thread") throw new InvalidQuery(`is: takes "thread", not "${value}".`);
      parsed.isThread = true;
      return;
    case "before":
      narrow(parsed, null, dayStart(value, "before"));
      return;
    case "after":
      narrow(parsed, dayStart(value, "after") + DAY_MS, null);
      return;
    case "on": {
      const start = dayStart(value, "on");
      narrow(parsed, start, start + DAY_MS);
      return;
    }
  }
}

/** Date operators combine: the latest start and the earliest end win. */
function narrow(parsed: ParsedQuery, since: number | null, until: number | null): void {
  if (since !== null) parsed.since = parsed.since === null ? since : Math.max(parsed.since, since);
  if (until !== null) parsed.until = parsed.until === null ? until : Math.min(parsed.until, until);
}
