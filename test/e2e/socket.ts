import WebSocket from "ws";
import { type Frame, FrameQueue } from "../frameQueue";
import { baseUrl } from "./client";

// A Node WebSocket client for the e2e suite (the `ws` package, so it can send Authorization).

export type { Frame };

export class NodeSocket extends FrameQueue {
  private constructor(readonly ws: WebSocket) {
    super();
    ws.on("message", (data) => this.received(JSON.parse(String(data))));
    ws.on("close", (code, reason) => this.ended({ code, reason: String(reason) }));
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

  /** Drops the connection without a close handshake, as a vanished device would. */
  terminate(): void {
    this.ws.terminate();
  }

  close(): void {
    this.ws.close(1000);
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
