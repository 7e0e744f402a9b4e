import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { crc32 } from "../../src/lib/zip";
import { type ExportMessage, runExportSlice, SimulatedCrash, type SliceOptions } from "../../src/queues/exportJob";
import { addMembers, createChannel, expectStatus, react, replied, sent, workspace } from "../channelFixtures";
import { type Account, call } from "../helpers";

// The workspace export: a ZIP in Slack's export layout, written to R2 by queue slices that each
// continue from a checkpoint. The archive is read back here with an independent reader (central
// directory, CRC-32 of every entry, inflate) and compared with what the test posted.

/** Reads a ZIP: every entry's name and bytes, checking signatures, sizes and CRCs. */
async function readZip(bytes: Uint8Array): Promise<Map<string, Uint8Array>> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length - 22;
  expect(v.getUint32(end, true)).toBe(0x06054b50);
  const count = v.getUint16(end + 10, true);
  const cdSize = v.getUint32(end + 12, true);
  const cdOffset = v.getUint32(end + 16, true);
  expect(cdOffset + cdSize).toBe(end);
  const files = new Map<string, Uint8Array>();
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    expect(v.getUint32(p, true)).toBe(0x02014b50);
    const crc = v.getUint32(p + 16, true);
    const csize = v.getUint32(p + 20, true);
    const size = v.getUint32(p + 24, true);
    const nameLength = v.getUint16(p + 28, true);
    const local = v.getUint32(p + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLength));
    expect(v.getUint32(local, true)).toBe(0x04034b50);
    const dataStart = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
    const stream = new Blob([bytes.subarray(dataStart, dataStart + csize)]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
    const data = new Uint8Array(await new Response(stream).arrayBuffer());
    expect(data.length).toBe(size);
    expect(crc32(data)).toBe(crc);
    files.set(name, data);
    p += 46 + nameLength;
  }
  return files;
}

