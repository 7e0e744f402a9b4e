import { describe, expect, it } from "vitest";
import { baseUrl } from "./client";

describe("wrangler dev", () => {
  it("serves /healthz and the OpenAPI document", async () => {
    const health = await fetch(`${baseUrl()}/healthz`);
    expect(health.status).toBe(200);
    const doc = await fetch(`${baseUrl()}/api/v1/openapi.json`);
    expect(((await doc.json()) as { openapi: string }).openapi).toBe("3.1.0");
  });
});
