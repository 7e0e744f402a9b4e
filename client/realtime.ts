import { CloseCode } from "../src/protocol/closeCodes.ts";
import type { ClientFrame } from "../src/protocol/frames";
import type { Message } from "../src/protocol/messages";
import type { ColinkApi, SendRequest } from "./api.ts";
import { type BackoffPolicy, backoffDelay } from "./backoff.ts";
import { ColinkApiError } from "./errors.ts";
import { parseServerFrame, type ServerFrame, type UnknownChannelEvent } from "./events.ts";
import type { HttpClient } from "./http.ts";

// The one socket of a device (API.md "Real time"): opened with a ticket from a browser (which
// cannot set headers on a WebSocket handshake) or with the Authorization header elsewhere; kept
// alive with pings; reopened with backoff and jitter after any drop, resuming from the cursors
// the caller keeps.

export type SocketAuth = "ticket" | "header";

/** The part of the WHATWG WebSocket the SDK uses (browsers, Node ≥ 22, Deno, Bun). */
export type WebSocketLike = {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
};

export type WebSocketFactory = (url: string, headers?: Record<string, string>) => WebSocketLike;

/** Node's and undici's WebSocket take `{ headers }` as a second argument; browsers never get here (ticket). */
const defaultFactory: WebSocketFactory = (url, headers) => {
  const Ctor = globalThis.WebSocket as unknown as new (url: string, init?: unknown) => WebSocketLike;
  return headers ? new Ctor(url, { headers }) : new Ctor(url);
};

export type RealtimeStatus =
  | "idle"
  | "connecting"
  | "live"
  /** Dropped; the next attempt is scheduled. */
  | "reconnecting"
  /** The device has no network (browsers say so); reconnects when it is back. */
  | "offline"
  | "signed_out"
  | "deactivated";

export type RealtimeOptions = {
  http: HttpClient;
  api: ColinkApi;
  auth?: SocketAuth;
  createSocket?: WebSocketFactory;
  reconnect?: BackoffPolicy;
  /** Every 20 s, as the server asks (it drops a socket silent for 40 s). */
  pingIntervalMs?: number;
  /** A socket that has said nothing for this long is dead even if the OS has not noticed. */
  silenceTimeoutMs?: number;
  /** The first frame of each new socket: a resume, or a ping. */
  opening: () => ClientFrame;
  onFrame: (frame: ServerFrame) => void;
  onStatus?: (status: RealtimeStatus, detail?: { code?: number; reason?: string }) => void;
  /** Follow the browser's online/offline events (default: when there is a window). */
  watchNetwork?: boolean;
  random?: () => number;
};

const OPEN = 1;
/** How long a send on the socket waits for its ack before the caller falls back to HTTP. */
const SEND_ACK_TIMEOUT_MS = 15_000;

/**
 * A send on the socket got no answer (the socket dropped, or no ack in time): it may or may not
 * have been written, so send it again with the same client_msg_id (over HTTP, say).
 */
export class SocketSendLost extends Error {
  override readonly name = "SocketSendLost";
}

type PendingAck = { resolve: (m: Message) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> };
/** A connection that stayed up this long resets the backoff. */
const STABLE_MS = 5_000;

export class Realtime {
  readonly #o: Required<Omit<RealtimeOptions, "onStatus" | "createSocket" | "auth">> &
    Pick<RealtimeOptions, "onStatus"> & { auth: SocketAuth; createSocket: WebSocketFactory };
  #ws: WebSocketLike | null = null;
  #status: RealtimeStatus = "idle";
  #running = false;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #pingTimer: ReturnType<typeof setInterval> | null = null;
  #lastFrameAt = 0;
  #openedAt = 0;
  #unwatch: (() => void) | null = null;
  /** Sends on the socket waiting for their ack, by client_msg_id. */
  readonly #acks = new Map<string, PendingAck>();