const json = (files: Map<string, Uint8Array>, name: string) => JSON.parse(new TextDecoder().decode(files.get(name)));
const ts = (iso: string, seq: number) => {
  const ms = Date.parse(iso);
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1000 + seq).padStart(6, "0")}`;
};

/** A small workspace: a public channel with a thread and a reaction, a private channel, a DM. */
async function smallWorkspace() {
  const w = await workspace();
  const { alice, bob } = w;
  const town = await createChannel(alice, { name: `town-${crypto.randomUUID().slice(0, 6)}`, topic: "news" });
  await addMembers(alice, town.id, bob);
  const hello = await sent(alice, town.id, "hello town");
  const reply = await replied(bob, town.id, hello.id, "hi back");
  await react(bob, town.id, hello.id, "👍");
  const secret = await createChannel(alice, { name: `secret-${crypto.randomUUID().slice(0, 6)}`, is_private: true });
  const hush = await sent(alice, secret.id, "hush");
  const dm = expectStatus(await call("POST", "/dms", { token: alice.token, body: { user_ids: [bob.user.id] } }), 201);
  await sent(alice, dm.id, "psst");
  return { ...w, town, hello, reply, secret, hush, dm };
}

async function download(as: Account, exportId: string): Promise<Uint8Array> {
  const res = await call("GET", `/admin/exports/${exportId}`, { token: as.token });
  expect(res.body).toMatchObject({ status: "done", download_url: `/api/v1/admin/exports/${exportId}/download` });
  const zip = await call("GET", res.body.download_url, { token: as.token });
  expect(zip.status).toBe(200);
  expect(zip.headers.get("content-type")).toBe("application/zip");
  const object = await env.FILES.get(`exports/${exportId}.zip`);
  const bytes = new Uint8Array(await (object as R2ObjectBody).arrayBuffer());
  expect(bytes.length).toBe(res.body.size);
  return bytes;
}

/** Drives an export's slices by hand: the continuation messages are caught instead of queued. */
function manual() {
  const queued: ExportMessage[] = [];
  const driven = { ...env, EXPORT_QUEUE: { send: async (m: ExportMessage) => void queued.push(m) } } as unknown as Env;
  return { driven, queued };
}

async function createRow(owner: Account, id: string) {
  await env.DB.prepare("INSERT INTO exports (id, created_by, created_at) VALUES (?, ?, ?)")
    .bind(id, owner.user.id, "2026-01-02T03:04:05.000Z")
    .run();
}

describe("workspace export", () => {
  it("POST /admin/exports runs on the queue and writes a Slack-layout ZIP that matches what was posted", async () => {
    const { owner, alice, bob, town, hello, reply, secret, hush } = await smallWorkspace();
    const started = expectStatus(await call("POST", "/admin/exports", { token: owner.token, body: {} }), 202);
    expect(started).toEqual({ id: expect.stringMatching(/^exp_/), status: "running" });
    // The queue consumer runs in the runtime; wait for it.
    let status = "running";
    for (let i = 0; i < 200 && status === "running"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = expectStatus(await call("GET", `/admin/exports/${started.id}`, { token: owner.token }), 200).status;
    }
    expect(status).toBe("done");
    const files = await readZip(await download(owner, started.id));

    const day = hello.created_at.slice(0, 10);
    expect([...files.keys()].sort()).toEqual(
      [
        "users.json",
        "channels.json",
        "groups.json",
        "dms.json",
        "mpims.json",
        `${town.name}/${day}.json`,
        `${secret.name}/${day}.json`,
      ].sort(),
    );
    const users = json(files, "users.json");
    expect(users.map((u: { name: string }) => u.name).sort()).toEqual(
      [owner, alice, bob]
        .map((a) => a.user.username)
        .concat(
          users
            .filter((u: { name: string }) => ![owner, alice, bob].some((a) => a.user.username === u.name))
            .map((u: { name: string }) => u.name),
        )
        .sort(),
    );
    expect(users.find((u: { id: string }) => u.id === owner.user.id)).toMatchObject({ is_owner: true, is_admin: true, deleted: false });
    const channelsJson = json(files, "channels.json");
    expect(channelsJson.find((c: { id: string }) => c.id === town.id)).toEqual({
      id: town.id,
      name: town.name,
      created: Math.floor(Date.parse(town.created_at) / 1000),
      creator: alice.user.id,
      is_archived: false,
      is_general: false,
      members: [alice.user.id, bob.user.id],
      topic: { value: "news", creator: "", last_set: 0 },
      purpose: { value: "", creator: "", last_set: 0 },
    });
    expect(json(files, "groups.json").map((c: { id: string }) => c.id)).toEqual([secret.id]);
    expect(json(files, "dms.json")).toEqual([]); // EXPORT_INCLUDE_DMS is off
    expect(json(files, "mpims.json")).toEqual([]);

    const helloTs = ts(hello.created_at, hello.seq);
    expect(json(files, `${town.name}/${day}.json`)).toEqual([
      {
        type: "message",
        user: alice.user.id,
        text: "hello town",
        ts: helloTs,
        thread_ts: helloTs,
        reply_count: 1,
        reply_users: [bob.user.id],
        reply_users_count: 1,
        latest_reply: expect.any(String),
        reactions: [{ name: "+1", users: [bob.user.id], count: 1 }],
      },
      {
        type: "message",
        user: bob.user.id,
        text: "hi back",
        ts: ts(reply.created_at, reply.seq),
        thread_ts: helloTs,
        parent_user_id: alice.user.id,
      },
    ]);
    expect(json(files, `${secret.name}/${day}.json`)).toEqual([
      { type: "message", user: alice.user.id, text: "hush", ts: ts(hush.created_at, hush.seq) },
    ]);
    const audit = expectStatus(await call("GET", "/admin/audit?action=export.created", { token: owner.token }), 200);
    expect(audit.items).toEqual([expect.objectContaining({ actor_id: owner.user.id, target: { type: "export", id: started.id } })]);
  });

  it("survives a crash mid-slice: the retried slice resumes from the checkpoint and the archive is the same as an uninterrupted one", async () => {
    const { owner, alice, town } = await smallWorkspace();
    for (let i = 0; i < 3; i++) await sent(alice, town.id, `more ${i}`);

    // An uninterrupted run, one entry per slice (so every slice checkpoints, carry included).
    const clean = manual();
    await createRow(owner, "exp_clean");
    let message: ExportMessage = { export_id: "exp_clean", version: 0 };
    for (let slices = 0; ; slices++) {
      const outcome = await runExportSlice(clean.driven, message, { maxEntries: 1 });
      if (outcome === "done") break;
      expect(outcome).toBe("continued");
      message = clean.queued.shift() as ExportMessage;
      expect(slices).toBeLessThan(50);
    }

    // The same export, dying after its first entry in every other slice: each retry redoes the slice.
    const crashy = manual();
    await createRow(owner, "exp_crashy");
    message = { export_id: "exp_crashy", version: 0 };
    let crashes = 0;
    for (let slice = 0; ; slice++) {
      if (slice % 2 === 0) {
        await expect(runExportSlice(crashy.driven, message, { maxEntries: 1, failAfterEntries: 1 })).rejects.toBeInstanceOf(SimulatedCrash);
        crashes++;
        // The message is redelivered as it was: the same version.
      }
      const outcome = await runExportSlice(crashy.driven, message, { maxEntries: 1 });
      if (outcome === "done") break;
      message = crashy.queued.shift() as ExportMessage;
      expect(slice).toBeLessThan(50);
    }
    expect(crashes).toBeGreaterThan(1);
    // A stale redelivery of an old message does nothing.
    expect(await runExportSlice(crashy.driven, { export_id: "exp_crashy", version: 0 })).toBe("stale");

    const a = await download(owner, "exp_clean");
    const b = await download(owner, "exp_crashy");
    const [filesA, filesB] = await Promise.all([readZip(a), readZip(b)]);
    expect([...filesB.keys()]).toEqual([...filesA.keys()]);
    for (const [name, data] of filesA) expect(new TextDecoder().decode(filesB.get(name))).toBe(new TextDecoder().decode(data));
    expect(b).toEqual(a);
    // No carry object is left behind.
    const left = await env.FILES.list({ prefix: "exports/" });
    expect(left.objects.map((o) => o.key).filter((k) => k.includes(".carry"))).toEqual([]);
  });

  it("checkpoints the central directory records in chunks (export_entries rows), so the checkpoint row stays small; same archive", async () => {
    const { owner, alice, town } = await smallWorkspace();
    // Four more days of the channel: four more entries.
    for (let i = 1; i <= 4; i++) {
      const m = await sent(alice, town.id, `more ${i}`);
      await runInDurableObject(env.CHANNEL_ROOM.getByName(town.id), (_instance, state) => {
        state.storage.sql.exec(
          "UPDATE messages SET created_at = ? WHERE id = ?",
          new Date(Date.now() - i * 86_400_000).toISOString(),
          m.id,
        );
      });
    }
    const drive = async (id: string, options: SliceOptions) => {
      const run = manual();
      await createRow(owner, id);
      let message: ExportMessage = { export_id: id, version: 0 };
      let maxChunks = 0;
      let maxTail = 0;
      for (let slices = 0; ; slices++) {
        const outcome = await runExportSlice(run.driven, message, options);
        if (outcome === "done") break;
        expect(outcome).toBe("continued");
        const row = await env.DB.prepare("SELECT checkpoint FROM exports WHERE id = ?").bind(id).first<{ checkpoint: string }>();
        const checkpoint = JSON.parse(row?.checkpoint ?? "{}");
        const chunks = await env.DB.prepare("SELECT COUNT(*) AS n FROM export_entries WHERE export_id = ?").bind(id).first<number>("n");
        expect(chunks).toBe(checkpoint.entryChunks);
        maxChunks = Math.max(maxChunks, chunks ?? 0);
        maxTail = Math.max(maxTail, checkpoint.entries.length);
        message = run.queued.shift() as ExportMessage;
        expect(slices).toBeLessThan(50);
      }
      // Finished: the chunks are gone with the checkpoint.
      expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM export_entries WHERE export_id = ?").bind(id).first("n")).toBe(0);
      return { maxChunks, maxTail };
    };
    const whole = await drive("exp_whole", { maxEntries: 1 });
    expect(whole.maxChunks).toBe(0);
    const chunked = await drive("exp_chunked", { maxEntries: 1, entryChunk: 2 });
    expect(chunked.maxChunks).toBeGreaterThan(2);
    expect(chunked.maxTail).toBeLessThan(2);
    const a = await download(owner, "exp_whole");
    const b = await download(owner, "exp_chunked");
    expect(b).toEqual(a);
    expect((await readZip(b)).size).toBeGreaterThan(6);
  });

  it("channel_ids limits the export; unknown export ids are 404; members cannot export", async () => {
    const { owner, alice, town, secret } = await smallWorkspace();
    const one = expectStatus(await call("POST", "/admin/exports", { token: owner.token, body: { channel_ids: [secret.id] } }), 202);
    expectStatus(await call("GET", "/admin/exports/exp_nope", { token: owner.token }), 404);
    expectStatus(await call("POST", "/admin/exports", { token: alice.token, body: {} }), 403);
    let status = "running";
    for (let i = 0; i < 200 && status === "running"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = expectStatus(await call("GET", `/admin/exports/${one.id}`, { token: owner.token }), 200).status;
    }
    const files = await readZip(await download(owner, one.id));
    expect([...files.keys()].some((k) => k.startsWith(`${secret.name}/`))).toBe(true);
    expect([...files.keys()].some((k) => k.startsWith(`${town.name}/`))).toBe(false);
  });
});
