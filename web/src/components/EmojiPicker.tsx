import { useEffect, useRef, useState } from "preact/hooks";
import shortcodes from "../../../src/protocol/emojiShortcodes.json";

// The built-in reaction emoji (src/protocol/emojiShortcodes.json: what the server accepts as
// `:shortcode:`), one button each under its first name, searchable by any of its names.

const ALL: { emoji: string; names: string[] }[] = (() => {
  const by = new Map<string, string[]>();
  for (const [name, emoji] of Object.entries(shortcodes as Record<string, string>)) {
    const names = by.get(emoji);
    if (names) names.push(name);
    else by.set(emoji, [name]);
  }
  return [...by].map(([emoji, names]) => ({ emoji, names }));
})();

export function EmojiPicker(props: { onPick: (emoji: string) => void; onClose: () => void }) {
  const [query, setQuery] = useState("");
  const root = useRef<HTMLDivElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const [above, setAbove] = useState(false);
  useEffect(() => {
    input.current?.focus();
    // Near the bottom of the window, open upwards so the picker stays on screen.
    const box = root.current?.getBoundingClientRect();
    if (box && box.bottom > window.innerHeight - 8) setAbove(true);
    const away = (e: MouseEvent) => {
      if (root.current && !root.current.contains(e.target as Node)) props.onClose();
    };
    document.addEventListener("mousedown", away);
    return () => document.removeEventListener("mousedown", away);
  }, []);
  const q = query.trim().toLowerCase().replace(/:/g, "");
  const shown = q ? ALL.filter((e) => e.names.some((n) => n.includes(q))) : ALL;
  return (
    <div
      class={above ? "emoji-picker above" : "emoji-picker"}
      role="dialog"
      aria-label="Emoji picker"
      ref={root}
      onKeyDown={(e) => {
        if (e.key === "Escape") props.onClose();
      }}
    >
      <input
        ref={input}
        aria-label="Search emoji"
        placeholder="Search emoji"
        value={query}
        onInput={(e) => setQuery(e.currentTarget.value)}
        onKeyDown={(e) => {
          const first = shown[0];
          if (e.key === "Enter" && first) {
            e.preventDefault();
            props.onPick(first.emoji);
          }
        }}
      />
      <div class="emoji-grid">
        {shown.map((e) => (
          <button
            type="button"
            key={e.emoji}
            aria-label={`:${e.names[0]}:`}
            title={`:${e.names.join(": :")}:`}
            onClick={() => props.onPick(e.emoji)}
          >
            {e.emoji}
          </button>
        ))}
        {!shown.length && <p class="muted">No emoji found</p>}
      </div>
    </div>
  );
}
