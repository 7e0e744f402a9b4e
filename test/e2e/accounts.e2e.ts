import { describe, expect, it } from "vitest";
import { api, ownerAccount } from "./client";

// README "done means", against a real `wrangler dev`: the owner signs in, invites someone, they
// sign up with the invite, and both are in the directory. Then the session lifecycle over HTTP.

describe("built-in accounts", () => {
  it("owner invites, a second user signs up, both are listed", async () => {
    const owner = await ownerAccount();
    const invite = await api("POST", "/admin/invites", { token: owner.token, body: { role: "member" } });
    expect(invite.status).toBe(201);
    expect(typeof invite.body.invite_token).toBe("string");

    const username = `e2e-${Date.now().toString(36)}`;
    const password = `pw-${crypto.randomUUID()}`;
    const signUp = await api("POST", "/auth/register", {
      body: { email: `${username}@example.test`, username, password, invite_token: invite.body.invite_token },
    });
    expect(signUp.status).toBe(201);
    expect(signUp.body.user).toMatchObject({ username, role: "member", deactivated: false });
    expect(signUp.body.token_type).toBe("Bearer");

    const again = await api("POST", "/auth/register", {
      body: { email: `again-${username}@example.test`, username: `again-${username}`, password, invite_token: invite.body.invite_token },
    });
    expect(again.status).toBe(403);
    expect(again.headers.get("content-type")).toBe("application/problem+json");

    const list = await api("GET", "/users?limit=200", { token: signUp.body.access_token });
    expect(list.status).toBe(200);
    const listed = list.body.items.map((u: { username: string }) => u.username);
    expect(listed).toContain("owner");
    expect(listed).toContain(username);
  });

  it("refreshes with rotation and logs out", async () => {
    const owner = await ownerAccount();
    const refreshed = await api("POST", "/auth/refresh", { body: { refresh_token: owner.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(owner.refreshToken);
    expect((await api("GET", "/users/me", { token: refreshed.body.access_token })).body.username).toBe("owner");

    expect((await api("POST", "/auth/logout", { token: refreshed.body.access_token })).status).toBe(204);
    expect((await api("GET", "/users/me", { token: refreshed.body.access_token })).status).toBe(401);
    expect((await api("POST", "/auth/refresh", { body: { refresh_token: refreshed.body.refresh_token } })).status).toBe(401);
  });
});
