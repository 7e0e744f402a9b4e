import { availableParallelism } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { mergeSorted } from "./stats.mjs";

// The load generator: a few worker threads (clientWorker.mjs) that hold the clients of one target.
// Client `idx` lives on thread `idx % threads`; the main thread only coordinates.

const workerFile = path.join(import.meta.dirname, "clientWorker.mjs");

export const defaultThreads = () => Math.max(2, Math.min(4, availableParallelism()));

export class Generator {
  /** @param {string} targetName @param {string} url @param {number} threads */
  constructor(targetName, url, threads) {
    this.threads = threads;
    this.nextId = 0;
    /** @type {Map<number, { resolve: (v: any) => void, reject: (e: Error) => void }>} */
    this.pending = new Map();
    const targetModule = pathToFileURL(path.join(import.meta.dirname, "..", "targets", `${targetName}.mjs`)).href;
    this.workers = Array.from({ length: threads }, () => {
      const w = new Worker(workerFile, { workerData: { targetModule, url } });
      w.on("message", ({ id, ok, value, error }) => {
        const p = this.pending.get(id);
        if (!p) return;
        this.pending.delete(id);
        if (ok) p.resolve(value);
        else p.reject(new Error(`generator thread: ${error}`));
      });
      w.on("error", (error) => {
        for (const p of this.pending.values()) p.reject(error);
        this.pending.clear();
      });
      return w;
    });
  }

  /** @returns {Promise<any>} */
  call(w, cmd, args = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[w]?.postMessage({ id, cmd, args });
    });
  }

  all(cmd, argsFor = () => ({})) {
    return Promise.all(this.workers.map((_, w) => this.call(w, cmd, argsFor(w))));
  }

  thread(idx) {
    return idx % this.threads;
  }

  /** Splits items over threads by the client each belongs to. */
  split(items, idxOf) {
    const out = this.workers.map(() => []);
    for (const item of items) out[this.thread(idxOf(item))]?.push(item);
    return out;
  }

  /** Opens and readies every client's sockets: `[{ idx, account, channels }]`. */
  async connect(clients, options = {}) {
    const parts = this.split(clients, (c) => c.idx);
    const results = await this.all("connect", (w) => ({ ...options, clients: parts[w] }));
    return results.reduce(
      (a, r) => ({
        sockets: a.sockets + r.sockets,
        connected: a.connected + r.connected,
        failed: a.failed + r.failed,
        errors: [...a.errors, ...r.errors].slice(0, 5),
        ms: Math.max(a.ms, r.ms),
      }),
      { sockets: 0, connected: 0, failed: 0, errors: [], ms: 0 },
    );
  }

  /**
   * Each sender `{ idx, channel | channels, count }` sends `count` messages (rotating over `channels`),
   * each after the previous one was answered.
   */
  async closedLoop(tag, senders) {
    const parts = this.split(senders, (s) => s.idx);
    await this.all("closedLoop", (w) => ({ tag, senders: parts[w] }));
  }

  /** Sends `items` (`{ at, idx, channel, n }`, `at` in ms after `startAt`) on schedule, whatever the answers. */
  async openLoop(tag, startAt, items) {
    const parts = this.split(items, (i) => i.idx);
    await this.all("openLoop", (w) => ({ tag, startAt, items: parts[w] }));
  }

  async progress(tag) {
    const parts = await this.all("progress", () => ({ tag }));
    /** @type {Record<string, number>} */
    const sentByChannel = {};
    for (const p of parts) for (const [ch, n] of Object.entries(p.sentByChannel)) sentByChannel[ch] = (sentByChannel[ch] ?? 0) + n;
    const delivered = parts.reduce((a, p) => a + p.delivered, 0);
    const dup = parts.reduce((a, p) => a + p.dup, 0);
    return { delivered, dup, lastRecv: Math.max(...parts.map((p) => p.lastRecv)), sentByChannel };
  }

  /** Gathers a phase from every thread: counts, and all latencies merged and sorted. */
  async collect(tag) {
    const parts = await this.all("collect", () => ({ tag }));
    /** @type {Record<string, number>} */
    const sentByChannel = {};
    for (const p of parts) for (const [ch, n] of Object.entries(p.sentByChannel)) sentByChannel[ch] = (sentByChannel[ch] ?? 0) + n;
    const sum = (k) => parts.reduce((a, p) => a + p[k], 0);
    return {
      delivered: sum("delivered"),
      dup: sum("dup"),
      sent: sum("sent"),
      sendErrors: sum("sendErrors"),
      sentByChannel,
      firstSend: Math.min(...parts.map((p) => p.firstSend)),
      lastSend: Math.max(...parts.map((p) => p.lastSend)),
      firstRecv: Math.min(...parts.map((p) => p.firstRecv)),
      lastRecv: Math.max(...parts.map((p) => p.lastRecv)),
      latencies: mergeSorted(parts.map((p) => p.lat)),
      acks: mergeSorted(parts.map((p) => p.ack)),
      slips: mergeSorted(parts.map((p) => p.slip)),
    };
  }

  /** The highest seq each channel reached, as seen by these clients. */
  async heads(idxs) {
    const parts = this.split(idxs, (i) => i);
    const all = await this.all("cursors", (w) => ({ idxs: parts[w] }));
    /** @type {Record<string, number>} */
    const heads = {};
    for (const h of all) for (const [ch, s] of Object.entries(h)) heads[ch] = Math.max(heads[ch] ?? -1, s);
    return heads;
  }

  async drop(idxs) {
    const parts = this.split(idxs, (i) => i);
    await this.all("drop", (w) => ({ idxs: parts[w] }));
  }

  async resume(idxs, heads, timeoutMs) {
    const parts = this.split(idxs, (i) => i);
    return (await this.all("resume", (w) => ({ idxs: parts[w], heads, timeoutMs }))).flat();
  }

  async ping(timeoutMs) {
    const parts = await this.all("ping", () => ({ timeoutMs }));
    return parts.reduce((a, p) => ({ ok: a.ok + p.ok, failed: a.failed + p.failed }), { ok: 0, failed: 0 });
  }

  async openCount() {
    return (await this.all("openCount")).reduce((a, n) => a + n, 0);
  }

  async closeAll() {
    await this.all("closeAll");
  }

  async markUsage() {
    await this.all("markUsage");
  }

  async readUsage() {
    const parts = await this.all("readUsage");
    const misc = {};
    for (const p of parts)
      for (const [k, v] of Object.entries(p.misc))
        misc[k] = Array.isArray(v) ? [...(misc[k] ?? []), ...v].slice(0, 20) : (misc[k] ?? 0) + v;
    return { elu: parts.map((p) => Math.round(p.elu * 1000) / 1000), misc };
  }

  async stop() {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
