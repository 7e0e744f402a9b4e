import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createDb } from "../../../src/db/client";
import { register } from "../../../src/services/actions/accounts";
import { changeRole } from "../../../src/services/actions/userAdmin";
import { invite, registerOwner, signUp } from "../../helpers";

const db = () => createDb(env.DB);
const client = { ip: "192.0.2.1", userAgent: "test" };

describe("register with OPEN_SIGNUP", () => {
  it("admits anyone as a member, and still honours an invite's role", async () => {
    const owner = await registerOwner();
    const open = { ...env, OPEN_SIGNUP: "true" };
    const walkIn = await register(open, db(), { email: "walk@example.test", username: "walk", password: "a-long-enough-password" }, client);
    expect(walkIn.user.role).toBe("member");
    expect(walkIn.tokens.token_type).toBe("Bearer");
    const invite_token = await invite(owner.token, { role: "guest" });
    const guest = await register(
      open,
      db(),
      { email: "g@example.test", username: "g1", password: "a-long-enough-password", invite_token },
      client,
    );
    expect(guest.user.role).toBe("guest");
  });

  it("is off by default: the test configuration needs invites", async () => {
    await registerOwner();
    await expect(
      register(env, db(), { email: "walk@example.test", username: "walk", password: "a-long-enough-password" }, client),
    ).rejects.toMatchObject({
      status: 403,
      code: "invite_required",
    });
  });
});

describe("the last-owner guard", () => {
  it("holds when two owners demote each other past their permission checks at once", async () => {
    const owner = await registerOwner();
    const second = await signUp(owner.token, { role: "owner" });
    // Both actors still read as owners, as if both requests authenticated before either wrote.
    const actor = (a: typeof owner) => ({
      user: { id: a.user.id, username: a.user.username, role: "owner" as const, displayName: "" },
      requestId: "race",
    });
    const results = await Promise.allSettled([
      changeRole(env, db(), actor(owner), second.user.id, "member"),
      changeRole(env, db(), actor(second), owner.user.id, "member"),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(results.find((r) => r.status === "rejected")).toMatchObject({ reason: { status: 409, code: "last_owner" } });
    const owners = await env.DB.prepare("SELECT count(*) AS n FROM users WHERE role = 'owner'").first<{ n: number }>();
    expect(owners?.n).toBe(1);
  });
});
