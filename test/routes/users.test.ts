import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, expectProblem, invite, registerOwner, signUp } from "../helpers";

describe("GET /users/me", () => {
  it("returns the caller, exactly the user fields", async () => {
    const owner = await registerOwner();
    const reply = await call("GET", "/users/me", { token: owner.token });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual(owner.user);
    expect(reply.body).not.toHaveProperty("password_hash");
  });

  it("needs a valid token", async () => {
    expectProblem(await call("GET", "/users/me"), 401, "unauthorized");
    expectProblem(await call("GET", "/users/me", { token: "eyJhbGciOiJub25lIn0.e30." }), 401);
  });
});

describe("PATCH /users/me", () => {
  it("changes the profile fields, trimmed, and leaves the others alone", async () => {
    const owner = await registerOwner();
    const reply = await call("PATCH", "/users/me", {
      token: owner.token,
      body: {
        display_name: "  Grace H.  ",
        title: "Rear Admiral",
        timezone: "America/New_York",
        status_text: "compiling",
        status_emoji: "🧑‍💻",
      },
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      ...owner.user,
      display_name: "Grace H.",
      title: "Rear Admiral",
      timezone: "America/New_York",
      status_text: "compiling",
      status_emoji: "🧑‍💻",
    });
    expect((await call("GET", "/users/me", { token: owner.token })).body).toEqual(reply.body);
    const partial = await call("PATCH", "/users/me", { token: owner.token, body: { status_text: "" } });
    expect(partial.body).toMatchObject({ title: "Rear Admiral", status_text: "" });
    expect((await call("PATCH", "/users/me", { token: owner.token, body: {} })).body).toEqual(partial.body);
  });

  it("takes one emoji or a :shortcode: as status_emoji, stored as the emoji; an empty one clears it", async () => {
    const owner = await registerOwner();
    const set = async (status_emoji: string) =>
      (await call("PATCH", "/users/me", { token: owner.token, body: { status_emoji } })).body.status_emoji;
    expect(await set("👩🏽‍💻")).toBe("👩🏽‍💻");
    expect(await set(":palm_tree:")).toBe("🌴");
    expect(await set(" 🇫🇷 ")).toBe("🇫🇷");
    expect(await set("")).toBe("");
  });

  it("keeps display names in every script, with the joiners their writing needs", async () => {
    const owner = await registerOwner();
    for (const name of ["Zoë Ångström", "ශ්‍රී ලංකා", "می‌خواهم", "हिन्दी", "李小龍", "👩‍👩‍👧 family", "Chloé 🏳️‍🌈"]) {
      const reply = await call("PATCH", "/users/me", { token: owner.token, body: { display_name: name } });
      expect(reply.status, `${name}: ${JSON.stringify(reply.body)}`).toBe(200);
      expect(reply.body.display_name).toBe(name);
    }
  });

  it("refuses invisible characters in a display name at sign-up too, naming the code point", async () => {
    const owner = await registerOwner();
    const reply = await call("POST", "/auth/register", {
      body: {
        email: "mallory@example.test",
        username: "mallory",
        password: "a-long-enough-password",
        display_name: "Owner\u202E",
        invite_token: await invite(owner.token),
      },
    });
    const problem = expectProblem(reply, 422, "validation_failed");
    expect(problem.errors).toEqual([{ path: "display_name", message: expect.stringContaining("U+202E") }]);
  });

  it("stores time zones by their canonical name", async () => {
    const owner = await registerOwner();
    expect((await call("PATCH", "/users/me", { token: owner.token, body: { timezone: "utc" } })).body.timezone).toBe("UTC");
  });

  it("refuses fields it does not own, with a 422 naming each", async () => {
    const owner = await registerOwner();
    for (const field of ["role", "email", "username", "id", "deactivated", "password_hash", "created_at"]) {
      const problem = expectProblem(await call("PATCH", "/users/me", { token: owner.token, body: { [field]: "x", title: "ok" } }), 422);
      expect(problem.errors).toContainEqual({ path: field, message: expect.any(String) });
    }
    expect((await call("GET", "/users/me", { token: owner.token })).body).toEqual(owner.user);
  });

  it("refuses invalid values with 422", async () => {
    const owner = await registerOwner();
    const cases: [Record<string, unknown>, string][] = [
      [{ timezone: "Mars/Olympus_Mons" }, "timezone"],
      [{ timezone: "+01:00" }, "timezone"],
      [{ timezone: "" }, "timezone"],
      [{ display_name: "x".repeat(65) }, "display_name"],
      [{ display_name: "bell\u0007" }, "display_name"],
      [{ title: 7 }, "title"],
      [{ status_text: null }, "status_text"],
      [{ status_emoji: "e".repeat(65) }, "status_emoji"],
      [{ status_emoji: "hi" }, "status_emoji"],
      [{ status_emoji: "🌴🌴" }, "status_emoji"],
      [{ status_emoji: ":not_a_shortcode:" }, "status_emoji"],
      [{ status_emoji: "\u200D" }, "status_emoji"],
      [{ display_name: "evil\u202Egnp.exe" }, "display_name"],
      [{ display_name: "ad\u200Bmin" }, "display_name"],
      [{ display_name: "Ad\u200Dmin" }, "display_name"],
      [{ display_name: "\u2066Owner\u2069" }, "display_name"],
      [{ display_name: "Owner\u061C" }, "display_name"],
      [{ display_name: "\u3164" }, "display_name"],
      [{ display_name: "soft\u00ADhyphen" }, "display_name"],
      [{ title: "CEO\u202D" }, "title"],
      [{ status_text: "away \u200F" }, "status_text"],
    ];
    for (const [body, path] of cases) {
      const problem = expectProblem(await call("PATCH", "/users/me", { token: owner.token, body }), 422, "validation_failed");
      expect(
        problem.errors?.map((e) => e.path),
        JSON.stringify(body),
      ).toContain(path);
    }
    expectProblem(await call("PATCH", "/users/me", { token: owner.token, body: [] }), 422);
  });

  it("answers 400 to malformed JSON, 401 without a token; no body changes nothing", async () => {
    const owner = await registerOwner();
    expectProblem(await call("PATCH", "/users/me", { token: owner.token, rawBody: "{'title': 1}" }), 400);
    expectProblem(await call("PATCH", "/users/me", { token: owner.token, rawBody: "" }), 400);
    expect(await call("PATCH", "/users/me", { token: owner.token })).toMatchObject({ status: 200, body: owner.user });
    expectProblem(await call("PATCH", "/users/me", { body: { title: "x" } }), 401);
  });
});

