import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { HEARTBEAT_TIMEOUT_MS } from "../../durable-objects/user-session/presence";
import type { UserSession } from "../../durable-objects/user-session/UserSession";
import { newId } from "../../src/lib/ids";
import { CloseCode } from "../../src/protocol/closeCodes";
import { SESSION_ID_HEADER, USER_ID_HEADER } from "../../src/protocol/internalHeaders";
import { TestSocket } from "../socketClient";

// The UserSession on its own, reached the way the Worker reaches it after authenticating.

function session(userId = newId("u")) {
  return { userId, stub: env.USER_SESSION.getByName(userId) };
}

async function connect(stub: DurableObjectStub<UserSession>, userId: string, sessionId?: string): Promise<TestSocket> {
  const headers: Record<string, string> = { upgrade: "websocket", [USER_ID_HEADER]: userId };
  if (sessionId) headers[SESSION_ID_HEADER] = sessionId;
  return TestSocket.fromResponse(await stub.fetch(new Request("https://user-session/ws", { headers })));
}

describe("UserSession sockets", () => {
  it("says ready with the current user_seq on connect", async () => {
    const { userId, stub } = session();
    await stub.appendUserEvent("user.updated", { n: 1 });
    const ws = await connect(stub, userId);
    expect(await ws.next()).toEqual({ type: "ready", user_seq: 1 });
  });

  it("refuses a request that is not an upgrade", async () => {
    const { stub } = session();
    const res = await stub.fetch(new Request("https://user-session/ws"));
    expect(res.status).toBe(426);
  });

  it("knows its user from its name: an upgrade for someone else is refused, tickets name the user", async () => {
    const { userId, stub } = session();
    const res = await stub.fetch(
      new Request("https://user-session/ws", { headers: { upgrade: "websocket", [USER_ID_HEADER]: newId("u") } }),
    );
    expect(res.status).toBe(400);
    expect((await stub.issueTicket(null)).ticket.startsWith(`${userId}.`)).toBe(true);
    expect((await stub.getPresence()).user_id).toBe(userId);
  });

  it("answers bad frames with an error frame and keeps the socket open", async () => {
    const { userId, stub } = session();
    const ws = await connect(stub, userId);
    await ws.next();
    ws.send("not json");
    expect(await ws.next()).toMatchObject({ type: "error", code: "invalid_json" });
    ws.send({ type: "launch_missiles" });
    expect(await ws.next()).toMatchObject({ type: "error", code: "unknown_frame" });
    ws.send({ type: "resume", user_seq: -1, channels: {} });
    expect(await ws.next()).toMatchObject({ type: "error", code: "invalid_frame" });
    ws.send([1, 2, 3]);
    expect(await ws.next()).toMatchObject({ type: "error", code: "unknown_frame" });
    ws.send(new Uint8Array([1, 2, 3]));
    expect(await ws.next()).toMatchObject({ type: "error", code: "binary_not_supported" });
    ws.send({ type: "ping" });
    expect(await ws.next()).toEqual({ type: "pong" });
    expect(ws.closed).toBeNull();
  });

  it("answers the exact ping frame from the auto-response", async () => {
    const { userId, stub } = session();
    const ws = await connect(stub, userId);
    await ws.next();
    ws.send('{"type":"ping"}');
    expect(await ws.next()).toEqual({ type: "pong" });
  });

  it("closes a socket that sends a frame over 64 KiB with 1009", async () => {
    const { userId, stub } = session();
    const ws = await connect(stub, userId);
    await ws.next();
    ws.send({ type: "ping", pad: "x".repeat(70_000) });
    expect((await ws.closedWith()).code).toBe(CloseCode.MessageTooBig);
  });

  it("pushes user events live to every socket of the user", async () => {
    const { userId, stub } = session();
    const a = await connect(stub, userId);
    const b = await connect(stub, userId);
    for (const ws of [a, b]) {
      await ws.next();
      ws.send({ type: "ping" });
      await ws.next();
    }
    await stub.appendUserEvent("read.updated", { channel_id: "c", seq: 3 });
    for (const ws of [a, b])
      expect(await ws.next()).toMatchObject({ type: "read.updated", user_seq: 1, data: { channel_id: "c", seq: 3 } });
  });

  it("delivers held events after the grace period to a client that never sends a frame", async () => {
    const { userId, stub } = session();
    const ws = await connect(stub, userId);
    await ws.next();
    await stub.appendUserEvent("user.updated", { n: 1 });
    expect((await ws.next(4000)).type).toBe("user.updated");
  });

  it("resume replays the user events after the cursor exactly once, then ready", async () => {
    const { userId, stub } = session();
    for (let i = 1; i <= 5; i++) await stub.appendUserEvent("user.updated", { n: i });
    const ws = await connect(stub, userId);
    await ws.next();
    ws.send({ type: "resume", user_seq: 2, channels: {} });
    const { before, match } = await ws.until((f) => f.type === "ready");
    expect(before.map((f) => f.user_seq)).toEqual([3, 4, 5]);
    expect(match).toEqual({ type: "ready", user_seq: 5 });
    expect(await ws.drain()).toEqual([]);
  });

  it("merges events that arrive while a resume is replayed: each once, in order", async () => {
    const { userId, stub } = session();
    for (let i = 1; i <= 3; i++) await stub.appendUserEvent("user.updated", { n: i });
    const ws = await connect(stub, userId);
    await ws.next();
    // Events race the resume frame: some land before it is handled, some during, some after.
    const appends = Promise.all([4, 5, 6, 7, 8].map((n) => stub.appendUserEvent("user.updated", { n })));
    ws.send({ type: "resume", user_seq: 1, channels: {} });
    await appends;
    await ws.until((f) => f.type === "ready");
    await ws.drain();
    const seqs = ws.frames.filter((f) => f.type === "user.updated").map((f) => f.user_seq);
    expect(seqs).toEqual([2, 3, 4, 5, 6, 7, 8]);
  });

  it("resumes once per socket: a second resume gets already_resumed and replays nothing", async () => {
    const { userId, stub } = session();
    for (let i = 1; i <= 3; i++) await stub.appendUserEvent("user.updated", { n: i });
    const ws = await connect(stub, userId);
    await ws.next();
    ws.send({ type: "resume", user_seq: 0, channels: {} });
    const first = await ws.until((f) => f.type === "ready");
    expect(first.before.map((f) => f.user_seq)).toEqual([1, 2, 3]);
    ws.send({ type: "resume", user_seq: 0, channels: {} });
    expect(await ws.next()).toMatchObject({ type: "error", code: "already_resumed" });
    expect(await ws.drain()).toEqual([]);
    // Also across hibernation: the attachment remembers.
    await evictDurableObject(stub, { webSockets: "hibernate" });
    ws.send({ type: "resume", user_seq: 0, channels: {} });
    expect(await ws.next()).toMatchObject({ type: "error", code: "already_resumed" });
    expect(await ws.drain()).toEqual([]);
  });

  it("answers a resume whose directory read fails with internal_error, keeps the socket, and lets it resume again", async () => {
    const { userId, stub } = session();
    await stub.appendUserEvent("user.updated", { n: 1 });
    // The resume path reads the user's channels from D1 (memberships) on a fresh session: make that
    // read fail for real, then put the table back.
    await env.DB.exec("ALTER TABLE memberships RENAME TO memberships_away");
    let ws: TestSocket;
    try {
      ws = await connect(stub, userId);
      await ws.next();
      ws.send({ type: "resume", user_seq: 0, channels: {} });
      expect(await ws.next(4000)).toMatchObject({ type: "error", code: "internal_error" });
    } finally {
      await env.DB.exec("ALTER TABLE memberships_away RENAME TO memberships");
    }
    // Not the exact auto-answered ping: this one goes through the frame handler.
    ws.send('{ "type": "ping" }');
    expect((await ws.until((f) => f.type === "pong")).match).toEqual({ type: "pong" });
    ws.send({ type: "resume", user_seq: 0, channels: {} });
    const { before, match } = await ws.until((f) => f.type === "ready");
    expect(before.filter((f) => f.type === "user.updated").map((f) => f.user_seq)).toEqual([1]);
    expect(match).toEqual({ type: "ready", user_seq: 1 });
    expect(ws.closed).toBeNull();
  });

  it("holds typing for a socket that has its ready but no first frame yet, instead of dropping it", async () => {
    const { userId, stub } = session();
    const ws = await connect(stub, userId);
    await ws.next();
    const typing = { type: "typing", channel_id: "c_1", data: { user_id: "u_other", thread_root_id: null } };
    await stub.appendUserEvent("user.updated", { n: 1 });
    expect(await stub.deliverEphemeral(JSON.stringify(typing))).toBe(true);
    // Held with the rest, in arrival order, and released when the grace ends.
    expect(await ws.next(4000)).toMatchObject({ type: "user.updated", user_seq: 1 });
    expect(await ws.next(4000)).toEqual(typing);
  });

  it("a resume with no cursors ends the grace at once: held events, then ready", async () => {
    const { userId, stub } = session();
    await stub.appendUserEvent("user.updated", { n: 1 });
    const connectedAt = Date.now();
    const ws = await connect(stub, userId);
    expect(await ws.next()).toEqual({ type: "ready", user_seq: 1 });
    await stub.appendUserEvent("user.updated", { n: 2 });
    await stub.deliverEphemeral(JSON.stringify({ type: "typing", channel_id: "c_1", data: {} }));
    ws.send({ type: "resume" });
    const { before, match } = await ws.until((f) => f.type === "ready");
    expect(Date.now() - connectedAt).toBeLessThan(1_500);
    // Not replayed from user_seq 0: the client starts from its ready.
    expect(before.map((f) => [f.type, f.user_seq])).toEqual([
      ["user.updated", 2],
      ["typing", undefined],
    ]);
    expect(match).toEqual({ type: "ready", user_seq: 2 });
    await stub.appendUserEvent("user.updated", { n: 3 });
    expect(await ws.next(500)).toMatchObject({ type: "user.updated", user_seq: 3 });
  });

  it("ends the first-frame grace with an alarm, not a timer that keeps the object awake", async () => {
    const { userId, stub } = session();
    const ws = await connect(stub, userId);
    await ws.next();
    const heldAt = Date.now();
    await stub.appendUserEvent("user.updated", { n: 1 });
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    // Armed for the end of the grace, not only for the heartbeat 40 s away.
    expect(alarm).toBeLessThanOrEqual(heldAt + 1_500);
    // No frame from the client and no other event: only the alarm releases it.
    expect(await ws.next(4000)).toMatchObject({ type: "user.updated", user_seq: 1 });
  });

  it("asks for a resync when the user cursor is from the future", async () => {
    const { userId, stub } = session();
    const ws = await connect(stub, userId);
    await ws.next();
    ws.send({ type: "resume", user_seq: 99, channels: {} });
    expect(await ws.next()).toEqual({ type: "resync_required" });
    expect(await ws.next()).toEqual({ type: "ready", user_seq: 0 });
  });

  it("keeps sockets across hibernation and keeps delivering", async () => {
    const { userId, stub } = session();
    const ws = await connect(stub, userId);
    await ws.next();
    ws.send({ type: "ping" });
    await ws.next();
    await evictDurableObject(stub, { webSockets: "hibernate" });
    await stub.appendUserEvent("user.updated", { after: "hibernation" });
    expect(await ws.next()).toMatchObject({ type: "user.updated", user_seq: 1, data: { after: "hibernation" } });
    ws.send({ type: "resume", user_seq: 0, channels: {} });
    const { before } = await ws.until((f) => f.type === "ready");
    expect(before.map((f) => f.user_seq)).toEqual([1]);
  });

  it("closes every socket of a deactivated user with 4003", async () => {
    const { userId, stub } = session();
    const a = await connect(stub, userId);
    const b = await connect(stub, userId);
    await stub.closeAllSockets(CloseCode.Deactivated, "deactivated");
    expect((await a.closedWith()).code).toBe(CloseCode.Deactivated);
    expect((await b.closedWith()).code).toBe(CloseCode.Deactivated);
  });

  it("closes only the sockets of one login session", async () => {
    const { userId, stub } = session();
    const a = await connect(stub, userId, "s_one");
    const b = await connect(stub, userId, "s_two");
    await b.next();
    await stub.closeSessionSockets("s_one", CloseCode.Unauthorized, "signed out");
    expect((await a.closedWith()).code).toBe(CloseCode.Unauthorized);
    b.send({ type: "ping" });
    expect((await b.until((f) => f.type === "pong")).match).toEqual({ type: "pong" });
  });
});

