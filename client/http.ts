import { type BackoffPolicy, backoffDelay, retryAfterMs, sleep } from "./backoff.ts";
import { apiErrorFrom, ColinkNetworkError } from "./errors.ts";
import type { Session } from "./session.ts";

// JSON over HTTP to /api/v1 with the session's bearer token, one renewal on a 401, and retries:
// with backoff and jitter, honouring Retry-After, and only where a retry cannot do a thing twice.

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export type RetryPolicy = BackoffPolicy & {
  /** Retries after the first try (so attempts + 1 tries at most). */
  attempts: number;
  /** A Retry-After longer than this is not waited out: the error goes to the caller (a 15-minute login lockout, say). */
  maxWaitMs: number;
};

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseMs: 300, capMs: 8_000, maxWaitMs: 30_000 };

export type Query = Record<string, string | number | boolean | null | undefined>;

export type RequestOptions = {
  body?: unknown;
  query?: Query;
  /** Send the bearer token (default true). */
  auth?: boolean;
  /**
   * Whether repeating the request is harmless, so it may be retried after a network error or a
   * 502/503/504. GET, PUT and DELETE are; a POST only when the caller says so (a send with a
   * client_msg_id, a read marker). A 429 is always retried: the server did nothing.
   */
  idempotent?: boolean;
  signal?: AbortSignal;
};

const RETRYABLE_STATUS = new Set([502, 503, 504]);

export type HttpClientOptions = {
  /** The service's origin, e.g. http://127.0.0.1:8787 ("" in a browser page served by it). */
  baseUrl: string;
  session: Session;
  fetch?: FetchLike;
  retry?: Partial<RetryPolicy>;
  random?: () => number;
};

export class HttpClient {
  readonly apiBase: string;
  readonly session: Session;
  readonly retry: RetryPolicy;
  readonly #fetch: FetchLike;
  readonly #random: () => number;

  constructor(options: HttpClientOptions) {
    this.apiBase = `${options.baseUrl.replace(/\/$/, "")}/api/v1`;
    this.session = options.session;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    // Bound late, so a test or polyfill that replaces globalThis.fetch is honoured.
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#random = options.random ?? Math.random;
  }

  url(path: string, query?: Query): string {
    let url = `${this.apiBase}${path}`;
    if (query) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) params.set(k, String(v));
      const qs = params.toString();
      if (qs) url += `?${qs}`;
    }
    return url;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, options);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Like `request`, but hands back the successful Response itself (for bodies that are not JSON). */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const auth = options.auth ?? true;
    const idempotent = options.idempotent ?? (method === "GET" || method === "HEAD" || method === "PUT" || method === "DELETE");
    const url = this.url(path, options.query);
    let renewed = false;
    for (let attempt = 0; ; attempt++) {
      const token = auth ? await this.session.accessToken() : null;
      const headers: Record<string, string> = { accept: "application/json" };
      if (token) headers.authorization = `Bearer ${token}`;
      if (options.body !== undefined) headers["content-type"] = "application/json";
      let res: Response;
      try {
        res = await this.#fetch(url, {
          method,
          headers,
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: options.signal,
        });
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        if (!idempotent || attempt >= this.retry.attempts)
          throw new ColinkNetworkError(`${method} ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        await sleep(backoffDelay(attempt, this.retry, this.#random), options.signal);
        continue;
      }
      if (res.ok) return res;
      if (res.status === 401 && auth && !renewed) {
        renewed = true;
        const rejected = await apiErrorFrom(res, null);
        if (await this.session.renewAfterRejection(token)) {
          attempt--; // the renewal is not a retry
          continue;
        }
        throw rejected;
      }
      const wait = retryAfterMs(res.headers.get("retry-after"));
      const retryable = res.status === 429 || (idempotent && RETRYABLE_STATUS.has(res.status));
      if (!retryable || attempt >= this.retry.attempts || (wait !== null && wait > this.retry.maxWaitMs))
        throw await apiErrorFrom(res, wait);
      await res.body?.cancel();
      await sleep(wait ?? backoffDelay(attempt, this.retry, this.#random), options.signal);
    }
  }
}
