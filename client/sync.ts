import type { ColinkApi } from "./api.ts";
import { ColinkApiError } from "./errors.ts";
import {
  type ChannelEvent,
  isChannelEvent,
  isUserEvent,
  type PresenceFrame,
  type ServerFrame,
  type TypingFrame,
  type UnknownChannelEvent,
  type UserEvent,
} from "./events.ts";

// Turns the socket's frames into an exact event stream: every channel event once and in seq
// order (a hole is fetched from GET /channels/{id}/events before anything after it is handed on,
// duplicates from a replay are dropped), every user event once, and a resync where the server
// says the cursors are too old (DESIGN.md invariant 3, seen from the client).

export type Cursors = {
  /** The last user event applied; null until the first `ready` (a fresh client resumes nothing). */
  userSeq: number | null;
  /** Per channel, the last channel event applied. A channel not listed has no known position. */
  channels: Record<string, number>;
};

/** Where cursors live between runs (a file for a terminal client; memory in a browser, whose state does not outlive the page). */
export interface CursorStore {
  load(): Cursors | null;
  save(cursors: Cursors): void;
}

export class MemoryCursorStore implements CursorStore {
  #cursors: Cursors | null = null;
  load() {
    return this.#cursors;
  }
  save(cursors: Cursors) {
    this.#cursors = cursors;
  }
}

export type SyncHandlers = {
  /** A channel event, exactly once, in order per channel. */
  channelEvent?(event: ChannelEvent | UnknownChannelEvent): void | Promise<void>;
  userEvent?(event: UserEvent): void | Promise<void>;
  ephemeral?(frame: TypingFrame | PresenceFrame): void;
  /** The server cannot replay this channel (or, with null, the user stream): reload that state. */
  resync?(channelId: string | null): void | Promise<void>;
  /** The stream is caught up (after a resume, once everything missed has been handed on). */
  ready?(info: { resumed: boolean; userSeq: number }): void | Promise<void>;
  error?(frame: { code: string; detail: string }): void;
};

const EVENT_PAGE = 500;

export class EventSync {
  readonly #api: ColinkApi;
  readonly #store: CursorStore;
  handlers: SyncHandlers;
  #cursors: Cursors;
  #queue: Promise<void> = Promise.resolve();
  /** `ready` frames to ignore: the one a server sends on accept comes before the replay of a resume. */
  #readysToSkip = 0;
  #resumed = false;

  constructor(options: { api: ColinkApi; handlers?: SyncHandlers; cursorStore?: CursorStore }) {
    this.#api = options.api;
    this.#store = options.cursorStore ?? new MemoryCursorStore();
    this.handlers = options.handlers ?? {};
    const saved = this.#store.load();
    this.#cursors = saved ? { userSeq: saved.userSeq, channels: { ...saved.channels } } : { userSeq: null, channels: {} };
  }

  get cursors(): Readonly<Cursors> {
    return this.#cursors;
  }

