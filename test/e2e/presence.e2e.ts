import { describe, expect, it } from "vitest";
import { type Account, api, signUp } from "./client";
import { type Frame, NodeSocket } from "./socket";

// Presence and typing through the real `wrangler dev`.

async function live(who: Account) {
  const s = await NodeSocket.ready(who.token);
  s.send({ type: "resume", user_seq: 0, channels: {} });
  await s.until((f) => f.type === "ready");
  return s;
}

const presenceOf = (userId: string, status: string) => (f: Frame) =>
  f.type === "presence" && f.data.user_id === userId && f.data.status === status;

describe("presence", () => {
  it("is pushed to subscribers: active on connect, offline when the device drops", async () => {
    const [ada, bob] = await Promise.all([signUp("ada"), signUp("bob")]);
    const watcher = await live(ada);
    watcher.send({ type: "presence.subscribe", user_ids: [bob.id] });
    await watcher.until(presenceOf(bob.id, "offline"));
    const device = await live(bob);
    await watcher.until(presenceOf(bob.id, "active"));
    device.terminate();
    await watcher.until(presenceOf(bob.id, "offline"), 15_000);
    watcher.close();
  });

  it("honours dnd until it expires", async () => {
    const ada = await signUp("ada");
    const device = await live(ada);
    const until = new Date(Date.now() + 2_000).toISOString();
    expect((await api("PUT", "/users/me/presence", { token: ada.token, body: { status: "dnd", dnd_until: until } })).body.status).toBe(
      "dnd",
    );
    expect((await api("GET", `/users/presence?ids=${ada.id}`, { token: ada.token })).body.items[0].status).toBe("dnd");
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await api("GET", `/users/presence?ids=${ada.id}`, { token: ada.token })).body.items[0].status).toBe("active");
    device.close();
  });
});

describe("typing", () => {
  it("reaches the other members' sockets and is never replayed", async () => {
    const [ada, bob] = await Promise.all([signUp("ada"), signUp("bob")]);
    const ch = await api("POST", "/channels", { token: ada.token, body: { name: `typing-${Date.now().toString(36)}`, is_private: true } });
    await api("POST", `/channels/${ch.body.id}/members`, { token: ada.token, body: { user_ids: [bob.id] } });
    const [typist, watcher] = await Promise.all([live(ada), live(bob)]);
    typist.send({ type: "typing", channel_id: ch.body.id });
    const { match } = await watcher.until((f) => f.type === "typing");
    expect(match).toEqual({ type: "typing", channel_id: ch.body.id, data: { user_id: ada.id, thread_root_id: null } });
    watcher.close();
    const again = await NodeSocket.ready(bob.token);
    again.send({ type: "resume", user_seq: 0, channels: { [ch.body.id]: 0 } });
    const { before } = await again.until((f) => f.type === "ready");
    expect(before.filter((f) => f.type === "typing")).toEqual([]);
    typist.close();
    again.close();
  });
});
