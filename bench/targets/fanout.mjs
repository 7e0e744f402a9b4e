import { startReferenceServer } from "../lib/devServer.mjs";
import { requestJson } from "../lib/http.mjs";
import { postMessage } from "./baseline.mjs";

// The same-shape ceiling: bench/fanout/worker.js, Colink's fan-out (channel object → one per-user
// object per online member → hibernating sockets) with no auth and no storage on the send path.
// One socket per user for all their channels, like Colink. See targets/README.md.

export const name = "fanout";
export const capabilities = { resume: false, history: false, socketPerChannel: false, gapFreeSeq: false };

export async function start() {
  const server = await startReferenceServer("fanout");
  return { server, url: server.url, rooms: 0, users: 0 };
}

export async function stop(ctx) {
  await ctx.server.stop();
}

export async function createChannel(ctx, channelName, accounts) {
  const id = `${channelName}-${++ctx.rooms}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 64);
  const res = await requestJson(`${ctx.url}/channels/${id}/members`, { method: "PUT", body: { user_ids: accounts.map((a) => a.id) } });
  if (res.status !== 204) throw new Error(`fanout: members of ${id}: ${res.status}`);
  return id;
}

// ── Client side ──────────────────────────────────────────────────────────────────────────────

export function endpoints(url, account, channels) {
  const ws = url.replace(/^http/, "ws");
  return [{ url: `${ws}/users/${account.id}/ws?channels=${channels.join(",")}`, headers: {}, channels }];
}

export { ensureUsers, parseFrame, resumeFrame } from "./baseline.mjs";

export function send(url, _account, channelId, text, clientMsgId) {
  return postMessage(`${url}/channels/${channelId}/messages`, text, clientMsgId);
}
