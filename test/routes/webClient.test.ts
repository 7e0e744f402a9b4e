import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { webClientPolicy } from "../../src/routes/webClient";

// The page of the web client comes through the Worker (for its Content-Security-Policy). The
// runtime suite has no built client, so a stand-in for the ASSETS binding serves the page here;
// test/e2e/web.e2e.ts loads the real build in a browser.
const PAGE = '<!doctype html><title>Colink</title><script type="module" src="/assets/app-X.js"></script>';
const withAssets = (vars: Record<string, string> = {}) => ({
  ...env,
  ...vars,
  ASSETS: {
    fetch: async (req: Request) =>
      new URL(req.url).pathname === "/index.html"
        ? new Response(PAGE, { headers: { "content-type": "text/html" } })
        : new Response(null, { status: 404 }),
  },
});

describe("the web client's page", () => {
  it("is served with a strict policy: own scripts and styles only, nothing inline, no framing", async () => {
    const res = await app.request("/", {}, withAssets());
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(PAGE);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toBe("no-cache");
  });

  it("lets the page reach the configured identity provider's origin, and no other", async () => {
    const res = await app.request(
      "/",
      {},
      withAssets({ OIDC_ISSUER: "https://id.example.test/realms/colink", OIDC_AUDIENCE: "urn:colink:api" }),
    );
    expect(res.headers.get("content-security-policy")).toContain("connect-src 'self' https://id.example.test;");
    expect(webClientPolicy("")).toContain("connect-src 'self';");
  });

  it("lets the page send file bytes to R2's S3 endpoint when uploads are presigned, and not otherwise", async () => {
    const presigned = withAssets({
      R2_S3_ENDPOINT: "https://0123abcd.r2.cloudflarestorage.com",
      R2_ACCESS_KEY_ID: "key-id",
      R2_SECRET_ACCESS_KEY: "not-a-secret",
    });
    const res = await app.request("/", {}, presigned);
    expect(res.headers.get("content-security-policy")).toContain("connect-src 'self' https://0123abcd.r2.cloudflarestorage.com;");
    // Without credentials the bytes go through this Worker's own upload route: nothing else is allowed.
    const local = await app.request("/", {}, withAssets());
    expect(local.headers.get("content-security-policy")).toContain("connect-src 'self';");
    expect(webClientPolicy("https://id.example.test/x", "https://r2.example.test/bucket")).toContain(
      "connect-src 'self' https://id.example.test https://r2.example.test;",
    );
  });

  it("answers 404 problem+json, not a 5xx, when the client has not been built", async () => {
    const res = await app.request("/", {}, { ...env, ASSETS: { fetch: async () => new Response(null, { status: 404 }) } });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(((await res.json()) as { code: string }).code).toBe("web_client_not_built");
  });
});
