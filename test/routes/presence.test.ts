import { describe, expect, it } from "vitest";
import { call, expectProblem, registerOwner, signUp } from "../helpers";
import { openLiveSocket } from "../socketClient";

describe("GET /users/presence", () => {
  it("reads the presence of known users, leaving out unknown ids", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    const { ws } = await openLiveSocket(member.token);
    const res = await call("GET", `/users/presence?ids=${member.user.id},${owner.user.id},u_00000000000000000000000000`, {
      token: owner.token,
    });
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      { user_id: member.user.id, status: "active", last_active_at: expect.any(String) },
      { user_id: owner.user.id, status: "offline", last_active_at: null },
    ]);
    ws.close();
  });

  it("answers 401 without a token and 400 for a bad or oversized id list", async () => {
    const owner = await registerOwner();
    expectProblem(await call("GET", `/users/presence?ids=${owner.user.id}`), 401);
    expectProblem(await call("GET", "/users/presence", { token: owner.token }), 400);
    expectProblem(await call("GET", "/users/presence?ids=", { token: owner.token }), 400);
    const many = Array.from({ length: 501 }, (_, i) => `u_${String(i).padStart(26, "0")}`).join(",");
    expectProblem(await call("GET", `/users/presence?ids=${many}`, { token: owner.token }), 400);
  });
});

describe("PUT /users/me/presence", () => {
  it("sets away and dnd by hand and returns to automatic with active", async () => {
    const owner = await registerOwner();
    const { ws } = await openLiveSocket(owner.token);
    const away = await call("PUT", "/users/me/presence", { token: owner.token, body: { status: "away" } });
    expect(away.status).toBe(200);
    expect(away.body.status).toBe("away");
    const until = new Date(Date.now() + 3_600_000).toISOString();
    expect((await call("PUT", "/users/me/presence", { token: owner.token, body: { status: "dnd", dnd_until: until } })).body.status).toBe(
      "dnd",
    );
    expect((await call("PUT", "/users/me/presence", { token: owner.token, body: { status: "active" } })).body.status).toBe("active");
    ws.close();
  });

  it("refuses bad values with 422, malformed JSON with 400 and no token with 401", async () => {
    const owner = await registerOwner();
    const put = (body: unknown) => call("PUT", "/users/me/presence", { token: owner.token, body });
    expectProblem(await put({ status: "invisible" }), 422);
    expectProblem(await put({ status: "away", dnd_until: new Date(Date.now() + 60_000).toISOString() }), 422);
    expectProblem(await put({ status: "dnd", dnd_until: "2001-01-01T00:00:00Z" }), 422);
    expectProblem(await put({ status: "dnd", dnd_until: "tomorrow" }), 422);
    expectProblem(await put({ status: "away", extra: 1 }), 422);
    expectProblem(await call("PUT", "/users/me/presence", { token: owner.token, rawBody: "{" }), 400);
    expectProblem(await call("PUT", "/users/me/presence", { body: { status: "away" } }), 401);
  });
});
