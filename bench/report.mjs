// Rebuilds the Markdown summary and the charts from saved scenario results, e.g. after a run that
// was interrupted, or to combine scenarios run separately into one report:
//
//   node bench/report.mjs bench/results/<stamp>-room-100.json bench/results/<stamp>-org.json ...
//
// The report is named after the first file's timestamp and written beside it.
import { readFileSync } from "node:fs";
import path from "node:path";
import { checkRenderer, renderCharts } from "./lib/charts.mjs";
import { writeSummary } from "./lib/report.mjs";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node bench/report.mjs <scenario result .json> ...");
  process.exit(2);
}
const results = files.map((f) => JSON.parse(readFileSync(f, "utf8")));
const dir = path.dirname(files[0]);
const stamp = results[0].timestamp;
const renderer = await checkRenderer();
const charts = await renderCharts(results, dir, stamp, renderer.ok);
const summary = writeSummary(results, dir, stamp, {
  quick: results.some((r) => r.quick),
  targets: [...new Set(results.flatMap((r) => Object.keys(r.targets)))],
  charts,
  seconds: results.reduce((s, r) => s + r.seconds, 0),
});
console.log(`summary → ${path.relative(process.cwd(), summary)}`);
