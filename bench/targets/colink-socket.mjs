import { parseSocketSendFrame, sendFrame } from "./colinkProtocol.ts";

// Colink with every send on the sender's own socket (`{"type":"send"}`, acknowledged by `ack`
// once durable: docs/realtime.md "Sending on the socket") instead of POST /messages. Everything
// else (server, accounts, channels, sockets) as colink.mjs, so `--targets colink,colink-socket`
// measures the two send paths side by side. The frames are colinkProtocol.ts's (the SDK's reader,
// the protocol's ClientFrame type).

export * from "./colink.mjs";
export const name = "colink-socket";

export { sendFrame };
/** Reads `ack` (and a refused send's `error`) as well: one parse per frame. */
export const parseFrame = parseSocketSendFrame;
