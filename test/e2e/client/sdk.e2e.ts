import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Colink, ColinkApiError, ColinkNetworkError, fetchSender, type Message } from "../../../client/index.ts";
import { EICAR } from "../clamd";
import { api, baseUrl, signUp } from "../client";
import { type FaultProxy, startFaultProxy } from "../faultProxy";
import { eventually, SavedCursors, sdkFor } from "./sdkClient";

// The SDK (client/) against a real wrangler dev: typed errors, token renewal, idempotent sends,
// retries, and the socket's exact resume. Faults are injected by a real proxy between the two.

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy(baseUrl());
});
afterAll(() => proxy.close());

const sendsTo = (channelId: string) => (req: { method?: string; url?: string }) =>
  req.method === "POST" && req.url === `/api/v1/channels/${channelId}/messages`;

async function general(colink: Colink) {
  const { items } = await colink.api.myChannels();
  const found = items.find((i) => i.channel.name === "general");
  if (!found) throw new Error("no #general");
  return found.channel;
}

describe("SDK: errors", () => {
  it("throws typed errors carrying the problem+json code, status and field problems", async () => {
    const ada = await signUp("ada");
    const colink = await sdkFor(ada);
    const notFound = await colink.api.channel("c_00000000000000000000000000").catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(ColinkApiError);
    expect(notFound).toMatchObject({ status: 404, code: "channel_not_found" });
    const invalid = await colink.api.createChannel({ name: "Not A Valid Name!" }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ status: 422, code: "validation_failed" });
    expect((invalid as ColinkApiError).errors.map((e) => e.path)).toContain("name");
    const badLogin = await new Colink({ baseUrl: baseUrl() }).login(ada.username, "wrong password").catch((e: unknown) => e);
    expect(badLogin).toMatchObject({ status: 401 });
    expect(typeof (badLogin as ColinkApiError).code).toBe("string");
  });

  it("a request that never gets an answer is a ColinkNetworkError", async () => {
    const colink = new Colink({ baseUrl: "http://127.0.0.1:9", retry: { attempts: 1, baseMs: 10, capMs: 10 } });
    await expect(colink.api.users()).rejects.toBeInstanceOf(ColinkNetworkError);
  });
});

describe("SDK: tokens", () => {
  it("renews the access token before it expires, spending the refresh token once", async () => {
    const ada = await signUp("ada");
    // A margin longer than the token's life: every call finds the token about to lapse.
    const colink = await sdkFor(ada, { refreshMarginMs: 16 * 60_000 });
    const first = colink.session.tokens;
    expect((await colink.api.me()).id).toBe(ada.id);
    const second = colink.session.tokens;
    expect(second?.refreshToken).not.toBe(first?.refreshToken);
    // The old refresh token was spent by the renewal.
    expect((await api("POST", "/auth/refresh", { body: { refresh_token: first?.refreshToken } })).status).toBe(401);
  });

  it("on a 401 renews once and retries; concurrent 401s share one renewal", async () => {
    const ada = await signUp("ada");
    const colink = await sdkFor(ada);
    const tokens = colink.session.tokens;
    if (!tokens) throw new Error("not signed in");
    colink.session.set({ ...tokens, accessToken: "not-a-token", expiresAt: Date.now() + 600_000 });
    const results = await Promise.all([colink.api.me(), colink.api.me(), colink.api.users(), colink.api.myChannels()]);
    expect(results[0].id).toBe(ada.id);
    // Had two renewals presented the same refresh token, the server would have ended the session.
    expect((await colink.api.me()).id).toBe(ada.id);
    expect(colink.session.tokens?.refreshToken).not.toBe(tokens.refreshToken);
  });

  it("a 401 that renewal cannot fix ends the session with the server's error", async () => {
    const ada = await signUp("ada");
    const colink = await sdkFor(ada);
    colink.session.set(
      { accessToken: "not-a-token", refreshToken: "not-a-refresh-token", expiresAt: Date.now() + 600_000 },
      colink.colinkRefresher,
    );
    const error = await colink.api.me().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401 });
    expect(colink.session.signedIn).toBe(false);
  });
});

