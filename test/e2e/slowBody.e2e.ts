import { connect } from "node:net";
import { describe, expect, inject, it } from "vitest";
import { baseUrl } from "./client";

// A request whose body never arrives in full (a Content-Length far larger than what is sent, a
// slowloris) must be answered, 408 problem+json, not held open forever. Raw TCP, because an HTTP
// client would never send a body shorter than its own Content-Length.

type RawAnswer = { head: string; body: string; ms: number };

function rawRequest(head: string, bodyPart: string, waitMs: number): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl());
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let data = "";
    const socket = connect(Number(port), hostname, () => socket.write(`${head}\r\n\r\n${bodyPart}`));
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const at = data.indexOf("\r\n\r\n");
      resolve({ head: at < 0 ? data : data.slice(0, at), body: at < 0 ? "" : data.slice(at + 4), ms: Date.now() - started });
    };
    const timer = setTimeout(done, waitMs);
    socket.on("data", (d) => {
      data += d;
      // One answer is all we wait for: its head and as much body as Content-Length says.
      const at = data.indexOf("\r\n\r\n");
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(data.slice(0, at))?.[1];
      if (at >= 0 && length !== undefined && Buffer.byteLength(data.slice(at + 4)) >= Number(length)) done();
    });
    socket.on("error", reject);
    socket.on("close", done);
  });
}

describe("a request body that never arrives in full", () => {
  it("is answered 408 request_timeout within REQUEST_BODY_TIMEOUT_SECONDS, not left hanging", async () => {
    const timeoutMs = inject("requestBodyTimeoutSeconds") * 1000;
    const { host } = new URL(baseUrl());
    const answer = await rawRequest(
      [
        "POST /api/v1/auth/login HTTP/1.1",
        `Host: ${host}`,
        "Content-Type: application/json",
        "Content-Length: 100000",
        "Connection: close",
      ].join("\r\n"),
      '{"login":1',
      timeoutMs + 10_000,
    );
    expect(answer.head, `no answer in ${answer.ms} ms`).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer.head.toLowerCase()).toContain("content-type: application/problem+json");
    expect(JSON.parse(answer.body)).toMatchObject({ status: 408, code: "request_timeout" });
    expect(answer.ms).toBeGreaterThanOrEqual(timeoutMs - 200);
    expect(answer.ms).toBeLessThan(timeoutMs + 8_000);
  });

  it("still lets a body that arrives slowly but in time through", async () => {
    const { host } = new URL(baseUrl());
    const body = JSON.stringify({ login: "nobody-at-all", password: "not the password" });
    const answer = await new Promise<RawAnswer>((resolve, reject) => {
      const { hostname, port } = new URL(baseUrl());
      const started = Date.now();
      let data = "";
      const socket = connect(Number(port), hostname, async () => {
        socket.write(
          `POST /api/v1/auth/login HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
        );
        for (const piece of [body.slice(0, 10), body.slice(10, 20), body.slice(20)]) {
          await new Promise((r) => setTimeout(r, 200));
          socket.write(piece);
        }
      });
      socket.on("data", (d) => (data += d));
      socket.on("error", reject);
      socket.on("close", () => {
        const at = data.indexOf("\r\n\r\n");
        resolve({ head: data.slice(0, at), body: data.slice(at + 4), ms: Date.now() - started });
      });
    });
    expect(answer.head).toMatch(/^HTTP\/1\.1 401 /);
  });
});
