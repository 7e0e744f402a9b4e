import { randomUUID } from "node:crypto";
import { ColinkApi, ColinkApiError, ColinkNetworkError, HttpClient, Session, tokensFrom } from "../../client/index.ts";
import { sourceRevision, startColinkServer } from "../lib/devServer.mjs";
import { mapLimit, requestJson, sleep } from "../lib/http.mjs";
import { normalizeEvent, parseFrame, pingFrame, resumeFrame, socketEndpoint } from "./colinkProtocol.ts";

// Colink through its public API, spoken by the SDK (client/): real accounts (argon2id sign-up),
// real channels, the HTTP send path and the one-socket-per-device WebSocket with resume. The
// control side is the SDK's ColinkApi; the socket side, in the generator's worker threads, reads
// and writes frames through colinkProtocol.ts. See targets/README.md.

export { parseFrame, pingFrame, resumeFrame };

export const name = "colink";
export const capabilities = { resume: true, history: true, socketPerChannel: false, gapFreeSeq: true, files: true, myChannels: true };

/** Access tokens live 15 minutes: refresh those older than this before a scenario uses them. */
const REFRESH_AFTER_MS = 8 * 60_000;
const TOKEN_LIFE_MS = 15 * 60_000;
/** Longer than any call the bench makes may take (adding members to a big channel, a backlog of sends). */
const CALL_TIMEOUT_MS = 120_000;
const REGISTER_CONCURRENCY = 4;
const SEED_CHUNK = 50_000;
/**
 * Members per POST /channels/{id}/members. The API takes 100, but under wrangler dev the server's
 * CPU per added member grows with the batch (about 30 ms each in tens, 70–80 ms in forties), so
 * small batches, a few at a time, set big channels up several times faster.
 */
const MEMBER_BATCH = 10;

// ── Control side ──────────────────────────────────────────────────────────────────────────────

/**
 * With `seeding` (scenarios that seed history in bulk), Colink runs as the bench's seeding Worker
 * (bench/seeding/: Colink's Worker plus the seeding route); otherwise as itself.
 */
export async function start({ live = false, seeding = false } = {}) {
  const source = {
    ...sourceRevision(),
    from: live ? "working tree (live: reloads when a file changes)" : "snapshot taken at start",
    ...(seeding ? { worker: "bench/seeding (Colink's Worker plus bulk seeding)" } : {}),
  };
  const server = await startColinkServer(
    {
      OPEN_SIGNUP: "true",
      SEND_RATE_PER_MINUTE: "1000000",
      SIGNUP_RATE_PER_HOUR: "1000000",
      LOGIN_FAILURES_PER_IP: "1000000",
      LOGIN_FAILURES_PER_ACCOUNT_AND_IP: "1000000",
      WS_TICKET_RATE_PER_MINUTE: "1000000",
      CHANNEL_CREATE_RATE_PER_HOUR: "1000000",
    },
    { live, seeding },
  );
  return { server, url: server.url, source, seeding, run: randomUUID().slice(0, 6), accounts: [], password: `bench-${randomUUID()}` };
}

export async function stop(ctx) {
  await ctx.server.stop();
}

// ── The SDK, per account ───────────────────────────────────────────────────────────────────────

/** Every SDK call of the bench ends in time, so a stuck server ends the run (as requestJson does). */
const timedFetch = (input, init) => fetch(input, { ...init, signal: init.signal ?? AbortSignal.timeout(CALL_TIMEOUT_MS) });

/**
 * An SDK client: its session renews the access token when it is older than REFRESH_AFTER_MS. The
 * SDK retries nothing here (attempts 0): the bench measures the server, and a retry would hide a
 * failure in a latency; the one place the bench does retry, registration, does so itself.
 */
function sdkClient(baseUrl) {
  const session = new Session({ refreshMarginMs: TOKEN_LIFE_MS - REFRESH_AFTER_MS });
  const http = new HttpClient({ baseUrl, session, fetch: timedFetch, retry: { attempts: 0 } });
  const api = new ColinkApi(http);
  return { session, api };
}

/** An account's client, signed in with what POST /auth/register or /auth/login answered. */
function signedIn(ctx, auth, username) {
  const client = sdkClient(ctx.url);
  client.session.set(tokensFrom(auth), async (current) => tokensFrom(await client.api.refresh(current.refreshToken)));
  return { id: auth.user.id, username, client };
}

