import { exports } from "cloudflare:workers";
import { type Frame, FrameQueue } from "./frameQueue";

// A WebSocket client for in-runtime tests.

export type { Frame };

export class TestSocket extends FrameQueue {
  private static readonly open = new Set<TestSocket>();
  /** Sockets opened since the last `closeAll()`. */
  static openedSinceReset = 0;

  /** Closes every socket tests left open (the setup file does this after each test). */
  static closeAll(): void {
    for (const s of TestSocket.open) s.close();
    TestSocket.openedSinceReset = 0;
  }

  constructor(readonly ws: WebSocket) {
    super();
    TestSocket.open.add(this);
    TestSocket.openedSinceReset++;
    ws.accept();
    ws.addEventListener("message", (e) =>
      this.received(JSON.parse(typeof e.data === "string" ? e.data : new TextDecoder().decode(e.data as ArrayBuffer))),
    );
    ws.addEventListener("close", (e) => {
      TestSocket.open.delete(this);
      this.ended({ code: e.code, reason: e.reason });
    });
  }

  static fromResponse(res: Response): TestSocket {
    if (res.status !== 101 || !res.webSocket) throw new Error(`expected a websocket upgrade, got ${res.status}`);
    return new TestSocket(res.webSocket);
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" || frame instanceof Uint8Array ? frame : JSON.stringify(frame));
  }

  close(): void {
    TestSocket.open.delete(this);
    try {
      this.ws.close(1000, "bye");
    } catch {
      // already closed
    }
  }
}

/** Opens a socket through the Worker as `token`'s user, resumes, and waits until it is live. */
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
