import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import realtimeDocs from "../../docs/realtime.md";
import { renderMarkdown } from "../../src/lib/renderMarkdown";
import { ChannelEventSchema } from "../../src/protocol/channelEvents";
import { CloseCode } from "../../src/protocol/closeCodes";
import { ClientFrame, ERROR_CODES } from "../../src/protocol/frames";
import { USER_EVENT_TYPES } from "../../src/protocol/userEvents";

// The repository documents its own API: the OpenAPI document (with the answers middleware gives),
// /api/docs rendered readably, and the socket protocol in docs/realtime.md, served at /api/docs/realtime.

const get = (path: string) => exports.default.fetch(new Request(`https://colink.test${path}`));

type Doc = { paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>> };

describe("the OpenAPI document", () => {
  it("lists 414 and 503 on every operation, and 408 and 413 on every one that may carry a body", async () => {
    const doc = (await (await get("/api/v1/openapi.json")).json()) as Doc;
    let operations = 0;
    for (const [path, item] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(item)) {
        operations++;
        const statuses = Object.keys(op.responses);
        expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(["414", "503"]));
        if (method !== "get") expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(["408", "413"]));
        if (op.requestBody) expect(statuses, `${method} ${path}`).toContain("413");
      }
    expect(operations).toBeGreaterThan(30);
    expect(doc.paths["/channels/{channel_id}/messages"]?.post?.responses["413"]).toMatchObject({
      content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
    });
  });
});

describe("/api/docs", () => {
  it("renders schemas as tables with named links instead of raw $ref JSON, and every link lands", async () => {
    const res = await get("/api/docs");
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).not.toContain("$ref");
    expect(html).not.toContain("#/components/schemas");
    // A message body: a link to the Message schema, whose table lists its fields.
    expect(html).toContain('<a href="#schema-Message">Message</a>');
    const message = html.slice(html.indexOf('id="schema-Message"'));
    expect(message).toMatch(/<td><code>thread_root_id<\/code><\/td><td>string \| null<\/td>/);
    const ids = new Set([...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]));
    const targets = [...html.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]);
    expect(targets.length).toBeGreaterThan(50);
    expect(targets.filter((t) => !ids.has(t))).toEqual([]);
  });

  it("links the real-time protocol document, served from docs/realtime.md as HTML and as Markdown", async () => {
    const html = await (await get("/api/docs")).text();
    expect(html).toContain('href="/api/docs/realtime"');

    const page = await get("/api/docs/realtime");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const rendered = await page.text();
    expect(rendered).toContain('<h2 id="resume">Resume</h2>');
    expect(rendered).toContain('<a href="#resume">');
    expect(rendered).not.toContain("<script");

    const raw = await get("/api/docs/realtime.md");
    expect(raw.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    expect(await raw.text()).toBe(realtimeDocs);
  });
});

describe("docs/realtime.md", () => {
  it("documents every client frame, channel event, user event, error code and close code the code defines", () => {
    const mentioned = (name: string) => realtimeDocs.includes(`\`${name}\``) || realtimeDocs.includes(`"${name}"`);
    const clientFrames = ClientFrame.options.map((o) => o.shape.type.value);
    const channelEvents = ChannelEventSchema.options.map((o) => o.shape.type.value);
    for (const name of [...clientFrames, ...channelEvents, ...USER_EVENT_TYPES, ...ERROR_CODES, "channel.gap", "resync_required"])
      expect(mentioned(name), name).toBe(true);
    for (const code of Object.values(CloseCode)) expect(realtimeDocs, String(code)).toMatch(new RegExp(`\\| ${code} +\\|`));
  });
});

describe("renderMarkdown", () => {
  it("escapes HTML, links only safe targets, and keeps pipes inside code spans in their table cell", () => {
    const html = renderMarkdown(
      [
        "# Title <b>",
        "",
        "Text with <script>alert(1)</script>, [ok](#title-b) and [bad](javascript:alert(1)).",
        "",
        "| a | b |",
        "| - | --- |",
        '| `"x"|"y"` | **two** |',
        "",
        "```json",
        '{"a": "<tag>"}',
        "```",
        "- one",
        "  continued",
        "- two",
      ].join("\n"),
    );
    expect(html).toContain('<h1 id="title-b">Title &#60;b&#62;</h1>');
    expect(html).not.toContain("<script");
    expect(html).toContain('<a href="#title-b">ok</a>');
    expect(html).not.toContain('href="javascript');
    expect(html).toContain("<td><code>&#34;x&#34;|&#34;y&#34;</code></td><td><strong>two</strong></td>");
    expect(html).toContain('<pre><code class="language-json">{&#34;a&#34;: &#34;&#60;tag&#62;&#34;}</code></pre>');
    expect(html).toContain("<ul><li>one continued</li><li>two</li></ul>");
  });
});
