// The Markdown subset messages may use, parsed into a tree that the view turns into DOM nodes
// (text nodes and elements): user text never reaches innerHTML. Supported: **bold**, *italics* or
// _italics_, `code`, ```code blocks```, ~~strike~~, [text](https://…) and bare http(s) links,
// @mentions (@username, @channel, @here). Anything else is text, exactly as written.

export type Inline =
  | { t: "text"; text: string }
  | { t: "strong" | "em" | "strike"; children: Inline[] }
  | { t: "code"; text: string }
  | { t: "link"; href: string; children: Inline[] }
  | { t: "mention"; name: string }
  | { t: "br" };

export type Block = { t: "para"; children: Inline[] } | { t: "pre"; text: string };

/** Links are followed only to these schemes (no javascript:, data:, …). */
const SAFE_SCHEMES = new Set(["http:", "https:", "mailto:"]);

export function safeHref(raw: string): string | null {
  const url = URL.parse(raw);
  return url && SAFE_SCHEMES.has(url.protocol) ? url.href : null;
}

const URL_RE = /^https?:\/\/[^\s<>"']+/;
const MENTION_RE = /^@([a-z0-9._-]{1,32})/i;
/** Closing punctuation that usually ends a sentence rather than a URL. */
const TRAILING = /[.,;:!?)\]}'"]+$/;

const emphasis: Record<string, "strong" | "em" | "strike"> = { "**": "strong", __: "strong", "~~": "strike", "*": "em", _: "em" };

/** Whether `c` may sit next to an emphasis marker on its outer side (so snake_case_names stay text). */
const boundary = (c: string | undefined) => c === undefined || /[\s\p{P}\p{S}]/u.test(c);

export function parseInline(src: string, depth = 0): Inline[] {
  const out: Inline[] = [];
  let text = "";
  const flush = () => {
    if (text) out.push({ t: "text", text });
    text = "";
  };
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    const rest = src.slice(i);
    if (c === "\n") {
      flush();
      out.push({ t: "br" });
      i++;
      continue;
    }
    if (c === "`") {
      const end = src.indexOf("`", i + 1);
      if (end > i + 1) {
        flush();
        out.push({ t: "code", text: src.slice(i + 1, end) });
        i = end + 1;
        continue;
      }
    }
    if (depth < 4) {
      const marker = rest.startsWith("**")
        ? "**"
        : rest.startsWith("__")
          ? "__"
          : rest.startsWith("~~")
            ? "~~"
            : c === "*" || c === "_"
              ? c
              : null;
      if (marker && boundary(src[i - 1]) && src[i + marker.length] !== undefined && !/\s/.test(src[i + marker.length] as string)) {
        let end = src.indexOf(marker, i + marker.length);
        while (end > 0 && (/\s/.test(src[end - 1] as string) || !boundary(src[end + marker.length]))) end = src.indexOf(marker, end + 1);
        const inner = end > 0 ? src.slice(i + marker.length, end) : "";
        if (end > 0 && inner && !inner.includes("\n\n")) {
          flush();
          out.push({ t: emphasis[marker] as "strong", children: parseInline(inner, depth + 1) });
          i = end + marker.length;
          continue;
        }
      }
      if (c === "[") {
        const m = /^\[([^\]\n]{1,200})\]\(([^)\s]{1,2000})\)/.exec(rest);
        const href = m ? safeHref(m[2] as string) : null;
        if (m && href) {
          flush();
          out.push({ t: "link", href, children: parseInline(m[1] as string, depth + 1) });
          i += m[0].length;
          continue;
        }
      }
    }
    if ((c === "h" || c === "H") && boundary(src[i - 1])) {
      const m = URL_RE.exec(rest);
      if (m) {
        const raw = m[0].replace(TRAILING, "");
        const href = safeHref(raw);
        if (href && raw.length > "https://".length - 1) {
          flush();
          out.push({ t: "link", href, children: [{ t: "text", text: raw }] });
          i += raw.length;
          continue;
        }
      }
    }
    if (c === "@" && boundary(src[i - 1])) {
      const m = MENTION_RE.exec(rest);
      if (m) {
        const name = (m[1] as string).replace(/[.]+$/, "");
        flush();
        out.push({ t: "mention", name: name.toLowerCase() });
        i += 1 + name.length;
        continue;
      }
    }
    text += c;
    i++;
  }
  flush();
  return out;
}

/** Splits out ``` fenced blocks; the rest is inline text with line breaks. Empty text (a message of files alone) is no blocks. */
export function parseMessage(src: string): Block[] {
  const blocks: Block[] = [];
  const fence = /```(?:[a-z0-9+-]*\n)?([\s\S]*?)```/gi;
  let at = 0;
  for (let m = fence.exec(src); m; m = fence.exec(src)) {
    const before = src.slice(at, m.index).replace(/\n$/, "");
    if (before) blocks.push({ t: "para", children: parseInline(before) });
    blocks.push({ t: "pre", text: (m[1] as string).replace(/\n$/, "") });
    at = m.index + m[0].length;
    if (src[at] === "\n") at++;
  }
  const tail = src.slice(at);
  if (tail) blocks.push({ t: "para", children: parseInline(tail) });
  return blocks;
}
