// Search highlights: the server's [start, end) offsets into a text (UTF-16 code units, as
// JavaScript strings index) cut into plain and marked pieces, which the view turns into text
// nodes and <mark> elements. Offsets out of range are clamped, overlapping spans merged, and a
// span never splits a surrogate pair (an emoji stays whole).

export type Piece = { text: string; mark: boolean };

const isLow = (text: string, i: number) => {
  const c = text.charCodeAt(i);
  return c >= 0xdc00 && c <= 0xdfff;
};

/** Moves an offset off the middle of a surrogate pair (back to the pair's start). */
const snap = (text: string, i: number) => (i > 0 && i < text.length && isLow(text, i) ? i - 1 : i);

export function highlightPieces(text: string, highlights: readonly { start: number; end: number }[]): Piece[] {
  const clamp = (n: number) => Math.max(0, Math.min(text.length, Math.trunc(n)));
  const spans = highlights
    .map((h) => ({ start: snap(text, clamp(h.start)), end: clamp(h.end) }))
    .map((h) => ({ start: h.start, end: h.end < text.length && isLow(text, h.end) ? h.end + 1 : h.end }))
    .filter((h) => h.end > h.start)
    .sort((a, b) => a.start - b.start);
  const out: Piece[] = [];
  let at = 0;
  for (const h of spans) {
    if (h.end <= at) continue;
    const start = Math.max(h.start, at);
    if (start > at) out.push({ text: text.slice(at, start), mark: false });
    const last = out[out.length - 1];
    // Adjacent or overlapping marks are one mark.
    if (last?.mark && start === at) last.text += text.slice(start, h.end);
    else out.push({ text: text.slice(start, h.end), mark: true });
    at = h.end;
  }
  if (at < text.length) out.push({ text: text.slice(at), mark: false });
  return out;
}
