import { parseFrame as parseColinkFrame } from "./colink.mjs";

// Colink with every send on the sender's own socket (`{"type":"send"}`, acknowledged by `ack`
// once durable: docs/realtime.md "Sending on the socket") instead of POST /messages. Everything
// else (server, accounts, channels, sockets) as colink.mjs, so `--targets colink,colink-socket`
// measures the two send paths side by side.

export * from "./colink.mjs";
export const name = "colink-socket";

export function sendFrame(channelId, text, clientMsgId) {
  return JSON.stringify({ type: "send", channel_id: channelId, text, client_msg_id: clientMsgId });
}

export function parseFrame(text) {
  const f = JSON.parse(text);
  if (f.type === "ack") return { k: "other", ack: f.client_msg_id };
  const parsed = parseColinkFrame(text);
  // A refused send fails at once (with its problem code) instead of waiting out the ack timeout.
  if (f.type === "error" && typeof f.client_msg_id === "string") return { ...parsed, nack: f.client_msg_id };
  return parsed;
}
