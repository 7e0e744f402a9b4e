import { randomUUID } from "node:crypto";
import { sourceRevision, startColinkServer } from "../lib/devServer.mjs";
import { mapLimit, requestJson, sleep } from "../lib/http.mjs";

// Colink through its public API: real accounts (argon2id sign-up), real channels, the HTTP send
// path and the one-socket-per-device WebSocket with resume. See targets/README.md.

export const name = "colink";
export const capabilities = { resume: true, history: true, socketPerChannel: false, gapFreeSeq: true, files: true, myChannels: true };

const api = (url, path) => `${url}/api/v1${path}`;
/** Access tokens live 15 minutes: refresh those older than this before a scenario uses them. */
const REFRESH_AFTER_MS = 8 * 60_000;
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

/**
 * Registers bench account `i`. Safe to repeat: a 5xx or a dropped connection (wrangler dev
 * restarts the Worker when a source file changes) is retried, and a username already taken by an
 * earlier attempt whose answer was lost is signed in instead.
 */
async function register(ctx, i) {
  const username = `b${ctx.run}-${i}`;
  let last = "";
  for (let attempt = 0; attempt < 6; attempt++) {
    if (attempt) await sleep(500 * attempt);
    let res;
    try {
      res = await requestJson(api(ctx.url, "/auth/register"), {
        body: { email: `${username}@bench.test`, username, password: ctx.password, display_name: `Bench ${i}` },
      });
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
      continue;
    }
    if (res.status === 409) res = await requestJson(api(ctx.url, "/auth/login"), { body: { login: username, password: ctx.password } });
    if (res.status === 201 || res.status === 200)
      return { id: res.body.user.id, username, token: res.body.access_token, refreshToken: res.body.refresh_token, issuedAt: Date.now() };
    last = `${res.status} ${JSON.stringify(res.body)}`;
    if (res.status < 500 && res.status !== 429) break;
  }
  throw new Error(`register ${username}: ${last}`);
}

