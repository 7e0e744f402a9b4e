import type { Message } from "../src/protocol/messages";
import type { UserView } from "../src/protocol/users";
import { type AuthResult, ColinkApi, type RegisterRequest, type SendRequest } from "./api.ts";
import { isApiError } from "./errors.ts";
import { type FetchLike, HttpClient, type RetryPolicy } from "./http.ts";
import { Realtime, type RealtimeStatus, type SocketAuth, SocketSendLost, type WebSocketFactory } from "./realtime.ts";
import { Session, type TokenRefresher, type Tokens } from "./session.ts";
import { ColinkStore } from "./store.ts";
import { type CursorStore, EventSync, type SyncHandlers } from "./sync.ts";

// The SDK in one object: a session (tokens and their renewal), the typed API, the socket with
// exact resume, and the store that every event is applied to.
//
//   const colink = new Colink({ baseUrl: "http://127.0.0.1:8787" });
//   await colink.login("ada", "…");
//   await colink.start();             // socket up, state loaded, events flowing into colink.store
//   await colink.store.send(channelId, "hello");

export type ColinkOptions = {
  /** The service's origin; "" in a page served by the service itself. */
  baseUrl: string;
  fetch?: FetchLike;
  retry?: Partial<RetryPolicy>;
  /** Renew access tokens this long before they expire (default 60 s). */
  refreshMarginMs?: number;
  /** "ticket" in browsers (default there), "header" elsewhere. */
  socketAuth?: SocketAuth;
  createSocket?: WebSocketFactory;
  /** Where cursors are kept between runs (default: memory). */
  cursorStore?: CursorStore;
  /** Extra handlers for the exact event stream, called after the store has applied each event. */
  on?: SyncHandlers;
  /** Follow the browser's online/offline events (default: when there is a window). */
  watchNetwork?: boolean;
};

/** Sends `typing` at most this often per channel (the server relays one per 3 s). */
const TYPING_EVERY_MS = 3_000;
/** Sends `active` at most this often (README "Real time"). */
const ACTIVE_EVERY_MS = 30_000;

export const tokensFrom = (auth: Pick<AuthResult, "access_token" | "refresh_token" | "expires_in">, now = Date.now()): Tokens => ({
  accessToken: auth.access_token,
  refreshToken: auth.refresh_token,
  expiresAt: now + auth.expires_in * 1000,
});

export class Colink {
  readonly session: Session;
  readonly http: HttpClient;
  readonly api: ColinkApi;
  readonly sync: EventSync;
  readonly realtime: Realtime;
  readonly store: ColinkStore;
  readonly #statusListeners = new Set<(status: RealtimeStatus) => void>();
  readonly #typingSentAt = new Map<string, number>();
  #activeSentAt = 0;
  #started = false;
  #firstReady: (() => void) | null = null;

