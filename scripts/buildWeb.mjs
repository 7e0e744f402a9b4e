// Builds the web client (web/src, Preact + TypeScript) into web/dist with esbuild: hashed, minified
// ES modules and CSS under web/dist/assets, web/index.html with their names filled in, and the
// static files of web/public. Prints what a first load costs (gzipped JavaScript) and fails above
// the budget. `node scripts/buildWeb.mjs`, or `import { buildWeb }` (npm start, npm test, the e2e harness).
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");
const web = path.join(root, "web");
const dist = path.join(web, "dist");

/** The budget for a first load: JavaScript, gzipped. */
export const FIRST_LOAD_BUDGET_BYTES = 150 * 1024;

export async function buildWeb({ quiet = false } = {}) {
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(path.join(dist, "assets"), { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { app: "web/src/main.tsx" },
    outdir: "web/dist/assets",
    entryNames: "[name]-[hash]",
    chunkNames: "[name]-[hash]",
    bundle: true,
    splitting: true,
    format: "esm",
    target: ["chrome111", "firefox114", "safari16.4"],
    minify: true,
    sourcemap: "linked",
    jsx: "automatic",
    jsxImportSource: "preact",
    metafile: true,
    legalComments: "none",
    logLevel: "warning",
    define: { "process.env.NODE_ENV": '"production"' },
  });
  const outputs = Object.entries(result.metafile.outputs);
  const entry = outputs.find(([, o]) => o.entryPoint === "web/src/main.tsx");
  if (!entry) throw new Error("esbuild produced no entry chunk");
  const [jsFile, meta] = entry;
  const cssFile = meta.cssBundle;
  const rel = (f) => `/${path.relative(dist, path.join(root, f)).split(path.sep).join("/")}`;
  // What the page loads before it can be used: the entry and the chunks it imports statically.
  const firstLoad = new Set([jsFile]);
  for (const f of firstLoad)
    for (const imp of result.metafile.outputs[f]?.imports ?? []) if (imp.kind === "import-statement") firstLoad.add(imp.path);
  const gzipped = [...firstLoad].reduce((n, f) => n + gzipSync(readFileSync(path.join(root, f)), { level: 9 }).length, 0);
  const template = readFileSync(path.join(web, "index.html"), "utf8");
  const html = template
    .replace("<!-- styles -->", cssFile ? `<link rel="stylesheet" href="${rel(cssFile)}">` : "")
    .replace("<!-- script -->", `<script type="module" src="${rel(jsFile)}"></script>`);
  writeFileSync(path.join(dist, "index.html"), html);
  cpSync(path.join(web, "public"), dist, { recursive: true });
  const summary = { firstLoadJsGzipBytes: gzipped, files: [...firstLoad].map(rel), css: cssFile ? rel(cssFile) : null };
  if (!quiet)
    console.log(`web client built into web/dist: first load ${(gzipped / 1024).toFixed(1)} KB of JavaScript gzipped (budget 150 KB)`);
  if (gzipped > FIRST_LOAD_BUDGET_BYTES)
    throw new Error(`the web client's first load is ${(gzipped / 1024).toFixed(1)} KB of gzipped JavaScript, over the 150 KB budget`);
  return summary;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  buildWeb().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
