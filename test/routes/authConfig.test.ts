import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { call } from "../helpers";

describe("GET /auth/config", () => {
  it("is public and says, by default, that sign-up needs an invite and no identity provider is offered", async () => {
    const reply = await call("GET", "/auth/config");
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ open_signup: false, oidc: null });
  });

  it("names the issuer, audience and public client a browser signs in through when all are configured", async () => {
    const configured = {
      ...env,
      OPEN_SIGNUP: "true",
      OIDC_ISSUER: "https://id.example.test/realms/colink",
      OIDC_AUDIENCE: "urn:colink:api",
      OIDC_CLIENT_ID: "colink-web",
    };
    const res = await app.request("/api/v1/auth/config", {}, configured);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      open_signup: true,
      oidc: {
        issuer: "https://id.example.test/realms/colink",
        audience: "urn:colink:api",
        client_id: "colink-web",
        scope: "openid profile email offline_access",
      },
    });
    // An issuer without a browser client accepts tokens but offers no sign-in page.
    const noClient = await app.request("/api/v1/auth/config", {}, { ...configured, OIDC_CLIENT_ID: "" });
    expect(((await noClient.json()) as { oidc: unknown }).oidc).toBeNull();
  });

  it("is in the OpenAPI document", async () => {
    const doc = (await call("GET", "/openapi.json")).body;
    expect(doc.paths["/auth/config"].get.responses["200"]).toBeDefined();
  });
});