  constructor(options: ColinkOptions) {
    this.session = new Session({ refreshMarginMs: options.refreshMarginMs });
    this.http = new HttpClient({ baseUrl: options.baseUrl, session: this.session, fetch: options.fetch, retry: options.retry });
    this.api = new ColinkApi(this.http);
    this.store = new ColinkStore({ api: this.api, send: (channelId, body) => this.send(channelId, body) });
    const extra = options.on ?? {};
    this.sync = new EventSync({
      api: this.api,
      cursorStore: options.cursorStore,
      handlers: {
        channelEvent: async (e) => {
          this.store.applyChannelEvent(e);
          await extra.channelEvent?.(e);
        },
        userEvent: async (e) => {
          this.store.applyUserEvent(e);
          if (e.type === "channel.removed") this.sync.forget(e.data.channel_id);
          await extra.userEvent?.(e);
        },
        ephemeral: (f) => {
          this.store.applyEphemeral(f);
          extra.ephemeral?.(f);
        },
        resync: async (channelId) => {
          if (this.#started) await (channelId ? this.store.reloadChannel(channelId) : this.store.reloadAll()).catch(() => {});
          await extra.resync?.(channelId);
        },
        ready: async (info) => {
          if (this.#firstReady) {
            this.#firstReady();
            this.#firstReady = null;
          } else if (this.#started) await this.#caughtUp();
          await extra.ready?.(info);
        },
        error: (f) => extra.error?.(f),
      },
    });
    this.realtime = new Realtime({
      http: this.http,
      api: this.api,
      auth: options.socketAuth,
      createSocket: options.createSocket,
      watchNetwork: options.watchNetwork,
      opening: () => this.sync.opening(),
      onFrame: (f) => void this.sync.receive(f),
      onStatus: (s) => {
        for (const l of this.#statusListeners) l(s);
      },
    });
  }

  // ── Signing in ────────────────────────────────────────────────────────────────────────────

  /** Renews Colink's own tokens through POST /auth/refresh. */
  readonly colinkRefresher: TokenRefresher = async (current) => {
    if (!current.refreshToken) throw new Error("no refresh token");
    return tokensFrom(await this.api.refresh(current.refreshToken));
  };

  async login(login: string, password: string): Promise<UserView> {
    const auth = await this.api.login(login, password);
    this.session.set(tokensFrom(auth), this.colinkRefresher);
    return auth.user;
  }

  async register(body: RegisterRequest): Promise<UserView> {
    const auth = await this.api.register(body);
    this.session.set(tokensFrom(auth), this.colinkRefresher);
    return auth.user;
  }

  /** Picks a session up from a saved refresh token (a reloaded page); throws when it is over. */
  async resumeSession(refreshToken: string): Promise<UserView> {
    const auth = await this.api.refresh(refreshToken);
    this.session.set(tokensFrom(auth), this.colinkRefresher);
    return auth.user;
  }

  /** Uses tokens from elsewhere, e.g. an OpenID Connect provider, with that provider's renewal. */
  useTokens(tokens: Tokens, refresher: TokenRefresher | null): void {
    this.session.set(tokens, refresher);
  }

  /** Ends this session on the server (best effort) and forgets everything local. */
  async logout(): Promise<void> {
    this.stop();
    if (this.session.tokens?.refreshToken) await this.api.logout().catch(() => {});
    this.session.set(null);
    this.sync.reset();
    this.store.reset();
  }

  // ── Running ───────────────────────────────────────────────────────────────────────────────

  /**
   * Opens the socket and, once it is live, loads the state: from then on every event lands in
   * the store. Events that arrive during the load are applied to it again, so nothing falls
   * between the snapshot and the stream.
   */
  async start(options: { load?: boolean } = {}): Promise<void> {
    if (this.#started) return;
    const ready = new Promise<void>((resolve) => {
      this.#firstReady = resolve;
    });
    this.realtime.start();
    await ready;
    this.#started = true;
    if (options.load ?? true) await this.store.loadInitial();
  }

  stop(): void {
    this.realtime.stop();
    this.#started = false;
    this.#firstReady = null;
  }

  onStatus(listener: (status: RealtimeStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  /**
   * After a reconnect: channels whose position was unknown (loaded, but no event seen since)
   * could not be resumed, so their loaded state is reloaded; counters are refreshed.
   */
  async #caughtUp(): Promise<void> {
    const tracked = this.sync.cursors.channels;
    const state = this.store.state;
    const untracked = Object.entries(state.channels)
      .filter(
        ([id, v]) => !(id in tracked) && (v.history || v.pins || v.members || Object.values(state.threads).some((t) => t.channelId === id)),
      )
      .map(([id]) => id);
    await this.store.loadChannels().catch(() => {});
    await Promise.all(untracked.map((id) => this.store.reloadChannel(id).catch(() => {})));
  }

  // ── Sending ───────────────────────────────────────────────────────────────────────────────

  /**
   * Sends a message: on the socket when it is live (one frame, acked once durable), else over
   * HTTP. Both paths share one `client_msg_id` key space, so a send whose socket answer was lost
   * (the socket dropped, no ack in time), or that the socket refused for a moment (429, 500), is
   * sent again over HTTP with the same id and never makes a second message. Attachments
   * (`file_ids`) go either way too; with files, `text` may be empty.
   */
  async send(channelId: string, body: SendRequest): Promise<Message> {
    const keyed = { ...body, client_msg_id: body.client_msg_id ?? crypto.randomUUID() };
    const onSocket = this.realtime.sendMessage(channelId, keyed);
    if (onSocket) {
      try {
        return await onSocket;
      } catch (error) {
        if (!(error instanceof SocketSendLost) && !isApiError(error, "rate_limited", "internal_error")) throw error;
      }
    }
    return this.api.send(channelId, keyed);
  }

  // ── Socket frames a person's activity sends ───────────────────────────────────────────────

  /** Says the person is typing in a channel (or a thread), at most once per 3 s. */
  typing(channelId: string, threadRootId: string | null = null): void {
    const key = `${channelId}/${threadRootId ?? ""}`;
    const now = Date.now();
    if (now - (this.#typingSentAt.get(key) ?? 0) < TYPING_EVERY_MS) return;
    if (
      this.realtime.send(
        threadRootId ? { type: "typing", channel_id: channelId, thread_root_id: threadRootId } : { type: "typing", channel_id: channelId },
      )
    )
      this.#typingSentAt.set(key, now);
    this.active();
  }

  /** Keeps presence `active` while the person does things on this device, at most once per 30 s. */
  active(): void {
    const now = Date.now();
    if (now - this.#activeSentAt < ACTIVE_EVERY_MS) return;
    if (this.realtime.send({ type: "active" })) this.#activeSentAt = now;
  }

  /** Watches these users' presence on this socket (replaces the previous set) and loads their current status. */
  async watchPresence(userIds: string[]): Promise<void> {
    const ids = [...new Set(userIds)].slice(0, 500);
    this.realtime.send({ type: "presence.subscribe", user_ids: ids });
    await this.store.loadPresence(ids).catch(() => {});
  }
}
