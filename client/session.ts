import { ColinkApiError } from "./errors.ts";

// The signed-in session: the access token, what renews it, and when. Colink's own tokens are
// renewed through POST /auth/refresh; an identity provider's (OIDC) through its token endpoint,
// so the renewal is a function the caller supplies.

export type Tokens = {
  accessToken: string;
  /** Null for a provider that gave none: the session then ends with its access token. */
  refreshToken: string | null;
  /** When the access token expires (epoch ms). */
  expiresAt: number;
};

/** Trades the current tokens for fresh ones. Throw a ColinkApiError (400/401/403) when the session is over. */
export type TokenRefresher = (current: Tokens) => Promise<Tokens>;

export type SessionOptions = {
  refresher?: TokenRefresher;
  /** Renew this long before expiry (default 60 s), so no request leaves with a token about to lapse. */
  refreshMarginMs?: number;
  now?: () => number;
};

/** Statuses of a refresh that mean the session is over, not that the network failed. */
const SESSION_OVER = new Set([400, 401, 403, 404]);

export class Session {
  #tokens: Tokens | null = null;
  #refresher: TokenRefresher | null;
  #refreshing: Promise<Tokens | null> | null = null;
  readonly #listeners = new Set<(tokens: Tokens | null) => void>();
  readonly refreshMarginMs: number;
  readonly #now: () => number;

  constructor(options: SessionOptions = {}) {
    this.#refresher = options.refresher ?? null;
    this.refreshMarginMs = options.refreshMarginMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  get tokens(): Tokens | null {
    return this.#tokens;
  }

  get signedIn(): boolean {
    return this.#tokens !== null;
  }

  /** Replaces the tokens (sign-in, sign-out with null) and, optionally, how they are renewed. */
  set(tokens: Tokens | null, refresher?: TokenRefresher | null): void {
    this.#tokens = tokens;
    if (refresher !== undefined) this.#refresher = refresher;
    for (const listener of this.#listeners) listener(tokens);
  }

  /** Called with every new token set (null: signed out), e.g. to persist the refresh token. */
  onChange(listener: (tokens: Tokens | null) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * The token to send now, renewed first when it expires within the margin. A renewal that fails
   * for lack of network keeps the current token (it may still work); one the server refuses ends
   * the session (null).
   */
  async accessToken(): Promise<string | null> {
    const tokens = this.#tokens;
    if (!tokens) return null;
    if (tokens.expiresAt - this.#now() > this.refreshMarginMs || !this.#refresher) return tokens.accessToken;
    try {
      return (await this.refresh())?.accessToken ?? null;
    } catch {
      return this.#tokens?.accessToken ?? null;
    }
  }

  /**
   * After a 401 for `rejected`: renews once (unless someone already did since that token was
   * read) and says whether there is a new token to retry with.
   */
  async renewAfterRejection(rejected: string | null): Promise<boolean> {
    const tokens = this.#tokens;
    if (!tokens) return false;
    if (tokens.accessToken !== rejected) return true;
    if (!this.#refresher) {
      this.set(null);
      return false;
    }
    try {
      return (await this.refresh()) !== null;
    } catch {
      return false;
    }
  }

  /**
   * Renews now. Concurrent callers share one renewal: a Colink refresh token is single use, and
   * presenting it twice would end the whole session.
   *
   * A renewal is never retried here after a network error: had the first attempt reached the
   * server, a retry would present a spent token and end the session; had it not, the token is
   * still good for the next call.
   */
  refresh(): Promise<Tokens | null> {
    const refresher = this.#refresher;
    const current = this.#tokens;
    if (!refresher || !current) return Promise.resolve(current);
    this.#refreshing ??= (async () => {
      try {
        const next = await refresher(current);
        // A sign-out (or another sign-in) while the renewal was in flight wins.
        if (this.#tokens !== current) return this.#tokens;
        this.set(next);
        return next;
      } catch (error) {
        if (error instanceof ColinkApiError && SESSION_OVER.has(error.status) && this.#tokens === current) {
          this.set(null);
          return null;
        }
        throw error;
      } finally {
        this.#refreshing = null;
      }
    })();
    return this.#refreshing;
  }
}
