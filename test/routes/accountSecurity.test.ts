import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { createDb } from "../../src/db/client";
import { sha256Hex } from "../../src/lib/ids";
import { logOnlyMailSender, type MailMessage, type MailSender } from "../../src/lib/mailSender";
import { CloseCode } from "../../src/protocol/closeCodes";
import { createPasswordReset } from "../../src/services/actions/passwords";
import { type Account, call, expectProblem, logIn, registerOwner, signUp } from "../helpers";
import { TestSocket } from "../socketClient";

// API.md "Account security (additions)": password change and reset, and session management. Ending
// a session means its refresh token, its access tokens and its sockets (closed with 4001) stop.

type Session = { token: string; refreshToken: string };

const refresh = (refreshToken: string) => call("POST", "/auth/refresh", { body: { refresh_token: refreshToken } });
const me = (token: string) => call("GET", "/users/me", { token });

/** Another sign-in of the same account: a second session. */
async function signInAgain(account: Account, userAgent = "second-device/1.0"): Promise<Session> {
  const reply = await logIn(account.user.username, account.password, { "user-agent": userAgent });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return { token: reply.body.access_token, refreshToken: reply.body.refresh_token };
}

async function socketOf(token: string): Promise<TestSocket> {
  const res = await exports.default.fetch(
    new Request("https://colink.test/api/v1/ws", { headers: { upgrade: "websocket", authorization: `Bearer ${token}` } }),
  );
  const ws = TestSocket.fromResponse(res);
  expect((await ws.next()).type).toBe("ready");
  return ws;
}

async function ticketSocketOf(token: string): Promise<TestSocket> {
  const issued = await call("POST", "/ws/ticket", { token });
  const res = await exports.default.fetch(
    new Request(`https://colink.test/api/v1/ws?ticket=${encodeURIComponent(issued.body.ticket)}`, {
      headers: { upgrade: "websocket", origin: "https://colink.test" },
    }),
  );
  const ws = TestSocket.fromResponse(res);
  expect((await ws.next()).type).toBe("ready");
  return ws;
}

async function expectEnded(session: Session) {
  expectProblem(await refresh(session.refreshToken), 401, "invalid_refresh_token");
  expectProblem(await me(session.token), 401, "invalid_token");
}

async function expectLive(session: Session) {
  expect((await me(session.token)).status).toBe(200);
}

/** The socket is still open: a ping is answered. */
async function expectOpen(ws: TestSocket) {
  ws.send({ type: "ping" });
  expect((await ws.until((f) => f.type === "pong")).match.type).toBe("pong");
}

const auditRows = async (action: string) =>
  (
    await env.DB.prepare("SELECT actor_id, target_id, details FROM audit_log WHERE action = ? ORDER BY id")
      .bind(action)
      .all<{ actor_id: string; target_id: string; details: string }>()
  ).results.map((r) => ({ ...r, details: JSON.parse(r.details) }));

