import { DurableObject } from "cloudflare:workers";

// The `fanout` baseline: Colink's shape with nothing else in it, the physical limit of the design
// on one machine. Same runtime and hops as Colink (Worker → channel object → one per-user object
// per online member → that member's hibernating sockets) and the same batching freedom: each
// member has at most one delivery call in flight, and whatever arrived meanwhile goes in their
// next call. No accounts, no storage on the send path, no history, no resume.
//
//   PUT  /channels/:ch/members        {user_ids} → 204 (kept in the channel's storage)
//   GET  /users/:user/ws?channels=a,b WebSocket; {"type":"ready","user_seq":0}; any frame → ready
//   POST /channels/:ch/messages       {text, client_msg_id} → 201 {seq} once handed to fan-out

const READY = JSON.stringify({ type: "ready", user_seq: 0 });
const ID = /^[A-Za-z0-9_-]{1,64}$/;

export class Channel extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    // Starting from the clock keeps seq increasing across an eviction without storage.
    this.seq = Date.now() * 1000;
    /** @type {Set<string>} */
    this.members = new Set();
    /** Per online member: frames waiting, and whether a call is out. */
    this.outbox = new Map();
    // Membership and who is online are kept in storage (never touched by a send), so that an
    // evicted channel object comes back knowing whom to deliver to, as Colink's rooms do.
    ctx.blockConcurrencyWhile(async () => {
      this.members = new Set((await ctx.storage.get("members")) ?? []);
      for (const userId of (await ctx.storage.list({ prefix: "online:" })).keys())
        this.outbox.set(userId.slice("online:".length), { sending: false, frames: [] });
    });
  }

  async setMembers(userIds) {
    this.members = new Set(userIds);
    await this.ctx.storage.put("members", userIds);
  }

  async online(userId, isOnline) {
    if (!this.members.has(userId)) return;
    if (isOnline) {
      if (!this.outbox.has(userId)) this.outbox.set(userId, { sending: false, frames: [] });
      await this.ctx.storage.put(`online:${userId}`, 1);
    } else {
      this.outbox.delete(userId);
      await this.ctx.storage.delete(`online:${userId}`);
    }
  }

  broadcast(channelId, text, clientMsgId) {
    const seq = ++this.seq;
    const frame = JSON.stringify({
      type: "message.created",
      channel_id: channelId,
      seq,
      at: new Date().toISOString(),
      data: { channel_id: channelId, seq, text, client_msg_id: clientMsgId },
    });
    for (const [userId, box] of this.outbox) {
      box.frames.push(frame);
      if (!box.sending) this.#deliver(userId, box);
    }
    return seq;
  }

  #deliver(userId, box) {
    const frames = box.frames;
    box.frames = [];
    box.sending = true;
    this.env.USER.getByName(userId)
      .deliver(frames)
      .catch(() => {})
      .finally(() => {
        box.sending = false;
        if (box.frames.length && this.outbox.get(userId) === box) this.#deliver(userId, box);
      });
  }
}

export class User extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  async fetch(request) {
    const url = new URL(request.url);
    const userId = url.searchParams.get("user") ?? "";
    const channels = (url.searchParams.get("channels") ?? "").split(",").filter((c) => ID.test(c));
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ userId, channels });
    await Promise.all(channels.map((ch) => this.env.CHANNEL.getByName(ch).online(userId, true)));
    server.send(READY);
    return new Response(null, { status: 101, webSocket: client });
  }

  deliver(frames) {
    const sockets = this.ctx.getWebSockets();
    for (const ws of sockets)
      for (const frame of frames) {
        try {
          ws.send(frame);
        } catch {
          // a socket that is closing
        }
      }
    return sockets.length > 0;
  }

  webSocketMessage(ws) {
    try {
      ws.send(READY);
    } catch {
      // closing
    }
  }

  async webSocketClose(ws, code) {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code);
    } catch {
      // already closed
    }
    const { userId, channels } = ws.deserializeAttachment() ?? { channels: [] };
    const stillOpen = this.ctx.getWebSockets().filter((s) => s !== ws);
    if (stillOpen.length === 0) await Promise.all(channels.map((ch) => this.env.CHANNEL.getByName(ch).online(userId, false)));
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return new Response("ok");
    const match = /^\/(channels|users)\/([A-Za-z0-9_-]{1,64})\/(ws|messages|members)$/.exec(url.pathname);
    if (!match) return new Response("not found", { status: 404 });
    const [, kind, id, what] = match;
    if (kind === "users" && what === "ws") {
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("expected a websocket", { status: 426 });
      const target = new URL(request.url);
      target.searchParams.set("user", id);
      return env.USER.getByName(id).fetch(new Request(target, request));
    }
    if (kind !== "channels" || what === "ws") return new Response("not found", { status: 404 });
    const channel = env.CHANNEL.getByName(id);
    const body = await request.json();
    if (what === "members" && request.method === "PUT") {
      await channel.setMembers(body.user_ids.map(String));
      return new Response(null, { status: 204 });
    }
    if (what !== "messages" || request.method !== "POST") return new Response("method not allowed", { status: 405 });
    const seq = await channel.broadcast(id, String(body.text), String(body.client_msg_id));
    return Response.json({ seq }, { status: 201 });
  },
};
