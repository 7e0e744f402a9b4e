import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import WebSocket from "ws";
import { Samples } from "./stats.mjs";

// One generator thread: holds a share of the clients' sockets, sends for the senders it holds,
// and timestamps every delivery the moment it arrives. The main thread drives it with commands
// (see generator.mjs). Times are absolute milliseconds (timeOrigin + now) so that a send started
// on one thread and received on another compare directly; the send time travels in the text.

const target = await import(workerData.targetModule);
const baseUrl = workerData.url;
const gapFree = Boolean(target.capabilities.gapFreeSeq);
/** The frame a socket pings with; a target whose protocol is not Colink's JSON names its own. */
const PING = target.pingFrame ?? '{"type":"ping"}';
/** How long a send over the socket waits for its acknowledgement, as long as an HTTP send waits. */
const SOCKET_SEND_TIMEOUT_MS = 120_000;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** @type {Map<number, Client>} */
const clients = new Map();
/** @type {Map<string, ReturnType<typeof newPhase>>} */
const phases = new Map();
const freshMisc = () => ({
  dupOther: 0,
  badFrames: 0,
  errorFrames: 0,
  gaps: 0,
  gapFillErrors: 0,
  resyncs: 0,
  unexpectedCloses: 0,
  samples: [],
});
/** Oddities since the last markUsage: duplicates outside a phase, error frames, gaps, unexpected closes. */
let misc = freshMisc();
let usageMark = performance.eventLoopUtilization();

function note(kind, detail) {
  if (misc.samples.length < 20) misc.samples.push(`${kind}: ${String(detail).slice(0, 300)}`);
}

function newPhase() {
  return {
    delivered: 0,
    dup: 0,
    lat: new Samples(4096),
    ack: new Samples(256),
    slip: new Samples(256),
    firstRecv: Number.POSITIVE_INFINITY,
    lastRecv: 0,
    firstSend: Number.POSITIVE_INFINITY,
    lastSend: 0,
    sent: 0,
    sendErrors: 0,
    sentByChannel: /** @type {Record<string, number>} */ ({}),
    calls: 0,
  };
}

function phase(tag) {
  let p = phases.get(tag);
  if (!p) {
    p = newPhase();
    phases.set(tag, p);
  }
  return p;
}

/** What one socket has seen of one channel: the highest seq, and the holes below it. */
class ChannelView {
  hw = -1;
  /** @type {Set<number>} */
  missing = new Set();
  /** Message ids seen, for a target whose events carry no per-channel seq (XMPP). */
  /** @type {Set<string>} */
  ids = new Set();

  /** Records a message id; false when it was already seen. */
  seeId(id) {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    return true;
  }

  /** Records seq; false when it was already seen (a duplicate). */
  see(seq) {
    if (this.hw < 0 || seq > this.hw) {
      if (gapFree && this.hw >= 0) for (let s = this.hw + 1; s < seq; s++) this.missing.add(s);
      this.hw = seq;
      return true;
    }
    return this.missing.delete(seq);
  }

  /** The seq to resume after: everything up to it has been seen. */
  cursor() {
    if (this.missing.size === 0) return this.hw;
    let low = this.hw;
    for (const s of this.missing) low = Math.min(low, s - 1);
    return low;
  }
}

class Sock {
  /** @param {Client} client */
  constructor(client, endpoint) {
    this.client = client;
    this.endpoint = endpoint;
    /** @type {WebSocket | null} */
    this.ws = null;
    /** @type {Map<string, ChannelView>} */
    this.views = new Map();
    this.readies = 0;
    this.pongs = 0;
    this.fills = 0;
    /** true once the first frame was answered: heartbeats only go to live sockets */
    this.live = false;
    /** @type {Set<() => void>} */
    this.listeners = new Set();
    /** Sends over this socket waiting for their acknowledgement, by client_msg_id. */
    /** @type {Map<string, () => void>} */
    this.acks = new Map();
    /** During a target's handshake: the pattern the next expected frame matches, and whether it came. */
    /** @type {RegExp | null} */
    this.expect = null;
    this.expectMet = false;
  }

