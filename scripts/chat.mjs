#!/usr/bin/env node
// A minimal terminal chat client for Colink: signs in, holds one socket, resumes from saved
// cursors after any disconnect, prints events and sends what you type.
//
//   node scripts/chat.mjs --user ada --password '…' [--url http://127.0.0.1:8787] [--channel general]
//   commands: /join <channel>, /dm <username>, /quit
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { parseArgs } from "node:util";
import WebSocket from "ws";

const { values: opts } = parseArgs({
  options: {
    user: { type: "string" },
    password: { type: "string" },
    url: { type: "string", default: process.env.COLINK_URL ?? "http://127.0.0.1:8787" },
    channel: { type: "string", default: "general" },
  },
});
if (!opts.user || !opts.password) {
  console.error("usage: node scripts/chat.mjs --user NAME --password PASS [--url URL] [--channel NAME]");
  process.exit(2);
}

const api = `${opts.url.replace(/\/$/, "")}/api/v1`;
const stateFile = path.join(import.meta.dirname, "..", ".cache", `chat-${opts.user}.json`);
const state = existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, "utf8")) : { user_seq: 0, channels: {} };
const save = () => {
  mkdirSync(path.dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, JSON.stringify(state));
};

let token;
async function call(method, p, body) {
  const res = await fetch(`${api}${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = res.status === 204 ? null : await res.json();
  if (res.status >= 400) throw new Error(`${res.status} ${json?.code}: ${json?.detail}`);
  return json;
}

async function signIn() {
  const res = await fetch(`${api}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ login: opts.user, password: opts.password }),
  });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`login failed: ${json.detail}`);
  token = json.access_token;
}

const names = new Map(); // user id → username, for printing
async function nameOf(id) {
  if (!names.has(id)) names.set(id, (await call("GET", `/users/${id}`).catch(() => ({ username: id }))).username);
  return names.get(id);
}

let current; // the channel we post to
async function pickChannel(name) {
  const mine = await call("GET", "/users/me/channels");
  let found = mine.items.find((i) => i.channel.name === name)?.channel;
  if (!found) {
    const all = await call("GET", "/channels?limit=200");
    found = all.items.find((c) => c.name === name);
    if (found) await call("POST", `/channels/${found.id}/join`);
  }
  if (!found) throw new Error(`no channel #${name}`);
  current = found;
  console.log(`-- now in #${found.name}`);
}

async function print(ev) {
  if (ev.channel_id && typeof ev.seq === "number") state.channels[ev.channel_id] = ev.seq;
  if (typeof ev.user_seq === "number" && ev.type !== "ready") state.user_seq = ev.user_seq;
  save();
  if (ev.type === "message.created") {
    const where = ev.channel_id === current?.id ? "" : `[${ev.channel_id}] `;
    console.log(`${where}<${await nameOf(ev.data.author_id)}> ${ev.data.text}`);
  } else if (ev.type === "channel.gap") {
    const page = await call("GET", `/channels/${ev.channel_id}/events?after=${ev.after}&limit=200`);
    for (const e of page.items) await print(e);
  } else if (ev.type !== "pong") console.log(`-- ${ev.type}${ev.channel_id ? ` ${ev.channel_id}` : ""}`);
}

function connect() {
  const ws = new WebSocket(`${api.replace(/^http/, "ws")}/ws`, { headers: { authorization: `Bearer ${token}` } });
  let pinger;
  ws.on("open", () => {
    ws.send(JSON.stringify({ type: "resume", user_seq: state.user_seq, channels: state.channels }));
    pinger = setInterval(() => ws.send('{"type":"ping"}'), 25_000);
  });
  let chain = Promise.resolve();
  ws.on("message", (data) => {
    chain = chain.then(() => print(JSON.parse(String(data)))).catch((e) => console.error(e.message));
  });
  ws.on("close", async (code) => {
    clearInterval(pinger);
    if (code === 4003) return process.exit(1);
    console.log(`-- disconnected (${code}); reconnecting…`);
    setTimeout(() => signIn().then(connect, () => setTimeout(connect, 2000)), 1000);
  });
  ws.on("error", () => {});
}

await signIn();
await pickChannel(opts.channel);
connect();

readline.createInterface({ input: process.stdin }).on("line", async (line) => {
  try {
    if (line === "/quit") process.exit(0);
    else if (line.startsWith("/join ")) await pickChannel(line.slice(6).trim());
    else if (line.startsWith("/dm ")) {
      const who = (await call("GET", `/users?query=${encodeURIComponent(line.slice(4).trim())}`)).items[0];
      if (!who) throw new Error("no such user");
      current = await call("POST", "/dms", { user_ids: [who.id] });
      console.log(`-- now in a DM with ${who.username}`);
    } else if (line.trim()) await call("POST", `/channels/${current.id}/messages`, { text: line, client_msg_id: crypto.randomUUID() });
  } catch (e) {
    console.error(`!! ${e.message}`);
  }
});
