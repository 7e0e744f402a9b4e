import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { MAX_JSON_BYTES } from "../../src/middleware/requireJsonBody";
import { expectProblem, registerOwner } from "../helpers";

// The JSON API's body gate: content type, size and how long the body may take to arrive.

const LOGIN = "https://colink.test/api/v1/auth/login";

/** A body that sends `first` and then nothing more, never ending (a client that stalls). */
function stalledBody(first: string) {
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(first));
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled };
}

async function problemOf(res: Response) {
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) };
}

describe("requireJsonBody", () => {
  it("answers 408 request_timeout when the body does not arrive in time, and stops reading it", async () => {
    const body = stalledBody('{"login":');
    const started = Date.now();
    const res = await app.request(
      LOGIN,
      { method: "POST", headers: { "content-type": "application/json" }, body: body.stream, duplex: "half" } as RequestInit,
      { ...env, REQUEST_BODY_TIMEOUT_SECONDS: "1" },
    );
    expectProblem(await problemOf(res), 408, "request_timeout");
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(body.cancelled()).toBe(true);
  });

  it("answers 413 for a streamed body over the limit, whatever Content-Length said (or without one)", async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const res = await app.request(
      LOGIN,
      {
        method: "POST",
        headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
        body: endless,
        duplex: "half",
      } as RequestInit,
      env,
    );
    expectProblem(await problemOf(res), 413, "body_too_large");
    expect(sent).toBeLessThan(MAX_JSON_BYTES * 2);

    const declared = await app.request(
      LOGIN,
      {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": String(MAX_JSON_BYTES + 1) },
        body: "{}",
      },
      env,
    );
    expectProblem(await problemOf(declared), 413, "body_too_large");
  });

  it("answers 400 (not 500) when the body breaks off, as when the client goes away", async () => {
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"login":'));
        controller.error(new Error("Network connection lost."));
      },
    });
    const res = await app.request(
      LOGIN,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: broken,
        duplex: "half",
      } as RequestInit,
      env,
    );
    expectProblem(await problemOf(res), 400, "incomplete_body");
  });

  it("hands a body that arrives in pieces to the route's validator whole", async () => {
    const owner = await registerOwner({ password: "a long enough password" });
    const json = JSON.stringify({ login: owner.user.username, password: "a long enough password" });
    const pieces = [json.slice(0, 5), json.slice(5, 17), json.slice(17)];
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = pieces.shift();
        if (next === undefined) return controller.close();
        await new Promise((r) => setTimeout(r, 20));
        controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const res = await app.request(
      LOGIN,
      { method: "POST", headers: { "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit,
      env,
    );
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { user: { id: string } }).user.id).toBe(owner.user.id);
  });
});
