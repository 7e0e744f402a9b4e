import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const call = (path: string, init?: RequestInit) => exports.default.fetch(new Request(`https://colink.test${path}`, init));

describe("app shell", () => {
  it("answers /healthz with a request id", async () => {
    const res = await call("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("echoes a well-formed incoming request id", async () => {
    const res = await call("/healthz", { headers: { "x-request-id": "abcdef123456" } });
    expect(res.headers.get("x-request-id")).toBe("abcdef123456");
  });

  it("serves an OpenAPI 3.1 document and a docs page", async () => {
    const doc = await call("/api/v1/openapi.json");
    expect(doc.status).toBe(200);
    expect((await doc.json()) as { openapi: string }).toMatchObject({ openapi: "3.1.0" });
    const page = await call("/api/docs");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
  });

  it("answers unknown paths with problem+json 404", async () => {
    const res = await call("/api/v1/nope");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({ status: 404, code: "not_found" });
  });

  it("refuses a body that is not JSON with 400", async () => {
    const res = await call("/api/v1/auth/login", { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "unsupported_content_type" });
  });
});
