import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ftsExpression, termExpression } from "../../../src/lib/search/ftsExpression";
import { matchText } from "../../../src/lib/search/matchText";
import { InvalidQuery, parseQuery } from "../../../src/lib/search/parseQuery";
import { bigrams, fold, indexColumns, indexedText, MAX_INDEXED_UNITS } from "../../../src/lib/search/searchText";

// The search query language and text handling, pure (no I/O).

const DAY = 86_400_000;

describe("parseQuery", () => {
  it("reads words, phrases, exclusions and every operator", () => {
    const q = parseQuery(
      'deploy "release notes" -draft -"old plan" from:@Alice in:#Ops has:file has:link is:thread after:2026-01-31 before:2026-03-01',
    );
    expect(q.terms).toEqual([
      { kind: "word", text: "deploy", exclude: false },
      { kind: "phrase", text: "release notes", exclude: false },
      { kind: "word", text: "draft", exclude: true },
      { kind: "phrase", text: "old plan", exclude: true },
    ]);
    expect(q).toMatchObject({ from: ["alice"], in: ["ops"], hasFile: true, hasLink: true, isThread: true });
    expect(q.since).toBe(Date.UTC(2026, 1, 1));
    expect(q.until).toBe(Date.UTC(2026, 2, 1));
  });

  it("on: is one UTC day; date operators narrow each other", () => {
    expect(parseQuery("on:2026-02-28")).toMatchObject({ since: Date.UTC(2026, 1, 28), until: Date.UTC(2026, 1, 28) + DAY });
    expect(parseQuery("x after:2026-01-01 after:2026-01-10 before:2026-03-01 before:2026-02-01")).toMatchObject({
      since: Date.UTC(2026, 0, 11),
      until: Date.UTC(2026, 1, 1),
    });
    expect(parseQuery("on:2024-02-29").since).toBe(Date.UTC(2024, 1, 29));
  });

  it("treats URLs, times and punctuation-only pieces as text, not operators", () => {
    expect(parseQuery("https://example.com/x").terms).toEqual([{ kind: "word", text: "https://example.com/x", exclude: false }]);
    expect(parseQuery("at 10:30 todo:").terms.map((t) => t.text)).toEqual(["at", "10:30", "todo:"]);
    expect(parseQuery('deploy !!! "" -').terms.map((t) => t.text)).toEqual(["deploy"]);
    expect(parseQuery('"unterminated phrase').terms).toEqual([{ kind: "phrase", text: "unterminated phrase", exclude: false }]);
  });

  it("refuses unknown operators, bad dates, bad values, excluded operators and empty queries", () => {
    for (const q of [
      "foo:bar",
      "FROM:",
      "before:2026-02-30",
      "after:2026-13-01",
      "on:26-01-01",
      "has:image",
      "is:open",
      "-in:#x",
      "",
      "-only",
      "!!!",
    ])
      expect(() => parseQuery(q), q).toThrow(InvalidQuery);
    expect(() => parseQuery("x".repeat(1001))).toThrow(InvalidQuery);
    expect(() => parseQuery(Array.from({ length: 21 }, (_, i) => `w${i}`).join(" "))).toThrow(InvalidQuery);
  });

  it("never throws anything but InvalidQuery, for any input", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (q) => {
        try {
          parseQuery(q);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidQuery);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("search text", () => {
  it("folds case and accents like unicode61 with remove_diacritics 2", () => {
    expect(fold("Déjà Vu ÇA Ñandú Ångström")).toBe("deja vu ca nandu angstrom");
  });

  it("indexes CJK runs as overlapping bigrams plus their last character, and blanks them in the body", () => {
    expect(bigrams("東京都")).toEqual(["東京", "京都", "都"]);
    expect(bigrams("日")).toEqual(["日"]);
    // A character outside the BMP is one character, not two halves.
    expect(bigrams("𠮷野家")).toEqual(["𠮷野", "野家", "家"]);
    expect(indexColumns("Meet 東京 at 会議室")).toEqual({ body: "Meet    at    ", cjk: "東京 京 会議 議室 室" });
    expect(indexColumns("서울 회의").cjk).toBe("서울 울 회의 의");
  });

  it("caps the indexed text without splitting a surrogate pair", () => {
    const text = `${"a".repeat(MAX_INDEXED_UNITS - 1)}😀tail`;
    expect(indexedText(text)).toBe("a".repeat(MAX_INDEXED_UNITS - 1));
    expect(indexedText("short")).toBe("short");
  });

  it("quotes every piece of user text in the MATCH expression", () => {
    expect(termExpression({ kind: "word", text: "deploy", exclude: false })).toBe('body : "deploy" *');
    expect(termExpression({ kind: "phrase", text: "release notes", exclude: false })).toBe('body : "release notes"');
    expect(termExpression({ kind: "word", text: "東京都", exclude: false })).toBe('cjk : "東京 京都"');
    expect(termExpression({ kind: "word", text: "東", exclude: false })).toBe('cjk : "東" *');
    expect(termExpression({ kind: "word", text: "tokyo東京", exclude: false })).toBe('(body : "tokyo" * AND cjk : "東京")');
    expect(termExpression({ kind: "word", text: 'NOT"AND(', exclude: false })).toBe('body : "NOT AND" *');
    expect(ftsExpression(parseQuery("a -b -c"))).toEqual({ include: 'body : "a" *', exclude: 'body : "b" * OR body : "c" *' });
    expect(ftsExpression(parseQuery("-b from:x"))).toEqual({ include: null, exclude: 'body : "b" *' });
  });
});

describe("matchText", () => {
  const terms = (q: string) => parseQuery(q).terms;

  it("matches words by prefix and phrases exactly, with UTF-16 highlights, merged", () => {
    const text = "😀 Déploiement: deploy the deployment";
    expect(matchText(text, terms("deplo"))).toEqual([
      { start: 3, end: 14 },
      { start: 16, end: 22 },
      { start: 27, end: 37 },
    ]);
    expect(matchText(text, terms('"deploy the"'))).toEqual([{ start: 16, end: 26 }]);
    expect(matchText(text, terms('"deploy th"'))).toBeNull();
    expect(matchText(text, terms("deploy -deployment"))).toBeNull();
    expect(matchText(text, terms("deploy missing"))).toBeNull();
    expect(matchText("東京で東京", terms("東京"))).toEqual([
      { start: 0, end: 2 },
      { start: 3, end: 5 },
    ]);
    expect(matchText("ab abc", terms("ab abc"))).toEqual([
      { start: 0, end: 2 },
      { start: 3, end: 6 },
    ]);
  });

  it("every highlight lies inside the text and covers a match (property)", () => {
    const word = fc.constantFrom("deploy", "Déjà", "vu", "東京", "会議", "서울", "ab", "x");
    fc.assert(
      fc.property(fc.array(word, { maxLength: 12 }), fc.array(word, { minLength: 1, maxLength: 3 }), (textWords, queryWords) => {
        const text = textWords.join(" ");
        const hits = matchText(text, terms(queryWords.join(" ")));
        if (hits === null) return;
        for (const h of hits) {
          expect(h.start).toBeGreaterThanOrEqual(0);
          expect(h.end).toBeLessThanOrEqual(text.length);
          expect(h.end).toBeGreaterThan(h.start);
          const span = fold(text.slice(h.start, h.end));
          expect(queryWords.some((q) => span.includes(fold(q)))).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
