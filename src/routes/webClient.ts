import { Hono } from "hono";
import type { AppEnv } from "../env";
import { ColinkError, problemResponse } from "../lib/ColinkError";
import { config } from "../lib/config";
import { presignedUploads } from "../services/files/uploadUrl";

// The web client's page (web/, built into web/dist and bound as ASSETS). Its scripts and styles are
// static assets served without the Worker; the page comes through here so that its
// Content-Security-Policy can allow the configured OIDC issuer, whose token endpoint the page calls.

/**
 * Directives of the page's policy: nothing inline, nothing from elsewhere but the issuer's
 * endpoints and, with presigned uploads, R2's S3 endpoint (the page PUTs file bytes there).
 */
export function webClientPolicy(oidcIssuer: string, uploadEndpoint = ""): string {
  const origins = [oidcIssuer, uploadEndpoint].map((u) => (u ? URL.parse(u)?.origin : undefined)).filter((o) => o && o !== "null");
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    // 'self' covers the page's own ws:/wss: origin too (CSP 3); the issuer serves discovery and
    // tokens; uploads go to this service's upload route, or to R2 when presigned (API.md "Files").
    `connect-src ${["'self'", ...new Set(origins)].join(" ")}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join("; ");
}

const page = async (c: import("hono").Context<AppEnv>) => {
  const url = new URL(c.req.url);
  url.pathname = "/index.html";
  const asset = await c.env.ASSETS.fetch(new Request(url, { headers: { accept: "text/html" } }));
  if (!asset.ok) {
    return problemResponse(
      new ColinkError(404, "web_client_not_built", "The web client is not built: run `npm run build:web` (npm start does it)."),
      c.get("requestId"),
    );
  }
  const res = new Response(asset.body, { status: 200, headers: asset.headers });
  const cfg = config(c.env);
  res.headers.set("content-security-policy", webClientPolicy(cfg.OIDC_ISSUER, presignedUploads(c.env) ? cfg.R2_S3_ENDPOINT : ""));
  res.headers.set("x-content-type-options", "nosniff");
  res.headers.set("referrer-policy", "no-referrer");
  res.headers.set("x-frame-options", "DENY");
  res.headers.set("cross-origin-opener-policy", "same-origin");
  res.headers.set("permissions-policy", "camera=(), microphone=(), geolocation=()");
  // The page names its hashed scripts: always ask for the current one.
  res.headers.set("cache-control", "no-cache");
  return res;
};

export const webClientRoutes = new Hono<AppEnv>().get("/", page).get("/index.html", page);
