import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { channelName } from "../channelFixtures";
import { registerOwner, signUp } from "../helpers";

// Rate limits on socket tickets and channel creation (issue 12, item 8): 429 `rate_limited` with
// Retry-After, per user. The suite's own settings lift them, so these run with low ones.

const strict = { ...env, WS_TICKET_RATE_PER_MINUTE: "3", CHANNEL_CREATE_RATE_PER_HOUR: "2" };

async function post(path: string, token: string, body?: unknown) {
  const res = await app.request(
    `/api/v1${path}`,
    {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    },
    strict,
  );
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

function expectRateLimited(reply: { status: number; headers: Headers; body: Record<string, unknown> }, atMostSeconds: number) {
  expect(reply.status).toBe(429);
  expect(reply.headers.get("content-type")).toBe("application/problem+json");
  expect(reply.body).toMatchObject({ status: 429, code: "rate_limited" });
  const retryAfter = Number(reply.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(atMostSeconds);
}

describe("POST /ws/ticket", () => {
  it("mints at most WS_TICKET_RATE_PER_MINUTE tickets per user per minute", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    for (let i = 0; i < 3; i++) expect((await post("/ws/ticket", owner.token)).status).toBe(200);
    expectRateLimited(await post("/ws/ticket", owner.token), 60);
    expect((await post("/ws/ticket", member.token)).status).toBe(200);
  });
});

describe("POST /channels", () => {
  it("creates at most CHANNEL_CREATE_RATE_PER_HOUR channels per user per hour", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    for (let i = 0; i < 2; i++) expect((await post("/channels", owner.token, { name: channelName() })).status).toBe(201);
    expectRateLimited(await post("/channels", owner.token, { name: channelName() }), 3600);
    expect((await post("/channels", member.token, { name: channelName() })).status).toBe(201);
  });
});
