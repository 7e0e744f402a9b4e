import { DurableObject } from "cloudflare:workers";

// The benchmark baseline: what fan-out costs with nothing else around it. Same runtime, same
// hop (Worker → Durable Object by name → hibernating sockets) and the same frame shapes as
// Colink, so the generator drives both with the same code.
//
//   GET  /rooms/:room/ws         WebSocket; sends {"type":"ready","user_seq":0}, answers any
//                                client frame (a resume) with another ready, ping → pong
//   POST /rooms/:room/messages   {text, client_msg_id} → 201 {seq}; broadcast to every socket

const READY = JSON.stringify({ type: "ready", user_seq: 0 });

export class Room extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
    // No storage by design. Starting from the clock keeps seq increasing across an eviction
    // (a restart takes far longer than a thousand messages a millisecond).
    this.seq = Date.now() * 1000;
  }

  async fetch(request) {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("expected a websocket", { status: 426 });
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    server.send(READY);
    return new Response(null, { status: 101, webSocket: client });
  }

  broadcast(roomId, text, clientMsgId) {
    const seq = ++this.seq;
    const frame = JSON.stringify({
      type: "message.created",
      channel_id: roomId,
      seq,
      at: new Date().toISOString(),
      data: { channel_id: roomId, seq, text, client_msg_id: clientMsgId },
    });
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(frame);
      } catch {
        // a socket that is closing
      }
    }
    return seq;
  }

  webSocketMessage(ws) {
    try {
      ws.send(READY);
    } catch {
      // closing
    }
  }

  webSocketClose(ws, code) {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code);
    } catch {
      // already closed
    }
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return new Response("ok");
    const match = /^\/rooms\/([A-Za-z0-9_-]{1,64})\/(ws|messages)$/.exec(url.pathname);
    if (!match) return new Response("not found", { status: 404 });
    const [, roomId, what] = match;
    const room = env.ROOM.getByName(roomId);
    if (what === "ws") return room.fetch(request);
    if (request.method !== "POST") return new Response("method not allowed", { status: 405 });
    const body = await request.json();
    const seq = await room.broadcast(roomId, String(body.text), String(body.client_msg_id));
    return Response.json({ seq }, { status: 201 });
  },
};
