import { describe, expect, it } from "vitest";
import { highlightPieces } from "../../web/src/highlight";
import { parseRoute, routeHash } from "../../web/src/routes";

// Search results mark the server's offsets; the pieces become text nodes and <mark> elements.

describe("search highlights", () => {
  it("cuts the text at the offsets, in order, whatever order they come in", () => {
    expect(
      highlightPieces("deploy the deployment", [
        { start: 11, end: 17 },
        { start: 0, end: 6 },
      ]),
    ).toEqual([
      { text: "deploy", mark: true },
      { text: " the ", mark: false },
      { text: "deploy", mark: true },
      { text: "ment", mark: false },
    ]);
  });

  it("merges overlapping and touching spans, clamps offsets out of range, and drops empty ones", () => {
    expect(
      highlightPieces("abcdef", [
        { start: 1, end: 3 },
        { start: 2, end: 4 },
        { start: 4, end: 5 },
      ]),
    ).toEqual([
      { text: "a", mark: false },
      { text: "bcde", mark: true },
      { text: "f", mark: false },
    ]);
    expect(
      highlightPieces("abc", [
        { start: -5, end: 1 },
        { start: 2, end: 99 },
        { start: 2, end: 2 },
      ]),
    ).toEqual([
      { text: "a", mark: true },
      { text: "b", mark: false },
      { text: "c", mark: true },
    ]);
    expect(highlightPieces("", [{ start: 0, end: 3 }])).toEqual([]);
    expect(highlightPieces("plain", [])).toEqual([{ text: "plain", mark: false }]);
  });

  it("keeps markup as text and never splits an emoji's surrogate pair", () => {
    const text = "<b>ship</b> 🚀 now";
    const rocket = text.indexOf("🚀");
    // An offset inside the pair widens to the whole emoji.
    expect(highlightPieces(text, [{ start: rocket + 1, end: rocket + 1 + 1 }])).toEqual([
      { text: "<b>ship</b> ", mark: false },
      { text: "🚀", mark: true },
      { text: " now", mark: false },
    ]);
    expect(highlightPieces(text, [{ start: 3, end: 7 }]).map((p) => p.text)).toEqual(["<b>", "ship", "</b> 🚀 now"]);
    // UTF-16 offsets, as the server gives them: CJK characters are one unit each.
    expect(highlightPieces("离线时收到的消息", [{ start: 2, end: 4 }])).toEqual([
      { text: "离线", mark: false },
      { text: "时收", mark: true },
      { text: "到的消息", mark: false },
    ]);
  });
});

describe("the web client's routes", () => {
  it("round-trips every view through the URL's hash, queries with #, / and spaces included", () => {
    const routes = [
      { view: "home" },
      { view: "channel", channelId: "c_1", threadId: null, messageId: null },
      { view: "channel", channelId: "c_1", threadId: "m_root", messageId: null },
      { view: "channel", channelId: "c_1", threadId: null, messageId: "m_2" },
      { view: "channel", channelId: "c_1", threadId: "m_root", messageId: "m_root" },
      { view: "search", tab: "messages", q: 'deploy in:#ops "release notes" -draft a/b' },
      { view: "search", tab: "files", q: "report" },
      { view: "admin", tab: "audit" },
      { view: "settings", tab: "sessions" },
    ] as const;
    for (const r of routes) expect(parseRoute(routeHash(r))).toEqual(r);
    expect(parseRoute("#/admin/nonsense")).toEqual({ view: "admin", tab: "users" });
    expect(parseRoute("#/search/bogus/x")).toEqual({ view: "search", tab: "messages", q: "x" });
  });
});