describe("GET /users", () => {
  it("lists everyone by username, page by page, with an opaque cursor", async () => {
    const owner = await registerOwner();
    const names = ["zed", "amy", "bob", "cat", "dan"];
    for (const username of names) await signUp(owner.token, { username });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : "?limit=2";
      const reply = await call("GET", `/users${query}`, { token: owner.token });
      expect(reply.status).toBe(200);
      expect(reply.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...reply.body.items.map((u: { username: string }) => u.username));
      cursor = reply.body.next_cursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual([...names, "owner"].sort());
    expect(pages).toBe(3);
  });

  it("uses a default page of 50 and at most 200", async () => {
    const owner = await registerOwner();
    const reply = await call("GET", "/users", { token: owner.token });
    expect(reply.body).toEqual({ items: [owner.user], next_cursor: null });
    expect((await call("GET", "/users?limit=200", { token: owner.token })).status).toBe(200);
  });

  it("searches username, display name and email, case-insensitively, wildcards taken literally", async () => {
    const owner = await registerOwner();
    const ada = await signUp(owner.token, { username: "ada_l" });
    await call("PATCH", "/users/me", { token: ada.token, body: { display_name: "Countess Lovelace" } });
    const alan = await signUp(owner.token, { username: "alan" });
    const search = async (q: string) =>
      (await call("GET", `/users?query=${encodeURIComponent(q)}`, { token: owner.token })).body.items.map((u: { id: string }) => u.id);
    expect(await search("LOVELACE")).toEqual([ada.user.id]);
    expect(await search("@EXAMPLE")).toEqual([ada.user.id, alan.user.id, owner.user.id]);
    expect(await search("AL")).toEqual([alan.user.id]);
    expect(await search("alan@example")).toEqual([alan.user.id]);
    expect(await search("a_")).toEqual([ada.user.id]);
    expect(await search("%")).toEqual([]);
    expect(await search("nobody-matches")).toEqual([]);
  });

  it("shows deactivated users as such", async () => {
    const owner = await registerOwner();
    const viewer = await signUp(owner.token);
    const member = await signUp(owner.token);
    await call("POST", `/admin/users/${member.user.id}/deactivate`, { token: owner.token });
    const reply = await call("GET", "/users", { token: viewer.token });
    expect(reply.status).toBe(200);
    expect(reply.body.items.find((u: { id: string }) => u.id === member.user.id)).toMatchObject({ deactivated: true });
  });

  it("answers a bad query string with 400", async () => {
    const owner = await registerOwner();
    for (const query of [
      "limit=0",
      "limit=201",
      "limit=abc",
      "limit=1.5",
      "limit=",
      "cursor=%%%",
      "cursor=bm90LWpzb24",
      "cursor=e30",
      `query=${"q".repeat(101)}`,
      "limit=1&limit=2",
    ]) {
      expectProblem(await call("GET", `/users?${query}`, { token: owner.token }), 400);
    }
    expectProblem(await call("GET", "/users"), 401);
  });
});

describe("GET /users/{user_id}", () => {
  it("returns one user to any member of the workspace", async () => {
    const owner = await registerOwner();
    const member = await signUp(owner.token);
    const reply = await call("GET", `/users/${owner.user.id}`, { token: member.token });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ ...owner.user, email: null });
    expect((await call("GET", `/users/${member.user.id}`, { token: owner.token })).body).toEqual(member.user);
  });

  it("answers 404 for unknown and malformed ids, 401 without a token", async () => {
    const owner = await registerOwner();
    expectProblem(await call("GET", "/users/u_00000000000000000000000000", { token: owner.token }), 404, "user_not_found");
    expectProblem(await call("GET", "/users/not-an-id", { token: owner.token }), 404);
    expectProblem(await call("GET", "/users/%00", { token: owner.token }), 404);
    expectProblem(await call("GET", `/users/${owner.user.id}`), 401);
  });
});

describe("user.updated", () => {
  it("reaches the user's own event stream after a profile change", async () => {
    const owner = await registerOwner();
    const reply = await call("PATCH", "/users/me", { token: owner.token, body: { title: "Chief" } });
    const frames = await runInDurableObject(env.USER_SESSION.getByName(owner.user.id), (_instance, state) =>
      state.storage.sql.exec<{ frame: string }>("SELECT frame FROM user_events WHERE type = 'user.updated'").toArray(),
    );
    expect(frames.map((f) => JSON.parse(f.frame).data)).toEqual([{ user: reply.body }]);
  });
});
