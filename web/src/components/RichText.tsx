import type { ComponentChildren } from "preact";
import { type Inline, parseMessage } from "../markdown.ts";

// Message text as DOM nodes: Preact creates text nodes and the few elements below, never HTML
// from the text itself.

function inline(nodes: Inline[], me: string | null): ComponentChildren[] {
  return nodes.map((n, i) => {
    switch (n.t) {
      case "text":
        return n.text;
      case "br":
        return <br key={i} />;
      case "code":
        return <code key={i}>{n.text}</code>;
      case "strong":
        return <strong key={i}>{inline(n.children, me)}</strong>;
      case "em":
        return <em key={i}>{inline(n.children, me)}</em>;
      case "strike":
        return <s key={i}>{inline(n.children, me)}</s>;
      case "link":
        return (
          <a key={i} href={n.href} target="_blank" rel="noopener noreferrer nofollow">
            {inline(n.children, me)}
          </a>
        );
      case "mention": {
        const loud = n.name === me || n.name === "channel" || n.name === "here" || n.name === "all" || n.name === "everyone";
        return (
          <span key={i} class={loud ? "mention me" : "mention"}>
            @{n.name}
          </span>
        );
      }
    }
    return null;
  });
}

/** `edited` adds the "(edited)" mark at the end of the last paragraph, as part of the text's flow. */
export function RichText({ text, me, edited = false }: { text: string; me: string | null; edited?: boolean }) {
  const blocks = parseMessage(text);
  return (
    <div class="text">
      {blocks.map((b, i) =>
        b.t === "pre" ? (
          <pre key={i}>
            <code>{b.text}</code>
          </pre>
        ) : (
          <p key={i}>
            {inline(b.children, me)}
            {edited && i === blocks.length - 1 && <span class="edited"> (edited)</span>}
          </p>
        ),
      )}
      {edited && blocks.at(-1)?.t === "pre" && <span class="edited">(edited)</span>}
    </div>
  );
}
