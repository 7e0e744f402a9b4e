import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CloseCode } from "../../src/protocol/closeCodes";
import { type Account, call, expectProblem, invite, logIn, registerOwner, signUp } from "../helpers";
import { TestSocket } from "../socketClient";

const setRole = (actor: Account, target: Account, role: string) =>
  call("PATCH", `/admin/users/${target.user.id}`, { token: actor.token, body: { role } });
const deactivate = (actor: Account, target: Account) => call("POST", `/admin/users/${target.user.id}/deactivate`, { token: actor.token });
const reactivate = (actor: Account, target: Account) => call("POST", `/admin/users/${target.user.id}/reactivate`, { token: actor.token });

/** Audit-log rows whose action starts with `prefix` ("user." by default), oldest first. */
async function auditLog(prefix = "user.") {
  const { results } = await env.DB.prepare(
    "SELECT actor_id, action, target_type, target_id, details, request_id FROM audit_log WHERE action LIKE ? || '%' ORDER BY id",
  )
    .bind(prefix)
    .all<{
      actor_id: string;
      action: string;
      target_type: string;
      target_id: string;
      details: string;
      request_id: string;
    }>();
  return results.map((r) => ({ ...r, details: JSON.parse(r.details) }));
}

describe("PATCH /admin/users/{user_id}", () => {
  it("lets the owner grant and remove any role, and audits each change", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    const promoted = await call("PATCH", `/admin/users/${member.user.id}`, {
      token: owner.token,
      body: { role: "admin" },
      headers: { "x-request-id": "req-promote-1" },
    });
    expect(promoted.status).toBe(200);
    expect(promoted.body).toEqual({ ...member.user, role: "admin" });
    expect((await call("GET", "/users/me", { token: member.token })).body.role).toBe("admin");
    expect((await setRole(owner, member, "owner")).body.role).toBe("owner");
    expect((await setRole(owner, member, "guest")).body.role).toBe("guest");
    expect(await auditLog()).toEqual([
      {
        actor_id: owner.user.id,
        action: "user.role_changed",
        target_type: "user",
        target_id: member.user.id,
        details: { from: "member", to: "admin" },
        request_id: "req-promote-1",
      },
      expect.objectContaining({ action: "user.role_changed", details: { from: "admin", to: "owner" } }),
      expect.objectContaining({ action: "user.role_changed", details: { from: "owner", to: "guest" } }),
    ]);
  });

  it("lets an admin move people between member and guest only", async () => {
    const owner = await registerOwner();
    const admin = await signUp(owner.token, { role: "admin" });
    const member = await signUp(owner.token);
    const otherAdmin = await signUp(owner.token, { role: "admin" });
    expect((await setRole(admin, member, "guest")).body.role).toBe("guest");
    expect((await setRole(admin, member, "member")).body.role).toBe("member");
    expectProblem(await setRole(admin, member, "admin"), 403, "owner_required");
    expectProblem(await setRole(admin, member, "owner"), 403, "owner_required");
    expectProblem(await setRole(admin, admin, "owner"), 403, "owner_required");
    expectProblem(await setRole(admin, otherAdmin, "member"), 403, "owner_required");
    expectProblem(await setRole(admin, owner, "member"), 403, "owner_required");
    expect((await call("GET", `/users/${owner.user.id}`, { token: admin.token })).body.role).toBe("owner");
  });

  it("refuses members and guests, whatever they ask for", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    const guest = await signUp(owner.token, { role: "guest" });
    expectProblem(await setRole(member, member, "owner"), 403, "admin_required");
    expectProblem(await setRole(guest, member, "guest"), 403, "admin_required");
    expect((await call("GET", "/users/me", { token: member.token })).body.role).toBe("member");
    expect(await auditLog()).toEqual([]);
  });

  it("keeps the last active owner", async () => {
    const owner = await registerOwner();
    expectProblem(await setRole(owner, owner, "admin"), 409, "last_owner");
    const second = await signUp(owner.token, { role: "owner" });
    await deactivate(owner, second);
    // A deactivated owner does not count.
    expectProblem(await setRole(owner, owner, "member"), 409, "last_owner");
    await reactivate(owner, second);
    expect((await setRole(owner, owner, "admin")).body.role).toBe("admin");
    const secondAgain = { ...second, token: (await logIn(second.user.username, second.password)).body.access_token };
    expectProblem(await setRole(secondAgain, secondAgain, "member"), 409, "last_owner");
    // A refused change leaves no audit entry: the entry is written in the change's own batch, on its condition.
    expect((await auditLog()).map((e) => e.action)).toEqual(["user.deactivated", "user.reactivated", "user.role_changed"]);
  });

  it("never leaves the workspace without an owner when two owners demote each other at once", async () => {
    const owner = await registerOwner();
    const second = await signUp(owner.token, { role: "owner" });
    const replies = await Promise.all([setRole(owner, second, "member"), setRole(second, owner, "member")]);
    // The loser is refused either as no longer an owner (403) or as the last one (409).
    const [won, lost] = replies.sort((a, b) => a.status - b.status);
    expect(won?.status).toBe(200);
    expect([403, 409]).toContain(lost?.status);
    const owners = await env.DB.prepare("SELECT count(*) AS n FROM users WHERE role = 'owner'").first<{ n: number }>();
    expect(owners?.n).toBe(1);
    expect((await auditLog()).map((e) => e.action)).toEqual(["user.role_changed"]);
  });

  it("answers bad input with 4xx", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    const path = `/admin/users/${member.user.id}`;
    expectProblem(await call("PATCH", path, { token: owner.token, body: { role: "superuser" } }), 422);
    expectProblem(await call("PATCH", path, { token: owner.token, body: { role: "admin", email: "x@y.z" } }), 422);
    expectProblem(await call("PATCH", path, { token: owner.token, body: {} }), 422);
    expectProblem(await call("PATCH", path, { token: owner.token }), 422);
    expectProblem(await call("PATCH", path, { token: owner.token, rawBody: "{role:admin}" }), 400);
    expectProblem(
      await call("PATCH", "/admin/users/u_00000000000000000000000000", { token: owner.token, body: { role: "guest" } }),
      404,
      "user_not_found",
    );
    expectProblem(await call("PATCH", "/admin/users/nope", { token: owner.token, body: { role: "guest" } }), 404);
    expectProblem(await call("PATCH", path, { body: { role: "guest" } }), 401);
  });
});