describe("SDK: retries", () => {
  it("a send whose answer is lost is retried with its client_msg_id and makes one message", async () => {
    const ada = await signUp("ada");
    const colink = await sdkFor(ada, { baseUrl: proxy.url, retry: { baseMs: 50, capMs: 200 } });
    const ch = await general(colink);
    proxy.inject(sendsTo(ch.id), { kind: "drop-response" });
    const clientMsgId = crypto.randomUUID();
    const m = await colink.api.send(ch.id, { text: `lost answer ${clientMsgId}`, client_msg_id: clientMsgId });
    const { items } = await colink.api.history(ch.id, { limit: 50 });
    const copies = items.filter((x: Message) => x.client_msg_id === clientMsgId);
    expect(copies).toHaveLength(1);
    expect(copies[0]?.id).toBe(m.id);
    expect(proxy.seen.filter((s) => s === `POST /api/v1/channels/${ch.id}/messages`).length).toBeGreaterThanOrEqual(2);
  });

  it("the store's send always carries a client_msg_id, so a lost answer never doubles a message", async () => {
    const ada = await signUp("ada");
    const colink = await sdkFor(ada, { baseUrl: proxy.url, retry: { baseMs: 50, capMs: 200 } });
    await colink.store.loadInitial();
    const ch = await general(colink);
    proxy.inject(sendsTo(ch.id), { kind: "drop-response" }, 2);
    const text = `store send ${crypto.randomUUID()}`;
    const m = await colink.store.send(ch.id, text);
    expect(m?.text).toBe(text);
    const { items } = await colink.api.history(ch.id, { limit: 50 });
    expect(items.filter((x: Message) => x.text === text)).toHaveLength(1);
    expect(Object.keys(colink.store.state.pending)).toHaveLength(0);
  });

  it("a send without a client_msg_id is not retried after a network error (it might have been written)", async () => {
    const ada = await signUp("ada");
    const colink = await sdkFor(ada, { baseUrl: proxy.url, retry: { baseMs: 50, capMs: 200 } });
    const ch = await general(colink);
    proxy.inject(sendsTo(ch.id), { kind: "drop-response" });
    await expect(colink.api.send(ch.id, { text: "no key" })).rejects.toBeInstanceOf(ColinkNetworkError);
  });

  it("waits out a 429's Retry-After, then succeeds", async () => {
    const ada = await signUp("ada");
    const colink = await sdkFor(ada, { baseUrl: proxy.url });
    proxy.inject((r) => r.url === "/api/v1/users/me", { kind: "respond", status: 429, headers: { "retry-after": "1" } });
    const started = Date.now();
    expect((await colink.api.me()).id).toBe(ada.id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it("a Retry-After longer than it will wait goes to the caller, with the code and the wait", async () => {
    const ada = await signUp("ada");
    const colink = await sdkFor(ada, { baseUrl: proxy.url });
    proxy.inject((r) => r.url === "/api/v1/users/me", {
      kind: "respond",
      status: 429,
      headers: { "retry-after": "900" },
      body: { type: "about:blank", title: "Too Many Requests", status: 429, code: "rate_limited", detail: "slow down" },
    });
    const error = await colink.api.me().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 429, code: "rate_limited", retryAfterMs: 900_000 });
  });

  it("retries a read through 503s with backoff", async () => {
    const ada = await signUp("ada");
    const colink = await sdkFor(ada, { baseUrl: proxy.url, retry: { baseMs: 20, capMs: 100 } });
    proxy.inject((r) => r.url === "/api/v1/users/me", { kind: "respond", status: 503 }, 3);
    expect((await colink.api.me()).id).toBe(ada.id);
  });
});

describe("SDK: socket", () => {
  it("connects with the Authorization header in Node and delivers live events to the store", async () => {
    const [ada, bob] = await Promise.all([signUp("ada"), signUp("bob")]);
    const a = await sdkFor(ada);
    const b = await sdkFor(bob);
    await Promise.all([a.start(), b.start()]);
    try {
      expect(a.realtime.status).toBe("live");
      const ch = await general(a);
      await a.store.loadHistory(ch.id);
      const text = `live ${crypto.randomUUID()}`;
      await b.store.send(ch.id, text);
      await eventually(() => a.store.state.channels[ch.id]?.history?.items.some((m) => m.text === text), 10_000, "message in a's store");
    } finally {
      a.stop();
      b.stop();
    }
  });

  it("connects by ticket (the browser way) when asked to", async () => {
    const ada = await signUp("ada");
    const a = await sdkFor(ada, { baseUrl: proxy.url, socketAuth: "ticket" });
    await a.start({ load: false });
    try {
      expect(a.realtime.status).toBe("live");
      expect(proxy.seen.some((s) => s === "POST /api/v1/ws/ticket")).toBe(true);
      expect(proxy.seen.some((s) => s.startsWith("UPGRADE /api/v1/ws?ticket="))).toBe(true);
    } finally {
      a.stop();
    }
  });

  it("after a drop, reconnects with backoff and resumes: every message present once, in order", async () => {
    const [ada, bob] = await Promise.all([signUp("ada"), signUp("bob")]);
    const a = await sdkFor(ada, { baseUrl: proxy.url });
    const b = await sdkFor(bob);
    await a.start();
    try {
      const ch = await general(a);
      await a.store.loadHistory(ch.id);
      await b.store.send(ch.id, "before the drop");
      await eventually(() => a.store.state.channels[ch.id]?.history?.items.some((m) => m.text === "before the drop"));
      proxy.setOffline(true);
      await eventually(() => a.realtime.status === "reconnecting");
      const texts = Array.from({ length: 8 }, (_, i) => `while away ${i}`);
      for (const t of texts) await b.store.send(ch.id, t);
      proxy.setOffline(false);
      await eventually(() => a.realtime.status === "live", 20_000);
      await eventually(() => a.store.state.channels[ch.id]?.history?.items.some((m) => m.text === texts.at(-1)), 15_000);
      await a.sync.idle();
      const seen = a.store.state.channels[ch.id]?.history?.items.map((m) => m.text) ?? [];
      expect(seen.filter((t) => t.startsWith("while away"))).toEqual(texts);
      const seqs = a.store.state.channels[ch.id]?.history?.items.map((m) => m.seq) ?? [];
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(new Set(seqs).size).toBe(seqs.length);
    } finally {
      proxy.setOffline(false);
      a.stop();
    }
  });

  it("past the inline replay limit the server sends channel.gap; the SDK fetches the range and merges it exactly", async () => {
    const [ada, bob] = await Promise.all([signUp("ada"), signUp("bob")]);
    const a = await sdkFor(ada, { baseUrl: proxy.url });
    const b = await sdkFor(bob);
    const gaps: string[] = [];
    const delivered: number[] = [];
    await a.start();
    try {
      const ch = await general(a);
      await a.store.loadHistory(ch.id);
      await b.store.send(ch.id, "before the gap");
      await eventually(() => a.sync.cursors.channels[ch.id] !== undefined);
      a.sync.handlers = {
        ...a.sync.handlers,
        channelEvent: async (e) => {
          a.store.applyChannelEvent(e);
          if (e.channel_id === ch.id) delivered.push(e.seq);
        },
      };
      const from = a.sync.cursors.channels[ch.id] as number;
      const origReceive = a.sync.receive.bind(a.sync);
      a.sync.receive = (f) => {
        if (f.type === "channel.gap") gaps.push(f.channel_id);
        return origReceive(f);
      };
      proxy.setOffline(true);
      await eventually(() => a.realtime.status === "reconnecting");
      // Above the suite's REPLAY_INLINE_LIMIT (60).
      const texts = Array.from({ length: 75 }, (_, i) => `gap ${i}`);
      for (const t of texts) await b.api.send(ch.id, { text: t, client_msg_id: crypto.randomUUID() });
      proxy.setOffline(false);
      await eventually(() => (a.sync.cursors.channels[ch.id] ?? 0) >= from + texts.length, 30_000, "cursor past the gap");
      expect(gaps).toContain(ch.id);
      expect(delivered).toEqual(Array.from({ length: texts.length }, (_, i) => from + 1 + i));
      const inStore = a.store.state.channels[ch.id]?.history?.items.map((m) => m.text).filter((t) => t.startsWith("gap ")) ?? [];
      expect(inStore).toEqual(texts);
    } finally {
      proxy.setOffline(false);
      a.stop();
    }
  });

  it("persisted cursors: a new client resumes where the last one stopped and gets exactly what it missed", async () => {
    const [ada, bob] = await Promise.all([signUp("ada"), signUp("bob")]);
    const saved = new SavedCursors();
    const got: string[] = [];
    const on = {
      channelEvent: (e: { type: string; data: unknown }) => void (e.type === "message.created" && got.push((e.data as Message).text)),
    };
    const first = await sdkFor(ada, { cursorStore: saved, on });
    const b = await sdkFor(bob);
    await first.start({ load: false });
    const ch = await general(b);
    await b.api.send(ch.id, { text: "seen live", client_msg_id: crypto.randomUUID() });
    await eventually(() => got.includes("seen live"));
    first.stop();
    for (const t of ["missed 1", "missed 2", "missed 3"]) await b.api.send(ch.id, { text: t, client_msg_id: crypto.randomUUID() });
    got.length = 0;
    const second = await sdkFor(ada, { cursorStore: saved, on });
    await second.start({ load: false });
    try {
      await eventually(() => got.includes("missed 3"));
      await second.sync.idle();
      expect(got).toEqual(["missed 1", "missed 2", "missed 3"]);
    } finally {
      second.stop();
    }
  });

  it("resync_required (a cursor the server cannot replay from) reloads that channel's state", async () => {
    const [ada, bob] = await Promise.all([signUp("ada"), signUp("bob")]);
    const saved = new SavedCursors();
    const resyncs: (string | null)[] = [];
    const a = await sdkFor(ada, { baseUrl: proxy.url, cursorStore: saved, on: { resync: (ch) => void resyncs.push(ch) } });
    const b = await sdkFor(bob);
    await a.start();
    try {
      const ch = await general(a);
      await a.store.loadHistory(ch.id);
      await b.api.send(ch.id, { text: "tracked", client_msg_id: crypto.randomUUID() });
      await eventually(() => a.sync.cursors.channels[ch.id] !== undefined);
      proxy.setOffline(true);
      await eventually(() => a.realtime.status === "reconnecting");
      // A cursor past the channel's head cannot be replayed from: the server says resync_required.
      a.sync.track(ch.id, 1_000_000);
      await b.api.send(ch.id, { text: "after the bad cursor", client_msg_id: crypto.randomUUID() });
      proxy.setOffline(false);
      await eventually(() => resyncs.includes(ch.id), 20_000, "resync_required");
      await eventually(() => a.store.state.channels[ch.id]?.history?.items.some((m) => m.text === "after the bad cursor"));
      const fresh = await a.api.history(ch.id, { limit: 50 });
      await a.store.settled();
      expect(a.store.state.channels[ch.id]?.history?.items.map((m) => m.id)).toEqual(fresh.items.map((m) => m.id).reverse());
    } finally {
      proxy.setOffline(false);
      a.stop();
    }
  });

  it("a session ended elsewhere closes the socket (4001) and the client is signed out, not reconnecting forever", async () => {
    const ada = await signUp("ada");
    const a = await sdkFor(ada);
    const statuses: string[] = [];
    a.onStatus((s) => statuses.push(s));
    await a.start({ load: false });
    const tokens = a.session.tokens;
    // Another device's sign-out cannot end this session; this device's refresh token can, from elsewhere.
    await api("POST", "/auth/logout", { token: tokens?.accessToken });
    await eventually(() => a.realtime.status === "signed_out", 20_000, "signed_out");
    expect(a.session.signedIn).toBe(false);
    a.stop();
  });

  it("sends on the socket when it is live (no HTTP request), over HTTP when not, one message per client_msg_id either way", async () => {
    const ada = await signUp("ada");
    const a = await sdkFor(ada, { baseUrl: proxy.url });
    const ch = await general(a);
    const posts = () => proxy.seen.filter((s) => s === `POST /api/v1/channels/${ch.id}/messages`).length;
    await a.start();
    let key = "";
    try {
      const before = posts();
      const onSocket = await a.send(ch.id, { text: `socket ${crypto.randomUUID()}`, client_msg_id: crypto.randomUUID() });
      expect(onSocket.author_id).toBe(ada.id);
      expect(posts()).toBe(before);
      // A retry of the same client_msg_id answers the same message, on either path.
      key = onSocket.client_msg_id ?? "";
      expect((await a.send(ch.id, { text: onSocket.text, client_msg_id: key })).id).toBe(onSocket.id);
      expect((await a.api.send(ch.id, { text: onSocket.text, client_msg_id: key })).id).toBe(onSocket.id);
      // The store's send goes on the socket too, and settles its pending message.
      const text = `store ${crypto.randomUUID()}`;
      expect((await a.store.send(ch.id, text))?.text).toBe(text);
      expect(Object.keys(a.store.state.pending)).toHaveLength(0);
      expect(posts()).toBe(before + 1);
      // Files go on the socket too, alone (empty text) if need be; neither text nor files is refused as over HTTP.
      const file = (await a.api.createFile({ filename: "note.txt", content_type: "text/plain", size: 3 })).file;
      const filesOnly = await a.send(ch.id, { text: "", file_ids: [file.id] });
      expect(filesOnly).toMatchObject({ text: "", files: [{ id: file.id }] });
      const empty = await a.send(ch.id, { text: "" }).catch((e: unknown) => e);
      expect(empty).toMatchObject({ status: 422, code: "validation_failed", errors: [{ path: "text" }] });
      expect(posts()).toBe(before + 1);
      // A refusal carries the problem HTTP would answer.
      const refused = await a.send("c_00000000000000000000000000", { text: "nowhere" }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ status: 404, code: "channel_not_found" });
      expect(posts()).toBe(before + 1);
    } finally {
      a.stop();
    }
    const sentBefore = posts();
    const overHttp = await a.send(ch.id, { text: "socket stopped" });
    expect(overHttp.text).toBe("socket stopped");
    expect(posts()).toBe(sentBefore + 1);
    const { items } = await a.api.history(ch.id, { limit: 50 });
    expect(items.filter((m: Message) => m.client_msg_id === key)).toHaveLength(1);
  });
});

