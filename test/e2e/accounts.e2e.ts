import { describe, expect, it } from "vitest";
import { api, baseUrl, login, ownerAccount, signUp } from "./client";
import { NodeSocket } from "./socket";

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

  it("ends the other sessions on a password change: their tokens stop and the server closes their sockets", async () => {
    const me = await signUp("pwchange");
    const other = await login(me.username, me.password);
    const otherSocket = await NodeSocket.ready(other.token);
    const mySocket = await NodeSocket.ready(me.token);
    const changed = await api("POST", "/auth/password", {
      token: me.token,
      body: { current_password: me.password, new_password: "a fresh e2e passphrase" },
    });
    expect(changed.status).toBe(204);
    // The server starts the close handshake at once (the in-runtime suite checks its code, 4001).
    // Through wrangler dev's proxy the TCP connection then lingers until the client library's own
    // 30 s close timeout, so the closing state is what is waited for here.
    const deadline = Date.now() + 10_000;
    while (otherSocket.ws.readyState === otherSocket.ws.OPEN && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(otherSocket.ws.readyState).not.toBe(otherSocket.ws.OPEN);
    otherSocket.terminate();
    expect((await api("GET", "/users/me", { token: other.token })).status).toBe(401);
    expect((await api("GET", "/users/me", { token: me.token })).status).toBe(200);
    mySocket.send({ type: "ping" });
    expect((await mySocket.until((f) => f.type === "pong")).match.type).toBe("pong");
    mySocket.ws.close();
  });
});

describe("sign-in throttling under wrangler dev", () => {
  it("does not believe a client's own cf-connecting-ip: every local client is one address", async () => {
    const victim = await signUp("throttle");
    const attempt = (password: string, address: string) =>
      fetch(`${baseUrl()}/api/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json", "cf-connecting-ip": address },
        body: JSON.stringify({ login: victim.username, password }),
      });
    for (let i = 0; i < 5; i++) expect((await attempt(`wrong-${i}`, `198.51.100.${i + 1}`)).status).toBe(401);
    // A made-up fresh address is no fresh start.
    const refused = await attempt(victim.password, "198.51.100.200");
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
