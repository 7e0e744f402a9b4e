import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, api, baseUrl, login } from "./client";
import { type DevServer, startWranglerDev } from "./wranglerDev";

// The bench's seeding Worker (bench/seeding/), as the bench's `history` scenario starts it: its
// own `wrangler dev` with D1 migrations. Colink's own Worker (the suite's server) has no such route.

const root = path.resolve(import.meta.dirname, "../..");
const benchConfig = path.join(root, "bench", "seeding", "wrangler.toml");

let server: DevServer;
let owner: Account;

/** One seeding call to the bench Worker. */
const seed = async (channelId: string, body: unknown, base = server.url) => {
  const res = await fetch(`${base}/_bench/channels/${channelId}/seed-messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get("content-type"), body: await res.json() };
};

beforeAll(async () => {
  server = await startWranglerDev({ config: benchConfig, migrate: true });
  const password = "a long bench-seeding passphrase";
  const reg = await api("POST", "/auth/register", {
    base: server.url,
    body: { email: "seeder@example.test", username: "seeder", password },
  });
  expect(reg.status).toBe(201);
  owner = await login("seeder", password, server.url);
});
afterAll(async () => server?.stop());

describe("the bench's seeding Worker", () => {
  it("is Colink's configuration but for its name, entry, ChannelRoom class and migrations path", () => {
    const settings = (file: string) =>
      readFileSync(file, "utf8")
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith("#"));
    const colink = settings(path.join(root, "wrangler.toml")).map((line) =>
      line
        .replace(/^name = "colink"$/, 'name = "colink-bench-seeding"')
        .replace(/^main = "src\/index.ts"$/, 'main = "worker.ts"')
        .replace(/^migrations_dir = "migrations"$/, 'migrations_dir = "../../migrations"')
        .replaceAll('"ChannelRoom"', '"BenchChannelRoom"'),
    );
    expect(settings(benchConfig)).toEqual(colink);
  });

  it("seeds plain messages in bulk, continuing the message seq, with no events", async () => {
    const ch = await api("POST", "/channels", { base: server.url, token: owner.token, body: { name: "history" } });
    expect(ch.status).toBe(201);
    const channelId = ch.body.id as string;
    const first = await api("POST", `/channels/${channelId}/messages`, { base: server.url, token: owner.token, body: { text: "real" } });
    expect(first.status).toBe(201);

    const seeded = await seed(channelId, { count: 1000, author_id: owner.id });
    expect(seeded).toMatchObject({ status: 200, body: { first_seq: 2, last_seq: 1001 } });
    const page = await api("GET", `/channels/${channelId}/messages?before=501&limit=3`, { base: server.url, token: owner.token });
    expect(page.body.items.map((m: { seq: number; text: string }) => [m.seq, m.text])).toEqual([
      [500, "seeded message 500"],
      [499, "seeded message 499"],
      [498, "seeded message 498"],
    ]);
    const events = await api("GET", `/channels/${channelId}/events?after=0`, { base: server.url, token: owner.token });
    expect(events.body.items.map((e: { type: string }) => e.type)).toEqual(["message.created"]);
    const next = await api("POST", `/channels/${channelId}/messages`, { base: server.url, token: owner.token, body: { text: "after" } });
    expect(next.body.seq).toBe(1002);
  });

  it("seeds search corpus messages with their index rows, found by search at once (no queue involved)", async () => {
    const ch = await api("POST", "/channels", { base: server.url, token: owner.token, body: { name: "search-seed" } });
    const res = await fetch(`${server.url}/_bench/channels/${ch.body.id}/seed-search`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ count: 200, author_ids: [owner.id], seed: 7, from_ms: Date.UTC(2026, 0, 1), step_ms: 60_000 }),
    });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ first_seq: 1, last_seq: 200 });
    expect(body.db_bytes).toBeGreaterThan(0);
    const page = await api("GET", `/channels/${ch.body.id}/messages?limit=1`, { base: server.url, token: owner.token });
    const text: string = page.body.items[0].text;
    const found = await api(
      "GET",
      `/search/messages?q=${encodeURIComponent(`"${text.split(" ").slice(0, 3).join(" ")}" on:${new Date(Date.UTC(2026, 0, 1) + 199 * 60_000).toISOString().slice(0, 10)}`)}`,
      {
        base: server.url,
        token: owner.token,
      },
    );
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    expect(found.body.items.map((i: { message: { seq: number } }) => i.message.seq)).toContain(200);
  });

  it("answers a bad body with 422 and an unknown or malformed channel with 404, as problem+json", async () => {
    const ch = await api("POST", "/channels", { base: server.url, token: owner.token, body: { name: "history-2" } });
    const problem = "application/problem+json";
    for (const body of [{ count: 0, author_id: owner.id }, { count: 50_001, author_id: owner.id }, { count: 10 }, null])
      expect(await seed(ch.body.id, body)).toMatchObject({ status: 422, type: problem, body: { code: "validation_failed" } });
    expect(await seed("c_00000000000000000000000000", { count: 1, author_id: owner.id })).toMatchObject({
      status: 404,
      type: problem,
      body: { code: "channel_not_found" },
    });
    expect(await seed("not-a-channel", { count: 1, author_id: owner.id })).toMatchObject({ status: 404, type: problem });
  });

  it("does not exist in Colink's own Worker", async () => {
    const res = await seed("c_00000000000000000000000000", { count: 1, author_id: "u_x" }, baseUrl());
    expect(res).toMatchObject({ status: 404, type: "application/problem+json", body: { code: "not_found" } });
  });
});
