import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { registerOwner } from "../helpers";

// CORS for browser clients: the service's own origin and ALLOWED_ORIGINS get it, nobody else.

const SELF = "https://colink.test";
const PARTNER = "https://app.partner.example";
const STRANGER = "https://evil.example";

const withOrigins = (allowed: string) => ({ ...env, ALLOWED_ORIGINS: allowed });

const preflight = (path: string, origin: string, allowed = PARTNER, method = "PATCH") =>
  app.request(
    `${SELF}${path}`,
    {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": method, "access-control-request-headers": "authorization, content-type" },
    },
    withOrigins(allowed),
  );

const corsHeaders = (res: Response) => [...res.headers.keys()].filter((k) => k.startsWith("access-control-"));
const vary = (res: Response) => (res.headers.get("vary") ?? "").split(",").map((v) => v.trim().toLowerCase());

describe("CORS", () => {
  it("answers a preflight from an allowed origin with 204, the methods, headers and max age the API uses", async () => {
    for (const origin of [PARTNER, SELF]) {
      const res = await preflight("/api/v1/users/me", origin);
      expect(res.status, origin).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe(origin);
      const methods = (res.headers.get("access-control-allow-methods") ?? "").split(",").map((m) => m.trim());
      expect(methods).toEqual(expect.arrayContaining(["GET", "POST", "PUT", "PATCH", "DELETE"]));
      const headers = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase();
      for (const h of ["authorization", "content-type", "x-request-id"]) expect(headers).toContain(h);
      expect(Number(res.headers.get("access-control-max-age"))).toBeGreaterThan(0);
      expect(vary(res)).toContain("origin");
      expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    }
  });

  it("gives another origin no CORS header at all, on a preflight or an actual request", async () => {
    const pre = await preflight("/api/v1/users/me", STRANGER);
    expect(pre.status).not.toBe(204);
    expect(corsHeaders(pre)).toEqual([]);
    expect(vary(pre)).toContain("origin");

    const res = await app.request(`${SELF}/api/v1/users/me`, { headers: { origin: STRANGER } }, withOrigins(PARTNER));
    expect(res.status).toBe(401);
    expect(corsHeaders(res)).toEqual([]);
    expect(vary(res)).toContain("origin");
  });

  it("lets an allowed origin read answers, errors included, and the headers clients need", async () => {
    const owner = await registerOwner();
    const ok = await app.request(
      `${SELF}/api/v1/users/me`,
      { headers: { origin: PARTNER, authorization: `Bearer ${owner.token}` } },
      withOrigins(PARTNER),
    );
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(PARTNER);
    expect(vary(ok)).toContain("origin");

    const denied = await app.request(`${SELF}/api/v1/users/me`, { headers: { origin: PARTNER } }, withOrigins(PARTNER));
    expect(denied.status).toBe(401);
    expect(denied.headers.get("access-control-allow-origin")).toBe(PARTNER);
    const exposed = (denied.headers.get("access-control-expose-headers") ?? "").toLowerCase();
    for (const h of ["retry-after", "www-authenticate", "x-request-id"]) expect(exposed).toContain(h);

    const missing = await app.request(`${SELF}/api/v1/no-such-route`, { headers: { origin: PARTNER } }, withOrigins(PARTNER));
    expect(missing.status).toBe(404);
    expect(missing.headers.get("access-control-allow-origin")).toBe(PARTNER);
  });

  it("allows any origin when ALLOWED_ORIGINS is *, and reads the list as the socket check does (comma-separated, spaces trimmed)", async () => {
    const any = await preflight("/api/v1/channels", STRANGER, "*", "POST");
    expect(any.status).toBe(204);
    expect(any.headers.get("access-control-allow-origin")).toBe(STRANGER);

    const listed = await preflight("/api/v1/channels", PARTNER, ` https://other.example , ${PARTNER} `, "POST");
    expect(listed.status).toBe(204);
    expect(listed.headers.get("access-control-allow-origin")).toBe(PARTNER);
  });

  it("leaves an OPTIONS request that is not a preflight to the routes (404), and a same-origin request without Origin alone", async () => {
    const plain = await app.request(`${SELF}/api/v1/users/me`, { method: "OPTIONS" }, withOrigins(PARTNER));
    expect(plain.status).toBe(404);
    expect(corsHeaders(plain)).toEqual([]);
    const noOrigin = await app.request(`${SELF}/api/v1/openapi.json`, {}, withOrigins(PARTNER));
    expect(noOrigin.status).toBe(200);
    expect(corsHeaders(noOrigin)).toEqual([]);
  });
});