  view(ch) {
    let v = this.views.get(ch);
    if (!v) {
      v = new ChannelView();
      this.views.set(ch, v);
    }
    return v;
  }

  notify() {
    for (const l of this.listeners) l();
  }

  /** Resolves when `pred()` holds, checked after every frame; rejects after `ms`. */
  until(pred, ms, what) {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      const check = () => {
        if (pred()) {
          done();
          resolve(undefined);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      }, ms);
      this.listeners.add(check);
    });
  }

  cursors() {
    /** @type {Record<string, number>} */
    const out = {};
    for (const [ch, v] of this.views) if (v.hw >= 0) out[ch] = v.cursor();
    return out;
  }
}

class Client {
  constructor(spec) {
    this.idx = spec.idx;
    this.account = spec.account;
    this.channels = spec.channels;
    this.userSeq = 0;
    this.sockets = target.endpoints(baseUrl, spec.account, spec.channels).map((ep) => new Sock(this, ep));
  }
}

function onEvent(sock, f, t) {
  const fresh = f.seq === undefined ? sock.view(f.ch).seeId(f.id) : sock.view(f.ch).see(f.seq);
  const bench = typeof f.text === "string" && f.text.startsWith("bench ") ? f.text.split(" ") : null;
  if (!fresh) {
    if (bench) phase(bench[1]).dup++;
    else misc.dupOther++;
    return;
  }
  if (!bench) return;
  const p = phase(bench[1]);
  p.delivered++;
  p.lat.push(t - Number(bench[2]));
  if (t < p.firstRecv) p.firstRecv = t;
  if (t > p.lastRecv) p.lastRecv = t;
}

async function fillGap(sock, f) {
  const v = sock.view(f.ch);
  for (let s = Math.max(f.after, v.hw) + 1; s <= f.until; s++) v.missing.add(s);
  if (f.until > v.hw) v.hw = f.until;
  if (!target.fetchEvents) return;
  sock.fills++;
  try {
    const events = await target.fetchEvents(baseUrl, sock.client.account, f.ch, f.after, f.until);
    const t = now();
    for (const e of events) onEvent(sock, e, t);
  } catch (error) {
    misc.gapFillErrors++;
    note("gap fill", error instanceof Error ? error.message : error);
  } finally {
    sock.fills--;
    sock.notify();
  }
}

function onFrame(sock, data) {
  const t = now();
  const text = String(data);
  if (sock.expect?.test(text)) sock.expectMet = true;
  let f;
  try {
    f = target.parseFrame(text);
  } catch (error) {
    misc.badFrames++;
    note("bad frame", error instanceof Error ? error.message : error);
    return;
  }
  switch (f.k) {
    case "ev":
      onEvent(sock, f, t);
      break;
    case "ready":
      sock.readies++;
      if (typeof f.userSeq === "number" && f.userSeq > sock.client.userSeq) sock.client.userSeq = f.userSeq;
      break;
    case "user":
      if (f.userSeq > sock.client.userSeq) sock.client.userSeq = f.userSeq;
      break;
    case "pong":
      sock.pongs++;
      break;
    case "gap":
      misc.gaps++;
      void fillGap(sock, f);
      break;
    case "resync":
      misc.resyncs++;
      note("resync_required", f.ch);
      break;
    case "error":
      misc.errorFrames++;
      note("error frame", `${f.code} ${f.detail}`);
      break;
  }
  if (f.ack !== undefined) sock.acks.get(f.ack)?.();
  if (f.nack !== undefined) sock.acks.get(f.nack)?.(new Error(`send refused: ${f.code} ${f.detail}`));
  sock.notify();
}

