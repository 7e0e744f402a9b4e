import { escapeHtml, renderInline, renderMarkdown } from "./renderMarkdown";

// Self-contained, readable HTML renderings of the OpenAPI document and of the real-time protocol
// (docs/realtime.md): no scripts, no CDN, so they work on an air-gapped deployment too. Schemas are
// shown as tables, and a reference to a named schema as a link to its table.

type Schema = {
  $ref?: string;
  type?: string | string[];
  format?: string;
  description?: string;
  enum?: unknown[];
  const?: unknown;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  default?: unknown;
  example?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
};
type Parameter = { name: string; in: string; required?: boolean; description?: string; schema?: Schema };
type Media = { schema?: Schema };
type Response = { description?: string; content?: Record<string, Media> };
type Operation = {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, Media> };
  responses?: Record<string, Response>;
};
type Paths = Record<string, Partial<Record<string, Operation>>>;
type Components = { schemas?: Record<string, Schema> };

const METHODS = ["get", "put", "post", "patch", "delete"] as const;
const SCHEMA_PREFIX = "#/components/schemas/";

const schemaAnchor = (name: string) => `schema-${name}`;
const code = (value: unknown) => `<code>${escapeHtml(JSON.stringify(value) ?? String(value))}</code>`;
const block = (text: string | undefined) => (text ? renderMarkdown(text) : "");

function constraints(s: Schema): string {
  const out: string[] = [];
  if (s.format) out.push(s.format);
  if (s.minLength !== undefined || s.maxLength !== undefined) out.push(`length ${s.minLength ?? 0}–${s.maxLength ?? "∞"}`);
  if (s.minimum !== undefined || s.maximum !== undefined) out.push(`${s.minimum ?? "−∞"}–${s.maximum ?? "∞"}`);
  if (s.minItems !== undefined || s.maxItems !== undefined) out.push(`${s.minItems ?? 0}–${s.maxItems ?? "∞"} items`);
  if (s.pattern) out.push(`pattern <code>${escapeHtml(s.pattern)}</code>`);
  if (s.default !== undefined) out.push(`default ${code(s.default)}`);
  return out.length ? ` <span class="c">(${out.join(", ")})</span>` : "";
}

/** A schema as a short type expression; inline objects become nested tables. */
function typeHtml(s: Schema | undefined): string {
  if (!s) return "any";
  if (s.$ref) {
    const name = s.$ref.startsWith(SCHEMA_PREFIX) ? s.$ref.slice(SCHEMA_PREFIX.length) : s.$ref;
    return `<a href="#${escapeHtml(schemaAnchor(name))}">${escapeHtml(name)}</a>`;
  }
  if (s.const !== undefined) return code(s.const);
  if (s.enum) return s.enum.map(code).join(" | ");
  const union = s.oneOf ?? s.anyOf;
  if (union) return union.map(typeHtml).join(" | ");
  // zod's `.openapi({description})` on a reference comes out as allOf [ref, {description}].
  if (s.allOf)
    return s.allOf
      .filter((part) => Object.keys(part).some((k) => k !== "description"))
      .map(typeHtml)
      .join(" &amp; ");
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (types.length === 0) return s.properties ? propertiesTable(s) : "any";
  return types
    .map((t) => {
      if (t === "array") return `array of ${typeHtml(s.items)}`;
      if (t === "object") {
        if (s.properties) return propertiesTable(s);
        if (typeof s.additionalProperties === "object") return `map of string → ${typeHtml(s.additionalProperties)}`;
        return "object";
      }
      return escapeHtml(t);
    })
    .join(" | ")
    .concat(constraints(s));
}

/** What a property says about itself, including a description attached next to a reference. */
function describe(s: Schema): string {
  const own = s.description ?? s.allOf?.find((part) => part.description)?.description;
  const example = s.example !== undefined ? ` Example: ${code(s.example)}.` : "";
  return own ? `${renderInline(own)}${example}` : example.trim();
}