/** A client for plain account data (`{ id, token }`), as scenarios and worker threads hold it. */
function clientOf(ctx, account) {
  const known = ctx?.byId?.get(account.id);
  if (known) return known.client.api;
  return tokenClient(ctx?.url, account);
}

/** The SDK's ColinkApi for a bench account, for Colink-only scenarios (search). */
export const sdkFor = clientOf;

const tokenClients = new Map();
/** A client on a bare access token (no renewal), one per token, for the worker threads. */
function tokenClient(baseUrl, account) {
  let api = tokenClients.get(account.token);
  if (!api) {
    const client = sdkClient(baseUrl);
    client.session.set({ accessToken: account.token, refreshToken: null, expiresAt: Number.POSITIVE_INFINITY }, null);
    api = client.api;
    tokenClients.set(account.token, api);
  }
  return api;
}

const token = (a) => a.client.session.tokens?.accessToken;
/** What a failed SDK call says, for the bench's errors. */
const why = (error) => (error instanceof Error ? error.message : String(error));

/**
 * Registers bench account `i`. Safe to repeat: a 5xx, a 429 or a dropped connection (wrangler dev
 * restarts the Worker when a source file changes) is retried, and a username already taken by an
 * earlier attempt whose answer was lost is signed in instead.
 */
async function register(ctx, i) {
  const username = `b${ctx.run}-${i}`;
  const { api } = sdkClient(ctx.url);
  let last = "";
  for (let attempt = 0; attempt < 6; attempt++) {
    if (attempt) await sleep(500 * attempt);
    try {
      let auth;
      try {
        auth = await api.register({ email: `${username}@bench.test`, username, password: ctx.password, display_name: `Bench ${i}` });
      } catch (error) {
        if (!(error instanceof ColinkApiError && error.status === 409)) throw error;
        auth = await api.login(username, ctx.password);
      }
      return signedIn(ctx, auth, username);
    } catch (error) {
      last = why(error);
      const retry =
        error instanceof ColinkNetworkError || (error instanceof ColinkApiError && (error.status >= 500 || error.status === 429));
      if (!retry) break;
    }
  }
  throw new Error(`register ${username}: ${last}`);
}

