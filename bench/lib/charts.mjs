import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

// Charts without a browser: SVG written here, rasterized to PNG by @resvg/resvg-js (a prebuilt
// binary inside its npm package, no install script) with the DejaVu Sans TTF from the
// dejavu-fonts-ttf package, so text renders the same on any machine.

const require = createRequire(import.meta.url);
const COLORS = ["#1f6feb", "#d1242f", "#2da44e", "#bf8700", "#8250df", "#0a7ea4", "#cf222e", "#57606a"];
const FONT = "DejaVu Sans";

/** @returns {Promise<{ ok: true } | { ok: false, missing: string, howToInstall: string }>} */
export async function checkRenderer() {
  try {
    await import("@resvg/resvg-js");
    require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf");
    return { ok: true };
  } catch {
    return {
      ok: false,
      missing: "@resvg/resvg-js and dejavu-fonts-ttf (devDependencies)",
      howToInstall: "run `npm install` in the repository (npm run bench does it when package.json changed)",
    };
  }
}

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] ?? c);

function text(x, y, s, { size = 12, anchor = "start", weight = "normal", color = "#24292f", rotate = 0 } = {}) {
  const tr = rotate ? ` transform="rotate(${rotate} ${x} ${y})"` : "";
  return `<text x="${x}" y="${y}" font-family="${FONT}" font-size="${size}" font-weight="${weight}" fill="${color}" text-anchor="${anchor}"${tr}>${esc(s)}</text>`;
}

const niceMs = (v) => (v >= 1000 ? `${v / 1000} s` : v >= 1 ? `${v} ms` : `${v} ms`);