describe("POST /auth/password", () => {
  const change = (token: string, current_password: string, new_password: string) =>
    call("POST", "/auth/password", { token, body: { current_password, new_password } });

  it("changes the password and ends every other session, their sockets with 4001, keeping the caller's", async () => {
    const owner = await registerOwner();
    const other = await signInAgain(owner);
    const otherSocket = await socketOf(other.token);
    const mySocket = await socketOf(owner.token);

    const reply = await change(owner.token, owner.password, "a brand new passphrase");
    expect(reply.status).toBe(204);

    await expectEnded(other);
    expect((await otherSocket.closedWith()).code).toBe(CloseCode.Unauthorized);
    await expectLive(owner);
    expect((await refresh(owner.refreshToken)).status).toBe(200);
    await expectOpen(mySocket);
    expectProblem(await logIn(owner.user.username, owner.password), 401, "invalid_credentials");
    expect((await logIn(owner.user.username, "a brand new passphrase")).status).toBe(200);
    expect(await auditRows("user.password_changed")).toEqual([
      { actor_id: owner.user.id, target_id: owner.user.id, details: { via: "current_password" } },
    ]);
  });

  it("refuses a wrong current password with 403 invalid_current_password, and slows down guessing", async () => {
    const owner = await registerOwner();
    for (let i = 0; i < 5; i++)
      expectProblem(await change(owner.token, `wrong-guess-${i}`, "a brand new passphrase"), 403, "invalid_current_password");
    const throttled = await change(owner.token, owner.password, "a brand new passphrase");
    expectProblem(throttled, 429, "too_many_attempts");
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await logIn(owner.user.username, owner.password, { "cf-connecting-ip": "203.0.113.40" })).status).toBe(200);
    expect(await auditRows("user.password_changed")).toEqual([]);
  });

  it("applies the sign-up rules to the new password (length, common passwords, own name)", async () => {
    const owner = await registerOwner();
    const cases: [unknown, string?][] = [
      ["short", undefined],
      ["p".repeat(257), undefined],
      ["Password123", "weak_password"],
      ["owner@example.test", "weak_password"],
      [42, undefined],
    ];
    for (const [newPassword, code] of cases) {
      const problem = expectProblem(
        await call("POST", "/auth/password", { token: owner.token, body: { current_password: owner.password, new_password: newPassword } }),
        422,
        code,
      );
      expect(problem.errors?.map((e) => e.path)).toContain("new_password");
    }
    expectProblem(await call("POST", "/auth/password", { token: owner.token, body: { new_password: "a brand new passphrase" } }), 422);
    expect((await logIn(owner.user.username, owner.password)).status).toBe(200);
  });

  it("answers 409 no_password for an account without one (identity provider), and 401 without a token", async () => {
    const owner = await registerOwner();
    await env.DB.prepare("UPDATE users SET password_hash = NULL WHERE id = ?").bind(owner.user.id).run();
    expectProblem(await change(owner.token, "anything-at-all", "a brand new passphrase"), 409, "no_password");
    expectProblem(await call("POST", "/auth/password", { body: { current_password: "x", new_password: "a brand new passphrase" } }), 401);
  });
});

describe("GET /users/me/sessions", () => {
  it("lists the caller's live sessions with their user agents, most recently used first, marking the current one", async () => {
    const owner = await registerOwner();
    const phone = await signInAgain(owner, "ColinkPhone/2.1");
    const laptop = await signInAgain(owner, "ColinkDesktop/3.0");
    await call("POST", "/auth/logout", { token: laptop.token });
    await new Promise((r) => setTimeout(r, 5));
    const refreshed = await refresh(owner.refreshToken);

    const reply = await call("GET", "/users/me/sessions", { token: phone.token });
    expect(reply.status).toBe(200);
    expect(reply.body.items).toHaveLength(2);
    for (const item of reply.body.items)
      expect(Object.keys(item).sort()).toEqual(["created_at", "current", "id", "last_used_at", "user_agent"]);
    const [first, second] = reply.body.items;
    // The refresh just now made the first session the most recently used one.
    expect(first).toMatchObject({ current: false, user_agent: null });
    expect(Date.parse(first.last_used_at)).toBeGreaterThan(Date.parse(first.created_at));
    expect(second).toMatchObject({ current: true, user_agent: "ColinkPhone/2.1" });
    const mine = await call("GET", "/users/me/sessions", { token: refreshed.body.access_token });
    expect(mine.body.items.map((s: { current: boolean }) => s.current)).toEqual([true, false]);
    expectProblem(await call("GET", "/users/me/sessions"), 401);
  });
});

