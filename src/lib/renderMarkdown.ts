// Markdown to HTML for the documents Colink serves itself (docs/realtime.md, OpenAPI descriptions):
// headings, paragraphs, fenced code, tables, bullet lists, and inline code, bold and links. Enough
// for documents written here, with no dependency and no script; everything is escaped first, so
// the output holds no markup the input did not ask for through these constructs.

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** The anchor a heading gets, as GitHub makes them: lowercase, punctuation dropped, spaces to dashes. */
export const headingSlug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .trim()
    .replace(/ /g, "-");

const SAFE_HREF = /^(?:https?:\/\/|\/|#|\.\.?\/)/;

/** One line of inline Markdown: `code`, **bold**, [text](href); the rest is escaped text. */
export function renderInline(text: string): string {
  let out = "";
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)/g;
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    out += escapeHtml(text.slice(last, m.index));
    if (m[1] !== undefined) out += `<code>${escapeHtml(m[1])}</code>`;
    else if (m[2] !== undefined) out += `<strong>${renderInline(m[2])}</strong>`;
    else if (m[3] !== undefined && m[4] !== undefined) {
      const href = m[4];
      out += SAFE_HREF.test(href) ? `<a href="${escapeHtml(href)}">${renderInline(m[3])}</a>` : escapeHtml(m[0]);
    }
    last = m.index + m[0].length;
  }
  return out + escapeHtml(text.slice(last));
}

/** Table cells: split on `|` outside code spans. */
function cells(row: string): string[] {
  const inner = row.trim().replace(/^\|/, "").replace(/\|$/, "");
  const out: string[] = [];
  let cell = "";
  let inCode = false;
  for (const ch of inner) {
    if (ch === "`") inCode = !inCode;
    if (ch === "|" && !inCode) {
      out.push(cell.trim());
      cell = "";
    } else cell += ch;
  }
  out.push(cell.trim());
  return out;
}

const isTableSeparator = (line: string) => /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/.test(line);

export function renderMarkdown(markdown: string): string {
  const lines = markdown.replace(/\r\n?/g, "\n").split("\n");
  const html: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    if (line.trim() === "") {
      i++;
      continue;
    }
    const fence = /^```(\w*)\s*$/.exec(line);
    if (fence) {
      const code: string[] = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i] as string); i++) code.push(lines[i] as string);
      i++;
      html.push(`<pre><code${fence[1] ? ` class="language-${escapeHtml(fence[1])}"` : ""}>${escapeHtml(code.join("\n"))}</code></pre>`);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      const level = (heading[1] as string).length;
      const text = heading[2] as string;
      html.push(`<h${level} id="${escapeHtml(headingSlug(text))}">${renderInline(text)}</h${level}>`);
      i++;
      continue;
    }
    if (line.trimStart().startsWith("|") && isTableSeparator(lines[i + 1] ?? "")) {
      const head = cells(line);
      const rows: string[][] = [];
      for (i += 2; i < lines.length && (lines[i] as string).trimStart().startsWith("|"); i++) rows.push(cells(lines[i] as string));
      html.push(
        `<table><thead><tr>${head.map((h) => `<th>${renderInline(h)}</th>`).join("")}</tr></thead><tbody>${rows
          .map((r) => `<tr>${r.map((c) => `<td>${renderInline(c)}</td>`).join("")}</tr>`)
          .join("")}</tbody></table>`,
      );
      continue;
    }
    if (/^\s*[-*]\s+/.test(line)) {
      const items: string[] = [];
      while (i < lines.length) {
        const current = lines[i] as string;
        if (/^\s*[-*]\s+/.test(current)) items.push(current.replace(/^\s*[-*]\s+/, ""));
        else if (current.trim() !== "" && /^\s+/.test(current) && items.length > 0) items[items.length - 1] += ` ${current.trim()}`;
        else break;
        i++;
      }
      html.push(`<ul>${items.map((item) => `<li>${renderInline(item)}</li>`).join("")}</ul>`);
      continue;
    }
    const paragraph: string[] = [];
    while (i < lines.length) {
      const current = lines[i] as string;
      if (current.trim() === "" || /^(#{1,6}\s|```|\s*[-*]\s+)/.test(current)) break;
      if (current.trimStart().startsWith("|") && isTableSeparator(lines[i + 1] ?? "")) break;
      paragraph.push(current.trim());
      i++;
    }
    html.push(`<p>${renderInline(paragraph.join(" "))}</p>`);
  }
  return html.join("\n");
}