describe("SDK: files", () => {
  it("uploads in three steps (progress reported), and the store hears the scan verdict: clean, or quarantined", async () => {
    const ada = await signUp("ada");
    const colink = await sdkFor(ada);
    await colink.start();
    try {
      const ch = await general(colink);
      await colink.store.loadHistory(ch.id);
      const heard: string[] = [];
      const off = colink.store.onFile((c) => heard.push(c.deleted ? `deleted ${c.fileId}` : `${c.file.id} ${c.file.status}`));
      const progress: number[] = [];
      const notes = new Blob(["release notes\n"], { type: "text/plain" });
      const file = await colink.api.upload(notes, { channelId: ch.id, filename: "notes.txt", onProgress: (p) => progress.push(p.loaded) });
      expect(file).toMatchObject({ filename: "notes.txt", size: notes.size, status: "scanning" });
      expect(progress[0]).toBe(0);
      expect(progress.at(-1)).toBe(notes.size);
      // Sent while it is scanned: the message in the store follows file.updated to "clean".
      const sent = await colink.store.send(ch.id, "notes attached", { fileIds: [file.id] });
      expect(sent?.files.map((f) => f.id)).toEqual([file.id]);
      await eventually(() => heard.includes(`${file.id} clean`), 45_000, "the clean verdict");
      await eventually(
        () => colink.store.state.channels[ch.id]?.history?.items.find((m) => m.id === sent?.id)?.files[0]?.status === "clean",
        10_000,
        "the message's file clean in the store",
      );
      expect(await (await colink.api.fileBlob(file.id)).text()).toBe("release notes\n");

      const bad = await colink.api.upload(new Blob([EICAR], { type: "text/plain" }), { channelId: ch.id, filename: "eicar.txt" });
      await eventually(() => heard.includes(`${bad.id} quarantined`), 45_000, "the quarantine verdict");
      await expect(colink.api.fileBlob(bad.id)).rejects.toMatchObject({ status: 403, code: "file_quarantined" });
      off();
    } finally {
      colink.stop();
    }
  });

  it("a refused upload is a typed error (the upload URL is for that file only)", async () => {
    const ada = await signUp("ada");
    const colink = await sdkFor(ada);
    // The bytes sent to an altered URL: the server refuses them, and the SDK says so with the code.
    const error = await colink.api
      .upload(new Blob(["x"]), { filename: "x.bin" }, (upload, body, options) =>
        fetchSender()({ ...upload, url: upload.url.replace(/token=[^&]+/, "token=forged") }, body, options),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ColinkApiError);
    expect((error as ColinkApiError).status).toBe(403);
  });
});
