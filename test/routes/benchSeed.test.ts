import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { call, registerOwner } from "../helpers";

// The bench-only seeding route: invisible unless BENCH_SEED_TOKEN is set and presented.

const seed = (channelId: string, body: unknown, token: string | null, configured = "s3cret-token") =>
  app.request(
    `/_bench/channels/${channelId}/seed-messages`,
    {
      method: "POST",
      headers: { "content-type": "application/json", ...(token === null ? {} : { "x-bench-seed-token": token }) },
      body: JSON.stringify(body),
    },
    { ...env, BENCH_SEED_TOKEN: configured },
  );

describe("POST /_bench/channels/{id}/seed-messages", () => {
  it("writes messages in bulk, visible in history, with consecutive seqs", async () => {
    const owner = await registerOwner();
    const ch = await call("POST", "/channels", { token: owner.token, body: { name: "history" } });
    await call("POST", `/channels/${ch.body.id}/messages`, { token: owner.token, body: { text: "first" } });
    const res = await seed(ch.body.id, { count: 1000, author_id: owner.user.id }, "s3cret-token");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ first_seq: 2, last_seq: 1001 });
    const page = await call("GET", `/channels/${ch.body.id}/messages?before=501&limit=3`, { token: owner.token });
    expect(page.body.items.map((m: { seq: number }) => m.seq)).toEqual([500, 499, 498]);
  });

  it("is a 404 when the token is unset, missing or wrong", async () => {
    const owner = await registerOwner();
    const ch = await call("POST", "/channels", { token: owner.token, body: { name: "history" } });
    const body = { count: 10, author_id: owner.user.id };
    for (const res of [
      await seed(ch.body.id, body, "s3cret-token", ""),
      await seed(ch.body.id, body, null),
      await seed(ch.body.id, body, "guess"),
    ]) {
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
    // Through the deployed configuration (BENCH_SEED_TOKEN empty) as well.
    expect(
      (await call("POST", `/_bench/channels/${ch.body.id}/seed-messages`, { body, headers: { "x-bench-seed-token": "" } })).status,
    ).toBe(404);
  });

  it("answers a bad body with 422 and an unknown channel with 404", async () => {
    const owner = await registerOwner();
    const ch = await call("POST", "/channels", { token: owner.token, body: { name: "history" } });
    expect((await seed(ch.body.id, { count: 0, author_id: owner.user.id }, "s3cret-token")).status).toBe(422);
    expect((await seed(ch.body.id, { count: 10 }, "s3cret-token")).status).toBe(422);
    expect((await seed("c_00000000000000000000000000", { count: 1, author_id: owner.user.id }, "s3cret-token")).status).toBe(404);
  });
});
