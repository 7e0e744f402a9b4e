import { createScheduledController, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createDb } from "../../../src/db/client";
import worker from "../../../src/index";
import { pruneDirectory } from "../../../src/services/actions/pruneDirectory";
import { call, invite, registerOwner } from "../../helpers";

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const count = async (table: string) => (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<{ n: number }>())?.n;

describe("pruneDirectory", () => {
  it("removes long-ended sessions with their tokens, dead invites and finished throttle windows, and keeps the rest", async () => {
    const owner = await registerOwner();
    const refreshed = await call("POST", "/auth/refresh", { body: { refresh_token: owner.refreshToken } });
    expect(refreshed.status).toBe(200);
    // A second, revoked long ago, session with a spent and a live token.
    await env.DB.batch([
      env.DB.prepare("INSERT INTO sessions (id, user_id, expires_at, revoked_at) VALUES ('s_old', ?, ?, ?)").bind(
        owner.user.id,
        iso(Date.now() + DAY),
        iso(Date.now() - 40 * DAY),
      ),
      env.DB.prepare("INSERT INTO refresh_tokens (token_hash, session_id, spent_at) VALUES ('h1', 's_old', ?)").bind(
        iso(Date.now() - 41 * DAY),
      ),
      env.DB.prepare("INSERT INTO refresh_tokens (token_hash, session_id) VALUES ('h2', 's_old')"),
      env.DB.prepare("INSERT INTO throttles (key, count, reset_at) VALUES ('done', 3, 1), ('running', 3, ?)").bind(
        Math.floor(Date.now() / 1000) + 600,
      ),
    ]);
    await invite(owner.token);
    await invite(owner.token);
    await env.DB.prepare("UPDATE invites SET expires_at = ? WHERE rowid = (SELECT MIN(rowid) FROM invites)")
      .bind(iso(Date.now() - 31 * DAY))
      .run();

    const removed = await pruneDirectory(createDb(env.DB));
    expect(removed).toMatchObject({ refreshTokens: 2, sessions: 1, invites: 1 });
    expect(removed.throttles).toBeGreaterThanOrEqual(1);
    expect(await count("sessions")).toBe(1);
    // The live session keeps its spent token, so reusing it is still detected.
    expect(await count("refresh_tokens")).toBe(2);
    expect(await count("invites")).toBe(1);
    const windows = (await env.DB.prepare("SELECT key FROM throttles").all<{ key: string }>()).results.map((r) => r.key);
    expect(windows).toContain("running");
    expect(windows).not.toContain("done");
    const reuse = await call("POST", "/auth/refresh", { body: { refresh_token: owner.refreshToken } });
    expect(reuse.status).toBe(401);
    expect(reuse.body.code).toBe("refresh_token_reused");
  });

  it("removes drained sign-in buckets and old password resets, and keeps the rest", async () => {
    const owner = await registerOwner();
    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO login_throttles (key, level, updated_at, blocked_until, prev_blocked_until, attempt, forget_at) VALUES ('drained', 1, 0, 0, 0, '', ?), ('draining', 3, ?, ?, 0, 'x', ?)",
      ).bind(now - 1, now, now + 1000, now + 600_000),
      env.DB.prepare(
        "INSERT INTO password_resets (id, token_hash, user_id, created_by, expires_at, spent_at) VALUES ('pwr_old', 'h-old', ?1, ?1, ?2, NULL), ('pwr_spent', 'h-spent', ?1, ?1, ?3, ?2), ('pwr_live', 'h-live', ?1, ?1, ?3, NULL)",
      ).bind(owner.user.id, iso(now - 31 * DAY), iso(now + DAY)),
    ]);
    const removed = await pruneDirectory(createDb(env.DB), now);
    expect(removed).toMatchObject({ loginThrottles: 1, passwordResets: 2 });
    const keys = (await env.DB.prepare("SELECT key FROM login_throttles").all<{ key: string }>()).results.map((r) => r.key);
    expect(keys).toEqual(["draining"]);
    const resets = (await env.DB.prepare("SELECT id FROM password_resets").all<{ id: string }>()).results.map((r) => r.id);
    expect(resets).toEqual(["pwr_live"]);
  });

  it("runs from the daily cron", async () => {
    await env.DB.prepare("INSERT INTO throttles (key, count, reset_at) VALUES ('done', 3, 1)").run();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "23 4 * * *" }), env);
    expect(await count("throttles")).toBe(0);
  });
});