describe("DELETE /users/me/sessions/{id}", () => {
  it("ends one session: its tokens and sockets, and nothing else", async () => {
    const owner = await registerOwner();
    const phone = await signInAgain(owner);
    const phoneSocket = await socketOf(phone.token);
    const mySocket = await socketOf(owner.token);
    const sessions = (await call("GET", "/users/me/sessions", { token: owner.token })).body.items;
    const phoneSession = sessions.find((s: { current: boolean }) => !s.current);

    expect((await call("DELETE", `/users/me/sessions/${phoneSession.id}`, { token: owner.token })).status).toBe(204);
    await expectEnded(phone);
    expect((await phoneSocket.closedWith()).code).toBe(CloseCode.Unauthorized);
    await expectLive(owner);
    await expectOpen(mySocket);
    // Ended already: no such session any more.
    expectProblem(await call("DELETE", `/users/me/sessions/${phoneSession.id}`, { token: owner.token }), 404, "session_not_found");
  });

  it("answers 404 for another user's session and for ids that name nothing", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    const theirs = (await call("GET", "/users/me/sessions", { token: member.token })).body.items[0].id;
    expectProblem(await call("DELETE", `/users/me/sessions/${theirs}`, { token: owner.token }), 404, "session_not_found");
    await expectLive(member);
    expectProblem(await call("DELETE", "/users/me/sessions/s_00000000000000000000000000", { token: owner.token }), 404);
    expectProblem(await call("DELETE", "/users/me/sessions/not-a-session", { token: owner.token }), 404);
  });

  it("may end the caller's own current session", async () => {
    const owner = await registerOwner();
    const [current] = (await call("GET", "/users/me/sessions", { token: owner.token })).body.items;
    expect((await call("DELETE", `/users/me/sessions/${current.id}`, { token: owner.token })).status).toBe(204);
    await expectEnded(owner);
  });
});

describe("POST /auth/logout-all", () => {
  it("ends every session of the caller and closes all their sockets with 4001, and no one else's", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    const phone = await signInAgain(owner);
    const sockets = [await socketOf(owner.token), await socketOf(phone.token), await ticketSocketOf(phone.token)];
    const memberSocket = await socketOf(member.token);

    expect((await call("POST", "/auth/logout-all", { token: owner.token })).status).toBe(204);
    await expectEnded(owner);
    await expectEnded(phone);
    for (const ws of sockets) expect((await ws.closedWith()).code).toBe(CloseCode.Unauthorized);
    await expectLive(member);
    await expectOpen(memberSocket);
    expect((await call("GET", "/users/me/sessions", { token: member.token })).body.items).toHaveLength(1);
  });
});

