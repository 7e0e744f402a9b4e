import { describe, expect, it } from "vitest";
import { baseUrl } from "./client";

describe("wrangler dev", () => {
  it("serves /healthz and the OpenAPI document", async () => {
    const health = await fetch(`${baseUrl()}/healthz`);
    expect(health.status).toBe(200);
    const doc = await fetch(`${baseUrl()}/api/v1/openapi.json`);
    expect(((await doc.json()) as { openapi: string }).openapi).toBe("3.1.0");
  });

  it("serves the docs, the real-time protocol (docs/realtime.md) included, from the Worker itself", async () => {
    const docs = await fetch(`${baseUrl()}/api/docs`);
    expect(await docs.text()).toContain('href="/api/docs/realtime"');
    const realtime = await fetch(`${baseUrl()}/api/docs/realtime`);
    expect(realtime.status).toBe(200);
    expect(await realtime.text()).toContain('<h2 id="resume">Resume</h2>');
  });
});