async function refresh(ctx, account) {
  const res = await requestJson(api(ctx.url, "/auth/refresh"), { body: { refresh_token: account.refreshToken } });
  if (res.status !== 200) throw new Error(`refresh ${account.username}: ${res.status} ${JSON.stringify(res.body)}`);
  account.token = res.body.access_token;
  account.refreshToken = res.body.refresh_token;
  account.issuedAt = Date.now();
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
    log(`registered ${want - from} accounts in ${((Date.now() - started) / 1000).toFixed(1)} s (argon2id each)`);
  }
  const stale = ctx.accounts.slice(0, want).filter((a) => Date.now() - a.issuedAt > REFRESH_AFTER_MS);
  if (stale.length) {
    const started = Date.now();
    await mapLimit(stale, 8, (a) => refresh(ctx, a));
    log(`refreshed ${stale.length} access tokens in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return ctx.accounts.slice(1, want).map(({ id, username, token }) => ({ id, username, token }));
}

export async function createChannel(ctx, channelName, accounts) {
  const owner = ctx.accounts[0];
  const res = await requestJson(api(ctx.url, "/channels"), { token: owner.token, body: { name: channelName } });
  if (res.status !== 201) throw new Error(`create channel ${channelName}: ${res.status} ${JSON.stringify(res.body)}`);
  const id = res.body.id;
  const ids = accounts.map((a) => a.id).filter((uid) => uid !== owner.id);
  const chunks = [];
  for (let i = 0; i < ids.length; i += MEMBER_BATCH) chunks.push(ids.slice(i, i + MEMBER_BATCH));
  await mapLimit(chunks, 4, async (user_ids) => {
    const add = await requestJson(api(ctx.url, `/channels/${id}/members`), { token: owner.token, body: { user_ids }, timeoutMs: 120_000 });
    if (add.status >= 300) throw new Error(`add members to ${channelName}: ${add.status} ${JSON.stringify(add.body)}`);
  });
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
      const res = await requestJson(api(ctx.url, `/channels/${channelId}/messages`), {
        token: owner.token,
        body: { text: `history ${i} ${"x".repeat(60)}`, client_msg_id: `h-${i}` },
      });
      if (res.status !== 201) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
      head = Math.max(head, res.body.seq);
    },
  );
  return { head, method: "HTTP sends", ms: Date.now() - started };
}

/** The channel's last event seq, from the server (GET /channels/{id}/events), starting the walk at `after`. */
export async function channelHead(ctx, channelId, after) {
  const owner = ctx.accounts[0];
  let head = after;
  for (;;) {
    const res = await requestJson(api(ctx.url, `/channels/${channelId}/events?after=${head}&limit=200`), { token: owner.token });
    if (res.status !== 200) throw new Error(`events: ${res.status} ${JSON.stringify(res.body)}`);
    const items = res.body.items;
    if (items.length) head = items[items.length - 1].seq;
    if (!res.body.has_more || items.length === 0) return head;
  }
}

/** The account's channel list with read state (GET /users/me/channels): `{ status, count, ms }`. */
export async function myChannels(ctx, account) {
  const res = await requestJson(api(ctx.url, "/users/me/channels"), { token: account.token });
  return { status: res.status, count: Array.isArray(res.body?.items) ? res.body.items.length : 0, ms: res.ms };
}

export async function historyPage(ctx, account, channelId, before, limit) {
  const res = await requestJson(api(ctx.url, `/channels/${channelId}/messages?before=${before}&limit=${limit}`), { token: account.token });
  return { status: res.status, count: Array.isArray(res.body?.items) ? res.body.items.length : 0 };
}

// ── Client side (generator worker threads) ────────────────────────────────────────────────────

export function endpoints(url, account, channels) {
  return [{ url: `${url.replace(/^http/, "ws")}/api/v1/ws`, headers: { authorization: `Bearer ${account.token}` }, channels }];
}

export function resumeFrame(userSeq, cursors) {
  return JSON.stringify({ type: "resume", user_seq: userSeq, channels: cursors });
}

export function parseFrame(text) {
  const f = JSON.parse(text);
  switch (f.type) {
    case "ready":
      return { k: "ready", userSeq: f.user_seq };
    case "pong":
      return { k: "pong" };
    case "channel.gap":
      return { k: "gap", ch: f.channel_id, after: f.after, until: f.until };
    case "resync_required":
      return { k: "resync", ch: f.channel_id ?? null };
    case "error":
      return { k: "error", code: f.code, detail: f.detail };
  }
  if (typeof f.channel_id === "string" && typeof f.seq === "number") return normalizeEvent(f);
  if (typeof f.user_seq === "number") return { k: "user", userSeq: f.user_seq };
  return { k: "other" };
}

function normalizeEvent(f) {
  return { k: "ev", ch: f.channel_id, seq: f.seq, text: f.type === "message.created" ? f.data?.text : undefined };
}

export async function send(url, account, channelId, text, clientMsgId) {
  const res = await fetch(api(url, `/channels/${channelId}/messages`), {
    method: "POST",
    headers: { authorization: `Bearer ${account.token}`, "content-type": "application/json" },
    body: JSON.stringify({ text, client_msg_id: clientMsgId }),
    // Longer than the bench waits for a backlog: a send given up on here would still be written
    // and delivered, and would count as delivered-but-never-sent.
    signal: AbortSignal.timeout(120_000),
  });
  await res.arrayBuffer();
  return res.status;
}

export async function fetchEvents(url, account, channelId, after, until) {
  const out = [];
  let cursor = after;
  while (cursor < until) {
    const res = await requestJson(api(url, `/channels/${channelId}/events?after=${cursor}&limit=200`), { token: account.token });
    if (res.status !== 200) throw new Error(`events: ${res.status} ${JSON.stringify(res.body)}`);
    const items = res.body.items.filter((f) => f.seq <= until);
    out.push(...items.map(normalizeEvent));
    if (!res.body.has_more || items.length === 0) break;
    cursor = items[items.length - 1].seq;
  }
  return out;
}