  constructor(options: RealtimeOptions) {
    const browser = typeof document !== "undefined";
    this.#o = {
      auth: options.auth ?? (browser ? "ticket" : "header"),
      createSocket: options.createSocket ?? defaultFactory,
      reconnect: options.reconnect ?? { baseMs: 500, capMs: 30_000 },
      pingIntervalMs: options.pingIntervalMs ?? 20_000,
      silenceTimeoutMs: options.silenceTimeoutMs ?? 45_000,
      watchNetwork: options.watchNetwork ?? (typeof window !== "undefined" && typeof window.addEventListener === "function"),
      random: options.random ?? Math.random,
      http: options.http,
      api: options.api,
      opening: options.opening,
      onFrame: options.onFrame,
      onStatus: options.onStatus,
    };
  }

  get status(): RealtimeStatus {
    return this.#status;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    if (this.#o.watchNetwork) this.#watchNetwork();
    if (this.#o.watchNetwork && typeof navigator !== "undefined" && navigator.onLine === false) this.#setStatus("offline");
    else void this.#connect();
  }

  stop(): void {
    this.#running = false;
    this.#unwatch?.();
    this.#unwatch = null;
    this.#clearTimers();
    this.#drop(1000, "client stopped");
    if (this.#status !== "signed_out" && this.#status !== "deactivated") this.#setStatus("idle");
  }

  /** Sends a client frame if the socket is open; says whether it went. */
  send(frame: ClientFrame): boolean {
    if (!this.#ws || this.#ws.readyState !== OPEN) return false;
    this.#ws.send(JSON.stringify(frame));
    return true;
  }

  /**
   * Sends a message on the socket (docs/realtime.md "Sending on the socket"); null when the socket
   * is not live. Resolves with the message once the server acked it (durable); rejects with the
   * ColinkApiError HTTP would have thrown, or SocketSendLost when no answer came.
   */
  sendMessage(channelId: string, body: SendRequest & { client_msg_id: string }, timeoutMs = SEND_ACK_TIMEOUT_MS): Promise<Message> | null {
    if (this.#status !== "live" || !this.#ws || this.#ws.readyState !== OPEN) return null;
    const id = body.client_msg_id;
    const acked = new Promise<Message>((resolve, reject) => {
      this.#acks.get(id)?.reject(new SocketSendLost("sent again"));
      const timer = setTimeout(() => this.#settle(id, new SocketSendLost(`no ack in ${timeoutMs} ms`)), timeoutMs);
      (timer as { unref?: () => void }).unref?.();
      this.#acks.set(id, { resolve, reject, timer });
    });
    const frame: ClientFrame = {
      type: "send",
      channel_id: channelId,
      text: body.text,
      client_msg_id: id,
      ...(body.thread_root_id ? { thread_root_id: body.thread_root_id } : {}),
      also_send_to_channel: body.also_send_to_channel ?? false,
      ...(body.file_ids?.length ? { file_ids: body.file_ids } : {}),
    };
    this.#ws.send(JSON.stringify(frame));
    return acked;
  }

  #settle(clientMsgId: string, outcome: Message | Error) {
    const pending = this.#acks.get(clientMsgId);
    if (!pending) return;
    this.#acks.delete(clientMsgId);
    clearTimeout(pending.timer);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  /** An `ack`, or an `error` naming a send, settles that send. */
  #answerSend(frame: Exclude<ServerFrame, UnknownChannelEvent>) {
    if (frame.type === "ack") this.#settle(frame.client_msg_id, frame.message);
    else if (frame.type === "error" && frame.client_msg_id)
      this.#settle(
        frame.client_msg_id,
        new ColinkApiError({
          status: frame.status ?? 400,
          code: frame.code,
          detail: frame.detail,
          errors: frame.errors,
          retryAfterMs: frame.retry_after === undefined ? null : frame.retry_after * 1000,
        }),
      );
  }

  #loseAcks(reason: string) {
    for (const id of [...this.#acks.keys()]) this.#settle(id, new SocketSendLost(reason));
  }

  /** Drops the socket and reconnects at once (the network came back, the tab woke up). */
  reconnectNow(): void {
    if (!this.#running) return;
    this.#attempt = 0;
    this.#clearTimers();
    this.#drop(4000, "reconnecting");
    void this.#connect();
  }

  #setStatus(status: RealtimeStatus, detail?: { code?: number; reason?: string }) {
    if (this.#status === status) return;
    this.#status = status;
    this.#o.onStatus?.(status, detail);
  }

  #watchNetwork() {
    const offline = () => {
      // A browser keeps a socket "open" for a while after the network goes; nothing will arrive on it.
      this.#clearTimers();
      this.#drop(4000, "offline");
      this.#setStatus("offline");
    };
    const online = () => this.reconnectNow();
    window.addEventListener("offline", offline);
    window.addEventListener("online", online);
    this.#unwatch = () => {
      window.removeEventListener("offline", offline);
      window.removeEventListener("online", online);
    };
  }

  #clearTimers() {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    this.#retryTimer = null;
    this.#pingTimer = null;
  }

  #drop(code: number, reason: string) {
    const ws = this.#ws;
    this.#ws = null;
    this.#loseAcks(reason);
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close(code, reason);
    } catch {
      // already closing
    }
  }

  async #connect(): Promise<void> {
    if (!this.#running) return;
    this.#setStatus(this.#attempt === 0 && this.#status !== "reconnecting" ? "connecting" : "reconnecting");
    let url = `${this.#o.http.apiBase.replace(/^http/, "ws")}/ws`;
    if (url.startsWith("/")) url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${url}`;
    let headers: Record<string, string> | undefined;
    try {
      if (this.#o.auth === "ticket") {
        const { ticket } = await this.#o.api.socketTicket();
        url += `?ticket=${encodeURIComponent(ticket)}`;
      } else {
        const token = await this.#o.http.session.accessToken();
        if (!token) return this.#signedOut();
        headers = { authorization: `Bearer ${token}` };
      }
    } catch (error) {
      if (!this.#o.http.session.signedIn) return this.#signedOut();
      return this.#scheduleRetry({ reason: error instanceof Error ? error.message : String(error) });
    }
    if (!this.#running || this.#ws) return;
    const ws = this.#o.createSocket(url, headers);
    this.#ws = ws;
    ws.onopen = () => {
      opened = true;
      this.#openedAt = Date.now();
      this.#lastFrameAt = Date.now();
      ws.send(JSON.stringify(this.#o.opening()));
      this.#pingTimer = setInterval(() => this.#heartbeat(ws), Math.min(this.#o.pingIntervalMs, this.#o.silenceTimeoutMs / 2));
      (this.#pingTimer as { unref?: () => void }).unref?.();
    };
    ws.onmessage = (ev) => {
      this.#lastFrameAt = Date.now();
      const frame = typeof ev.data === "string" ? parseServerFrame(ev.data) : null;
      if (!frame) return;
      if (frame.type === "ready") this.#setStatus("live");
      if (!("unknown" in frame)) this.#answerSend(frame);
      this.#o.onFrame(frame);
    };
    let opened = false;
    const ended = (code: number, reason: string) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#loseAcks(`socket closed (${code})`);
      this.#clearTimers();
      void this.#closed(code, reason);
    };
    // Once open, the close event follows an error and says what happened. A handshake that
    // fails may end with the error alone (Node's undici never fires close for it).
    ws.onerror = () => {
      if (opened || this.#ws !== ws) return;
      ended(1006, "handshake failed");
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close();
      } catch {
        // never opened
      }
    };
    ws.onclose = (ev) => ended(ev.code, ev.reason);
  }

  #heartbeat(ws: WebSocketLike) {
    if (Date.now() - this.#lastFrameAt > this.#o.silenceTimeoutMs) {
      if (this.#ws === ws) {
        this.#drop(4000, "silent");
        this.#clearTimers();
        this.#scheduleRetry({ reason: "no frame from the server" });
      }
      return;
    }
    if (ws.readyState === OPEN) ws.send('{"type":"ping"}');
  }

  async #closed(code: number, reason: string) {
    if (!this.#running) return;
    if (this.#openedAt && Date.now() - this.#openedAt > STABLE_MS) this.#attempt = 0;
    this.#openedAt = 0;
    if (code === CloseCode.Deactivated) {
      this.#running = false;
      this.#setStatus("deactivated", { code, reason });
      return;
    }
    if (code === CloseCode.Unauthorized) {
      // The login session ended (logout, password change, revoked) or the token lapsed: renew once.
      const renewed = await this.#o.http.session.renewAfterRejection(this.#o.http.session.tokens?.accessToken ?? null);
      if (!renewed) return this.#signedOut();
    }
    this.#scheduleRetry({ code, reason });
  }

  #signedOut() {
    this.#running = false;
    this.#clearTimers();
    this.#drop(1000, "signed out");
    this.#setStatus("signed_out");
  }

  #scheduleRetry(detail: { code?: number; reason?: string }) {
    if (!this.#running) return;
    if (this.#status === "offline") return;
    this.#setStatus("reconnecting", detail);
    const delay = backoffDelay(this.#attempt++, this.#o.reconnect, this.#o.random);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      void this.#connect();
    }, delay);
    (this.#retryTimer as { unref?: () => void }).unref?.();
  }
}