/** Empirical CDFs on a log latency axis, with the p50/p90/p99 levels marked. */
export function cdfSvg({ title, subtitle, series, xLabel = "latency (log scale)", yLabel = "fraction of deliveries" }) {
  const W = 900;
  const H = 520;
  const m = { l: 70, r: 230, t: 64, b: 64 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const xs = series.flatMap((s) => s.points.map((p) => p[0])).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.max(0.1, Math.min(...xs, 1))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...xs, lo * 10)));
  const X = (v) => m.l + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * pw;
  const Y = (f) => m.t + (1 - f) * ph;
  const out = [`<rect width="${W}" height="${H}" fill="white"/>`, text(m.l, 28, title, { size: 18, weight: "bold" })];
  if (subtitle) out.push(text(m.l, 48, subtitle, { size: 12, color: "#57606a" }));
  for (let e = Math.log10(lo); e <= Math.log10(hi); e++)
    for (const k of [1, 2, 5]) {
      const v = k * 10 ** e;
      if (v < lo || v > hi) continue;
      out.push(`<line x1="${X(v)}" y1="${m.t}" x2="${X(v)}" y2="${m.t + ph}" stroke="${k === 1 ? "#d0d7de" : "#eef1f4"}"/>`);
      out.push(text(X(v), m.t + ph + 18, niceMs(Number(v.toPrecision(3))), { size: 11, anchor: "middle" }));
    }
  for (let f = 0; f <= 1.0001; f += 0.1) {
    out.push(`<line x1="${m.l}" y1="${Y(f)}" x2="${m.l + pw}" y2="${Y(f)}" stroke="#eef1f4"/>`);
    out.push(text(m.l - 8, Y(f) + 4, f.toFixed(1), { size: 11, anchor: "end" }));
  }
  for (const [f, label] of [
    [0.5, "p50"],
    [0.9, "p90"],
    [0.99, "p99"],
  ]) {
    out.push(`<line x1="${m.l}" y1="${Y(f)}" x2="${m.l + pw}" y2="${Y(f)}" stroke="#8c959f" stroke-dasharray="4 4"/>`);
    out.push(text(m.l + pw + 4, Y(f) + 4, label, { size: 10, color: "#57606a" }));
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#57606a"/>`);
  out.push(text(m.l + pw / 2, H - 18, xLabel, { anchor: "middle" }));
  out.push(text(20, m.t + ph / 2, yLabel, { anchor: "middle", rotate: -90 }));
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    if (s.points.length) {
      const d = s.points.map((p, j) => `${j ? "L" : "M"}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(" ");
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    }
    const ly = m.t + 10 + i * 36;
    out.push(`<line x1="${m.l + pw + 34}" y1="${ly}" x2="${m.l + pw + 56}" y2="${ly}" stroke="${color}" stroke-width="3"/>`);
    out.push(text(m.l + pw + 62, ly + 4, s.name, { size: 12, weight: "bold" }));
    if (s.note) out.push(text(m.l + pw + 62, ly + 19, s.note, { size: 10, color: "#57606a" }));
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${out.join("")}</svg>`;
}

function niceStep(max) {
  const raw = max / 5;
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  return ([1, 2, 5, 10].map((k) => k * p).find((s) => s >= raw) ?? p * 10) || 1;
}

const short = (v) =>
  v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e4 ? `${(v / 1e3).toFixed(1)}k` : v >= 100 ? v.toFixed(0) : v.toFixed(1);

/** Grouped bars: one group per scenario, one bar per target. */
export function barsSvg({ title, subtitle, groups, seriesNames, yLabel }) {
  const W = 900;
  const H = 480;
  const m = { l: 80, r: 30, t: 84, b: 64 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const max = Math.max(1, ...groups.flatMap((g) => g.values.filter((v) => v !== null)));
  const step = niceStep(max);
  const top = Math.ceil((max * 1.1) / step) * step;
  const Y = (v) => m.t + (1 - v / top) * ph;
  const out = [`<rect width="${W}" height="${H}" fill="white"/>`, text(m.l, 28, title, { size: 18, weight: "bold" })];
  if (subtitle) out.push(text(m.l, 48, subtitle, { size: 12, color: "#57606a" }));
  seriesNames.forEach((n, i) => {
    const x = m.l + i * 140;
    out.push(`<rect x="${x}" y="60" width="14" height="14" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(text(x + 20, 72, n, { size: 12 }));
  });
  for (let v = 0; v <= top + 1e-9; v += step) {
    out.push(`<line x1="${m.l}" y1="${Y(v)}" x2="${m.l + pw}" y2="${Y(v)}" stroke="#eef1f4"/>`);
    out.push(text(m.l - 8, Y(v) + 4, short(v), { size: 11, anchor: "end" }));
  }
  const gw = pw / Math.max(1, groups.length);
  const bw = Math.min(60, (gw * 0.7) / Math.max(1, seriesNames.length));
  groups.forEach((g, gi) => {
    const x0 = m.l + gi * gw + (gw - bw * seriesNames.length) / 2;
    g.values.forEach((v, si) => {
      if (v === null) return;
      const x = x0 + si * bw;
      out.push(`<rect x="${x + 2}" y="${Y(v)}" width="${bw - 4}" height="${m.t + ph - Y(v)}" fill="${COLORS[si % COLORS.length]}"/>`);
      out.push(text(x + bw / 2, Y(v) - 5, short(v), { size: 11, anchor: "middle" }));
    });
    out.push(text(m.l + gi * gw + gw / 2, m.t + ph + 18, g.label, { size: 12, anchor: "middle" }));
    if (g.note) out.push(text(m.l + gi * gw + gw / 2, m.t + ph + 34, g.note, { size: 10, anchor: "middle", color: "#57606a" }));
  });
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#57606a"/>`);
  out.push(text(22, m.t + ph / 2, yLabel, { anchor: "middle", rotate: -90 }));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${out.join("")}</svg>`;
}

async function toPng(svg) {
  const { Resvg } = await import("@resvg/resvg-js");
  const fontFiles = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"].map((f) => require.resolve(`dejavu-fonts-ttf/ttf/${f}`));
  return new Resvg(svg, { font: { fontFiles, loadSystemFonts: false, defaultFontFamily: FONT }, fitTo: { mode: "original" } })
    .render()
    .asPng();
}

async function write(dir, base, svg, png) {
  writeFileSync(path.join(dir, `${base}.svg`), svg);
  if (!png) return `${base}.svg`;
  writeFileSync(path.join(dir, `${base}.png`), await toPng(svg));
  return `${base}.png`;
}

const label = (agg) => {
  const l = agg.latencyMs;
  return l ? `p50 ${l.p50} · p99 ${l.p99} ms` : "";
};

/** Every chart for a run; returns { file: description } for the summary. */
export async function renderCharts(results, dir, stamp, png) {
  /** @type {{ file: string, what: string }[]} */
  const files = [];
  const targetNames = [...new Set(results.flatMap((r) => Object.keys(r.targets)))];
  // A CDF per scenario: one line per target.
  for (const r of results) {
    const series = Object.entries(r.targets)
      .filter(([, o]) => o.aggregate?.cdf?.length)
      .map(([name, o]) => ({ name, points: o.aggregate.cdf, note: label(o.aggregate) }));
    if (!series.length) continue;
    const what = r.cdfLabel ?? "end-to-end delivery latency";
    const svg = cdfSvg({
      title: `${r.scenario}: ${what}`,
      subtitle: `${r.summary}${r.quick ? " (quick)" : ""}`,
      series,
      xLabel: `${what} (log scale)`,
    });
    files.push({ file: await write(dir, `${stamp}-${r.scenario}-cdf`, svg, png), what: `${r.scenario}: ${what} CDF, one line per target` });
  }
  // A CDF per target: one line per delivery scenario.
  for (const name of targetNames) {
    const series = results
      .filter((r) => !r.cdfLabel && r.targets[name]?.aggregate?.cdf?.length && r.targets[name].aggregate.deliveries)
      .map((r) => ({ name: r.scenario, points: r.targets[name].aggregate.cdf, note: label(r.targets[name].aggregate) }));
    if (!series.length) continue;
    const svg = cdfSvg({
      title: `${name}: delivery latency by scenario`,
      subtitle: "from the start of the send to receipt at each receiver",
      series,
    });
    files.push({ file: await write(dir, `${stamp}-cdf-${name}`, svg, png), what: `${name}: delivery latency CDF, one line per scenario` });
  }
  // Throughput bars.
  const delivery = results.filter(
    (r) => !r.cdfLabel && Object.values(r.targets).some((o) => o.aggregate?.deliveriesPerSecond !== undefined),
  );
  if (delivery.length) {
    for (const [key, yLabel, title] of [
      ["deliveriesPerSecond", "deliveries / s", "Throughput: deliveries per second"],
      ["messagesPerSecond", "messages / s", "Throughput: messages per second"],
    ]) {
      const groups = delivery.map((r) => ({
        label: r.scenario,
        values: targetNames.map((n) => r.targets[n]?.aggregate?.[key] ?? null),
        note:
          Object.entries(r.ratios ?? {})
            .filter(([, q]) => q.throughput)
            .map(([ref, q]) => `colink ÷ ${ref} ${q.throughput.toFixed(2)}×`)
            .join(", ") || undefined,
      }));
      const svg = barsSvg({
        title,
        subtitle: "closed-loop scenarios measure capacity; open-loop ones run at their fixed rate",
        groups,
        seriesNames: targetNames,
        yLabel,
      });
      files.push({
        file: await write(dir, `${stamp}-throughput-${key === "messagesPerSecond" ? "messages" : "deliveries"}`, svg, png),
        what: title,
      });
    }
  }
  return files;
}
