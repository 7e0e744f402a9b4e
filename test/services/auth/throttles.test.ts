import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createDb } from "../../../src/db/client";
import { ColinkError } from "../../../src/lib/ColinkError";
import { register } from "../../../src/services/actions/accounts";
import { countAttempt } from "../../../src/services/auth/throttles";

const db = () => createDb(env.DB);

async function refusal(attempt: Promise<unknown>): Promise<ColinkError | null> {
  try {
    await attempt;
    return null;
  } catch (err) {
    if (err instanceof ColinkError) return err;
    throw err;
  }
}

describe("countAttempt", () => {
  it("allows `limit` attempts per window, then 429 with the seconds left", async () => {
    const t0 = Date.UTC(2030, 0, 1, 12, 0, 0);
    for (let i = 0; i < 3; i++) expect(await refusal(countAttempt(db(), "k", 3, 60, t0 + i * 1000))).toBeNull();
    const refused = await refusal(countAttempt(db(), "k", 3, 60, t0 + 20_000));
    expect(refused).toMatchObject({ status: 429, code: "too_many_attempts", extra: { retryAfterSeconds: 40 } });
    // Keys are independent.
    expect(await refusal(countAttempt(db(), "other", 3, 60, t0 + 20_000))).toBeNull();
    // A new window starts once the old one is over.
    expect(await refusal(countAttempt(db(), "k", 3, 60, t0 + 60_000))).toBeNull();
  });

  it("counts every one of many concurrent attempts", async () => {
    const results = await Promise.all(Array.from({ length: 12 }, () => refusal(countAttempt(db(), "burst", 5, 60))));
    expect(results.filter((r) => r === null)).toHaveLength(5);
    expect(results.filter((r) => r?.status === 429)).toHaveLength(7);
  });
});

describe("sign-up throttling per client address", () => {
  it("refuses an address past SIGNUP_RATE_PER_HOUR, and no other", async () => {
    const strict = { ...env, SIGNUP_RATE_PER_HOUR: "2", OPEN_SIGNUP: "true" };
    const signUp = (ip: string, n: number) =>
      refusal(
        register(
          strict,
          db(),
          { email: `u${n}@example.test`, username: `user${n}`, password: `pw-${crypto.randomUUID()}` },
          { ip, userAgent: null },
        ),
      );
    expect(await signUp("203.0.113.9", 1)).toBeNull();
    expect(await signUp("203.0.113.9", 2)).toBeNull();
    expect(await signUp("203.0.113.9", 3)).toMatchObject({ status: 429, code: "too_many_attempts" });
    expect(await signUp("198.51.100.2", 4)).toBeNull();
  });
});