describe("POST /admin/users/{user_id}/deactivate and /reactivate", () => {
  it("cuts a deactivated user off at once: tokens, refresh, login, sockets", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    const secondDevice = (await logIn(member.user.username, member.password)).body;
    const ws = TestSocket.fromResponse(
      await exports.default.fetch(
        new Request("https://colink.test/api/v1/ws", { headers: { upgrade: "websocket", authorization: `Bearer ${member.token}` } }),
      ),
    );
    expect((await ws.next()).type).toBe("ready");

    const reply = await deactivate(owner, member);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ ...member.user, deactivated: true });

    expectProblem(await call("GET", "/users/me", { token: member.token }), 401);
    expectProblem(await call("GET", "/users/me", { token: secondDevice.access_token }), 401);
    expectProblem(await call("POST", "/auth/refresh", { body: { refresh_token: member.refreshToken } }), 401, "invalid_refresh_token");
    expectProblem(await call("POST", "/auth/refresh", { body: { refresh_token: secondDevice.refresh_token } }), 401);
    const login = expectProblem(await logIn(member.user.username, member.password), 401, "invalid_credentials");
    expect(login.detail).toBe(expectProblem(await logIn(member.user.username, "not-the-password"), 401).detail);
    expect(await ws.closedWith()).toMatchObject({ code: CloseCode.Deactivated });
    expect(await auditLog()).toContainEqual(
      expect.objectContaining({ action: "user.deactivated", actor_id: owner.user.id, target_id: member.user.id }),
    );
  });

  it("lets a reactivated user sign in again, but not revive old sessions", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    await deactivate(owner, member);
    const reply = await reactivate(owner, member);
    expect(reply.status).toBe(200);
    expect(reply.body.deactivated).toBe(false);
    expectProblem(await call("GET", "/users/me", { token: member.token }), 401);
    expectProblem(await call("POST", "/auth/refresh", { body: { refresh_token: member.refreshToken } }), 401);
    expect((await logIn(member.user.username, member.password)).status).toBe(200);
    expect((await auditLog()).map((e) => e.action)).toEqual(["user.deactivated", "user.reactivated"]);
  });

  it("answers 409 when there is nothing to do", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    expectProblem(await reactivate(owner, member), 409, "not_deactivated");
    await deactivate(owner, member);
    expectProblem(await deactivate(owner, member), 409, "already_deactivated");
    expect((await auditLog()).map((e) => e.action)).toEqual(["user.deactivated"]);
  });

  it("records one deactivation when two admins deactivate someone at once", async () => {
    const owner = await registerOwner();
    const admin = await signUp(owner.token, { role: "admin" });
    const member = await signUp(owner.token);
    const replies = await Promise.all([deactivate(owner, member), deactivate(admin, member)]);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await auditLog()).map((e) => e.action)).toEqual(["user.deactivated"]);
  });

  it("keeps the last active owner", async () => {
    const owner = await registerOwner();
    expectProblem(await deactivate(owner, owner), 409, "last_owner");
    // Refused: the owner's session survives (its revocation shares the deactivation's condition) and nothing is audited.
    expect((await call("GET", "/users/me", { token: owner.token })).status).toBe(200);
    expect(await auditLog()).toEqual([]);
    const second = await signUp(owner.token, { role: "owner" });
    expect((await deactivate(second, owner)).status).toBe(200);
    expectProblem(await deactivate(second, second), 409, "last_owner");
  });

  it("lets admins manage members and guests only; members and guests nobody", async () => {
    const owner = await registerOwner();
    const admin = await signUp(owner.token, { role: "admin" });
    const otherAdmin = await signUp(owner.token, { role: "admin" });
    const member = await signUp(owner.token);
    const guest = await signUp(owner.token, { role: "guest" });
    expectProblem(await deactivate(admin, owner), 403, "owner_required");
    expectProblem(await deactivate(admin, otherAdmin), 403, "owner_required");
    expectProblem(await deactivate(member, guest), 403, "admin_required");
    expectProblem(await deactivate(guest, member), 403, "admin_required");
    expectProblem(await reactivate(member, guest), 403, "admin_required");
    expect((await deactivate(admin, guest)).status).toBe(200);
    expect((await reactivate(admin, guest)).status).toBe(200);
  });

  it("answers unknown users with 404 and missing tokens with 401", async () => {
    const owner = await registerOwner();
    for (const action of ["deactivate", "reactivate"]) {
      expectProblem(
        await call("POST", `/admin/users/u_00000000000000000000000000/${action}`, { token: owner.token }),
        404,
        "user_not_found",
      );
      expectProblem(await call("POST", `/admin/users/x/${action}`, { token: owner.token }), 404);
      expectProblem(await call("POST", `/admin/users/${owner.user.id}/${action}`), 401);
    }
  });
});

