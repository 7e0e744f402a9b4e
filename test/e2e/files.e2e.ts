import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freeTcpPort } from "../../scripts/freePort.mjs";
import { type Clamd, EICAR, startClamd } from "./clamd";
import { type Account, api, baseUrl, login, signUp } from "./client";
import { type DevServer, startWranglerDev } from "./wranglerDev";

// Files against a real `wrangler dev` (R2, the scan queue and its dead-letter queue on local disk)
// and a real clamd (scripts/clamd.mjs). The suite's server uploads through the Worker's own route;
// a second server, with its own clamd that these tests stop and start, uploads straight to R2
// through wrangler's local S3 endpoint (presigned PUTs signed with aws4fetch).

type Created = { file: { id: string; status: string }; upload: { url: string; method: string; headers: Record<string, string> } };

const put = (url: string, body: BodyInit, headers: Record<string, string> = {}) =>
  fetch(url, { method: "PUT", body, headers, duplex: "half" } as RequestInit);

async function create(as: Account, size: number, extra: Record<string, unknown> = {}, base?: string): Promise<Created> {
  const res = await api("POST", "/files", {
    token: as.token,
    body: { filename: "notes.txt", content_type: "text/plain", size, ...extra },
    base,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function upload(as: Account, text: string, extra: Record<string, unknown> = {}, base?: string) {
  const created = await create(as, new TextEncoder().encode(text).byteLength, extra, base);
  const res = await put(created.upload.url, text, created.upload.headers);
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  const done = await api("POST", `/files/${created.file.id}/complete`, { token: as.token, base });
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  return created;
}

async function statusOf(as: Account, fileId: string, base?: string): Promise<string> {
  return (await api("GET", `/files/${fileId}`, { token: as.token, base })).body.status;
}

async function until(as: Account, fileId: string, status: string, timeoutMs = 45_000, base?: string) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    last = await statusOf(as, fileId, base);
    if (last === status) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`file ${fileId} is ${last}, not ${status}, after ${timeoutMs} ms`);
}

describe("files through the Worker's upload route, scanned by a real clamd", () => {
  let alice: Account;
  beforeAll(async () => {
    alice = await signUp("filer");
  });

  it("the whole flow: create, send the bytes, complete, scanned clean, attached, announced, downloaded", async () => {
    const channel = await api("POST", "/channels", { token: alice.token, body: { name: `files-${Date.now().toString(36)}` } });
    const text = "quarterly numbers, all fine";
    const created = await upload(alice, text, { channel_id: channel.body.id, filename: "Q3 numbers é.txt" });
    await until(alice, created.file.id, "clean");
    const sent = await api("POST", `/channels/${channel.body.id}/messages`, {
      token: alice.token,
      body: { text: "numbers", file_ids: [created.file.id] },
    });
    expect(sent.status).toBe(201);
    expect(sent.body.files).toMatchObject([{ id: created.file.id, status: "clean", sha256: expect.any(String) }]);
    const res = await fetch(`${baseUrl()}/api/v1/files/${created.file.id}/content`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(text);
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="Q3 numbers _.txt"; filename*=UTF-8''Q3%20numbers%20%C3%A9.txt`,
    );
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const events = await api("GET", `/channels/${channel.body.id}/events?after=0`, { token: alice.token });
    const updates = events.body.items.filter((e: any) => e.type === "file.updated").map((e: any) => e.data.file.status);
    expect(updates).toEqual(["scanning", "clean"]);
  });

  it("quarantines EICAR and never serves it", async () => {
    const created = await upload(alice, EICAR, { filename: "eicar.com", content_type: "application/octet-stream" });
    await until(alice, created.file.id, "quarantined");
    const res = await api("GET", `/files/${created.file.id}/content`, { token: alice.token });
    expect(res).toMatchObject({ status: 403, body: { code: "file_quarantined" } });
  });

  it("refuses a tampered URL, an expired one, and more bytes than declared", async () => {
    const created = await create(alice, 4);
    const tampered = created.upload.url.replace(/token=./, (m) => `token=${m.endsWith("A") ? "B" : "A"}`);
    expect((await put(tampered, "abcd")).status).toBe(403);
    const otherFile = created.upload.url.replace(created.file.id, (await create(alice, 4)).file.id);
    expect((await put(otherFile, "abcd")).status).toBe(403);
    const over = await put(created.upload.url, "abcdefgh");
    expect(over.status).toBe(413);
    expect((await over.json()).code).toBe("upload_too_large");
    // A streamed body (no Content-Length) that turns out longer is refused too.
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode("abc"));
        c.enqueue(new TextEncoder().encode("defg"));
        c.close();
      },
    });
    expect((await put(created.upload.url, stream)).status).toBe(413);
    expect((await api("POST", `/files/${created.file.id}/complete`, { token: alice.token })).status).toBe(409);
    await new Promise((r) => setTimeout(r, (inject("uploadUrlTtlSeconds") + 1) * 1000));
    const expired = await put(created.upload.url, "abcd");
    expect(expired.status).toBe(403);
    expect((await expired.json()).code).toBe("upload_url_expired");
  }, 60_000);

  it("answers an over-size declaration 413 file_too_large", async () => {
    const res = await api("POST", "/files", {
      token: alice.token,
      body: { filename: "big.bin", content_type: "application/octet-stream", size: 104_857_601 },
    });
    expect(res).toMatchObject({ status: 413, body: { code: "file_too_large" } });
  });
});

describe("files straight to R2 (presigned PUT, wrangler's local S3 endpoint), with clamd stopped mid-run", () => {
  let clamd: Clamd;
  let server: DevServer;
  let owner: Account;

  beforeAll(async () => {
    clamd = await startClamd();
    const port = await freeTcpPort();
    server = await startWranglerDev({
      port,
      vars: {
        CLAMD_ADDRESS: clamd.address,
        // wrangler.toml's local_dev.experimental_s3_credentials: only wrangler dev's local endpoint takes them.
        R2_S3_ENDPOINT: `http://127.0.0.1:${port}/cdn-cgi/local/r2/s3`,
        R2_ACCESS_KEY_ID: "colink-local-s3",
        R2_SECRET_ACCESS_KEY: "colink-local-s3-not-a-secret",
        // Short, as the suite's server has it, so a presigned URL expires within the test.
        UPLOAD_URL_TTL_SECONDS: String(inject("uploadUrlTtlSeconds")),
      },
    });
    const password = `pw-${crypto.randomUUID()}`;
    const reg = await api("POST", "/auth/register", {
      base: server.url,
      body: { email: "s3@example.test", username: "s3owner", password },
    });
    expect(reg.status).toBe(201);
    owner = await login("s3owner", password, server.url);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await clamd?.close();
  });

  it("uploads to a presigned URL; an altered signature or a different length is refused", async () => {
    const text = "straight to R2";
    const created = await create(owner, text.length, {}, server.url);
    expect(created.upload.url).toContain(`/cdn-cgi/local/r2/s3/colink-files/files/${created.file.id}?`);
    expect(created.upload.url).toContain("X-Amz-Signature=");
    const altered = created.upload.url.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c) => `X-Amz-Signature=${c === "0" ? "1" : "0"}`);
    expect((await put(altered, text, created.upload.headers)).status).toBe(403);
    expect((await put(`${created.upload.url.replace(created.file.id, "f_other")}`, text, created.upload.headers)).status).toBe(403);
    expect((await put(created.upload.url, `${text}!`, created.upload.headers)).status).toBeGreaterThanOrEqual(400);
    const ok = await put(created.upload.url, text, created.upload.headers);
    expect(ok.status, await ok.clone().text()).toBe(200);
    const done = await api("POST", `/files/${created.file.id}/complete`, { token: owner.token, base: server.url });
    expect(done.body.status).toBe("scanning");
    await until(owner, created.file.id, "clean", 45_000, server.url);
    const res = await fetch(`${server.url}/api/v1/files/${created.file.id}/content`, {
      headers: { authorization: `Bearer ${owner.token}` },
    });
    expect(await res.text()).toBe(text);
  });

  it("refuses a presigned URL once it expired (403), stores nothing, and complete is then 409", async () => {
    const text = "too late";
    const created = await create(owner, text.length, {}, server.url);
    const ttl = inject("uploadUrlTtlSeconds");
    expect(created.upload.url).toContain(`X-Amz-Expires=${ttl}`);
    await new Promise((r) => setTimeout(r, (ttl + 1) * 1000));
    const late = await put(created.upload.url, text, created.upload.headers);
    expect(late.status).toBe(403);
    expect(await late.text()).toContain("ExpiredRequest");
    const done = await api("POST", `/files/${created.file.id}/complete`, { token: owner.token, base: server.url });
    expect(done).toMatchObject({ status: 409, body: { code: "upload_incomplete" } });
    expect(await statusOf(owner, created.file.id, server.url)).toBe("uploading");
  }, 60_000);

  it("a file stays scanning while clamd is down, and is scanned once it is back", async () => {
    await clamd.stop();
    const created = await upload(owner, "scan me later", {}, server.url);
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await statusOf(owner, created.file.id, server.url)).toBe("scanning");
    const res = await api("GET", `/files/${created.file.id}/content`, { token: owner.token, base: server.url });
    expect(res).toMatchObject({ status: 409, body: { code: "file_not_ready" } });
    await clamd.start();
    await until(owner, created.file.id, "clean", 60_000, server.url);
  }, 90_000);
});
