import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ColinkError } from "../../../src/lib/ColinkError";
import { admitLoginAttempt, type LoginAttempt, loginSucceeded } from "../../../src/services/auth/loginThrottle";

// The bucket arithmetic, with the clock in the test's hands. The sign-in routes' own tests
// (test/routes/auth.test.ts) check the same rules over HTTP.

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const settings = (overrides: Record<string, string> = {}) => ({
  ...env,
  LOGIN_FAILURES_PER_ACCOUNT_AND_IP: "3",
  LOGIN_FAILURES_PER_IP: "10",
  LOGIN_WINDOW_SECONDS: "900",
  LOGIN_MAX_DELAY_SECONDS: "60",
  ...overrides,
});

/** The attempt, or the 429 it got. */
async function attempt(cfg: Env, account: string, address: string, now: number): Promise<LoginAttempt | ColinkError> {
  try {
    return await admitLoginAttempt(cfg, account, address, now);
  } catch (err) {
    if (err instanceof ColinkError) return err;
    throw err;
  }
}

const refusedFor = (result: LoginAttempt | ColinkError) => {
  expect(result).toBeInstanceOf(ColinkError);
  expect(result).toMatchObject({ status: 429, code: "too_many_attempts" });
  return (result as ColinkError).extra.retryAfterSeconds;
};

describe("admitLoginAttempt", () => {
  it("lets the threshold's failures through, then makes each next try wait twice as long, up to the cap", async () => {
    const cfg = settings();
    let now = T0;
    for (let i = 0; i < 3; i++) expect(await attempt(cfg, "user:a", "203.0.113.1", now)).not.toBeInstanceOf(ColinkError);
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      const wait = refusedFor(await attempt(cfg, "user:a", "203.0.113.1", now)) as number;
      waits.push(wait);
      // Right when the wait is over, the next try is let through (and fails again).
      now += wait * 1000;
      expect(await attempt(cfg, "user:a", "203.0.113.1", now)).not.toBeInstanceOf(ColinkError);
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
  });

  it("never slows an account down from an address its failures did not come from", async () => {
    const cfg = settings();
    for (let i = 0; i < 20; i++) await attempt(cfg, "user:owner", "198.51.100.66", T0 + i);
    refusedFor(await attempt(cfg, "user:owner", "198.51.100.66", T0 + 20));
    expect(await attempt(cfg, "user:owner", "203.0.113.5", T0 + 21)).not.toBeInstanceOf(ColinkError);
  });

  it("slows down an address guessing at many accounts once past its own, higher threshold, and no other address", async () => {
    const cfg = settings();
    for (let i = 0; i < 10; i++) expect(await attempt(cfg, `login:victim${i}`, "198.51.100.7", T0)).not.toBeInstanceOf(ColinkError);
    expect(refusedFor(await attempt(cfg, "login:victim-next", "198.51.100.7", T0))).toBe(1);
    expect(await attempt(cfg, "login:victim-next", "198.51.100.8", T0)).not.toBeInstanceOf(ColinkError);
  });

  it("counts every one of a burst of concurrent guesses", async () => {
    const cfg = settings();
    const results = await Promise.all(Array.from({ length: 12 }, () => attempt(cfg, "user:burst", "203.0.113.9", T0)));
    expect(results.filter((r) => !(r instanceof ColinkError))).toHaveLength(3);
  });

  it("forgets failures as they drain: threshold per window", async () => {
    const cfg = settings();
    for (let i = 0; i < 3; i++) await attempt(cfg, "user:d", "203.0.113.2", T0);
    refusedFor(await attempt(cfg, "user:d", "203.0.113.2", T0 + 500));
    // Two thirds of the window drain two of the three: two more tries, and the next waits again.
    expect(await attempt(cfg, "user:d", "203.0.113.2", T0 + 601_000)).not.toBeInstanceOf(ColinkError);
    expect(await attempt(cfg, "user:d", "203.0.113.2", T0 + 601_001)).not.toBeInstanceOf(ColinkError);
    expect(refusedFor(await attempt(cfg, "user:d", "203.0.113.2", T0 + 601_002))).toBe(1);
    // After a whole window without tries, all is forgotten.
    for (let i = 0; i < 3; i++) expect(await attempt(cfg, "user:d", "203.0.113.2", T0 + 2_000_000)).not.toBeInstanceOf(ColinkError);
  });
});

describe("loginSucceeded", () => {
  it("takes the attempt back: successes never add up, from one address or for one account", async () => {
    const cfg = settings();
    for (let i = 0; i < 60; i++) {
      const admitted = await attempt(cfg, `user:colleague${i % 7}`, "192.0.2.10", T0 + i);
      expect(admitted, `sign-in ${i}`).not.toBeInstanceOf(ColinkError);
      await loginSucceeded(cfg, admitted as LoginAttempt);
    }
    const row = await env.DB.prepare("SELECT level, blocked_until FROM login_throttles WHERE key = 'address:192.0.2.10'").first();
    expect(row).toEqual({ level: 0, blocked_until: 0 });
  });

  it("clears the account's count from that address, and undoes the wait its attempt set on the address", async () => {
    const cfg = settings({ LOGIN_FAILURES_PER_IP: "4" });
    for (let i = 0; i < 2; i++) await attempt(cfg, "user:me", "192.0.2.20", T0);
    await attempt(cfg, "login:typo", "192.0.2.20", T0);
    // The fourth attempt from the address reaches its threshold, but it is right.
    const right = await attempt(cfg, "user:me", "192.0.2.20", T0);
    await loginSucceeded(cfg, right as LoginAttempt);
    // Without the undo this would wait for the right sign-in's second.
    expect(await attempt(cfg, "user:me", "192.0.2.20", T0 + 1)).not.toBeInstanceOf(ColinkError);
  });
});