describe("password reset", () => {
  const issue = (token: string, userId: string, body?: unknown) =>
    call("POST", `/admin/users/${userId}/password-reset`, { token, ...(body === undefined ? {} : { body }) });
  const redeem = (reset_token: string, new_password: string) =>
    call("POST", "/auth/password-reset", { body: { reset_token, new_password } });

  it("lets an admin issue a single-use token, valid at most 24 h, stored hashed and audited", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    const reply = await issue(owner.token, member.user.id);
    expect(reply.status).toBe(201);
    expect(Object.keys(reply.body).sort()).toEqual(["expires_at", "reset_token"]);
    const lifetime = Date.parse(reply.body.expires_at) - Date.now();
    expect(lifetime).toBeGreaterThan(23.9 * 3_600_000);
    expect(lifetime).toBeLessThanOrEqual(24 * 3_600_000);
    const stored = await env.DB.prepare("SELECT token_hash, user_id, created_by FROM password_resets").all();
    expect(stored.results).toEqual([
      { token_hash: await sha256Hex(reply.body.reset_token), user_id: member.user.id, created_by: owner.user.id },
    ]);
    expect(await auditRows("user.password_reset")).toEqual([
      { actor_id: owner.user.id, target_id: member.user.id, details: { reset_id: expect.any(String), expires_at: reply.body.expires_at } },
    ]);
    const short = await issue(owner.token, member.user.id, { expires_in_hours: 1 });
    expect(Date.parse(short.body.expires_at) - Date.now()).toBeLessThanOrEqual(3_600_000);
    expectProblem(await issue(owner.token, member.user.id, { expires_in_hours: 25 }), 422);
  });

  it("sets the new password and ends every session of the user, sockets included", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    const phone = await signInAgain(member);
    const sockets = [await socketOf(member.token), await socketOf(phone.token), await ticketSocketOf(member.token)];
    const ownerSocket = await socketOf(owner.token);
    const token = (await issue(owner.token, member.user.id)).body.reset_token;

    expect((await redeem(token, "my fresh start passphrase")).status).toBe(204);
    await expectEnded(member);
    await expectEnded(phone);
    for (const ws of sockets) expect((await ws.closedWith()).code).toBe(CloseCode.Unauthorized);
    await expectOpen(ownerSocket);
    expectProblem(await logIn(member.user.username, member.password), 401);
    expect((await logIn(member.user.username, "my fresh start passphrase")).status).toBe(200);
    expect(await auditRows("user.password_changed")).toEqual([
      { actor_id: member.user.id, target_id: member.user.id, details: { via: "reset_token", reset_id: expect.any(String) } },
    ]);
    // Once only.
    expectProblem(await redeem(token, "yet another passphrase"), 403, "reset_token_used");
  });

  it("lets the person sign in at once even after they hammered the old password", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    for (let i = 0; i < 8; i++) await logIn(member.user.username, `forgotten-${i}`);
    expectProblem(await logIn(member.user.username, member.password), 429);
    const token = (await issue(owner.token, member.user.id)).body.reset_token;
    expect((await redeem(token, "my fresh start passphrase")).status).toBe(204);
    expect((await logIn(member.user.username, "my fresh start passphrase")).status).toBe(200);
  });

  it("refuses unknown, expired and superseded tokens, and weak passwords (leaving the token usable)", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    expectProblem(await redeem("not-a-real-token", "my fresh start passphrase"), 403, "reset_token_invalid");
    const older = (await issue(owner.token, member.user.id)).body.reset_token;
    const newer = (await issue(owner.token, member.user.id)).body.reset_token;
    expectProblem(await redeem(older, "my fresh start passphrase"), 403, "reset_token_used");
    const weak = expectProblem(await redeem(newer, "password1"), 422, "weak_password");
    expect(weak.errors?.map((e) => e.path)).toEqual(["new_password"]);
    expectProblem(await redeem(newer, "short"), 422);
    await env.DB.prepare("UPDATE password_resets SET expires_at = ?")
      .bind(new Date(Date.now() - 1000).toISOString())
      .run();
    expectProblem(await redeem(newer, "my fresh start passphrase"), 403, "reset_token_expired");
    expect((await logIn(member.user.username, member.password)).status).toBe(200);
  });

  it("lets exactly one of two concurrent redemptions through", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    const token = (await issue(owner.token, member.user.id)).body.reset_token;
    const replies = await Promise.all([redeem(token, "first racing passphrase"), redeem(token, "second racing passphrase")]);
    expect(replies.map((r) => r.status).sort()).toEqual([204, 403]);
    const winner = replies[0]?.status === 204 ? "first racing passphrase" : "second racing passphrase";
    expect((await logIn(member.user.username, winner)).status).toBe(200);
    expect(await auditRows("user.password_changed")).toHaveLength(1);
  });

  it("is for admins only, and only for roles they manage", async () => {
    const owner = await registerOwner();
    const admin = await signUp(owner.token, { role: "admin" });
    const member = await signUp(owner.token);
    const otherMember = await signUp(owner.token);
    expectProblem(await issue(member.token, otherMember.user.id), 403, "admin_required");
    expectProblem(await issue(admin.token, owner.user.id), 403, "owner_required");
    expect((await issue(admin.token, member.user.id)).status).toBe(201);
    expectProblem(await issue(owner.token, "u_00000000000000000000000000"), 404, "user_not_found");
    await call("POST", `/admin/users/${otherMember.user.id}/deactivate`, { token: owner.token });
    expectProblem(await issue(owner.token, otherMember.user.id), 409, "user_deactivated");
  });

  it("hands the token to the mail sender, whose default sends nothing and logs no secret", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    const sent: MailMessage[] = [];
    const recorder: MailSender = { send: async (m) => void sent.push(m) };
    const actor = { user: { id: owner.user.id, username: "owner", role: "owner" as const, displayName: "Owner" }, requestId: "req-test" };
    const { reset_token } = await createPasswordReset(env, createDb(env.DB), actor, member.user.id, 24, recorder);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ to: member.user.email });
    expect(sent[0]?.text).toContain(reset_token);

    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(String(line)));
    try {
      await logOnlyMailSender.send(sent[0] as MailMessage);
      const reply = await call("POST", `/admin/users/${member.user.id}/password-reset`, { token: owner.token });
      expect(reply.status).toBe(201);
      expect(lines.some((l) => l.includes("mail not sent"))).toBe(true);
      for (const secret of [reset_token, reply.body.reset_token]) expect(lines.join("\n")).not.toContain(secret);
    } finally {
      spy.mockRestore();
    }
  });
});
