import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { addMembers, createChannel, expectStatus, workspace } from "../channelFixtures";
import { call, expectProblem } from "../helpers";
import { openLiveSocket } from "../socketClient";

// Who sees whom (issue 12, item 7): a guest sees only the people they share a channel or DM with,
// and only admins see other people's e-mail addresses unless the workspace shows them to members.

const ids = (reply: { body: { items: { id: string }[] } }) => reply.body.items.map((u) => u.id).sort();

describe("a guest's directory", () => {
  it("lists only themselves and the people they share a channel with", async () => {
    const { owner, alice, bob, guest } = await workspace();
    expect(ids(await call("GET", "/users", { token: guest.token }))).toEqual([guest.user.id]);
    const channel = await createChannel(alice, { is_private: true });
    await addMembers(alice, channel.id, guest);
    expect(ids(await call("GET", "/users", { token: guest.token }))).toEqual([alice.user.id, guest.user.id].sort());
    // Searching does not reach past that either.
    const search = await call("GET", `/users?query=${encodeURIComponent(bob.user.username)}`, { token: guest.token });
    expect(search.body.items).toEqual([]);
    // Members still see everyone.
    expect(ids(await call("GET", "/users", { token: bob.token }))).toContain(owner.user.id);
  });

  it("answers 404 for anyone else, as for an id that names nobody", async () => {
    const { alice, bob, guest } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, guest);
    expectStatus(await call("GET", `/users/${alice.user.id}`, { token: guest.token }), 200);
    expectStatus(await call("GET", `/users/${guest.user.id}`, { token: guest.token }), 200);
    const hidden = expectProblem(await call("GET", `/users/${bob.user.id}`, { token: guest.token }), 404, "user_not_found");
    const nobody = expectProblem(await call("GET", "/users/u_00000000000000000000000000", { token: guest.token }), 404, "user_not_found");
    expect(hidden.detail).toBe(nobody.detail);
  });

  it("may open DMs only with people they share a channel with (404 for others, unknown ids alike)", async () => {
    const { alice, bob, guest } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, guest);
    expectProblem(await call("POST", "/dms", { token: guest.token, body: { user_ids: [bob.user.id] } }), 404, "user_not_found");
    expectProblem(await call("POST", "/dms", { token: guest.token, body: { user_ids: [alice.user.id, bob.user.id] } }), 404);
    expectProblem(await call("POST", "/dms", { token: guest.token, body: { user_ids: ["u_00000000000000000000000000"] } }), 404);
    expectStatus(await call("POST", "/dms", { token: guest.token, body: { user_ids: [alice.user.id] } }), 201);
    // Members may still open a DM with a guest, who then sees them.
    expectStatus(await call("POST", "/dms", { token: bob.token, body: { user_ids: [guest.user.id] } }), 201);
    expectStatus(await call("GET", `/users/${bob.user.id}`, { token: guest.token }), 200);
  });

  it("reads presence only of the people they share a channel with", async () => {
    const { alice, bob, guest } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, guest);
    const reply = await call("GET", `/users/presence?ids=${alice.user.id},${bob.user.id}`, { token: guest.token });
    expect(reply.body.items.map((p: { user_id: string }) => p.user_id)).toEqual([alice.user.id]);
  });

  it("watches presence over the socket only of the people they share a channel with; the others are left out silently", async () => {
    const { owner, alice, bob, guest } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, guest);
    const { ws } = await openLiveSocket(guest.token);
    ws.send({ type: "presence.subscribe", user_ids: [bob.user.id, alice.user.id, guest.user.id, owner.user.id] });
    const first = await ws.collect((f) => f.type === "presence", 2);
    expect(first.map((f) => f.data.user_id).sort()).toEqual([alice.user.id, guest.user.id].sort());
    // Bob coming online is news to his subscribers: the guest is not one.
    const bobs = await openLiveSocket(bob.token);
    const alices = await openLiveSocket(alice.token);
    const later = await ws.until((f) => f.type === "presence" && f.data.user_id === alice.user.id);
    const rest = await ws.drain(300);
    expect([...later.before, ...rest].filter((f) => f.type !== "presence" || f.data.user_id !== alice.user.id)).toEqual([]);
    // A member watching the same people sees everyone.
    const watcher = await openLiveSocket(owner.token);
    watcher.ws.send({ type: "presence.subscribe", user_ids: [bob.user.id, alice.user.id, guest.user.id] });
    const all = await watcher.ws.collect((f) => f.type === "presence", 3);
    expect(all.map((f) => f.data.user_id).sort()).toEqual([alice.user.id, bob.user.id, guest.user.id].sort());
    for (const s of [ws, bobs.ws, alices.ws, watcher.ws]) s.close();
  });
});

describe("e-mail addresses", () => {
  it("are shown to admins and owners, and to each person their own, but not to members or guests", async () => {
    const { owner, alice, bob, admin, guest } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, guest, bob);
    const emailsSeenBy = async (token: string) =>
      Object.fromEntries(
        (await call("GET", "/users?limit=200", { token })).body.items.map((u: { id: string; email: string | null }) => [u.id, u.email]),
      );
    for (const viewer of [owner, admin]) expect((await emailsSeenBy(viewer.token))[bob.user.id]).toBe(bob.user.email);
    for (const viewer of [alice, guest]) {
      const seen = await emailsSeenBy(viewer.token);
      expect(seen[bob.user.id]).toBeNull();
      expect(seen[viewer.user.id]).toBe(viewer.user.email);
    }
    expect((await call("GET", `/users/${bob.user.id}`, { token: alice.token })).body.email).toBeNull();
    expect((await call("GET", `/users/${bob.user.id}`, { token: admin.token })).body.email).toBe(bob.user.email);
    expect((await call("GET", "/users/me", { token: alice.token })).body.email).toBe(alice.user.email);
  });

  it("cannot be found out by searching for them", async () => {
    const { alice, bob } = await workspace();
    const search = async (q: string) =>
      (await call("GET", `/users?query=${encodeURIComponent(q)}`, { token: alice.token })).body.items.map((u: { id: string }) => u.id);
    expect(await search(bob.user.email)).toEqual([]);
    expect(await search(alice.user.email)).toEqual([alice.user.id]);
  });

  it("are shown to members (never guests) when SHOW_EMAIL_TO_MEMBERS is set", async () => {
    const { alice, bob, guest } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, guest);
    const shown = { ...env, SHOW_EMAIL_TO_MEMBERS: "true" };
    const read = async (token: string, id: string) =>
      (await (await app.request(`/api/v1/users/${id}`, { headers: { authorization: `Bearer ${token}` } }, shown)).json()) as {
        email: string | null;
      };
    expect((await read(alice.token, bob.user.id)).email).toBe(bob.user.email);
    expect((await read(guest.token, alice.user.id)).email).toBeNull();
  });
});
