import { describe, expect, it } from "vitest";
import { parseInline, parseMessage, safeHref } from "../../web/src/markdown";

// The web client's Markdown subset: a tree the view turns into DOM nodes, never HTML.

describe("the web client's Markdown subset", () => {
  it("parses bold, italics, strike, code and mentions", () => {
    expect(parseInline("**bold** *it* _it_ ~~gone~~ `a*b*c` @Ada.L @here")).toEqual([
      { t: "strong", children: [{ t: "text", text: "bold" }] },
      { t: "text", text: " " },
      { t: "em", children: [{ t: "text", text: "it" }] },
      { t: "text", text: " " },
      { t: "em", children: [{ t: "text", text: "it" }] },
      { t: "text", text: " " },
      { t: "strike", children: [{ t: "text", text: "gone" }] },
      { t: "text", text: " " },
      { t: "code", text: "a*b*c" },
      { t: "text", text: " " },
      { t: "mention", name: "ada.l" },
      { t: "text", text: " " },
      { t: "mention", name: "here" },
    ]);
  });

  it("makes no block of empty text (a message of files alone), so nothing renders as an empty paragraph", () => {
    expect(parseMessage("")).toEqual([]);
    expect(parseMessage(" ")).toEqual([{ t: "para", children: [{ t: "text", text: " " }] }]);
    expect(parseMessage("```\ncode\n```")).toEqual([{ t: "pre", text: "code" }]);
  });

  it("keeps markup characters that open nothing as text: snake_case, lone stars, e-mail addresses", () => {
    expect(parseInline("snake_case_name and 2 * 3 * 4 and ada@example.com")).toEqual([
      { t: "text", text: "snake_case_name and 2 * 3 * 4 and ada@example.com" },
    ]);
  });

  it("links http(s) URLs, without the sentence's closing punctuation, and [text](url) links", () => {
    expect(parseInline("see https://example.com/a?b=1. Or [docs](https://example.com/docs)")).toEqual([
      { t: "text", text: "see " },
      { t: "link", href: "https://example.com/a?b=1", children: [{ t: "text", text: "https://example.com/a?b=1" }] },
      { t: "text", text: ". Or " },
      { t: "link", href: "https://example.com/docs", children: [{ t: "text", text: "docs" }] },
    ]);
  });

  it("never links a script URL: a javascript: or data: link stays text", () => {
    for (const src of ["[click](javascript:alert(1))", "[x](data:text/html,<script>alert(1)</script>)", "[x](JaVaScRiPt:alert(1))"]) {
      const nodes = parseInline(src);
      expect(nodes.some((n) => n.t === "link")).toBe(false);
      expect(nodes.map((n) => (n.t === "text" ? n.text : "")).join("")).toContain("](");
    }
    expect(safeHref("javascript:alert(1)")).toBeNull();
    expect(safeHref("mailto:ada@example.com")).toBe("mailto:ada@example.com");
  });

  it("keeps HTML as text, exactly as written", () => {
    expect(parseInline('<img src=x onerror="alert(1)"> & <b>hi</b>')).toEqual([
      { t: "text", text: '<img src=x onerror="alert(1)"> & <b>hi</b>' },
    ]);
  });

  it("splits fenced code blocks from the text around them, and keeps line breaks", () => {
    expect(parseMessage("before\n```js\nconst a = **1**;\n```\nafter\nmore")).toEqual([
      { t: "para", children: [{ t: "text", text: "before" }] },
      { t: "pre", text: "const a = **1**;" },
      { t: "para", children: [{ t: "text", text: "after" }, { t: "br" }, { t: "text", text: "more" }] },
    ]);
  });

  it("handles CJK and emoji text as plain text", () => {
    expect(parseMessage("你好，**世界** 👋")).toEqual([
      {
        t: "para",
        children: [
          { t: "text", text: "你好，" },
          { t: "strong", children: [{ t: "text", text: "世界" }] },
          { t: "text", text: " 👋" },
        ],
      },
    ]);
  });
});