/** Opens one socket and makes it live: waits for `ready`, sends the first frame, waits for its answer. */
async function openSocket(sock, first, timeoutMs) {
  const ws = new WebSocket(sock.endpoint.url, sock.endpoint.protocols ?? [], {
    headers: sock.endpoint.headers,
    perMessageDeflate: false,
    handshakeTimeout: timeoutMs,
  });
  sock.ws = ws;
  sock.live = false;
  sock.readies = 0;
  sock.pongs = 0;
  ws.on("message", (data) => onFrame(sock, data));
  ws.on("close", (code) => {
    if (sock.ws === ws && !sock.closing) {
      misc.unexpectedCloses++;
      note("socket closed", code);
    }
    sock.notify();
  });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once("error", reject);
  });
  ws.on("error", (error) => note("socket error", error.message));
  if (target.handshake) {
    // A protocol with a login conversation of its own (XMPP: stream, SASL, bind, joins): each step
    // sends a frame and waits for the frame that answers it.
    for (const step of target.handshake(sock.client.account, sock.endpoint)) {
      sock.expect = step.expect;
      sock.expectMet = false;
      ws.send(step.send);
      await sock.until(() => sock.expectMet, timeoutMs, step.what);
    }
    sock.expect = null;
    sock.readies = 2;
    sock.live = true;
    return;
  }
  await sock.until(() => sock.readies >= 1, timeoutMs, "ready");
  if (first === "ping") {
    ws.send(PING);
    await sock.until(() => sock.pongs >= 1, timeoutMs, "pong");
  } else {
    ws.send(target.resumeFrame(sock.client.userSeq, sock.cursors()));
    await sock.until(() => sock.readies >= 2, timeoutMs, "ready after resume");
  }
  sock.live = true;
}

async function mapLimit(items, limit, fn) {
  let next = 0;
  const out = new Array(items.length);
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= items.length) return;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

async function sendOne(p, tag, client, ch, n) {
  const t0 = now();
  if (t0 < p.firstSend) p.firstSend = t0;
  const text = `bench ${tag} ${t0.toFixed(3)} ${client.idx}.${n}`;
  try {
    const clientMsgId = `${tag}-${client.idx}-${n}`;
    const status = target.sendFrame
      ? await sendOnSocket(client, ch, text, clientMsgId)
      : await target.send(baseUrl, client.account, ch, text, clientMsgId);
    const t1 = now();
    p.ack.push(t1 - t0);
    if (t1 > p.lastSend) p.lastSend = t1;
    if (status >= 200 && status < 300) {
      p.sent++;
      p.sentByChannel[ch] = (p.sentByChannel[ch] ?? 0) + 1;
    } else {
      p.sendErrors++;
      note("send", `HTTP ${status}`);
    }
  } catch (error) {
    p.sendErrors++;
    note("send", error instanceof Error ? error.message : error);
  }
}

/**
 * Sends over the client's socket for `ch` (a target with `sendFrame`) and waits for the
 * acknowledgement `parseFrame` reports as `ack` (Colink's ack frame; XMPP's reflection of the
 * sender's own message). Answers an HTTP-like status so both paths count alike.
 */
async function sendOnSocket(client, ch, text, clientMsgId) {
  const sock = client.sockets.find((s) => s.endpoint.channels.includes(ch) && s.live && s.ws?.readyState === WebSocket.OPEN);
  if (!sock?.ws) throw new Error(`no live socket for ${ch}`);
  const acked = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sock.acks.delete(clientMsgId);
      reject(new Error(`no acknowledgement in ${SOCKET_SEND_TIMEOUT_MS} ms`));
    }, SOCKET_SEND_TIMEOUT_MS);
    sock.acks.set(clientMsgId, (error) => {
      clearTimeout(timer);
      sock.acks.delete(clientMsgId);
      if (error) reject(error);
      else resolve(undefined);
    });
  });
  sock.ws.send(target.sendFrame(ch, text, clientMsgId));
  await acked;
  return 200;
}