describe("UserSession tickets", () => {
  it("are single use", async () => {
    const { userId, stub } = session();
    const { ticket } = await stub.issueTicket(null);
    const secret = ticket.slice(userId.length + 1);
    expect(ticket.startsWith(`${userId}.`)).toBe(true);
    expect(await stub.redeemTicket(secret)).toEqual({ sessionId: null });
    expect(await stub.redeemTicket(secret)).toBeUndefined();
    expect(await stub.redeemTicket("made-up-secret-value")).toBeUndefined();
  });

  it("expire after 30 seconds", async () => {
    const { userId, stub } = session();
    const { ticket } = await stub.issueTicket(null);
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE tickets SET expires_at = ?", Date.now() - 1);
    });
    expect(await stub.redeemTicket(ticket.slice(userId.length + 1))).toBeUndefined();
  });
});

describe("UserSession presence", () => {
  async function live(stub: DurableObjectStub<UserSession>, userId: string) {
    const ws = await connect(stub, userId);
    await ws.next();
    ws.send({ type: "ping" });
    await ws.next();
    return ws;
  }

  it("is active while a device is connected and offline after the last one goes", async () => {
    const { userId, stub } = session();
    expect((await stub.getPresence()).status).toBe("offline");
    const ws = await live(stub, userId);
    expect((await stub.getPresence()).status).toBe("active");
    ws.close();
    await new Promise((r) => setTimeout(r, 200));
    expect((await stub.getPresence()).status).toBe("offline");
  });

  it("goes offline within 60 s when a device vanishes without a close frame, across hibernation", async () => {
    const { userId, stub } = session();
    const ws = await connect(stub, userId);
    await ws.next();
    // An app frame, not the auto-answered ping, so the last sign of life is the attachment's.
    ws.send({ type: "active" });
    await evictDurableObject(stub, { webSockets: "hibernate" });
    // The device stops sending anything; 41 s later the heartbeat alarm finds it silent.
    await runInDurableObject(stub, (_instance, state) => {
      for (const socket of state.getWebSockets()) {
        const att = socket.deserializeAttachment() as { seenAt: number };
        socket.serializeAttachment({ ...att, seenAt: Date.now() - 41_000 });
      }
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await ws.closedWith()).code).toBe(CloseCode.HeartbeatTimeout);
    expect((await stub.getPresence()).status).toBe("offline");
  });

  it("arms the heartbeat check for when its quietest socket would time out", async () => {
    const { userId, stub } = session();
    const before = Date.now();
    await live(stub, userId);
    const after = Date.now();
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThanOrEqual(before + HEARTBEAT_TIMEOUT_MS);
    expect(alarm).toBeLessThanOrEqual(after + HEARTBEAT_TIMEOUT_MS + 1);
  });

  it("keeps a device that pings", async () => {
    const { userId, stub } = session();
    const ws = await live(stub, userId);
    await runDurableObjectAlarm(stub);
    expect(ws.closed).toBeNull();
    expect((await stub.getPresence()).status).toBe("active");
  });

  it("honours dnd until it expires", async () => {
    const { userId, stub } = session();
    await live(stub, userId);
    const until = Date.now() + 300;
    expect((await stub.setPresence("dnd", until)).status).toBe("dnd");
    await new Promise((r) => setTimeout(r, until + 50 - Date.now()));
    await runDurableObjectAlarm(stub);
    expect((await stub.getPresence()).status).toBe("active");
  });

  it("pushes coalesced presence changes to subscribed sockets of other users", async () => {
    const watcher = session();
    const watched = session();
    // Both must exist as users for a subscription to be accepted.
    for (const u of [watcher, watched])
      await env.DB.prepare("INSERT INTO users (id, username, email) VALUES (?, ?, ?)")
        .bind(u.userId, u.userId.slice(2, 20), `${u.userId}@x.test`)
        .run();
    const ws = await live(watcher.stub, watcher.userId);
    ws.send({ type: "presence.subscribe", user_ids: [watched.userId, "u_00000000000000000000000000"] });
    expect(await ws.next()).toEqual({ type: "presence", data: { user_id: watched.userId, status: "offline", last_active_at: null } });
    const device = await live(watched.stub, watched.userId);
    expect((await ws.until((f) => f.type === "presence")).match.data).toMatchObject({ user_id: watched.userId, status: "active" });
    // Three changes within a second reach the watcher as at most two updates, ending in the last state.
    await watched.stub.setPresence("away", null);
    await watched.stub.setPresence("dnd", null);
    await watched.stub.setPresence("away", null);
    // The change not yet announced waits for an alarm at the end of the 1 s window, not a timer.
    const alarm = await runInDurableObject(watched.stub, (_instance, state) => state.storage.getAlarm());
    expect(alarm).toBeLessThanOrEqual(Date.now() + 1_000);
    const updates = (await ws.drain(1500)).filter((f) => f.type === "presence");
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.length).toBeLessThanOrEqual(2);
    expect(updates.at(-1)?.data.status).toBe("away");
    device.close();
  });
});
