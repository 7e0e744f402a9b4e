#!/usr/bin/env node
// A minimal terminal chat client for Colink: signs in, keeps its token fresh, holds one socket,
// resumes from saved cursors after any disconnect, prints what happens as plain sentences and
// sends what you type. The protocol it speaks is docs/realtime.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { parseArgs } from "node:util";
import WebSocket from "ws";

const USAGE = `usage: node scripts/chat.mjs --user NAME --password PASS [--url URL] [--channel NAME]

  --user NAME       username or e-mail to sign in with
  --password PASS   the account's password
  --url URL         the Colink server (default: $COLINK_URL, else http://127.0.0.1:8787;
                    use the port npm start printed if you changed PORT)
  --channel NAME    the channel to post to at first (default: general)
  -h, --help        this help

Type a line to send it. Commands: /join <channel>, /dm <username>, /quit.
Cursors are kept in .cache/chat-<user>-<host>.json, so a restart resumes where it stopped.`;

let opts;
try {
  opts = parseArgs({
    options: {
      user: { type: "string" },
      password: { type: "string" },
      url: { type: "string", default: process.env.COLINK_URL || "http://127.0.0.1:8787" },
      channel: { type: "string", default: "general" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
} catch (error) {
  console.error(`${error.message}\n\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!opts.user || !opts.password) {
  console.error(USAGE);
  process.exit(2);
}

const base = opts.url.replace(/\/$/, "");
const api = `${base}/api/v1`;
const host = (() => {
  try {
    return new URL(base).host.replace(/[^\w.-]/g, "_");
  } catch {
    console.error(`not a URL: ${opts.url}\n\n${USAGE}`);
    process.exit(2);
  }
})();
const stateFile = path.join(import.meta.dirname, "..", ".cache", `chat-${opts.user}-${host}.json`);
const state = existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, "utf8")) : { user_seq: 0, channels: {} };
const save = () => {
  mkdirSync(path.dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, JSON.stringify(state));
};

// ── Tokens: refreshed before they expire, and once more when the server says 401 ──────────────

let token;
let refreshToken;
let refreshTimer;
let renewing = null;

function useTokens(body) {
  token = body.access_token;
  refreshToken = body.refresh_token;
  clearTimeout(refreshTimer);
  // Well before expiry: a minute early for the usual 15 minutes, a quarter early for short lives.
  const seconds = Math.max(body.expires_in * 0.75, body.expires_in - 60);
  refreshTimer = setTimeout(() => renew(token).catch((e) => console.error(`!! ${e.message}`)), seconds * 1000);
}

async function post(p, body) {
  const res = await fetch(`${api}${p}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function signIn() {
  const res = await post("/auth/login", { login: opts.user, password: opts.password });
  if (res.status !== 200) throw new Error(`login failed: ${res.body?.detail ?? res.status}`);
  useTokens(res.body);
  me = res.body.user;
}

/**
 * Replaces the access token `used`, unless that was done already. One renewal at a time: a refresh
 * token works once, and presenting it twice would end the session. A session that has ended
 * (refresh refused) signs in again with the password.
 */
function renew(used) {
  if (used !== token) return Promise.resolve();
  renewing ??= (async () => {
    try {
      const res = await post("/auth/refresh", { refresh_token: refreshToken });
      if (res.status === 200) useTokens(res.body);
      else if (res.status === 401) await signIn();
      else throw new Error(`refresh failed: ${res.status} ${res.body?.code ?? ""}`);
    } finally {
      renewing = null;
    }
  })();
  return renewing;
}

async function call(method, p, body) {
  for (let attempt = 0; ; attempt++) {
    const used = token;
    const res = await fetch(`${api}${p}`, {
      method,
      headers: { authorization: `Bearer ${used}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (res.status === 401 && attempt === 0) {
      await renew(used);
      continue;
    }
    const json = res.status === 204 ? null : await res.json().catch(() => null);
    if (res.status >= 400) throw new Error(`${res.status} ${json?.code}: ${json?.detail}`);
    return json;
  }
}

// ── Names, for sentences ─────────────────────────────────────────────────────────────────────

let me; // the signed-in user
const users = new Map(); // user id → username
async function nameOf(id) {
  if (id === me?.id) return me.username;
  if (!users.has(id)) users.set(id, (await call("GET", `/users/${id}`).catch(() => ({ username: id }))).username);
  return users.get(id);
}

const channels = new Map(); // channel id → "#name" or "a DM with bob"
async function labelOf(channel) {
  if (channel.kind === "public" || channel.kind === "private") return `#${channel.name}`;
  const members = await call("GET", `/channels/${channel.id}/members`).catch(() => ({ items: [] }));
  const others = await Promise.all(members.items.filter((m) => m.user_id !== me?.id).map((m) => nameOf(m.user_id)));
  return others.length ? `your DM with ${others.join(", ")}` : "your DM";
}
async function whereIs(channelId, known) {
  if (known) channels.set(channelId, await labelOf(known));
  if (!channels.has(channelId)) {
    const channel = await call("GET", `/channels/${channelId}`).catch(() => null);
    channels.set(channelId, channel ? await labelOf(channel) : channelId);
  }
  return channels.get(channelId);
}

// ── Events, printed as sentences ─────────────────────────────────────────────────────────────

const messages = new Map(); // message id → {author_id, text}, to say what an edit or reaction is about
const remember = (m) => {
  messages.set(m.id, { author_id: m.author_id, text: m.text });
  if (messages.size > 5000) messages.delete(messages.keys().next().value);
};
const printed = new Set(); // message ids already shown (a thread reply comes both ways)
const markPrinted = (id) => {
  printed.add(id);
  if (printed.size > 5000) printed.delete(printed.values().next().value);
};
const quote = (text) => (text.length > 60 ? `${text.slice(0, 57)}…` : text);
async function whose(messageId) {
  const m = messages.get(messageId);
  return m ? `${await nameOf(m.author_id)}'s message "${quote(m.text)}"` : "a message";
}

async function describe(ev) {
  const d = ev.data ?? {};
  const where = ev.channel_id ? await whereIs(ev.channel_id, ev.type.startsWith("channel.") ? d : undefined) : "";
  switch (ev.type) {
    case "message.created": {
      remember(d);
      if (printed.has(d.id)) return null;
      markPrinted(d.id);
      return `${await nameOf(d.author_id)} in ${where}${d.thread_root_id ? " (thread)" : ""}: ${d.text}`;
    }
    case "message.updated": {
      const before = messages.get(d.id);
      remember(d);
      // Also sent when only a thread root's reply summary changed: say nothing then.
      if (d.edited_at === null || before?.text === d.text) return null;
      return `${await nameOf(d.author_id)} edited in ${where}: ${d.text}`;
    }
    case "message.deleted":
      return `${await whose(d.id)} in ${where} was deleted`;
    case "member.joined":
      return `${await nameOf(d.user_id)} joined ${where}`;
    case "member.left":
      return `${await nameOf(d.user_id)} left ${where}`;
    case "channel.updated":
      return `${where} was updated${d.topic ? ` (topic: ${d.topic})` : ""}`;
    case "channel.archived":
      return `${where} was archived`;
    case "channel.unarchived":
      return `${where} was unarchived`;
    case "reaction.added":
      return `${await nameOf(d.user_id)} reacted ${d.emoji} to ${await whose(d.message_id)} in ${where}`;
    case "reaction.removed":
      return `${await nameOf(d.user_id)} took back ${d.emoji} from ${await whose(d.message_id)} in ${where}`;
    case "pin.added":
      remember(d.message);
      return `${await nameOf(d.pinned_by)} pinned ${await whose(d.message_id)} in ${where}`;
    case "pin.removed":
      return `${await nameOf(d.unpinned_by)} unpinned ${await whose(d.message_id)} in ${where}`;
    case "channel.added":
      return `-- you are now in ${await whereIs(d.channel.id, d.channel)}`;
    case "channel.removed":
      return `-- you are no longer in ${await whereIs(d.channel_id)}`;
    case "user.updated":
      me = d.user;
      return "-- your profile was updated";
    case "thread.reply": {
      remember(d.message);
      if (printed.has(d.message.id)) return null;
      markPrinted(d.message.id);
      return `${await nameOf(d.message.author_id)} replied in a thread in ${await whereIs(d.channel_id)}: ${d.message.text}`;
    }
    case "read.updated":
    case "thread.read":
    case "typing":
    case "presence":
    case "pong":
      return null;
    case "error":
      return `!! ${ev.detail} (${ev.code})`;
    default:
      return `-- ${ev.type}${ev.channel_id ? ` in ${where}` : ""}`;
  }
}

async function handle(ev, connection) {
  if (ev.type === "ready") {
    // The first ready comes at connect, before our resume; the one that counts follows the replay.
    if (++connection.readies === 2) console.log(`-- connected as ${me.username}; caught up`);
    return;
  }
  if (ev.type === "channel.gap") {
    for (let after = ev.after; after < ev.until; ) {
      const page = await call("GET", `/channels/${ev.channel_id}/events?after=${after}&limit=500`);
      for (const e of page.items) if (e.seq <= ev.until) await handle(e, connection);
      after = page.items.at(-1)?.seq ?? ev.until;
      if (!page.has_more) break;
    }
    return;
  }
  if (ev.type === "resync_required") {
    if (ev.channel_id) delete state.channels[ev.channel_id];
    else state.user_seq = 0;
    save();
    console.log(`-- too much happened ${ev.channel_id ? `in ${await whereIs(ev.channel_id)}` : ""} while away; showing what comes next`);
    return;
  }
  const line = await describe(ev);
  if (line) console.log(line);
  if (ev.channel_id && typeof ev.seq === "number") state.channels[ev.channel_id] = ev.seq;
  if (typeof ev.user_seq === "number") state.user_seq = ev.user_seq;
  if (ev.channel_id || typeof ev.user_seq === "number") save();
}

// ── The socket ───────────────────────────────────────────────────────────────────────────────

let socket;
let backoff = 1000;
function reconnectSoon() {
  setTimeout(connect, backoff);
  backoff = Math.min(backoff * 2, 30_000);
}

function connect() {
  const used = token;
  const ws = new WebSocket(`${api.replace(/^http/, "ws")}/ws`, { headers: { authorization: `Bearer ${used}` } });
  const connection = { readies: 0 };
  let refused = false;
  let pinger;
  let chain = Promise.resolve();
  ws.on("open", () => {
    socket = ws;
    backoff = 1000;
    ws.send(JSON.stringify({ type: "resume", user_seq: state.user_seq, channels: state.channels }));
    pinger = setInterval(() => ws.send('{"type":"ping"}'), 20_000);
  });
  ws.on("message", (data) => {
    let ev;
    try {
      ev = JSON.parse(String(data));
    } catch {
      return;
    }
    chain = chain.then(() => handle(ev, connection)).catch((e) => console.error(`!! ${e.message}`));
  });
  // The handshake was refused: a token that expired while we were away is renewed first.
  ws.on("unexpected-response", (_req, res) => {
    refused = true;
    res.resume();
    ws.terminate();
    console.log(`-- the server refused the socket (${res.statusCode}); retrying…`);
    const again = res.statusCode === 401 ? renew(used) : Promise.resolve();
    again.catch((e) => console.error(`!! ${e.message}`)).finally(reconnectSoon);
  });
  ws.on("close", (code) => {
    clearInterval(pinger);
    if (socket === ws) socket = undefined;
    if (code === 4003) {
      console.log("-- this account was deactivated");
      process.exit(1);
    }
    if (refused) return;
    console.log(`-- disconnected (${code}); reconnecting…`);
    // 4001: the login session ended (logout elsewhere, password changed): sign in again.
    const ready = code === 4001 ? signIn() : Promise.resolve();
    ready.catch((e) => console.error(`!! ${e.message}`)).finally(reconnectSoon);
  });
  ws.on("error", () => {});
}

/** Presence: the person is at the keyboard. At most every 30 s, as the protocol asks. */
let lastActive = 0;
function sayActive() {
  if (!socket || socket.readyState !== WebSocket.OPEN || Date.now() - lastActive < 30_000) return;
  lastActive = Date.now();
  socket.send('{"type":"active"}');
}

// ── Commands ─────────────────────────────────────────────────────────────────────────────────

let current; // the channel we post to
async function pickChannel(name) {
  const wanted = name.replace(/^#/, "");
  const mine = await call("GET", "/users/me/channels");
  let found = mine.items.find((i) => i.channel.name === wanted)?.channel;
  if (!found) {
    const all = await call("GET", "/channels?limit=200");
    found = all.items.find((c) => c.name === wanted);
    if (found) await call("POST", `/channels/${found.id}/join`);
  }
  if (!found) throw new Error(`no channel #${wanted}`);
  current = found;
  console.log(`-- now in #${found.name}`);
}

/** The user with exactly this username: the directory search also matches names and e-mails. */
async function userNamed(name) {
  const wanted = name.replace(/^@/, "").toLowerCase();
  let cursor = "";
  for (;;) {
    const page = await call(
      "GET",
      `/users?query=${encodeURIComponent(wanted)}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    const exact = page.items.find((u) => u.username.toLowerCase() === wanted);
    if (exact) return exact;
    if (!page.next_cursor) return null;
    cursor = page.next_cursor;
  }
}

await signIn();
await pickChannel(opts.channel);
connect();

readline.createInterface({ input: process.stdin }).on("line", async (line) => {
  sayActive();
  try {
    if (line === "/quit") process.exit(0);
    else if (line.startsWith("/join ")) await pickChannel(line.slice(6).trim());
    else if (line.startsWith("/dm ")) {
      const who = await userNamed(line.slice(4).trim());
      if (!who) throw new Error(`no user is called ${line.slice(4).trim()}`);
      current = await call("POST", "/dms", { user_ids: [who.id] });
      users.set(who.id, who.username);
      console.log(`-- now in a DM with ${who.username}`);
    } else if (line.trim()) await call("POST", `/channels/${current.id}/messages`, { text: line, client_msg_id: crypto.randomUUID() });
  } catch (e) {
    console.error(`!! ${e.message}`);
  }
});
