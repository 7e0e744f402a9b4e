import { describe, expect, it } from "vitest";
import { firstInvisibleCharacter, withoutInvisibleCharacters } from "../../src/protocol/invisibleCharacters";

describe("firstInvisibleCharacter", () => {
  it("refuses text-direction controls, zero-width and other invisible characters, naming the first", () => {
    const cases: [string, string][] = [
      ["evil\u202Egnp.exe", "U+202E"],
      ["\u202Aa", "U+202A"],
      ["a\u202Bb", "U+202B"],
      ["a\u202Cb", "U+202C"],
      ["a\u202Db", "U+202D"],
      ["\u2066Owner\u2069", "U+2066"],
      ["a\u2067b", "U+2067"],
      ["a\u2068b", "U+2068"],
      ["Owner\u2069", "U+2069"],
      ["ad\u200Bmin", "U+200B"],
      ["ad\u200Cmin", "U+200C"],
      ["ad\u200Dmin", "U+200D"],
      ["admin\u200E", "U+200E"],
      ["admin\u200F", "U+200F"],
      ["admin\u061C", "U+061C"],
      ["ad\u2060min", "U+2060"],
      ["\uFEFFadmin", "U+FEFF"],
      ["soft\u00ADhyphen", "U+00AD"],
      ["a\u034Fb", "U+034F"],
      ["\u3164", "U+3164"],
      ["a\uFFA0", "U+FFA0"],
      ["bell\u0007", "U+0007"],
      // A selector after a letter, a bare digit, or at the start does nothing visible.
      ["admin\uFE0F", "U+FE0F"],
      ["admin1\uFE0F", "U+FE0F"],
      ["\uFE0F", "U+FE0F"],
      // ZWJ joins emoji only between two of them; tags only inside a flag.
      ["👩\u200D", "U+200D"],
      ["a\u200D👩", "U+200D"],
      ["a\u{E0067}\u{E007F}", "U+E0067"],
      ["a\u{E0100}", "U+E0100"],
    ];
    for (const [text, expected] of cases) expect(firstInvisibleCharacter(text), JSON.stringify(text)).toBe(expected);
  });

  it("lets through what a script or an emoji needs them for", () => {
    for (const text of [
      "Grace Hopper",
      "Zoë Ångström",
      "👩🏽‍💻",
      "👨‍👩‍👧‍👦",
      "🏳️‍🌈",
      "🏳️‍⚧️",
      "❤️",
      "1️⃣",
      "🇯🇵",
      "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
      "ශ්‍රී",
      "क्‍ष",
      "می‌خواهم",
      "کتاب‌ها",
      "葛\u{E0100}飾",
      "ᠮᠣᠩᠭᠣᠯ\u180B",
      "שלום עולם",
      "مرحبا",
    ]) {
      expect(firstInvisibleCharacter(text), JSON.stringify(text)).toBeNull();
    }
  });
});

describe("withoutInvisibleCharacters", () => {
  it("drops the refused ones and keeps the rest", () => {
    expect(withoutInvisibleCharacters("ad\u200Bmin\u202E 👩‍💻 می‌خواهم")).toBe("admin 👩‍💻 می‌خواهم");
  });
});
