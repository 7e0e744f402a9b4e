import type { ComponentChildren } from "preact";
import { useMemo } from "preact/hooks";
import type { UserView } from "../../../src/protocol/users";
import { useStoreState } from "../context.ts";
import { type Inline, parseMessage } from "../markdown.ts";

// Message text as DOM nodes: Preact creates text nodes and the few elements below, never HTML
// from the text itself.

type People = ReadonlyMap<string, UserView>;

function inline(nodes: Inline[], me: string | null, people: People): ComponentChildren[] {
  return nodes.map((n, i) => {
    switch (n.t) {
      case "text":
        return n.text;
      case "br":
        return <br key={i} />;
      case "code":
        return <code key={i}>{n.text}</code>;
      case "strong":
        return <strong key={i}>{inline(n.children, me, people)}</strong>;
      case "em":
        return <em key={i}>{inline(n.children, me, people)}</em>;
      case "strike":
        return <s key={i}>{inline(n.children, me, people)}</s>;
      case "link":
        return (
          <a key={i} href={n.href} target="_blank" rel="noopener noreferrer nofollow">
            {inline(n.children, me, people)}
          </a>
        );
      case "mention": {
        const loud = n.name === me || n.name === "channel" || n.name === "here" || n.name === "all" || n.name === "everyone";
        // A person is shown by the name people know them by; the username stays in the tooltip.
        const person = people.get(n.name);
        return (
          <span key={i} class={loud ? "mention me" : "mention"} title={`@${n.name}`}>
            @{person?.display_name || n.name}
          </span>
        );
      }
    }
    return null;
  });
}

/**
 * `edited` adds the "(edited)" mark at the end of the last paragraph, as part of the text's flow.
 * Empty text (a message of files alone) renders nothing, not an empty paragraph: only the mark, if edited.
 */
export function RichText({ text, me, edited = false }: { text: string; me: string | null; edited?: boolean }) {
  const blocks = parseMessage(text);
  const { users } = useStoreState();
  const people = useMemo(() => new Map(Object.values(users).map((u) => [u.username, u])), [users]);
  if (blocks.length === 0) return edited ? <span class="edited">(edited)</span> : null;
  return (
    <div class="text">
      {blocks.map((b, i) =>
        b.t === "pre" ? (
          <pre key={i}>
            <code>{b.text}</code>
          </pre>
        ) : (
          <p key={i}>
            {inline(b.children, me, people)}
            {edited && i === blocks.length - 1 && <span class="edited"> (edited)</span>}
          </p>
        ),
      )}
      {edited && blocks.at(-1)?.t === "pre" && <span class="edited">(edited)</span>}
    </div>
  );
}
