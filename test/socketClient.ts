import { exports } from "cloudflare:workers";

// A WebSocket client for in-runtime tests: collects frames and waits for them.

export type Frame = { type: string; [key: string]: any };

export class TestSocket {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | null = null;
  private cursor = 0;
  private wake: (() => void) | null = null;

  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener("message", (e) => {
      this.frames.push(JSON.parse(typeof e.data === "string" ? e.data : new TextDecoder().decode(e.data as ArrayBuffer)));
      this.wake?.();
    });
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
      this.wake?.();
    });
  }

  static fromResponse(res: Response): TestSocket {
    if (res.status !== 101 || !res.webSocket) throw new Error(`expected a websocket upgrade, got ${res.status}`);
    return new TestSocket(res.webSocket);
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" || frame instanceof Uint8Array ? frame : JSON.stringify(frame));
  }

  /** The next frame not yet taken, waiting up to `ms`. */
  async next(ms = 5000): Promise<Frame> {
    const deadline = Date.now() + ms;
    while (this.cursor >= this.frames.length) {
      if (this.closed) throw new Error(`socket closed (${this.closed.code} ${this.closed.reason}) while waiting`);
      if (Date.now() > deadline) throw new Error(`no frame within ${ms} ms; had ${JSON.stringify(this.frames.slice(-5))}`);
      await this.sleepUntilWoken(deadline - Date.now());
    }
    return this.frames[this.cursor++] as Frame;
  }

  /** Takes frames until one matches, returning the ones before it and the match. */
  async until(match: (f: Frame) => boolean, ms = 5000): Promise<{ before: Frame[]; match: Frame }> {
    const before: Frame[] = [];
    const deadline = Date.now() + ms;
    for (;;) {
      const f = await this.next(Math.max(1, deadline - Date.now()));
      if (match(f)) return { before, match: f };
      before.push(f);
    }
  }

  /** Waits for the socket to close. */
  async closedWith(ms = 5000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error("socket did not close");
      await this.sleepUntilWoken(deadline - Date.now());
    }
    return this.closed;
  }

  /** Frames received and not yet taken, after waiting `ms` for stragglers. */
  async drain(ms = 300): Promise<Frame[]> {
    await new Promise((r) => setTimeout(r, ms));
    const rest = this.frames.slice(this.cursor);
    this.cursor = this.frames.length;
    return rest;
  }

  close(): void {
    try {
      this.ws.close(1000, "bye");
    } catch {
      // already closed
    }
  }

  private sleepUntilWoken(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, Math.max(1, ms));
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }
}

/** Opens a socket through the Worker as `token`'s user and waits until it is live. */
export async function openLiveSocket(
  token: string,
  resume: { user_seq: number; channels: Record<string, number> } = { user_seq: 0, channels: {} },
) {
  const res = await exports.default.fetch(
    new Request("https://colink.test/api/v1/ws", { headers: { upgrade: "websocket", authorization: `Bearer ${token}` } }),
  );
  const ws = TestSocket.fromResponse(res);
  await ws.until((f) => f.type === "ready");
  ws.send({ type: "resume", ...resume });
  const replay = await ws.until((f) => f.type === "ready");
  return { ws, replay: replay.before };
}