function propertiesTable(s: Schema): string {
  const required = new Set(s.required ?? []);
  const rows = Object.entries(s.properties ?? {}).map(
    ([name, prop]) =>
      `<tr><td><code>${escapeHtml(name)}</code>${required.has(name) ? "" : ' <span class="c">optional</span>'}</td><td>${typeHtml(prop)}</td><td>${describe(prop)}</td></tr>`,
  );
  return `<table class="props"><thead><tr><th>field</th><th>type</th><th>meaning</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

/** A tagged union's variant is named by its `type` (the events of ChannelEvent). */
function variantLabel(variant: Schema): string {
  const tag = variant.properties?.type;
  const value = tag?.const ?? (tag?.enum?.length === 1 ? tag.enum[0] : undefined);
  return typeof value === "string" ? `<strong><code>${escapeHtml(value)}</code></strong>` : "";
}

function schemaSection(name: string, s: Schema): string {
  const union = s.oneOf ?? s.anyOf;
  let body: string;
  if (union)
    body = `<p>One of:</p><ul>${union.map((variant) => `<li>${variantLabel(variant)}${typeHtml(variant)}${variant.description ? ` ${renderInline(variant.description)}` : ""}</li>`).join("")}</ul>`;
  else if (s.properties) body = propertiesTable(s);
  else body = `<p>${typeHtml(s)}</p>`;
  return `<section class="schema"><h3 id="${escapeHtml(schemaAnchor(name))}">${escapeHtml(name)}</h3>${block(s.description)}${body}</section>`;
}

function mediaList(content: Record<string, Media> | undefined): string {
  if (!content) return "";
  return Object.entries(content)
    .map(([type, media]) => `<code>${escapeHtml(type)}</code> ${typeHtml(media.schema)}`)
    .join("<br>");
}

function operationSection(path: string, method: string, op: Operation): string {
  const id = `op-${method}-${path.replace(/[^a-zA-Z0-9]+/g, "-")}`;
  const params = op.parameters?.length
    ? `<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>type</th><th>meaning</th></tr></thead><tbody>${op.parameters
        .map(
          (p) =>
            `<tr><td><code>${escapeHtml(p.name)}</code>${p.required ? "" : ' <span class="c">optional</span>'}</td><td>${escapeHtml(p.in)}</td><td>${typeHtml(p.schema)}</td><td>${p.description ? renderInline(p.description) : ""}</td></tr>`,
        )
        .join("")}</tbody></table>`
    : "";
  const body = op.requestBody ? `<h4>Request body</h4><p>${mediaList(op.requestBody.content)}</p>` : "";
  const responses = `<h4>Responses</h4><table><thead><tr><th>status</th><th>meaning</th><th>body</th></tr></thead><tbody>${Object.entries(
    op.responses ?? {},
  )
    .map(
      ([status, r]) =>
        `<tr><td>${escapeHtml(status)}</td><td>${r.description ? renderInline(r.description) : ""}</td><td>${mediaList(r.content)}</td></tr>`,
    )
    .join("")}</tbody></table>`;
  return `<section id="${escapeHtml(id)}"><h3><span class="m ${method}">${method.toUpperCase()}</span> <code>/api/v1${escapeHtml(path)}</code></h3>
${op.summary ? `<p><strong>${renderInline(op.summary)}</strong>${op.security?.length ? ' <span class="c">Bearer token</span>' : ""}</p>` : ""}${block(op.description)}
${params}${body}${responses}</section>`;
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:1040px;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
code,pre{font:13px ui-monospace,monospace}pre{background:#f5f5f7;padding:.75rem;overflow:auto;border-radius:6px}
table{border-collapse:collapse;margin:.5rem 0;width:100%}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f7}table.props table.props{font-size:13px}.c{color:#666;font-size:12px}
section{border-top:1px solid #ddd;padding:.5rem 0}.m{display:inline-block;min-width:4.5em;font-size:12px;padding:2px 6px;border-radius:4px;color:#fff;background:#555}
.get{background:#2a7ae2}.post{background:#2e9d4d}.patch{background:#b7791f}.put{background:#7a4bd1}.delete{background:#c53030}`;

const page = (
  title: string,
  body: string,
) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head><body>${body}</body></html>`;

/** Where the real-time protocol document is served (docs/realtime.md in the repository). */
export const REALTIME_DOCS_PATH = "/api/docs/realtime";

/** Takes the generated document as it is typed by its generator, and reads only what it renders. */
export function renderApiDocs(doc: { info: { title: string; description?: string }; paths?: object; components?: object }): string {
  const operations: string[] = [];
  const index: string[] = [];
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      operations.push(operationSection(path, method, op));
      index.push(
        `<li><a href="#op-${method}-${escapeHtml(path.replace(/[^a-zA-Z0-9]+/g, "-"))}"><code>${method.toUpperCase()} ${escapeHtml(path)}</code></a>${op.summary ? ` ${renderInline(op.summary)}` : ""}</li>`,
      );
    }
  }
  const schemas = Object.entries((doc.components as Components | undefined)?.schemas ?? {}).map(([name, s]) => schemaSection(name, s));
  return page(
    doc.info.title,
    `<h1>${escapeHtml(doc.info.title)}</h1><p>${escapeHtml(doc.info.description ?? "")}</p>
<p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1).
Real-time protocol (the WebSocket at <code>GET /api/v1/ws</code>: every frame and event, cursors, resume, close codes, limits):
<a href="${REALTIME_DOCS_PATH}">${REALTIME_DOCS_PATH}</a> (<code>docs/realtime.md</code> in the repository).</p>
<h2>Operations</h2><ul>${index.join("")}</ul>
${operations.join("\n")}
<h2>Schemas</h2>${schemas.join("\n")}`,
  );
}

export function renderRealtimeDocs(markdown: string): string {
  return page(
    "Colink real-time protocol",
    `<p><a href="/api/docs">← HTTP API</a> · <a href="${REALTIME_DOCS_PATH}.md">Markdown</a></p>${renderMarkdown(markdown)}`,
  );
}
