import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createFile } from "../fileFixtures";
import { call, registerOwner } from "../helpers";
import { type Frame, openLiveSocket } from "../socketClient";

// DESIGN.md invariant 6 for the socket: random and hostile client frames are answered with an
// `error` frame (or handled), the socket stays open, the UserSession keeps working, and a message
// posted afterwards still arrives exactly once.

const RUNS = 150;

const jsonish: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string({ maxLength: 40 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom(-1, 2 ** 64, Number.MAX_SAFE_INTEGER + 2, 1e308),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 10 }), tie("value"), { maxKeys: 4 }),
  ),
})).value;

const frameType = fc.constantFrom(
  "resume",
  "ping",
  "typing",
  "presence.subscribe",
  "active",
  "send",
  "launch",
  "",
  "__proto__",
  "constructor",
);

/** Frames that look almost right: a known type with random fields (some naming a real channel). */
const nearMiss = (realChannel: string) =>
  fc.record({ type: frameType }, { requiredKeys: ["type"] }).chain((base) =>
    fc
      .record({
        user_seq: jsonish,
        channels: fc.oneof(jsonish, fc.dictionary(fc.string({ maxLength: 30 }), jsonish, { maxKeys: 5 })),
        channel_id: fc.oneof(jsonish, fc.constant("c_00000000000000000000000000"), fc.constant(realChannel)),
        thread_root_id: jsonish,
        user_ids: fc.oneof(jsonish, fc.array(fc.string({ maxLength: 70 }), { maxLength: 20 })),
        text: fc.oneof(jsonish, fc.string({ maxLength: 50 })),
        client_msg_id: fc.oneof(jsonish, fc.string({ maxLength: 70 })),
        also_send_to_channel: jsonish,
        file_ids: fc.oneof(jsonish, fc.array(fc.string({ maxLength: 30 }), { maxLength: 12 })),
      })
      .map((extra) => ({ ...extra, ...base })),
  );

const rawFrame = (realChannel: string) =>
  fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: "binary", maxLength: 200 }),
    jsonish.map((v) => JSON.stringify(v) ?? "undefined"),
    nearMiss(realChannel).map((v) => JSON.stringify(v)),
    // A valid send now and then: it is written and acknowledged (checked below).
    fc
      .record({ text: fc.string({ minLength: 1, maxLength: 20 }), n: fc.nat() })
      .map(({ text, n }) => JSON.stringify({ type: "send", channel_id: realChannel, text, client_msg_id: `fuzz-${n}` })),
  );

describe("socket frames", () => {
  it("invariant 6: random frames never close the socket or break the session", async () => {
    const owner = await registerOwner();
    const channel = await call("POST", "/channels", { token: owner.token, body: { name: "fuzz" } });
    const { ws } = await openLiveSocket(owner.token);
    const acked: Frame[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(rawFrame(channel.body.id), { minLength: 1, maxLength: 5 }), async (frames) => {
        for (const f of frames) ws.send(f);
        ws.send({ type: "ping" });
        const { before } = await ws.until((f: Frame) => f.type === "pong" || f.type === "ready");
        acked.push(...before.filter((f) => f.type === "ack"));
        expect(ws.closed).toBeNull();
      }),
      { numRuns: RUNS },
    );
    acked.push(...(await ws.drain(1000)).filter((f) => f.type === "ack"));
    expect(acked.length).toBeGreaterThan(0);
    // Every acknowledged send is in the history, once per client_msg_id.
    const history = await call("GET", `/channels/${channel.body.id}/messages?limit=200`, { token: owner.token });
    const ids = new Set(history.body.items.map((m: { id: string }) => m.id));
    for (const a of acked) expect(ids.has(a.message.id)).toBe(true);
    const keys = history.body.items.map((m: { client_msg_id: string | null }) => m.client_msg_id);
    expect(new Set(keys).size).toBe(keys.length);
    const posted = await call("POST", `/channels/${channel.body.id}/messages`, { token: owner.token, body: { text: "still alive" } });
    expect(posted.status).toBe(201);
    const got = await ws.until((f) => f.type === "message.created" && f.data.id === posted.body.id);
    expect(got.match.data.text).toBe("still alive");
    expect((await ws.drain()).filter((f) => f.type === "message.created" && f.data.id === posted.body.id)).toEqual([]);
  });

  it("a send frame is answered as HTTP answers the same fields: the same status, code and field errors", async () => {
    const owner = await registerOwner();
    const channel = (await call("POST", "/channels", { token: owner.token, body: { name: "fuzz-same" } })).body;
    const file = (await createFile(owner, 3)).body.file;
    const { ws } = await openLiveSocket(owner.token);
    const fields = fc.record(
      {
        text: fc.oneof(fc.constantFrom("", " ", "hi"), fc.string({ maxLength: 10 }), jsonish),
        file_ids: fc.oneof(
          fc.constant([]),
          fc.array(fc.constantFrom(file.id, "f_00000000000000000000000000", "nope"), { maxLength: 3 }),
          jsonish,
        ),
        thread_root_id: fc.oneof(fc.constantFrom("m_nope", "m_00000000000000000000000000"), jsonish),
        also_send_to_channel: fc.oneof(fc.boolean(), jsonish),
        extra: jsonish,
      },
      { requiredKeys: [] },
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fields, async (body) => {
        const overHttp = await call("POST", `/channels/${channel.id}/messages`, { token: owner.token, body });
        const id = `same-${n++}`;
        ws.send({ ...body, type: "send", channel_id: channel.id, client_msg_id: id });
        const { match } = await ws.until((f) => (f.type === "ack" || f.type === "error") && f.client_msg_id === id);
        const label = JSON.stringify(body);
        if (overHttp.status === 201) expect(match.type, label).toBe("ack");
        else
          expect({ status: match.status, code: match.code, errors: match.errors }, label).toEqual({
            status: overHttp.status,
            code: overHttp.body.code,
            errors: overHttp.body.errors,
          });
      }),
      { numRuns: 60 },
    );
    expect(ws.closed).toBeNull();
  });

  it("a frame over 64 KiB closes the socket with 1009 and nothing else", async () => {
    const owner = await registerOwner();
    const { ws } = await openLiveSocket(owner.token);
    ws.send(JSON.stringify({ type: "resume", user_seq: 0, channels: {}, pad: "é".repeat(40_000) }));
    expect((await ws.closedWith()).code).toBe(1009);
    const again = await openLiveSocket(owner.token);
    again.ws.send({ type: "ping" });
    expect((await again.ws.until((f) => f.type === "pong")).match).toEqual({ type: "pong" });
  });
});
