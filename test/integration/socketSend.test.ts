import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ChannelRoom } from "../../durable-objects/channel-room/ChannelRoom";
import type { RoomCore } from "../../durable-objects/channel-room/RoomCore";
import { SendRateLimiter } from "../../durable-objects/channel-room/SendRateLimiter";
import type { UserSession } from "../../durable-objects/user-session/UserSession";
import { CloseCode } from "../../src/protocol/closeCodes";
import { SESSION_ID_HEADER, USER_ID_HEADER } from "../../src/protocol/internalHeaders";
import { EMPTY_MESSAGE_ERROR } from "../../src/protocol/messages";
import { addMembers, createChannel, expectStatus, send, sent, workspace } from "../channelFixtures";
import { createFile, uploadFile } from "../fileFixtures";
import { type Account, call, expectProblem } from "../helpers";
import { type Frame, openLiveSocket, type TestSocket } from "../socketClient";

// Sending on the socket (issue 17, item 3): `send` → `ack` after the durable write, or an `error`
// frame with the problem HTTP would answer; one client_msg_id key space and one rate limit for
// both paths; a socket whose login session ended cannot send.

const room = (channelId: string) => env.CHANNEL_ROOM.getByName(channelId);
const session = (userId: string) => env.USER_SESSION.getByName(userId);

let ids = 0;
const cmid = () => `cm-${(ids++).toString(36)}-${crypto.randomUUID().slice(0, 8)}`;

/** Sends a `send` frame and waits for its answer (`ack` or `error` naming its client_msg_id). */
async function sendFrame(ws: TestSocket, frame: Record<string, unknown>): Promise<Frame> {
  ws.send({ type: "send", ...frame });
  const { match } = await ws.until((f) => (f.type === "ack" || f.type === "error") && f.client_msg_id === frame.client_msg_id);
  return match;
}

async function history(as: Account, channelId: string) {
  return expectStatus(await call("GET", `/channels/${channelId}/messages?limit=200`, { token: as.token }), 200).items as any[];
}

/** The login session an access token belongs to (its `sid` claim). */
const sessionOf = (token: string): string => JSON.parse(atob((token.split(".")[1] ?? "").replace(/-/g, "+").replace(/_/g, "/"))).sid;

