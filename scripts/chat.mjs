#!/usr/bin/env node
// A minimal terminal chat client for Colink, on the SDK (client/): signs in, keeps its token
// fresh, holds one socket that resumes from cursors saved to a file after any disconnect, prints
// what happens as plain sentences and sends what you type. Everything it says to the server goes
// through client/ (Session, HttpClient, ColinkApi, Realtime, EventSync); none of the protocol is
// spelled out here.
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const USAGE = `usage: node scripts/chat.mjs --user NAME --password PASS [--url URL] [--channel NAME]

  --user NAME       username or e-mail to sign in with
  --password PASS   the account's password
  --url URL         the Colink server (default: $COLINK_URL, else http://127.0.0.1:8787;
                    use the port npm start printed if you changed PORT)
  --channel NAME    the channel to post to at first (default: general)
  -h, --help        this help

Type a line to send it. Commands: /join <channel>, /dm <username>, /quit.
Cursors are kept in .cache/chat-<user>-<host>.json, so a restart resumes where it stopped.
The SDK it runs on is TypeScript: under a Node older than 22.18 it runs itself again under
Node 22 (scripts/node22.mjs, which fetches Node 22 into .cache/ once).`;

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
const host = (() => {
  try {
    return new URL(base).host.replace(/[^\w.-]/g, "_");
  } catch {
    console.error(`not a URL: ${opts.url}\n\n${USAGE}`);
    process.exit(2);
  }
})();

// ── Node: the SDK is TypeScript, which Node runs from 22.18 on (type stripping) ────────────────

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
if (!process.features.typescript) {
  // Once only: a child that still cannot run TypeScript says so instead of starting another.
  if (process.env.COLINK_CHAT_RERUN) {
    console.error(`scripts/chat.mjs needs Node >= 22.18 (this is ${process.version}).`);
    process.exit(1);
  }
  const env = { ...process.env, COLINK_CHAT_RERUN: "1" };
  const args = process.argv.slice(2);
  const major = Number(process.versions.node.split(".")[0]);
  // Node 22 before 22.18 strips types behind a flag; older Nodes get Node 22 from scripts/node22.mjs.
  const child =
    major >= 22
      ? spawnSync(
          process.execPath,
          ["--experimental-strip-types", "--disable-warning=ExperimentalWarning", fileURLToPath(import.meta.url), ...args],
          {
            stdio: "inherit",
            env,
          },
        )
      : spawnSync(process.execPath, [path.join(root, "scripts", "node22.mjs"), "scripts/chat.mjs", ...args], { stdio: "inherit", env });
  if (child.error) {
    console.error(`!! ${child.error.message}`);
    process.exit(1);
  }
  process.exit(child.status ?? 1);
}
const { ColinkApi, ColinkApiError, EventSync, HttpClient, Realtime, Session, tokensFrom } = await import("../client/index.ts");

// ── Cursors, in the file earlier versions of this client kept them in ───────────────────────

const stateFile = path.join(root, ".cache", `chat-${opts.user}-${host}.json`);
/** An SDK CursorStore on a file: `{ user_seq, channels }`, as this client has always written it. */
const cursorFile = {
  load() {
    if (!existsSync(stateFile)) return null;
    try {
      const saved = JSON.parse(readFileSync(stateFile, "utf8"));
      return { userSeq: typeof saved.user_seq === "number" ? saved.user_seq : null, channels: saved.channels ?? {} };
    } catch {
      return null; // unreadable: start fresh
    }
  },
  save(cursors) {
    mkdirSync(path.dirname(stateFile), { recursive: true });
    writeFileSync(stateFile, JSON.stringify({ user_seq: cursors.userSeq, channels: cursors.channels }));
  },
};

// ── The session: tokens renewed before they expire, once more after a 401, and a session that
// has ended (the refresh refused) signed in again with the password ─────────────────────────

// Renewal is scheduled (below) and happens after a refusal, never at request time: so a request
// made in the moment a lapsed token is being renewed goes out, meets its 401 and is retried once
// with the new token (test/e2e/chatClient.e2e.ts pins this, with the server's request log).
const session = new Session({ refreshMarginMs: Number.NEGATIVE_INFINITY });
const http = new HttpClient({ baseUrl: base, session });
const api = new ColinkApi(http);

let me; // the signed-in user

async function signIn() {
  const auth = await api.login(opts.user, opts.password);
  me = auth.user;
  return tokensFrom(auth);
}

/** The SDK's TokenRefresher: POST /auth/refresh, else (the session was ended elsewhere) the password. */
async function renew(current) {
  try {
    return tokensFrom(await api.refresh(current.refreshToken));
  } catch (error) {
    if (error instanceof ColinkApiError && error.status >= 400 && error.status < 500 && error.status !== 429) return signIn();
    throw error;
  }
}

let refreshTimer;
/** Well before expiry: a minute early for the usual 15 minutes, a quarter early for short lives. */
function scheduleRenewal(tokens) {
  clearTimeout(refreshTimer);
  if (!tokens) return;
  const life = tokens.expiresAt - Date.now();
  refreshTimer = setTimeout(
    () =>
      session.refresh().catch((error) => {
        console.error(`!! could not renew the access token: ${error.message}`);
        if (session.tokens === tokens) refreshTimer = setTimeout(() => scheduleRenewal(session.tokens), 10_000);
      }),
    Math.max(0, life - Math.min(60_000, life * 0.25)),
  );
}
session.onChange(scheduleRenewal);