function requireClient(idx) {
  const c = clients.get(idx);
  if (!c) throw new Error(`no client ${idx} on this thread`);
  return c;
}

function caughtUp(client, heads) {
  for (const sock of client.sockets) {
    if (sock.readies < 2 || sock.fills > 0) return false;
    for (const ch of sock.endpoint.channels) {
      const head = heads[ch];
      if (head === undefined) continue;
      const v = sock.views.get(ch);
      if (!v || v.hw < head || v.missing.size > 0) return false;
    }
  }
  return true;
}

function lostFor(client, heads) {
  let lost = 0;
  for (const sock of client.sockets)
    for (const ch of sock.endpoint.channels) {
      const head = heads[ch];
      if (head === undefined) continue;
      const v = sock.views.get(ch);
      lost += v ? Math.max(0, head - v.hw) + v.missing.size : head;
    }
  return lost;
}

const commands = {
  async connect({ clients: specs, first = "resume", concurrency = 32, timeoutMs = 30_000 }) {
    const started = now();
    const errors = [];
    let connected = 0;
    const socks = [];
    for (const spec of specs) {
      const c = new Client(spec);
      clients.set(c.idx, c);
      socks.push(...c.sockets);
    }
    await mapLimit(socks, concurrency, async (sock) => {
      try {
        await openSocket(sock, first, timeoutMs);
        connected++;
      } catch (error) {
        if (errors.length < 5) errors.push(error instanceof Error ? error.message : String(error));
      }
    });
    return { sockets: socks.length, connected, failed: socks.length - connected, errors, ms: now() - started };
  },

  async closedLoop({ tag, senders }) {
    const p = phase(tag);
    const call = ++p.calls;
    await Promise.all(
      senders.map(async (s) => {
        const c = requireClient(s.idx);
        const channels = s.channels ?? [s.channel];
        // client_msg_id must stay unique when a phase calls closedLoop more than once
        for (let i = 0; i < s.count; i++) await sendOne(p, tag, c, channels[i % channels.length], `c${call}.${i}`);
      }),
    );
    return { sent: p.sent, sendErrors: p.sendErrors };
  },

  async openLoop({ tag, startAt, items }) {
    const p = phase(tag);
    const inflight = [];
    for (const item of items) {
      const due = startAt + item.at;
      const wait = due - now();
      if (wait > 1) await sleep(wait);
      p.slip.push(Math.max(0, now() - due));
      inflight.push(sendOne(p, tag, requireClient(item.idx), item.channel, item.n));
    }
    await Promise.all(inflight);
    return { sent: p.sent, sendErrors: p.sendErrors };
  },

  progress({ tag }) {
    const p = phases.get(tag);
    return { delivered: p?.delivered ?? 0, dup: p?.dup ?? 0, lastRecv: p?.lastRecv ?? 0, sentByChannel: p?.sentByChannel ?? {} };
  },

  collect({ tag }) {
    const p = phase(tag);
    phases.delete(tag);
    const lat = p.lat.toArray();
    const ack = p.ack.toArray();
    const slip = p.slip.toArray();
    return {
      value: {
        delivered: p.delivered,
        dup: p.dup,
        sent: p.sent,
        sendErrors: p.sendErrors,
        sentByChannel: p.sentByChannel,
        firstSend: p.firstSend,
        lastSend: p.lastSend,
        firstRecv: p.firstRecv,
        lastRecv: p.lastRecv,
        lat,
        ack,
        slip,
      },
      transfer: [lat.buffer, ack.buffer, slip.buffer],
    };
  },

  cursors({ idxs }) {
    /** @type {Record<string, number>} */
    const heads = {};
    for (const idx of idxs)
      for (const sock of requireClient(idx).sockets) for (const [ch, v] of sock.views) heads[ch] = Math.max(heads[ch] ?? -1, v.hw);
    return heads;
  },

  drop({ idxs }) {
    for (const idx of idxs)
      for (const sock of requireClient(idx).sockets) {
        sock.closing = true;
        sock.ws?.terminate();
        sock.ws = null;
      }
    return idxs.length;
  },

  async resume({ idxs, heads, timeoutMs }) {
    const started = now();
    const results = await Promise.all(
      idxs.map(async (idx) => {
        const c = requireClient(idx);
        try {
          await Promise.all(
            c.sockets.map(async (sock) => {
              sock.closing = false;
              await openSocket(sock, "resume", timeoutMs);
            }),
          );
          const left = timeoutMs - (now() - started);
          await Promise.all(c.sockets.map((sock) => sock.until(() => caughtUp(c, heads), Math.max(1, left), "catch-up")));
          return { idx, ms: now() - started, lost: 0 };
        } catch (error) {
          note("resume", error instanceof Error ? error.message : error);
          return { idx, ms: null, lost: lostFor(c, heads) };
        }
      }),
    );
    return results;
  },

  async ping({ idxs, timeoutMs = 10_000 }) {
    let ok = 0;
    let failed = 0;
    const socks = (idxs ?? [...clients.keys()]).flatMap((idx) => requireClient(idx).sockets);
    await Promise.all(
      socks.map(async (sock) => {
        const before = sock.pongs;
        try {
          if (!sock.ws || sock.ws.readyState !== WebSocket.OPEN) throw new Error("not open");
          sock.ws.send(PING);
          await sock.until(() => sock.pongs > before, timeoutMs, "pong");
          ok++;
        } catch {
          failed++;
        }
      }),
    );
    return { ok, failed };
  },

  openCount() {
    let open = 0;
    for (const c of clients.values()) for (const s of c.sockets) if (s.ws?.readyState === WebSocket.OPEN) open++;
    return open;
  },

  async closeAll() {
    const socks = [...clients.values()].flatMap((c) => c.sockets);
    await Promise.all(
      socks.map(async (sock) => {
        const ws = sock.ws;
        if (!ws) return;
        sock.closing = true;
        if (ws.readyState === WebSocket.CLOSED) return;
        const closed = new Promise((r) => ws.once("close", r));
        ws.close(1000);
        await Promise.race([closed, sleep(5_000)]);
        ws.terminate();
      }),
    );
    clients.clear();
    phases.clear();
    return socks.length;
  },

  markUsage() {
    usageMark = performance.eventLoopUtilization();
    misc = freshMisc();
    return true;
  },

  readUsage() {
    const elu = performance.eventLoopUtilization(usageMark);
    return { elu: elu.utilization, misc: { ...misc, samples: [...misc.samples] } };
  },
};

// Heartbeats, as a real client sends them (Colink closes a socket silent for 40 s): every socket
// pings every HEARTBEAT_MS, spread over one-second ticks so 10,000 sockets never ping at once.
const HEARTBEAT_MS = 20_000;
let tick = 0;
setInterval(() => {
  const slots = HEARTBEAT_MS / 1000;
  const slot = tick++ % slots;
  let i = 0;
  for (const c of clients.values())
    for (const sock of c.sockets) {
      if (i++ % slots !== slot || !sock.live || sock.ws?.readyState !== WebSocket.OPEN) continue;
      try {
        sock.ws.send(PING);
      } catch {
        // closing
      }
    }
}, 1000).unref();

parentPort?.on("message", async ({ id, cmd, args }) => {
  try {
    const fn = commands[cmd];
    if (!fn) throw new Error(`unknown command ${cmd}`);
    const out = await fn(args ?? {});
    if (out && typeof out === "object" && "transfer" in out && "value" in out)
      parentPort?.postMessage({ id, ok: true, value: out.value }, out.transfer);
    else parentPort?.postMessage({ id, ok: true, value: out });
  } catch (error) {
    parentPort?.postMessage({ id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
});
