// A self-contained, readable HTML rendering of the OpenAPI document: no scripts, no CDN, so it
// works on an air-gapped deployment too.

type Json = unknown;
type Operation = {
  summary?: string;
  description?: string;
  tags?: string[];
  requestBody?: Json;
  parameters?: Json[];
  responses?: Record<string, Json>;
};

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const pretty = (v: Json) => escapeHtml(JSON.stringify(v, null, 2));

const METHODS = ["get", "put", "post", "patch", "delete"] as const;

export function renderApiDocs(doc: { info: { title: string; description?: string }; paths?: object; components?: Json }): string {
  const sections: string[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {}) as [string, Partial<Record<string, Operation>>][]) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      sections.push(`<section><h3><span class="m ${method}">${method.toUpperCase()}</span> <code>/api/v1${escapeHtml(path)}</code></h3>
${op.summary ? `<p>${escapeHtml(op.summary)}</p>` : ""}${op.description ? `<p>${escapeHtml(op.description)}</p>` : ""}
${op.parameters?.length ? `<details><summary>Parameters</summary><pre>${pretty(op.parameters)}</pre></details>` : ""}
${op.requestBody ? `<details><summary>Request body</summary><pre>${pretty(op.requestBody)}</pre></details>` : ""}
<details><summary>Responses: ${Object.keys(op.responses ?? {}).join(", ")}</summary><pre>${pretty(op.responses)}</pre></details></section>`);
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.info.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
code,pre{font:13px ui-monospace,monospace}pre{background:#f5f5f7;padding:.75rem;overflow:auto;border-radius:6px}
section{border-top:1px solid #ddd;padding:.5rem 0}.m{display:inline-block;min-width:4.5em;font-size:12px;padding:2px 6px;border-radius:4px;color:#fff;background:#555}
.get{background:#2a7ae2}.post{background:#2e9d4d}.patch{background:#b7791f}.put{background:#7a4bd1}.delete{background:#c53030}</style></head>
<body><h1>${escapeHtml(doc.info.title)}</h1><p>${escapeHtml(doc.info.description ?? "")}</p>
<p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1). Real-time protocol: see <code>GET /api/v1/ws</code> below and the README.</p>
${sections.join("\n")}
<h2>Schemas</h2><pre>${pretty(doc.components ?? {})}</pre></body></html>`;
}
