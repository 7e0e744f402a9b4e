import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createDb } from "../../../src/db/client";
import { signAccessToken, verifyAccessToken } from "../../../src/services/auth/accessTokens";

const db = () => createDb(env.DB);

describe("verifyAccessToken", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("refuses a token it has already verified once it expires", async () => {
    const { token, expiresIn } = await signAccessToken(env, db(), "u_expiring", "s_expiring");
    expect((await verifyAccessToken(env, db(), token))?.sub).toBe("u_expiring");
    expect((await verifyAccessToken(env, db(), token))?.sid).toBe("s_expiring");
    vi.useFakeTimers();
    vi.setSystemTime(Date.now() + (expiresIn + 6) * 1000);
    expect(await verifyAccessToken(env, db(), token)).toBeNull();
    expect(await verifyAccessToken(env, db(), token)).toBeNull();
  });

  it("does not carry a verified token over to a configuration with another audience", async () => {
    const { token } = await signAccessToken(env, db(), "u_audience", "s_audience");
    expect(await verifyAccessToken(env, db(), token)).not.toBeNull();
    expect(await verifyAccessToken({ ...env, JWT_AUDIENCE: "another-service" }, db(), token)).toBeNull();
  });

  it("refuses a tampered copy of a token it has verified", async () => {
    const { token } = await signAccessToken(env, db(), "u_tamper", "s_tamper");
    expect(await verifyAccessToken(env, db(), token)).not.toBeNull();
    const [header, payload, signature = ""] = token.split(".");
    const flipped = `${signature.slice(0, -2)}${signature.at(-2) === "A" ? "B" : "A"}${signature.at(-1)}`;
    expect(await verifyAccessToken(env, db(), `${header}.${payload}.${flipped}`)).toBeNull();
    const otherPayload = btoa(JSON.stringify({ sub: "u_other", sid: "s_tamper" })).replace(/=+$/, "");
    expect(await verifyAccessToken(env, db(), `${header}.${otherPayload}.${signature}`)).toBeNull();
  });
});
