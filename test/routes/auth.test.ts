import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { type Account, call, expectProblem, invite, logIn, registerOwner, signUp } from "../helpers";

const USER_KEYS = [
  "created_at",
  "deactivated",
  "display_name",
  "email",
  "id",
  "role",
  "status_emoji",
  "status_text",
  "timezone",
  "title",
  "username",
];

const register = (body: Record<string, unknown>) => call("POST", "/auth/register", { body });
const refresh = (refreshToken: string) => call("POST", "/auth/refresh", { body: { refresh_token: refreshToken } });
const me = (token: string) => call("GET", "/users/me", { token });

function expectSignedIn(reply: { status: number; body: any }, status: number) {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  expect(Object.keys(reply.body).sort()).toEqual(["access_token", "expires_in", "refresh_token", "token_type", "user"]);
  expect(Object.keys(reply.body.user).sort()).toEqual(USER_KEYS);
  expect(reply.body.token_type).toBe("Bearer");
  expect(reply.body.expires_in).toBeGreaterThan(0);
  expect(reply.body.expires_in).toBeLessThanOrEqual(900);
}

describe("POST /auth/register", () => {
  it("makes the first account the owner and signs it in", async () => {
    const reply = await register({
      email: "Ada@Example.test",
      username: "Ada.Lovelace",
      password: "analytical-engine-1843",
      display_name: "Ada",
    });
    expectSignedIn(reply, 201);
    expect(reply.body.user).toMatchObject({
      username: "ada.lovelace",
      email: "ada@example.test",
      display_name: "Ada",
      role: "owner",
      deactivated: false,
      timezone: "UTC",
      title: "",
    });
    expect(reply.body.user.id).toMatch(/^u_[0-9a-z]{26}$/);
    expect(reply.body.user.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect((await me(reply.body.access_token)).body.id).toBe(reply.body.user.id);
    const stored = await env.DB.prepare("SELECT password_hash FROM users").first<{ password_hash: string }>();
    expect(stored?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it("lets only one of two racing first sign-ups become owner", async () => {
    const replies = await Promise.all(
      ["first-a", "first-b"].map((username) =>
        register({ email: `${username}@example.test`, username, password: "a-long-enough-password" }),
      ),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([201, 403]);
    const owners = await env.DB.prepare("SELECT count(*) AS n FROM users WHERE role = 'owner'").first<{ n: number }>();
    expect(owners?.n).toBe(1);
  });

  it("needs an invite once the workspace has an owner", async () => {
    await registerOwner();
    expectProblem(
      await register({ email: "eve@example.test", username: "eve", password: "a-long-enough-password" }),
      403,
      "invite_required",
    );
  });

  it("admits a sign-up with an invite, at the invite's role, once", async () => {
    const owner = await registerOwner();
    const token = await invite(owner.token, { role: "guest" });
    const body = { email: "gus@example.test", username: "gus", password: "a-long-enough-password", invite_token: token };
    const reply = await register(body);
    expectSignedIn(reply, 201);
    expect(reply.body.user.role).toBe("guest");
    expectProblem(await register({ ...body, email: "gus2@example.test", username: "gus2" }), 403, "invite_used");
  });

  it("refuses unknown and expired invites", async () => {
    const owner = await registerOwner();
    const body = { email: "x@example.test", username: "xavier", password: "a-long-enough-password" };
    expectProblem(await register({ ...body, invite_token: "not-a-real-invite" }), 403, "invite_invalid");
    const token = await invite(owner.token, { expires_in_hours: 1 });
    await env.DB.prepare("UPDATE invites SET expires_at = ?")
      .bind(new Date(Date.now() - 1000).toISOString())
      .run();
    expectProblem(await register({ ...body, invite_token: token }), 403, "invite_expired");
  });

  it("leaves the invite unused when the sign-up fails", async () => {
    const owner = await registerOwner();
    const token = await invite(owner.token);
    expectProblem(
      await register({ email: "o2@example.test", username: "owner", password: "a-long-enough-password", invite_token: token }),
      409,
    );
    expectSignedIn(
      await register({ email: "o2@example.test", username: "second", password: "a-long-enough-password", invite_token: token }),
      201,
    );
  });

  it("refuses taken usernames and emails with 409, whatever their case", async () => {
    const owner = await registerOwner();
    const body = { password: "a-long-enough-password", invite_token: await invite(owner.token) };
    expectProblem(await register({ ...body, email: "new@example.test", username: "OWNER" }), 409, "username_taken");
    expectProblem(await register({ ...body, email: "Owner@Example.TEST", username: "someone" }), 409, "email_taken");
  });

  it("answers invalid fields with 422 naming each field", async () => {
    const ok = { email: "val@example.test", username: "val", password: "a-long-enough-password" };
    const cases: [Record<string, unknown>, string, string?][] = [
      [{ ...ok, username: "a" }, "username"],
      [{ ...ok, username: "has space" }, "username"],
      [{ ...ok, username: "x".repeat(33) }, "username"],
      [{ ...ok, username: "here" }, "username"],
      [{ ...ok, email: "not-an-email" }, "email"],
      [{ ...ok, password: "short" }, "password"],
      [{ ...ok, password: "p".repeat(257) }, "password"],
      [{ ...ok, password: "Sunshine" }, "password", "weak_password"],
      [{ ...ok, password: "PASSWORD123" }, "password", "weak_password"],
      [{ ...ok, username: "val.valentine", password: "Val.Valentine" }, "password", "weak_password"],
      [{ ...ok, email: "valentina@example.test", password: "valentina@example.test" }, "password", "weak_password"],
      [{ ...ok, display_name: "two\nlines" }, "display_name"],
      [{ ...ok, invite_token: 42 }, "invite_token"],
      [{ email: ok.email, username: ok.username }, "password"],
    ];
    for (const [body, path, code] of cases) {
      const problem = expectProblem(await register(body), 422, code);
      expect(
        problem.errors?.map((e) => e.path),
        JSON.stringify(body),
      ).toContain(path);
    }
    expect((await env.DB.prepare("SELECT count(*) AS n FROM users").first<{ n: number }>())?.n).toBe(0);
  });

  it("answers malformed JSON, a wrong content type and a missing body with 4xx problems", async () => {
    expectProblem(await call("POST", "/auth/register", { rawBody: '{"email": ' }), 400, "malformed_request");
    expectProblem(
      await call("POST", "/auth/register", { rawBody: "email=a", headers: { "content-type": "application/x-www-form-urlencoded" } }),
      400,
    );
    expectProblem(await call("POST", "/auth/register"), 422);
    expectProblem(await call("POST", "/auth/register", { rawBody: "null" }), 422);
    expectProblem(await call("POST", "/auth/register", { rawBody: "[]" }), 422);
  });
});

describe("POST /auth/login", () => {
  it("signs in by username or email, any case, each time with a new session", async () => {
    const owner = await registerOwner({ username: "grace", password: "cobol-compiler-1959" });
    const byName = await logIn("Grace", owner.password);
    expectSignedIn(byName, 200);
    expect(byName.body.user).toMatchObject({ id: owner.user.id, role: "owner" });
    const byEmail = await logIn("GRACE@example.test", owner.password);
    expectSignedIn(byEmail, 200);
    expect(byEmail.body.refresh_token).not.toBe(byName.body.refresh_token);
    expect((await me(byEmail.body.access_token)).status).toBe(200);
  });

  it("gives the same answer for a wrong password and an unknown account", async () => {
    const owner = await registerOwner();
    const wrong = expectProblem(await logIn(owner.user.username, "wrong-password-here"), 401, "invalid_credentials");
    const unknown = expectProblem(await logIn("nobody", "wrong-password-here"), 401, "invalid_credentials");
    expect(unknown.detail).toBe(wrong.detail);
  });

  const from = (address: string) => ({ "cf-connecting-ip": address });

  it("never lets a stranger's failures from another address slow the owner down", async () => {
    const owner = await registerOwner();
    // Far past every threshold, from the stranger's address (by username and by e-mail alike).
    for (let i = 0; i < 12; i++) await logIn(i % 2 ? owner.user.username : owner.user.email, `wrong-password-${i}`, from("198.51.100.66"));
    expectProblem(await logIn(owner.user.username, owner.password, from("198.51.100.66")), 429, "too_many_attempts");
    const mine = await logIn(owner.user.username, owner.password, from("203.0.113.10"));
    expectSignedIn(mine, 200);
  });

  it("never counts successful sign-ins: 60 people behind one address sign in unthrottled", async () => {
    const owner = await registerOwner();
    const colleagues = [owner, ...(await Promise.all(Array.from({ length: 4 }, () => signUp(owner.token))))];
    for (let i = 0; i < 60; i++) {
      const who = colleagues[i % colleagues.length] as Account;
      expect((await logIn(who.user.username, who.password, from("192.0.2.80"))).status, `sign-in ${i}`).toBe(200);
    }
  });

  it("slows repeated failures for an account from one address with growing waits and Retry-After", async () => {
    const owner = await registerOwner();
    const address = from("203.0.113.20");
    for (let i = 0; i < 5; i++) expectProblem(await logIn(owner.user.username, `wrong-password-${i}`, address), 401, "invalid_credentials");
    // Past LOGIN_FAILURES_PER_ACCOUNT_AND_IP (5) every try waits: the right password too, by e-mail too.
    const first = await logIn(owner.user.username, owner.password, address);
    expectProblem(first, 429, "too_many_attempts");
    expect(first.headers.get("retry-after")).toBe("1");
    expectProblem(await logIn(owner.user.email, owner.password, address), 429);
    await new Promise((r) => setTimeout(r, 1_100));
    expectProblem(await logIn(owner.user.username, "wrong-password-5", address), 401);
    const second = await logIn(owner.user.username, owner.password, address);
    expectProblem(second, 429, "too_many_attempts");
    expect(second.headers.get("retry-after")).toBe("2");
    // Other accounts from that address are not slowed down.
    const other = await signUp(owner.token);
    expect((await logIn(other.user.username, other.password, address)).status).toBe(200);
  });

  it("slows down unknown accounts alike, so throttling does not tell them apart", async () => {
    await registerOwner();
    for (let i = 0; i < 5; i++) expectProblem(await logIn("ghost", `wrong-password-${i}`, from("203.0.113.30")), 401);
    const throttled = await logIn("ghost", "wrong-password-x", from("203.0.113.30"));
    expectProblem(throttled, 429, "too_many_attempts");
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("starts the failure count afresh after a successful sign-in", async () => {
    const owner = await registerOwner();
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 4; i++) expectProblem(await logIn(owner.user.username, `wrong-password-${i}`), 401);
      expect((await logIn(owner.user.username, owner.password)).status).toBe(200);
    }
    for (let i = 0; i < 4; i++) expectProblem(await logIn(owner.user.username, `wrong-password-${i}`), 401);
  });

  it("believes cf-connecting-ip only where the platform sets it (TRUST_CF_CONNECTING_IP)", async () => {
    const owner = await registerOwner();
    // As under wrangler dev: a client's own header is ignored, so changing it is no fresh start.
    const local = { ...env, TRUST_CF_CONNECTING_IP: "false" };
    const login = (password: string, address: string) =>
      app.request(
        "/api/v1/auth/login",
        {
          method: "POST",
          headers: { "content-type": "application/json", ...from(address) },
          body: JSON.stringify({ login: "owner", password }),
        },
        local,
      );
    for (let i = 0; i < 5; i++) expect((await login(`wrong-password-${i}`, `198.51.100.${i}`)).status).toBe(401);
    const refused = await login(owner.password, "198.51.100.99");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
  });

  it("answers invalid and malformed bodies with 422 and 400", async () => {
    expectProblem(await call("POST", "/auth/login", { body: { login: "someone" } }), 422);
    expectProblem(await call("POST", "/auth/login", { body: { login: "", password: "x" } }), 422);
    expectProblem(await call("POST", "/auth/login", { body: { login: ["a"], password: "x" } }), 422);
    expectProblem(await call("POST", "/auth/login", { rawBody: "{login" }), 400);
    expectProblem(await call("POST", "/auth/login"), 422);
  });
});

describe("POST /auth/refresh", () => {
  it("rotates: the new pair works and the old refresh token is spent", async () => {
    const owner = await registerOwner();
    const first = await refresh(owner.refreshToken);
    expectSignedIn(first, 200);
    expect(first.body.user.id).toBe(owner.user.id);
    expect(first.body.refresh_token).not.toBe(owner.refreshToken);
    expect((await me(first.body.access_token)).status).toBe(200);
    const second = await refresh(first.body.refresh_token);
    expectSignedIn(second, 200);
  });

  it("revokes the whole session when a spent token comes back", async () => {
    const owner = await registerOwner();
    const other = (await logIn(owner.user.username, owner.password)).body;
    const rotated = await refresh(owner.refreshToken);
    expect(rotated.status).toBe(200);
    expectProblem(await refresh(owner.refreshToken), 401, "refresh_token_reused");
    // The newer token and the session's access tokens die with it ...
    expectProblem(await refresh(rotated.body.refresh_token), 401, "invalid_refresh_token");
    expectProblem(await me(rotated.body.access_token), 401);
    expectProblem(await me(owner.token), 401);
    // ... but not the user's other sessions.
    expect((await me(other.access_token)).status).toBe(200);
    expect((await refresh(other.refresh_token)).status).toBe(200);
  });

  it("lets exactly one of several concurrent refreshes with one token succeed", async () => {
    const owner = await registerOwner();
    const replies = await Promise.all(Array.from({ length: 4 }, () => refresh(owner.refreshToken)));
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 401, 401, 401]);
    for (const r of replies) if (r.status === 401) expectProblem(r, 401);
  });

  it("refuses an expired session", async () => {
    const owner = await registerOwner();
    await env.DB.prepare("UPDATE sessions SET expires_at = ?")
      .bind(new Date(Date.now() - 1000).toISOString())
      .run();
    expectProblem(await refresh(owner.refreshToken), 401, "invalid_refresh_token");
  });

  it("refuses unknown tokens and bad bodies", async () => {
    expectProblem(await refresh("no-such-token"), 401, "invalid_refresh_token");
    expectProblem(await call("POST", "/auth/refresh", { body: {} }), 422);
    expectProblem(await call("POST", "/auth/refresh", { body: { refresh_token: "" } }), 422);
    expectProblem(await call("POST", "/auth/refresh", { rawBody: "{]" }), 400);
    expectProblem(await call("POST", "/auth/refresh"), 422);
  });
});

describe("POST /auth/logout", () => {
  it("ends the caller's session only: its refresh and access tokens stop working", async () => {
    const owner: Account = await registerOwner();
    const other = (await logIn(owner.user.username, owner.password)).body;
    const reply = await call("POST", "/auth/logout", { token: owner.token });
    expect(reply.status).toBe(204);
    expect(reply.body).toBe("");
    expectProblem(await refresh(owner.refreshToken), 401, "invalid_refresh_token");
    expectProblem(await me(owner.token), 401);
    expectProblem(await call("POST", "/auth/logout", { token: owner.token }), 401);
    expect((await me(other.access_token)).status).toBe(200);
  });

  it("needs a valid token", async () => {
    const missing = expectProblem(await call("POST", "/auth/logout"), 401);
    expect(missing.code).toBe("unauthorized");
    expectProblem(await call("POST", "/auth/logout", { token: "not.a.jwt" }), 401, "invalid_token");
    const res = await call("POST", "/auth/logout", { headers: { authorization: "Basic dXNlcjpwYXNz" } });
    expectProblem(res, 401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });
});
