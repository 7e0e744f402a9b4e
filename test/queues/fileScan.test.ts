import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { PhotonImage } from "@cf-wasm/photon";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { FILE_SCAN_DLQ, FILE_SCAN_QUEUE, scanRetryDelaySeconds } from "../../src/queues/fileScan";
import { allEvents, createChannel } from "../channelFixtures";
import { EICAR } from "../fileFixtures";
import { type Account, call, registerOwner } from "../helpers";

// The scan queue's consumer, called with batches made here (createMessageBatch) against the real
// clamd test/clamdGlobalSetup.mjs started (CLAMD_ADDRESS), real D1 and real R2. The files are put
// in R2 and D1 directly, as `complete` leaves them, so no message from the real queue races these.

let seq = 0;
const fileId = () => `f_${(seq++).toString(36).padStart(6, "0")}${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;

/** A file as `complete` leaves it: bytes in R2, `scanning` with their ETag. */
async function scanningFile(owner: Account, bytes: Uint8Array | string, options: { channelId?: string; contentType?: string } = {}) {
  const id = fileId();
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const object = await env.FILES.put(`files/${id}`, data);
  if (!object) throw new Error("put failed");
  await env.DB.prepare(
    `INSERT INTO files (id, uploaded_by, filename, content_type, size, status, channel_id, storage_key, upload_expires_at, etag, scan_queued_at)
     VALUES (?, ?, ?, ?, ?, 'scanning', ?, ?, ?, ?, ?)`,
  )
    .bind(
      id,
      owner.user.id,
      "f.bin",
      options.contentType ?? "application/octet-stream",
      data.byteLength,
      options.channelId ?? null,
      `files/${id}`,
      new Date().toISOString(),
      object.etag,
      new Date().toISOString(),
    )
    .run();
  return { id, etag: object.etag };
}

async function run(queue: string, bodies: unknown[], testEnv: Env = env, attempts = 1) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, testEnv, ctx);
  return getQueueResult(batch, ctx);
}

const row = (id: string) => env.DB.prepare("SELECT * FROM files WHERE id = ?").bind(id).first<Record<string, any>>();

const hex = async (bytes: Uint8Array) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

describe("the file scan consumer", () => {
  it("marks a clean file clean with its SHA-256, and announces it to its channel", async () => {
    const owner = await registerOwner();
    const channel = await createChannel(owner);
    const file = await scanningFile(owner, "just text", { channelId: channel.id });
    const result = await run(FILE_SCAN_QUEUE, [{ file_id: file.id, etag: file.etag }]);
    expect(result.explicitAcks).toEqual(["m0"]);
    expect(result.retryMessages).toEqual([]);
    const after = await row(file.id);
    expect(after).toMatchObject({ status: "clean", sha256: await hex(new TextEncoder().encode("just text")), scan_detail: "clamd: OK" });
    const events = (await allEvents(owner, channel.id)).filter((e) => e.type === "file.updated");
    expect(events.map((e) => e.data.file.status)).toEqual(["clean"]);
  });

  it("quarantines EICAR: bytes moved under quarantine/, never served, and the audit log records it", async () => {
    const owner = await registerOwner();
    const file = await scanningFile(owner, EICAR);
    const result = await run(FILE_SCAN_QUEUE, [{ file_id: file.id, etag: file.etag }]);
    expect(result.explicitAcks).toEqual(["m0"]);
    expect(await row(file.id)).toMatchObject({ status: "quarantined" });
    expect((await row(file.id))?.scan_detail).toMatch(/^clamd: Eicar-Test-.+\.UNOFFICIAL FOUND$/);
    expect(await env.FILES.head(`files/${file.id}`)).toBeNull();
    const kept = await env.FILES.get(`quarantine/${file.id}`);
    expect(await kept?.text()).toBe(EICAR);
    const audit = await env.DB.prepare("SELECT * FROM audit_log WHERE action = 'file.quarantined' AND target_id = ?").bind(file.id).all();
    expect(audit.results).toHaveLength(1);
    expect(audit.results[0]).toMatchObject({ actor_id: null, target_type: "file" });
    expect(JSON.parse(String(audit.results[0]?.details))).toMatchObject({ signature: expect.stringContaining(".UNOFFICIAL") });
    // A repeat delivery changes nothing and writes no second audit row.
    await run(FILE_SCAN_QUEUE, [{ file_id: file.id, etag: file.etag }]);
    const again = await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE target_id = ?").bind(file.id).first<{ n: number }>();
    expect(again?.n).toBe(1);
  });

  it("fails closed: clamd unreachable means a retry with backoff, and the file stays scanning", async () => {
    const owner = await registerOwner();
    const file = await scanningFile(owner, "hello");
    const unreachable = { ...env, CLAMD_ADDRESS: "127.0.0.1:1" } as Env;
    const result = await run(FILE_SCAN_QUEUE, [{ file_id: file.id, etag: file.etag }], unreachable, 3);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toEqual([{ msgId: "m0" }]);
    expect([1, 2, 3, 8, 9, 20].map(scanRetryDelaySeconds)).toEqual([2, 4, 8, 256, 256, 256]);
    expect(await row(file.id)).toMatchObject({ status: "scanning" });
    // Then clamd is back: the retry scans it.
    await run(FILE_SCAN_QUEUE, [{ file_id: file.id, etag: file.etag }], env, 4);
    expect(await row(file.id)).toMatchObject({ status: "clean" });
  });

  it("after every retry (the dead-letter queue) the file is scan_failed, never clean", async () => {
    const owner = await registerOwner();
    const channel = await createChannel(owner);
    const file = await scanningFile(owner, "hello", { channelId: channel.id });
    const result = await run(FILE_SCAN_DLQ, [{ file_id: file.id, etag: file.etag }]);
    expect(result.explicitAcks).toEqual(["m0"]);
    expect(await row(file.id)).toMatchObject({ status: "scan_failed" });
    expectStatus403(await call("GET", `/files/${file.id}/content`, { token: owner.token }), "file_scan_failed");
    const events = (await allEvents(owner, channel.id)).filter((e) => e.type === "file.updated");
    expect(events.map((e) => e.data.file.status)).toEqual(["scan_failed"]);
    // A late delivery of the original message does not undo it.
    await run(FILE_SCAN_QUEUE, [{ file_id: file.id, etag: file.etag }]);
    expect(await row(file.id)).toMatchObject({ status: "scan_failed" });
  });

  it("is idempotent: a second delivery of a scanned file changes nothing and announces nothing", async () => {
    const owner = await registerOwner();
    const channel = await createChannel(owner);
    const file = await scanningFile(owner, "twice", { channelId: channel.id });
    await run(FILE_SCAN_QUEUE, [{ file_id: file.id, etag: file.etag }]);
    const first = await row(file.id);
    const result = await run(FILE_SCAN_QUEUE, [{ file_id: file.id, etag: file.etag }]);
    expect(result.explicitAcks).toEqual(["m0"]);
    expect(await row(file.id)).toEqual(first);
    expect((await allEvents(owner, channel.id)).filter((e) => e.type === "file.updated")).toHaveLength(1);
  });

  it("refuses bytes replaced after complete, files over StreamMaxLength, and drops malformed messages", async () => {
    const owner = await registerOwner();
    const replaced = await scanningFile(owner, "before");
    await env.FILES.put(`files/${replaced.id}`, "after!");
    const tooLong = await scanningFile(owner, "0123456789abcdef");
    const small = { ...env, CLAMD_STREAM_MAX_BYTES: "8" } as Env;
    await run(FILE_SCAN_QUEUE, [{ file_id: replaced.id, etag: replaced.etag }]);
    await run(FILE_SCAN_QUEUE, [{ file_id: tooLong.id, etag: tooLong.etag }], small);
    expect(await row(replaced.id)).toMatchObject({ status: "scan_failed" });
    expect(await row(tooLong.id)).toMatchObject({ status: "scan_failed", scan_detail: expect.stringContaining("StreamMaxLength") });
    const malformed = await run(FILE_SCAN_QUEUE, [{ nope: true }, "x"]);
    expect(malformed.explicitAcks).toEqual(["m0", "m1"]);
  });

  it("without CLAMD_ADDRESS leaves the file scanning; with FILE_SCAN=off marks it clean unscanned", async () => {
    const owner = await registerOwner();
    const waiting = await scanningFile(owner, "x");
    const result = await run(FILE_SCAN_QUEUE, [{ file_id: waiting.id, etag: waiting.etag }], { ...env, CLAMD_ADDRESS: "" } as Env);
    expect(result.explicitAcks).toEqual(["m0"]);
    expect(await row(waiting.id)).toMatchObject({ status: "scanning" });
    const trial = await scanningFile(owner, EICAR);
    await run(FILE_SCAN_QUEUE, [{ file_id: trial.id, etag: trial.etag }], { ...env, FILE_SCAN: "off", CLAMD_ADDRESS: "" } as Env);
    expect(await row(trial.id)).toMatchObject({ status: "clean", scan_detail: "not scanned (FILE_SCAN=off)" });
  });
});

describe("images", () => {
  const image = (width: number, height: number) => new PhotonImage(new Uint8Array(width * height * 4).fill(200), width, height);

  it("records width and height and makes a WebP thumbnail at most 360 px on the long side", async () => {
    const owner = await registerOwner();
    for (const [kind, bytes] of [
      ["png", image(800, 400).get_bytes()],
      ["jpeg", image(300, 900).get_bytes_jpeg(80)],
      ["webp", image(200, 100).get_bytes_webp()],
    ] as const) {
      const file = await scanningFile(owner, bytes, { contentType: `image/${kind}` });
      await run(FILE_SCAN_QUEUE, [{ file_id: file.id, etag: file.etag }]);
      const after = await row(file.id);
      expect(after, kind).toMatchObject({ status: "clean", thumbnail: 1 });
      const thumb = await env.FILES.get(`thumbnails/${file.id}`);
      const decoded = PhotonImage.new_from_byteslice(new Uint8Array(await (thumb as R2ObjectBody).arrayBuffer()));
      const expected = { png: [800, 400, 360, 180], jpeg: [300, 900, 120, 360], webp: [200, 100, 200, 100] }[kind];
      expect([after?.image_width, after?.image_height, decoded.get_width(), decoded.get_height()], kind).toEqual(expected);
      const res = await call("GET", `/files/${file.id}/thumbnail`, { token: owner.token });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("image/webp");
      expect(res.headers.get("content-disposition")).toMatch(/^attachment;/);
    }
  });

  it("never decodes an image over the pixel budget (a decompression bomb): image null, no thumbnail", async () => {
    const owner = await registerOwner();
    const png = image(10, 10).get_bytes();
    // The same PNG claiming 60000 × 60000 pixels in its header.
    const bomb = png.slice();
    new DataView(bomb.buffer).setUint32(16, 60_000);
    new DataView(bomb.buffer).setUint32(20, 60_000);
    const file = await scanningFile(owner, bomb, { contentType: "image/png" });
    await run(FILE_SCAN_QUEUE, [{ file_id: file.id, etag: file.etag }]);
    expect(await row(file.id)).toMatchObject({ status: "clean", image_width: null, image_height: null, thumbnail: 0 });
    expect(await env.FILES.head(`thumbnails/${file.id}`)).toBeNull();
    const meta = await call("GET", `/files/${file.id}`, { token: owner.token });
    expect(meta.body).toMatchObject({ image: null, thumbnail: false });
    expect((await call("GET", `/files/${file.id}/thumbnail`, { token: owner.token })).status).toBe(404);
  });
});

function expectStatus403(reply: { status: number; body: any }, code: string) {
  expect(reply.status).toBe(403);
  expect(reply.body.code).toBe(code);
}
