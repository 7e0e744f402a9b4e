import { describe, expect, it } from "vitest";
import { canonicalEmoji, MAX_EMOJI_LENGTH } from "../../src/protocol/emoji";
import { EMOJI_SHORTCODES } from "../../src/protocol/emojiShortcodes";

describe("canonicalEmoji", () => {
  it("accepts one Unicode emoji of every shape, as written", () => {
    const emoji = [
      "👍",
      "👍🏽", // skin tone
      "👩🏽‍💻", // tone + ZWJ
      "👨‍👩‍👧‍👦", // ZWJ family
      "🏳️‍🌈", // VS16 + ZWJ
      "⛹️‍♀️",
      "🧑🏻‍🤝‍🧑🏿",
      "1️⃣", // keycap
      "#️⃣",
      "🇫🇷", // flag
      "🏴󠁧󠁢󠁳󠁣󠁴󠁿", // tag sequence (Scotland)
      "🫠", // newer than most tables
    ];
    for (const e of emoji) expect(canonicalEmoji(e), e).toBe(e);
  });

  it("maps built-in shortcodes, any case, and the text-presentation forms of built-in emoji to one spelling", () => {
    expect(canonicalEmoji(":+1:")).toBe("👍");
    expect(canonicalEmoji(":thumbsup:")).toBe("👍");
    expect(canonicalEmoji(":THUMBSUP:")).toBe("👍");
    expect(canonicalEmoji(":heart:")).toBe("❤️");
    expect(canonicalEmoji("❤")).toBe("❤️");
    expect(canonicalEmoji("1⃣")).toBe("1️⃣");
    expect(canonicalEmoji(":tada:")).toBe("🎉");
    expect(canonicalEmoji(":white_check_mark:")).toBe("✅");
  });

  it("refuses everything else", () => {
    const refused = [
      "",
      "a",
      "1",
      ":)",
      "👍👍", // two emoji
      "👍 ",
      " 👍",
      "👍a",
      "🇫", // half a flag
      "🇫🇷🇫🇷",
      "🏽", // a skin tone alone
      "\u200d",
      "👍\u200d", // dangling ZWJ
      "\ud83d", // lone surrogate
      ":unknown:",
      ":constructor:",
      ":__proto__:",
      ":+1",
      "+1",
      "%F0%9F%91%8D", // still percent-encoded
      "👨‍👩‍👧‍👦".repeat(3),
      "x".repeat(MAX_EMOJI_LENGTH + 1),
    ];
    for (const r of refused) expect(canonicalEmoji(r), JSON.stringify(r)).toBeNull();
  });

  it("every built-in shortcode stands for a valid single emoji", () => {
    expect(EMOJI_SHORTCODES.size).toBeGreaterThan(100);
    for (const [name, emoji] of EMOJI_SHORTCODES) {
      expect(name, name).toMatch(/^[a-z0-9_+-]+$/);
      expect(canonicalEmoji(emoji), `${name} ${emoji}`).toBe(emoji);
      expect(canonicalEmoji(`:${name}:`)).toBe(emoji);
    }
  });
});