// ── Names, for sentences ─────────────────────────────────────────────────────────────────────

const users = new Map(); // user id → username
async function nameOf(id) {
  if (id === me?.id) return me.username;
  if (!users.has(id)) users.set(id, (await api.user(id).catch(() => ({ username: id }))).username);
  return users.get(id);
}

const channels = new Map(); // channel id → "#name" or "your DM with bob"
async function labelOf(channel) {
  if (channel.kind === "public" || channel.kind === "private") return `#${channel.name}`;
  const members = await api.members(channel.id).catch(() => ({ items: [] }));
  const others = await Promise.all(members.items.filter((m) => m.user_id !== me?.id).map((m) => nameOf(m.user_id)));
  return others.length ? `your DM with ${others.join(", ")}` : "your DM";
}
async function whereIs(channelId, known) {
  if (known) channels.set(channelId, await labelOf(known));
  if (!channels.has(channelId)) {
    const channel = await api.channel(channelId).catch(() => null);
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

/** A channel event or a user event (the SDK hands each on once, in order), as a sentence or null. */
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
      return null;
    default:
      return `-- ${ev.type}${ev.channel_id ? ` in ${where}` : ""}`;
  }
}

async function print(ev) {
  const line = await describe(ev);
  if (line) console.log(line);
}

// ── The socket: the SDK's Realtime (header auth, pings, reconnect with backoff) fed through its
// EventSync (resume from the saved cursors, gaps fetched, duplicates dropped) ────────────────

const sync = new EventSync({
  api,
  cursorStore: cursorFile,
  handlers: {
    channelEvent: print,
    userEvent: print,
    // Once per connection, after whatever a resume replayed.
    ready: () => console.log(`-- connected as ${me.username}; caught up`),
    resync: async (channelId) =>
      console.log(`-- too much happened ${channelId ? `in ${await whereIs(channelId)} ` : ""}while away; showing what comes next`),
    error: (frame) => console.error(`!! ${frame.detail} (${frame.code})`),
  },
});

const realtime = new Realtime({
  http,
  api,
  auth: "header",
  opening: () => sync.opening(),
  onFrame: (frame) => void sync.receive(frame),
  onStatus: (status, detail) => {
    if (status === "reconnecting") {
      console.log(`-- disconnected (${detail?.code ?? detail?.reason ?? "?"}); reconnecting…`);
      // A handshake refused for a token that lapsed while we were away (a suspended laptop) says
      // only "failed": renew before the next attempt.
      if (session.tokens && session.tokens.expiresAt <= Date.now()) session.refresh().catch(() => {});
    } else if (status === "deactivated") {
      console.log("-- this account was deactivated");
      process.exit(1);
    } else if (status === "signed_out") {
      console.log("-- signed out (the session ended and signing in again failed)");
      process.exit(1);
    }
  },
});

// ── Commands ─────────────────────────────────────────────────────────────────────────────────

let current; // the channel we post to
async function pickChannel(name) {
  const wanted = name.replace(/^#/, "");
  const mine = await api.myChannels();
  let found = mine.items.find((i) => i.channel.name === wanted)?.channel;
  if (!found) {
    const all = await api.channels({ limit: 200 });
    found = all.items.find((c) => c.name === wanted);
    if (found) await api.joinChannel(found.id);
  }
  if (!found) throw new Error(`no channel #${wanted}`);
  current = found;
  console.log(`-- now in #${found.name}`);
}

/** The user with exactly this username: the directory search also matches names and e-mails. */
async function userNamed(name) {
  const wanted = name.replace(/^@/, "").toLowerCase();
  let cursor;
  for (;;) {
    const page = await api.users({ query: wanted, limit: 200, cursor });
    const exact = page.items.find((u) => u.username.toLowerCase() === wanted);
    if (exact) return exact;
    if (!page.next_cursor) return null;
    cursor = page.next_cursor;
  }
}

/** Presence: the person is at the keyboard. At most every 30 s, as the protocol asks. */
let lastActive = 0;
function sayActive() {
  if (Date.now() - lastActive < 30_000) return;
  if (realtime.send({ type: "active" })) lastActive = Date.now();
}

try {
  session.set(await signIn(), renew);
  await pickChannel(opts.channel);
} catch (error) {
  console.error(`!! could not start: ${error.message}`);
  process.exit(1);
}
realtime.start();

readline.createInterface({ input: process.stdin }).on("line", async (line) => {
  sayActive();
  try {
    if (line === "/quit") process.exit(0);
    else if (line.startsWith("/join ")) await pickChannel(line.slice(6).trim());
    else if (line.startsWith("/dm ")) {
      const who = await userNamed(line.slice(4).trim());
      if (!who) throw new Error(`no user is called ${line.slice(4).trim()}`);
      current = await api.openDm([who.id]);
      users.set(who.id, who.username);
      console.log(`-- now in a DM with ${who.username}`);
    }
    // Over HTTP, keyed by client_msg_id so the SDK's retries never make a second message.
    else if (line.trim()) await api.send(current.id, { text: line, client_msg_id: randomUUID() });
  } catch (e) {
    console.error(`!! ${e.message}`);
  }
});
