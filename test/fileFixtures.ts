import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { type Account, call, type Reply } from "./helpers";

// Fixtures for the files suites: the three-step upload through the real Worker (D1, R2, the scan
// queue and the real clamd that test/clamdGlobalSetup.mjs starts).

/** The EICAR anti-virus test file (harmless; every scanner detects it). Written in two parts so this file is not itself flagged. */
export const EICAR = `X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-${"STANDARD-ANTIVIRUS-TEST-FILE"}!$H+H*`;

export type UploadOptions = { filename?: string; content_type?: string; channel_id?: string };

export async function createFile(as: Account, size: number, options: UploadOptions = {}): Promise<Reply> {
  return call("POST", "/files", {
    token: as.token,
    body: { filename: options.filename ?? "notes.txt", content_type: options.content_type ?? "text/plain", size, ...options },
  });
}

/** Sends bytes to an upload URL as a client would (no bearer token). */
export async function putBytes(url: string, body: BodyInit | null, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await exports.default.fetch(new Request(url, { method: "PUT", body, headers, duplex: "half" } as RequestInit));
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text && /json/.test(res.headers.get("content-type") ?? "") ? JSON.parse(text) : text,
  };
}

/** Creates, uploads and completes a file; returns the completed file (`scanning`, or already scanned). */
export async function uploadFile(as: Account, bytes: Uint8Array | string, options: UploadOptions = {}): Promise<any> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const created = await createFile(as, data.byteLength, options);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const put = await putBytes(created.body.upload.url, data, created.body.upload.headers);
  expect(put.status, JSON.stringify(put.body)).toBe(204);
  const completed = await call("POST", `/files/${created.body.file.id}/complete`, { token: as.token });
  expect(completed.status, JSON.stringify(completed.body)).toBe(200);
  return completed.body;
}

/** Waits until the file has left `scanning` (the consumer ran) and returns it. */
export async function scanned(as: Account, fileId: string, timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await call("GET", `/files/${fileId}`, { token: as.token });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    if (reply.body.status !== "scanning") return reply.body;
    if (Date.now() > deadline) throw new Error(`file ${fileId} still scanning after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sets a file's status in D1 directly: for states a test must hold still (the consumer would move them on). */
export async function forceStatus(fileId: string, status: string): Promise<void> {
  await env.DB.prepare("UPDATE files SET status = ? WHERE id = ?").bind(status, fileId).run();
}
