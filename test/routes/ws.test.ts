import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CloseCode } from "../../src/protocol/closeCodes";
import { call, expectProblem, registerOwner, signUp } from "../helpers";
import { TestSocket } from "../socketClient";

// GET /ws and POST /ws/ticket through the real Worker.

const upgrade = (query = "", headers: Record<string, string> = {}) =>
  exports.default.fetch(new Request(`https://colink.test/api/v1/ws${query}`, { headers: { upgrade: "websocket", ...headers } }));

async function problemOf(res: Response) {
  return { status: res.status, headers: res.headers, body: await res.json() };
}

describe("GET /ws", () => {
  it("opens a socket for a Bearer token and says ready", async () => {
    const owner = await registerOwner();
    const ws = TestSocket.fromResponse(await upgrade("", { authorization: `Bearer ${owner.token}` }));
    expect((await ws.next()).type).toBe("ready");
    ws.close();
  });

  it("answers 401 without credentials and with a bad token", async () => {
    expectProblem(await problemOf(await upgrade()), 401);
    expectProblem(await problemOf(await upgrade("", { authorization: "Bearer nope" })), 401);
    expect((await upgrade()).headers.get("www-authenticate")).toContain("Bearer");
  });

  it("answers 426 to a plain GET", async () => {
    const owner = await registerOwner();
    const res = await call("GET", "/ws", { token: owner.token });
    expectProblem(res, 426, "upgrade_required");
  });

  it("refuses a browser origin that is not allowed, and allows its own", async () => {
    const owner = await registerOwner();
    const auth = { authorization: `Bearer ${owner.token}` };
    expectProblem(await problemOf(await upgrade("", { ...auth, origin: "https://evil.example" })), 403, "origin_not_allowed");
    const ws = TestSocket.fromResponse(await upgrade("", { ...auth, origin: "https://colink.test" }));
    expect((await ws.next()).type).toBe("ready");
    ws.close();
  });
});

describe("socket tickets", () => {
  it("work once, for the user they were issued to", async () => {
    const owner = await registerOwner();
    const issued = await call("POST", "/ws/ticket", { token: owner.token });
    expect(issued.status).toBe(200);
    expect(Date.parse(issued.body.expires_at) - Date.now()).toBeLessThanOrEqual(30_000);
    const ticket = encodeURIComponent(issued.body.ticket);
    const ws = TestSocket.fromResponse(await upgrade(`?ticket=${ticket}`, { origin: "https://colink.test" }));
    expect((await ws.next()).type).toBe("ready");
    expectProblem(await problemOf(await upgrade(`?ticket=${ticket}`)), 401, "invalid_ticket");
    ws.close();
  });

  it("die with the login session that minted them, and bind their socket to it (closed 4001 at logout)", async () => {
    const owner = await registerOwner();
    const before = await call("POST", "/ws/ticket", { token: owner.token });
    const spare = await call("POST", "/ws/ticket", { token: owner.token });
    const ws = TestSocket.fromResponse(
      await upgrade(`?ticket=${encodeURIComponent(before.body.ticket)}`, { origin: "https://colink.test" }),
    );
    expect((await ws.next()).type).toBe("ready");
    expect((await call("POST", "/auth/logout", { token: owner.token })).status).toBe(204);
    expect((await ws.closedWith()).code).toBe(CloseCode.Unauthorized);
    expectProblem(await problemOf(await upgrade(`?ticket=${encodeURIComponent(spare.body.ticket)}`)), 401, "invalid_ticket");
  });

  it("cannot be forged or moved to another user", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    const issued = await call("POST", "/ws/ticket", { token: member.token });
    const secret = (issued.body.ticket as string).split(".")[1];
    expectProblem(await problemOf(await upgrade(`?ticket=${owner.user.id}.${secret}`)), 401, "invalid_ticket");
    expectProblem(await problemOf(await upgrade("?ticket=garbage")), 401, "invalid_ticket");
    expectProblem(await problemOf(await upgrade(`?ticket=${"x".repeat(600)}`)), 400);
  });

  it("need authentication to issue", async () => {
    expectProblem(await call("POST", "/ws/ticket"), 401);
  });
});

describe("deactivation", () => {
  it("closes the user's sockets with 4003 at once", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    const ws = TestSocket.fromResponse(await upgrade("", { authorization: `Bearer ${member.token}` }));
    await ws.next();
    const res = await call("POST", `/admin/users/${member.user.id}/deactivate`, { token: owner.token });
    expect(res.status).toBeLessThan(300);
    expect((await ws.closedWith()).code).toBe(CloseCode.Deactivated);
    expectProblem(await problemOf(await upgrade("", { authorization: `Bearer ${member.token}` })), 401);
  });
});