/** Account 0 is the workspace owner that creates channels; clients are accounts 1..n. */
export async function ensureUsers(ctx, n, log = () => {}) {
  const want = n + 1;
  if (ctx.accounts.length < want) {
    const started = Date.now();
    const from = ctx.accounts.length;
    // The first account becomes the owner: register it alone, before any other.
    if (from === 0) ctx.accounts.push(await register(ctx, 0));
    const missing = Array.from({ length: want - ctx.accounts.length }, (_, k) => ctx.accounts.length + k);
    let done = 0;
    const fresh = await mapLimit(missing, REGISTER_CONCURRENCY, async (i) => {
      const a = await register(ctx, i);
      if (++done % 250 === 0) log(`registered ${done}/${missing.length} accounts`);
      return a;
    });
    ctx.accounts.push(...fresh);
    ctx.byId = new Map(ctx.accounts.map((a) => [a.id, a]));
    log(`registered ${want - from} accounts in ${((Date.now() - started) / 1000).toFixed(1)} s (argon2id each)`);
  }
  // The sessions renew tokens older than REFRESH_AFTER_MS when asked for one.
  const started = Date.now();
  let renewed = 0;
  await mapLimit(ctx.accounts.slice(0, want), 8, async (a) => {
    const before = token(a);
    const now = await a.client.session.accessToken();
    if (!now) throw new Error(`refresh ${a.username}: the session ended`);
    if (now !== before) renewed++;
  });
  if (renewed) log(`refreshed ${renewed} access tokens in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return ctx.accounts.slice(1, want).map((a) => ({ id: a.id, username: a.username, token: token(a) }));
}

export async function createChannel(ctx, channelName, accounts) {
  const owner = ctx.accounts[0];
  const id = await owner.client.api.createChannel({ name: channelName }).then(
    (c) => c.id,
    (error) => {
      throw new Error(`create channel ${channelName}: ${why(error)}`);
    },
  );
  const ids = accounts.map((a) => a.id).filter((uid) => uid !== owner.id);
  const chunks = [];
  for (let i = 0; i < ids.length; i += MEMBER_BATCH) chunks.push(ids.slice(i, i + MEMBER_BATCH));
  await mapLimit(chunks, 4, (userIds) =>
    owner.client.api.addMembers(id, userIds).catch((error) => {
      throw new Error(`add members to ${channelName}: ${why(error)}`);
    }),
  );
  return id;
}

/**
 * Fills a channel with `count` messages through the seeding Worker's route (bench/README.md,
 * "Seeding history"). Returns null when the server does not offer it (not started for seeding).
 */
export async function seedHistory(ctx, channelId, count, log = () => {}) {
  if (!ctx.seeding) return null;
  const author = ctx.accounts[0];
  let seeded = 0;
  let last = 0;
  const started = Date.now();
  while (seeded < count) {
    const n = Math.min(SEED_CHUNK, count - seeded);
    const res = await requestJson(`${ctx.url}/_bench/channels/${channelId}/seed-messages`, {
      body: { count: n, author_id: author.id },
      timeoutMs: 300_000,
    });
    if (res.status === 404 && seeded === 0) return null;
    if (res.status !== 200) throw new Error(`seed-messages: ${res.status} ${JSON.stringify(res.body)}`);
    seeded += n;
    last = res.body.last_seq;
    if (seeded % 200_000 === 0 || seeded === count)
      log(`seeded ${seeded}/${count} messages (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  return { head: last, method: "seed endpoint", ms: Date.now() - started };
}

/** Fallback seeding through the public send path (slow: one request per message). */
export async function seedHistoryOverHttp(ctx, channelId, count) {
  const owner = ctx.accounts[0];
  const started = Date.now();
  let head = 0;
  await mapLimit(
    Array.from({ length: count }, (_, i) => i),
    8,
    async (i) => {
      const message = await owner.client.api
        .send(channelId, { text: `history ${i} ${"x".repeat(60)}`, client_msg_id: `h-${i}` })
        .catch((error) => {
          throw new Error(`send: ${why(error)}`);
        });
      head = Math.max(head, message.seq);
    },
  );
  return { head, method: "HTTP sends", ms: Date.now() - started };
}

/** The channel's last event seq, from the server (GET /channels/{id}/events), starting the walk at `after`. */
export async function channelHead(ctx, channelId, after) {
  const owner = ctx.accounts[0];
  let head = after;
  for (;;) {
    const page = await owner.client.api.events(channelId, { after: head, limit: 200 }).catch((error) => {
      throw new Error(`events: ${why(error)}`);
    });
    if (page.items.length) head = page.items[page.items.length - 1].seq;
    if (!page.has_more || page.items.length === 0) return head;
  }
}

/** Times one SDK call: `{ status, body, ms }`, the status of the problem when it failed (a network error throws). */
async function timed(call) {
  const started = performance.now();
  try {
    const body = await call();
    return { status: 200, body, ms: performance.now() - started };
  } catch (error) {
    if (error instanceof ColinkApiError) return { status: error.status, body: undefined, ms: performance.now() - started };
    throw error;
  }
}

/** The account's channel list with read state (GET /users/me/channels): `{ status, count, ms }`. */
export async function myChannels(ctx, account) {
  const res = await timed(() => clientOf(ctx, account).myChannels());
  return { status: res.status, count: res.body?.items.length ?? 0, ms: res.ms };
}

export async function historyPage(ctx, account, channelId, before, limit) {
  const res = await timed(() => clientOf(ctx, account).history(channelId, { before, limit }));
  return { status: res.status, count: res.body?.items.length ?? 0 };
}

// ── Client side (generator worker threads) ────────────────────────────────────────────────────

export function endpoints(url, account, channels) {
  return [{ ...socketEndpoint(url, account.token), channels }];
}

/** Sends one message over HTTP: its status (the SDK resolves only on a 2xx and throws the problem otherwise). */
export async function send(url, account, channelId, text, clientMsgId) {
  // No retry, and a timeout longer than the bench waits for a backlog: a send given up on here
  // would still be written and delivered, and would count as delivered-but-never-sent.
  try {
    await tokenClient(url, account).send(channelId, { text, client_msg_id: clientMsgId });
    return 201;
  } catch (error) {
    if (error instanceof ColinkApiError) return error.status;
    throw error;
  }
}

export async function fetchEvents(url, account, channelId, after, until) {
  const api = tokenClient(url, account);
  const out = [];
  let cursor = after;
  while (cursor < until) {
    const page = await api.events(channelId, { after: cursor, limit: 200 }).catch((error) => {
      throw new Error(`events: ${why(error)}`);
    });
    const items = page.items.filter((f) => f.seq <= until);
    out.push(...items.map(normalizeEvent));
    if (!page.has_more || items.length === 0) break;
    cursor = items[items.length - 1].seq;
  }
  return out;
}
