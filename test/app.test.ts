import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";

const call = (path: string, init?: RequestInit) => exports.default.fetch(new Request(`https://colink.test${path}`, init));

describe("app shell", () => {
  it("answers /healthz with a request id", async () => {
    const res = await call("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers 503 problem+json, health check included, when the deployment's settings are invalid, and keeps the reason for the log", async () => {
    const misconfigured = { ...env, OIDC_ISSUER: "not a url", OIDC_AUDIENCE: "" };
    for (const [path, init] of [
      ["/healthz", {}],
      [
        "/api/v1/auth/login",
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: '{"login":"someone@example.com","password":"a long enough password"}',
        },
      ],
    ] as const) {
      const res = await app.request(path, init, misconfigured);
      expect(res.status, path).toBe(503);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      const body = (await res.json()) as { code: string; detail: string };
      expect(body.code).toBe("misconfigured");
      expect(body.detail).not.toContain("OIDC");
    }
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

  it("documents the thread, reaction and pin routes with the events they append, and every channel event type", async () => {
    const doc = (await (await call("/api/v1/openapi.json")).json()) as {
      paths: Record<string, Record<string, { description?: string }>>;
      components: { schemas: Record<string, { oneOf?: { properties: { type: { const?: string; enum?: string[] } } }[] }> };
    };
    const routes = {
      "/channels/{channel_id}/messages/{message_id}/replies": ["get"],
      "/channels/{channel_id}/messages/{message_id}/replies/read": ["post"],
      "/channels/{channel_id}/messages/{message_id}/follow": ["put", "delete"],
      "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}": ["put", "delete"],
      "/channels/{channel_id}/pins": ["get"],
      "/channels/{channel_id}/pins/{message_id}": ["put", "delete"],
      "/users/me/threads": ["get"],
    };
    for (const [path, methods] of Object.entries(routes)) expect(Object.keys(doc.paths[path] ?? {}).sort(), path).toEqual(methods.sort());
    expect(doc.paths["/channels/{channel_id}/messages/{message_id}/reactions/{emoji}"]?.put?.description).toContain("`reaction.added`");
    expect(doc.paths["/channels/{channel_id}/pins/{message_id}"]?.delete?.description).toContain("`pin.removed`");
    expect(doc.paths["/channels/{channel_id}/messages"]?.post?.description).toContain("`thread.reply`");
    const types = (doc.components.schemas.ChannelEvent?.oneOf ?? []).map((o) => o.properties.type.const ?? o.properties.type.enum?.[0]);
    expect(types).toEqual(expect.arrayContaining(["reaction.added", "reaction.removed", "pin.added", "pin.removed", "message.updated"]));
  });

  it("documents the files routes: the upload steps, downloads, the refusals and the events", async () => {
    const doc = (await (await call("/api/v1/openapi.json")).json()) as {
      paths: Record<string, Record<string, { description?: string; responses: Record<string, unknown>; security?: unknown[] }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const routes = {
      "/files": ["post"],
      "/files/{file_id}": ["get", "delete"],
      "/files/{file_id}/upload": ["put"],
      "/files/{file_id}/complete": ["post"],
      "/files/{file_id}/content": ["get"],
      "/files/{file_id}/thumbnail": ["get"],
    };
    for (const [path, methods] of Object.entries(routes)) expect(Object.keys(doc.paths[path] ?? {}).sort(), path).toEqual(methods.sort());
    expect(Object.keys(doc.paths["/files"]?.post?.responses ?? {})).toContain("413");
    expect(doc.paths["/files/{file_id}/upload"]?.put?.security).toBeUndefined();
    expect(doc.paths["/files/{file_id}/content"]?.get?.description).toContain("file_not_ready");
    expect(doc.paths["/files/{file_id}/complete"]?.post?.description).toContain("`file.updated`");
    expect(Object.keys(doc.components.schemas.Message?.properties ?? {})).toContain("files");
    expect(Object.keys(doc.components.schemas.File?.properties ?? {}).sort()).toEqual(
      ["id", "filename", "content_type", "size", "status", "uploaded_by", "created_at", "sha256", "image", "thumbnail"].sort(),
    );
  });

  it("documents the account security routes, their refusals and the rate limits", async () => {
    const doc = (await (await call("/api/v1/openapi.json")).json()) as {
      paths: Record<string, Record<string, { description?: string; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const routes = {
      "/auth/password": ["post"],
      "/auth/password-reset": ["post"],
      "/auth/logout-all": ["post"],
      "/users/me/sessions": ["get"],
      "/users/me/sessions/{session_id}": ["delete"],
      "/admin/users/{user_id}/password-reset": ["post"],
    };
    for (const [path, methods] of Object.entries(routes)) expect(Object.keys(doc.paths[path] ?? {}).sort(), path).toEqual(methods.sort());
    expect(doc.paths["/auth/password"]?.post?.description).toContain("`invalid_current_password`");
    expect(doc.paths["/auth/login"]?.post?.description).toContain("Retry-After");
    expect(doc.paths["/ws/ticket"]?.post?.description).toContain("`rate_limited`");
    expect(doc.paths["/channels"]?.post?.description).toContain("`rate_limited`");
    expect(Object.keys(doc.components.schemas.Session?.properties ?? {}).sort()).toEqual([
      "created_at",
      "current",
      "id",
      "last_used_at",
      "user_agent",
    ]);
    expect(doc.paths["/admin/users/{user_id}/password-reset"]?.post?.responses).toHaveProperty("201");
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
