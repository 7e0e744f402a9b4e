// Frames received on a socket and ways to wait for them. Runtime-neutral: the in-runtime client
// (test/socketClient.ts) and the Node e2e client (test/e2e/socket.ts) both build on it.

export type Frame = { type: string; [key: string]: any };
export type Closed = { code: number; reason: string };

export class FrameQueue {
  readonly frames: Frame[] = [];
  closed: Closed | null = null;
  private cursor = 0;
  private waiters: (() => void)[] = [];

  protected received(frame: Frame): void {
    this.frames.push(frame);
    this.wakeAll();
  }

  protected ended(closed: Closed): void {
    this.closed = closed;
    this.wakeAll();
  }

  /** The next frame not yet taken, waiting up to `ms`. */
  async next(ms = 10_000): Promise<Frame> {
    const deadline = Date.now() + ms;
    while (this.cursor >= this.frames.length) {
      if (this.closed) throw new Error(`socket closed (${this.closed.code} ${this.closed.reason}) while waiting`);
      if (Date.now() > deadline) throw new Error(`no frame within ${ms} ms; last: ${JSON.stringify(this.frames.slice(-3))}`);
      await this.sleep(deadline - Date.now());
    }
    return this.frames[this.cursor++] as Frame;
  }

  /** Takes frames until one matches, returning the ones before it and the match. */
  async until(match: (f: Frame) => boolean, ms = 10_000): Promise<{ before: Frame[]; match: Frame }> {
    const before: Frame[] = [];
    const deadline = Date.now() + ms;
    for (;;) {
      const f = await this.next(Math.max(1, deadline - Date.now()));
      if (match(f)) return { before, match: f };
      before.push(f);
    }
  }

  /** Takes frames until `count` of them matched, returning those. */
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
  async drain(ms = 300): Promise<Frame[]> {
    await new Promise((r) => setTimeout(r, ms));
    const rest = this.frames.slice(this.cursor);
    this.cursor = this.frames.length;
    return rest;
  }

  async closedWith(ms = 10_000): Promise<Closed> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error("socket did not close");
      await this.sleep(deadline - Date.now());
    }
    return this.closed;
  }

  private wakeAll(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, Math.max(1, ms));
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