describe("send over the socket", () => {
  it("acks after the durable write: once acked, the message survives a restart and is readable over HTTP", async () => {
    const { owner, alice } = await workspace();
    const channel = await createChannel(owner);
    await addMembers(owner, channel.id, alice);
    const { ws } = await openLiveSocket(alice.token);
    const id = cmid();
    const ack = await sendFrame(ws, { channel_id: channel.id, text: "over the socket", client_msg_id: id });
    expect(ack.type, JSON.stringify(ack)).toBe("ack");
    expect(ack.message).toMatchObject({
      channel_id: channel.id,
      author_id: alice.user.id,
      text: "over the socket",
      client_msg_id: id,
      seq: 1,
    });
    await evictDurableObject(room(channel.id));
    expect(await history(owner, channel.id)).toEqual([ack.message]);
    // The sender's socket gets the event too, like every online member's.
    const created = await ws.until((f) => f.type === "message.created");
    expect(created.match.data).toEqual(ack.message);
  });

  it("is idempotent across HTTP and the socket: one client_msg_id, one message, whichever path retries", async () => {
    const { owner } = await workspace();
    const channel = await createChannel(owner);
    const { ws } = await openLiveSocket(owner.token);
    const first = cmid();
    const acked = await sendFrame(ws, { channel_id: channel.id, text: "first", client_msg_id: first });
    const overHttp = await send(owner, channel.id, "first", { client_msg_id: first });
    expect(overHttp.status).toBe(200);
    expect(overHttp.body).toEqual(acked.message);
    expect((await sendFrame(ws, { channel_id: channel.id, text: "first", client_msg_id: first })).message).toEqual(acked.message);
    const second = cmid();
    const posted = await sent(owner, channel.id, "second", { client_msg_id: second });
    const again = await sendFrame(ws, { channel_id: channel.id, text: "second", client_msg_id: second });
    expect(again).toMatchObject({ type: "ack", message: posted });
    expect((await history(owner, channel.id)).map((m) => m.text)).toEqual(["second", "first"]);
  });

  it("shares the author's send rate with HTTP: 429 rate_limited with retry_after, on either path", async () => {
    const { owner, alice } = await workspace();
    const channel = await createChannel(owner);
    await addMembers(owner, channel.id, alice);
    await runInDurableObject(room(channel.id), (instance: ChannelRoom) => {
      Object.assign((instance as unknown as { core: RoomCore }).core, { sendLimiter: new SendRateLimiter(2) });
    });
    const { ws } = await openLiveSocket(owner.token);
    expect((await sendFrame(ws, { channel_id: channel.id, text: "one", client_msg_id: cmid() })).type).toBe("ack");
    await sent(owner, channel.id, "two");
    const id = cmid();
    const limited = await sendFrame(ws, { channel_id: channel.id, text: "three", client_msg_id: id });
    expect(limited).toMatchObject({ type: "error", client_msg_id: id, status: 429, code: "rate_limited" });
    expect(limited.retry_after).toBeGreaterThanOrEqual(1);
    expectProblem(await send(owner, channel.id, "four"), 429, "rate_limited");
    expect((await sendFrame(ws, { channel_id: channel.id, text: "alice", client_msg_id: cmid() })).type).toBe("error");
    const { ws: alices } = await openLiveSocket(alice.token);
    expect((await sendFrame(alices, { channel_id: channel.id, text: "her own budget", client_msg_id: cmid() })).type).toBe("ack");
    expect((await history(owner, channel.id)).length).toBe(3);
  });

  it("answers each refusal with the status and code HTTP gives, and writes nothing", async () => {
    const { owner, alice, guest } = await workspace();
    const secret = await createChannel(owner, { is_private: true });
    const open = await createChannel(owner);
    const archived = await createChannel(owner);
    await addMembers(owner, archived.id, alice);
    expectStatus(await call("POST", `/channels/${archived.id}/archive`, { token: owner.token }), 200);
    const { ws } = await openLiveSocket(alice.token);
    const { ws: guests } = await openLiveSocket(guest.token);
    const cases: [TestSocket, Account, Record<string, unknown>, number, string][] = [
      [ws, alice, { channel_id: secret.id, text: "not a member of a private channel" }, 404, "channel_not_found"],
      [guests, guest, { channel_id: open.id, text: "a guest outside a public channel" }, 404, "channel_not_found"],
      [ws, alice, { channel_id: open.id, text: "not a member of a public channel" }, 403, "not_a_member"],
      [ws, alice, { channel_id: archived.id, text: "archived" }, 409, "channel_archived"],
      [ws, alice, { channel_id: "c_00000000000000000000000000", text: "no such channel" }, 404, "channel_not_found"],
      [ws, alice, { channel_id: archived.id, text: "" }, 422, "validation_failed"],
      [ws, alice, { channel_id: archived.id, text: "", file_ids: [] }, 422, "validation_failed"],
      [ws, alice, { channel_id: archived.id, text: "", file_ids: ["f_nope"] }, 422, "validation_failed"],
      [ws, alice, { channel_id: archived.id, text: "", file_ids: ["f_00000000000000000000000000"] }, 422, "invalid_file"],
      [ws, alice, { channel_id: archived.id, text: "x", thread_root_id: "m_nope" }, 422, "validation_failed"],
    ];
    for (const [socket, who, body, status, code] of cases) {
      const id = cmid();
      const answer = await sendFrame(socket, { ...body, client_msg_id: id });
      expect(answer, JSON.stringify(body)).toMatchObject({ type: "error", client_msg_id: id, status, code });
      const { channel_id, ...rest } = body;
      const overHttp = expectProblem(await send(who, String(channel_id), String(rest.text), rest), status, code);
      if (status === 422) expect(answer.errors, JSON.stringify(body)).toEqual(overHttp.errors);
    }
    expect(await history(owner, archived.id)).toEqual([]);
    // A malformed channel id names nothing, as in a URL; unknown fields are refused as HTTP refuses them.
    expect(await sendFrame(ws, { channel_id: "general", text: "x", client_msg_id: "bad-id" })).toMatchObject({
      status: 404,
      code: "not_found",
    });
    const extra = await sendFrame(ws, { channel_id: open.id, text: "x", client_msg_id: "extra", file: 1 });
    expect(extra).toMatchObject({ status: 422, code: "validation_failed", errors: [{ path: "file", message: "Unknown field." }] });
    expect(ws.closed).toBeNull();
  });

  it("sends files alone (empty text), attaching what HTTP attaches and refusing what HTTP refuses, with the same errors", async () => {
    const { alice, bob } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob);
    const mine = expectStatus(await createFile(alice, 3), 201).file;
    const bobs = expectStatus(await createFile(bob, 3), 201).file;
    const { ws } = await openLiveSocket(alice.token);
    const empty = await sendFrame(ws, { channel_id: channel.id, text: "", client_msg_id: cmid() });
    expect(empty).toMatchObject({ status: 422, code: "validation_failed", errors: [EMPTY_MESSAGE_ERROR] });
    // Text and file_ids are each wrong: both are named, and the content rule waits for valid fields.
    const both = await sendFrame(ws, { channel_id: channel.id, text: 5, file_ids: ["nope"], client_msg_id: cmid() });
    const bothOverHttp = expectProblem(
      await call("POST", `/channels/${channel.id}/messages`, { token: alice.token, body: { text: 5, file_ids: ["nope"] } }),
      422,
      "validation_failed",
    );
    expect(both.errors.map((e: { path: string }) => e.path)).toEqual(["text", "file_ids.0"]);
    expect(both.errors).toEqual(bothOverHttp.errors);
    const others = await sendFrame(ws, { channel_id: channel.id, text: "", file_ids: [mine.id, bobs.id], client_msg_id: cmid() });
    expect(others).toMatchObject({
      status: 422,
      code: "invalid_file",
      errors: [{ path: "file_ids.1", message: "No such file of yours." }],
    });
    // A refused send lists the file nowhere: bob still cannot see alice's file.
    expectProblem(await call("GET", `/files/${mine.id}`, { token: bob.token }), 404);
    const id = cmid();
    const ack = await sendFrame(ws, { channel_id: channel.id, text: "", file_ids: [mine.id], client_msg_id: id });
    expect(ack.type, JSON.stringify(ack)).toBe("ack");
    expect(ack.message).toMatchObject({ text: "", client_msg_id: id, mentions: { user_ids: [], channel: false, here: false } });
    expect(ack.message.files.map((f: { id: string }) => f.id)).toEqual([mine.id]);
    expectStatus(await call("GET", `/files/${mine.id}`, { token: bob.token }), 200);
    // The HTTP retry with the same client_msg_id is the same message, not a second one.
    expect(expectStatus(await send(alice, channel.id, "", { client_msg_id: id, file_ids: [mine.id] }), 200)).toEqual(ack.message);
    expect(await history(bob, channel.id)).toEqual([ack.message]);
  });

  it("refuses a muted user's send as HTTP does (403 muted with muted_until), on a socket open before the mute and on one opened during it", async () => {
    const { admin, alice, bob } = await workspace();
    const channel = await createChannel(alice);
    await addMembers(alice, channel.id, bob);
    const { ws: before } = await openLiveSocket(bob.token);
    const mute = expectStatus(await call("POST", `/admin/users/${bob.user.id}/mute`, { token: admin.token, body: { minutes: 10 } }), 200);
    const http = expectProblem(await send(bob, channel.id, "over HTTP"), 403, "muted");
    const { ws: during } = await openLiveSocket(bob.token);
    for (const ws of [before, during]) {
      const refused = await sendFrame(ws, { channel_id: channel.id, text: "over the socket", client_msg_id: cmid() });
      expect(refused).toMatchObject({ type: "error", status: 403, code: "muted", detail: http.detail, muted_until: mute.muted_until });
    }
    expect(await history(alice, channel.id)).toEqual([]);

    expectStatus(await call("DELETE", `/admin/users/${bob.user.id}/mute`, { token: admin.token }), 200);
    for (const ws of [before, during]) {
      const acked = await sendFrame(ws, { channel_id: channel.id, text: "free again", client_msg_id: cmid() });
      expect(acked.type, JSON.stringify(acked)).toBe("ack");
    }
    expect(await history(alice, channel.id)).toHaveLength(2);
  });

  it("writes sends to one channel in the order they were sent, also when the first waits on D1 for its files", async () => {
    const { alice } = await workspace();
    const channel = await createChannel(alice);
    const file = await uploadFile(alice, "attached first");
    const { ws } = await openLiveSocket(alice.token);
    const first = cmid();
    const second = cmid();
    ws.send({ type: "send", channel_id: channel.id, text: "", file_ids: [file.id], client_msg_id: first });
    ws.send({ type: "send", channel_id: channel.id, text: "sent right after", client_msg_id: second });
    const seqs: number[] = [];
    for (const id of [first, second]) {
      const { match } = await ws.until((f) => f.client_msg_id === id);
      expect(match.type, JSON.stringify(match)).toBe("ack");
      seqs.push(match.message.seq);
    }
    expect(seqs).toEqual([1, 2]);
  });

  it("a thread reply sent on the socket notifies followers (thread.reply) as the HTTP one does", async () => {
    const { owner, alice } = await workspace();
    const channel = await createChannel(owner);
    await addMembers(owner, channel.id, alice);
    const root = await sent(owner, channel.id, "root");
    const { ws: owners } = await openLiveSocket(owner.token);
    const { ws } = await openLiveSocket(alice.token);
    const ack = await sendFrame(ws, { channel_id: channel.id, text: "reply", client_msg_id: cmid(), thread_root_id: root.id });
    expect(ack.message).toMatchObject({ thread_root_id: root.id, text: "reply" });
    const notified = await owners.until((f) => f.type === "thread.reply");
    expect(notified.match.data).toEqual({ channel_id: channel.id, root_id: root.id, message: ack.message });
    const followed = expectStatus(await call("GET", "/users/me/threads", { token: alice.token }), 200);
    expect(JSON.stringify(followed)).toContain(root.id);
  });

  it("a socket whose login session ended cannot send: logout closes it, and a frame that slips through is refused", async () => {
    const { owner } = await workspace();
    const channel = await createChannel(owner);
    const { ws } = await openLiveSocket(owner.token);
    expect((await sendFrame(ws, { channel_id: channel.id, text: "before", client_msg_id: cmid() })).type).toBe("ack");
    // The session ends as far as the UserSession knows, but this socket was not closed (a race).
    const sid = sessionOf(owner.token);
    await runInDurableObject(session(owner.user.id), (instance: UserSession) => {
      (instance as unknown as { core: { sessions: { add(s: string, now: number): void } } }).core.sessions.add(sid, Date.now());
    });
    const id = cmid();
    expect(await sendFrame(ws, { channel_id: channel.id, text: "after", client_msg_id: id })).toMatchObject({
      type: "error",
      client_msg_id: id,
      status: 401,
    });
    expect((await ws.closedWith()).code).toBe(CloseCode.Unauthorized);
    // A handshake that passed the D1 check just before the session ended is refused when it arrives.
    const late = await session(owner.user.id).fetch(
      new Request("https://user-session/ws", {
        headers: { upgrade: "websocket", [USER_ID_HEADER]: owner.user.id, [SESSION_ID_HEADER]: sid },
      }),
    );
    expect(late.status).toBe(401);
    expect((await history(owner, channel.id)).map((m) => m.text)).toEqual(["before"]);
  });

  it("logout closes the socket (4001): the binding ends with the session", async () => {
    const { owner, alice } = await workspace();
    const channel = await createChannel(owner);
    await addMembers(owner, channel.id, alice);
    const { ws } = await openLiveSocket(alice.token);
    expect((await sendFrame(ws, { channel_id: channel.id, text: "before", client_msg_id: cmid() })).type).toBe("ack");
    expect((await call("POST", "/auth/logout", { token: alice.token })).status).toBe(204);
    expect((await ws.closedWith()).code).toBe(CloseCode.Unauthorized);
    expect((await history(owner, channel.id)).map((m) => m.text)).toEqual(["before"]);
  });
});