  /** The first frame for a new socket: a resume from the cursors, or a ping to go live at once when there is nothing to resume. */
  opening(): { type: "resume"; user_seq: number; channels: Record<string, number> } | { type: "ping" } {
    this.#resumed = this.#cursors.userSeq !== null;
    this.#readysToSkip = this.#resumed ? 1 : 0;
    if (this.#cursors.userSeq === null) return { type: "ping" };
    return { type: "resume", user_seq: this.#cursors.userSeq, channels: { ...this.#cursors.channels } };
  }

  /** Queues a frame; frames are handled one at a time, in arrival order. */
  receive(frame: ServerFrame): Promise<void> {
    this.#queue = this.#queue.then(() => this.#handle(frame)).catch((error: unknown) => this.#failed(error));
    return this.#queue;
  }

  /** Resolves once every frame received so far has been handled. */
  idle(): Promise<void> {
    return this.#queue;
  }

  /** Stops tracking a channel (left, removed, or reloaded: its next event sets the position again). */
  forget(channelId: string): void {
    if (!(channelId in this.#cursors.channels)) return;
    delete this.#cursors.channels[channelId];
    this.#save();
  }

  /** Starts tracking a channel from a known event seq (a client that read its head). */
  track(channelId: string, seq: number): void {
    this.#cursors.channels[channelId] = seq;
    this.#save();
  }

  /** Forgets every cursor: the next socket starts fresh. */
  reset(): void {
    this.#cursors = { userSeq: null, channels: {} };
    this.#save();
  }

  #save() {
    this.#store.save({ userSeq: this.#cursors.userSeq, channels: { ...this.#cursors.channels } });
  }

  #failed(error: unknown) {
    this.handlers.error?.({ code: "sync_failed", detail: error instanceof Error ? error.message : String(error) });
  }

  async #handle(frame: ServerFrame): Promise<void> {
    if (isChannelEvent(frame)) return this.#channelEvent(frame);
    if (isUserEvent(frame)) {
      const last = this.#cursors.userSeq;
      if (last !== null && frame.user_seq <= last) return;
      await this.handlers.userEvent?.(frame);
      this.#cursors.userSeq = frame.user_seq;
      this.#save();
      return;
    }
    switch (frame.type) {
      case "ready": {
        if (this.#readysToSkip > 0) {
          this.#readysToSkip--;
          return;
        }
        // Every user event up to user_seq has been sent before this ready.
        this.#cursors.userSeq = Math.max(this.#cursors.userSeq ?? 0, frame.user_seq);
        this.#save();
        await this.handlers.ready?.({ resumed: this.#resumed, userSeq: frame.user_seq });
        return;
      }
      case "channel.gap":
        return this.#fill(frame.channel_id, frame.until);
      case "resync_required":
        if (frame.channel_id === undefined) {
          // The ready that ends this resume carries the head to continue from.
          this.#cursors.userSeq = 0;
          await this.handlers.resync?.(null);
        } else {
          this.forget(frame.channel_id);
          await this.handlers.resync?.(frame.channel_id);
        }
        return;
      case "typing":
      case "presence":
        this.handlers.ephemeral?.(frame);
        return;
      case "error":
        this.handlers.error?.(frame);
        return;
      case "pong":
      case "ack":
        return;
    }
  }

  async #channelEvent(event: ChannelEvent | UnknownChannelEvent): Promise<void> {
    const last = this.#cursors.channels[event.channel_id];
    if (last !== undefined) {
      if (event.seq <= last) return;
      if (event.seq > last + 1) await this.#fill(event.channel_id, event.seq - 1);
      const now = this.#cursors.channels[event.channel_id];
      if (now !== undefined && event.seq <= now) return;
    }
    await this.#apply(event);
  }

  async #apply(event: ChannelEvent | UnknownChannelEvent) {
    await this.handlers.channelEvent?.(event);
    this.#cursors.channels[event.channel_id] = event.seq;
    this.#save();
  }

  /** Fetches and applies a channel's events after its cursor up to `until`; a channel that cannot be read is resynced instead of skipped. */
  async #fill(channelId: string, until: number): Promise<void> {
    for (;;) {
      const after = this.#cursors.channels[channelId];
      if (after === undefined || after >= until) {
        // No position to fill from (never tracked, or reloaded meanwhile): a reload is exact.
        if (after === undefined) await this.handlers.resync?.(channelId);
        return;
      }
      let page: Awaited<ReturnType<ColinkApi["events"]>>;
      try {
        page = await this.#api.events(channelId, { after, limit: Math.min(EVENT_PAGE, until - after) });
      } catch (error) {
        if (error instanceof ColinkApiError && error.status === 404) {
          this.forget(channelId);
          return;
        }
        this.forget(channelId);
        await this.handlers.resync?.(channelId);
        return;
      }
      const items = page.items.filter((e) => e.seq > after && e.seq <= until);
      for (const event of items) await this.#apply(event);
      if (items.length === 0 || !page.has_more) {
        if ((this.#cursors.channels[channelId] ?? 0) < until) {
          // The log no longer holds the range: never a silent gap.
          this.forget(channelId);
          await this.handlers.resync?.(channelId);
        }
        return;
      }
    }
  }
}
