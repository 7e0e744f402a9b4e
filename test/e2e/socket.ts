import WebSocket from "ws";
import { baseUrl } from "./client";

// A Node WebSocket client for the e2e suite (the `ws` package, so it can send Authorization).

export type Frame = { type: string; [key: string]: any };

export class NodeSocket {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | null = null;
  private cursor = 0;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.frames.push(JSON.parse(String(data)));
      this.notify();
    });
    ws.on("close", (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.notify();
    });
  }

  static async open(token: string, options: { base?: string; query?: string } = {}): Promise<NodeSocket> {
    const url = `${(options.base ?? baseUrl()).replace(/^http/, "ws")}/api/v1/ws${options.query ?? ""}`;
    const ws = new WebSocket(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once("error", reject);
    });
    return new NodeSocket(ws);
  }

  /** Opens a socket and waits for the first `ready`. */
  static async ready(token: string, options: { base?: string } = {}): Promise<NodeSocket> {
    const s = await NodeSocket.open(token, options);
    await s.until((f) => f.type === "ready");
    return s;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  async next(ms = 10_000): Promise<Frame> {
    const deadline = Date.now() + ms;
    while (this.cursor >= this.frames.length) {
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) while waiting`);
      if (Date.now() > deadline) throw new Error(`no frame within ${ms} ms`);
      await this.wait(deadline - Date.now());
    }
    return this.frames[this.cursor++] as Frame;
  }

  async until(match: (f: Frame) => boolean, ms = 10_000): Promise<{ before: Frame[]; match: Frame }> {
    const before: Frame[] = [];
    const deadline = Date.now() + ms;
    for (;;) {
      const f = await this.next(Math.max(1, deadline - Date.now()));
      if (match(f)) return { before, match: f };
      before.push(f);
    }
  }

  /** Collects frames matching `match` until there are `count` of them. */
  async collect(match: (f: Frame) => boolean, count: number, ms = 20_000): Promise<Frame[]> {
    const got: Frame[] = [];
    const deadline = Date.now() + ms;
    while (got.length < count) {
      const f = await this.next(Math.max(1, deadline - Date.now())).catch((e: Error) => {
        throw new Error(`${e.message}: had ${got.length}/${count}`);
      });
      if (match(f)) got.push(f);
    }
    return got;
  }

  /** Frames not yet taken, after waiting `ms` for stragglers. */
  async drain(ms = 500): Promise<Frame[]> {
    await new Promise((r) => setTimeout(r, ms));
    const rest = this.frames.slice(this.cursor);
    this.cursor = this.frames.length;
    return rest;
  }

  async closedWith(ms = 10_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error("socket did not close");
      await this.wait(deadline - Date.now());
    }
    return this.closed;
  }

  /** Drops the connection without a close handshake, as a vanished device would. */
  terminate(): void {
    this.ws.terminate();
  }

  close(): void {
    this.ws.close(1000);
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, Math.max(1, ms));
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

/** Tracks what a client has seen, as a real client would, to resume with. */
export class Cursors {
  userSeq = 0;
  readonly channels: Record<string, number> = {};

  see(frames: Frame[]): void {
    for (const f of frames) {
      if (typeof f.channel_id === "string" && typeof f.seq === "number") this.channels[f.channel_id] = f.seq;
      if (typeof f.user_seq === "number" && f.type !== "ready") this.userSeq = f.user_seq;
    }
  }

  resumeFrame() {
    return { type: "resume", user_seq: this.userSeq, channels: { ...this.channels } };
  }
}