describe("POST /admin/invites", () => {
  it("makes a single-use member invite for 7 days by default, and stores only its hash", async () => {
    const owner = await registerOwner();
    const before = Date.now();
    const reply = await call("POST", "/admin/invites", { token: owner.token });
    expect(reply.status).toBe(201);
    expect(Object.keys(reply.body).sort()).toEqual(["expires_at", "id", "invite_token"]);
    expect(reply.body.invite_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const expires = Date.parse(reply.body.expires_at);
    expect(expires - before).toBeGreaterThanOrEqual(7 * 86_400_000 - 1000);
    expect(expires - before).toBeLessThanOrEqual(7 * 86_400_000 + 5000);
    const stored = await env.DB.prepare("SELECT token_hash, role, created_by FROM invites").all<{
      token_hash: string;
      role: string;
      created_by: string;
    }>();
    expect(stored.results).toEqual([{ token_hash: expect.stringMatching(/^[0-9a-f]{64}$/), role: "member", created_by: owner.user.id }]);
    expect(JSON.stringify(stored.results)).not.toContain(reply.body.invite_token);
    expect(await auditLog("invite.")).toEqual([
      expect.objectContaining({ action: "invite.created", actor_id: owner.user.id, target_type: "invite" }),
    ]);
  });

  it("takes a role and a lifetime", async () => {
    const owner = await registerOwner();
    const reply = await call("POST", "/admin/invites", { token: owner.token, body: { role: "admin", expires_in_hours: 1 } });
    expect(reply.status).toBe(201);
    expect(Date.parse(reply.body.expires_at) - Date.now()).toBeLessThanOrEqual(3_600_000);
    const admin = await call("POST", "/auth/register", {
      body: { email: "adm@example.test", username: "adm", password: "a-long-enough-password", invite_token: reply.body.invite_token },
    });
    expect(admin.body.user.role).toBe("admin");
  });

  it("lets admins invite members and guests only, and nobody else invite at all", async () => {
    const owner = await registerOwner();
    const admin = await signUp(owner.token, { role: "admin" });
    const member = await signUp(owner.token);
    const guest = await signUp(owner.token, { role: "guest" });
    expect(await invite(admin.token, { role: "guest" })).toBeTruthy();
    expectProblem(await call("POST", "/admin/invites", { token: admin.token, body: { role: "admin" } }), 403, "owner_required");
    expectProblem(await call("POST", "/admin/invites", { token: admin.token, body: { role: "owner" } }), 403, "owner_required");
    expectProblem(await call("POST", "/admin/invites", { token: member.token }), 403, "admin_required");
    expectProblem(await call("POST", "/admin/invites", { token: guest.token, body: {} }), 403, "admin_required");
    expectProblem(await call("POST", "/admin/invites"), 401);
  });

  it("answers bad input with 4xx", async () => {
    const owner = await registerOwner();
    for (const body of [
      { role: "king" },
      { expires_in_hours: 0 },
      { expires_in_hours: 721 },
      { expires_in_hours: 1.5 },
      { expires_in_hours: "24" },
      { uses: 3 },
      [],
      "x",
    ]) {
      expectProblem(await call("POST", "/admin/invites", { token: owner.token, body }), 422);
    }
    expectProblem(await call("POST", "/admin/invites", { token: owner.token, rawBody: "{,}" }), 400);
  });
});
