import { startReferenceServer } from "../lib/devServer.mjs";

// The ceiling: bench/baseline/worker.js, one Room Durable Object per channel that broadcasts every
// message to every socket. No accounts, no storage, so no resume and no history; a client opens
// one socket per room it is in. See targets/README.md.

export const name = "baseline";
export const capabilities = { resume: false, history: false, socketPerChannel: true, gapFreeSeq: false, files: false };

export async function start() {
  const server = await startReferenceServer("baseline");
  return { server, url: server.url, rooms: 0 };
}

export async function stop(ctx) {
  await ctx.server.stop();
}

export async function ensureUsers(_ctx, n) {
  return Array.from({ length: n }, (_, i) => ({ id: `u${i + 1}`, username: `u${i + 1}`, token: "" }));
}

export async function createChannel(ctx, channelName) {
  return `${channelName}-${++ctx.rooms}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 64);
}

// ── Client side ──────────────────────────────────────────────────────────────────────────────

export function endpoints(url, _account, channels) {
  const ws = url.replace(/^http/, "ws");
  return channels.map((ch) => ({ url: `${ws}/rooms/${ch}/ws`, headers: {}, channels: [ch] }));
}

export function resumeFrame(userSeq, cursors) {
  return JSON.stringify({ type: "resume", user_seq: userSeq, channels: cursors });
}

export function parseFrame(text) {
  const f = JSON.parse(text);
  if (f.type === "ready") return { k: "ready", userSeq: f.user_seq };
  if (f.type === "pong") return { k: "pong" };
  if (f.type === "message.created") return { k: "ev", ch: f.channel_id, seq: f.seq, text: f.data?.text };
  return { k: "other" };
}

export function send(url, _account, channelId, text, clientMsgId) {
  return postMessage(`${url}/rooms/${channelId}/messages`, text, clientMsgId);
}

/** POSTs `{text, client_msg_id}` to a reference Worker; its HTTP status. */
export async function postMessage(url, text, clientMsgId) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text, client_msg_id: clientMsgId }),
    signal: AbortSignal.timeout(120_000), // as long as colink.mjs waits
  });
  await res.arrayBuffer();
  return res.status;
}
