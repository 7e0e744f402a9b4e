import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type Account, api, baseUrl, login, ownerAccount, signUp } from "./client";
import { startWranglerDev } from "./wranglerDev";

// The README's "two people chatting" walkthrough, with the terminal client it documents.

const root = path.resolve(import.meta.dirname, "../..");
const chatScript = path.join(root, "scripts/chat.mjs");
const running: ChildProcessWithoutNullStreams[] = [];
const users: string[] = [];

afterAll(() => {
  for (const p of running) p.kill("SIGKILL");
  // The client keeps its cursors in .cache/chat-<user>-<host>.json.
  const cache = path.join(root, ".cache");
  for (const f of readdirSync(cache)) if (users.some((u) => f.startsWith(`chat-${u}-`))) rmSync(path.join(cache, f), { force: true });
});

type ChatOptions = { url?: string; viaEnv?: boolean; channel?: string };

function chat(user: string, password: string, options: ChatOptions = {}) {
  users.push(user);
  const url = options.url ?? baseUrl();
  const args = [chatScript, "--user", user, "--password", password, ...(options.viaEnv ? [] : ["--url", url])];
  if (options.channel) args.push("--channel", options.channel);
  const proc = spawn(process.execPath, args, { cwd: root, env: { ...process.env, COLINK_URL: options.viaEnv ? url : "" } });
  running.push(proc);
  let out = "";
  proc.stdout.on("data", (d) => (out += d));
  proc.stderr.on("data", (d) => (out += d));
  return {
    proc,
    type: (line: string) => proc.stdin.write(`${line}\n`),
    output: () => out,
    count: (text: string) => out.split(text).length - 1,
    async waitFor(text: string, ms = 15_000) {
      const deadline = Date.now() + ms;
      while (!out.includes(text)) {
        if (Date.now() > deadline) throw new Error(`"${text}" never appeared in:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Registers an account through an invite of `inviter`, with an e-mail of our choosing. */
async function register(inviter: Account, username: string, email: string, base?: string): Promise<Account> {
  const invite = await api("POST", "/admin/invites", { token: inviter.token, body: {}, base });
  const password = `pw-${crypto.randomUUID()}`;
  const res = await api("POST", "/auth/register", {
    body: { email, username, password, invite_token: invite.body.invite_token },
    base,
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.user.id, username, token: res.body.access_token, refreshToken: res.body.refresh_token, password };
}

async function channelNamed(account: Account, name: string, base?: string): Promise<string> {
  const mine = await api("GET", "/users/me/channels", { token: account.token, base });
  const found = mine.body.items.find((i: { channel: { name: string } }) => i.channel.name === name);
  if (!found) throw new Error(`${account.username} is not in #${name}`);
  return found.channel.id;
}

describe("scripts/chat.mjs", () => {
  it("prints its usage for --help (exit 0) and for a bad option (exit 2), never a stack trace", () => {
    const help = spawnSync(process.execPath, [chatScript, "--help"], { cwd: root, encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("usage: node scripts/chat.mjs");
    expect(help.stdout).toContain("COLINK_URL");
    expect(help.stderr).toBe("");

    const bad = spawnSync(process.execPath, [chatScript, "--colour"], { cwd: root, encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("usage: node scripts/chat.mjs");
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it("lets two people chat in #general and a DM, says what happens in sentences, and a client that drops finds nothing missing", async () => {
    const [ada, bob] = await Promise.all([signUp("ada"), signUp("bob")]);
    // Sorts before ada and matches a search for her name by e-mail: `/dm <ada>` must not pick it.
    const owner = await ownerAccount();
    await register(owner, `aaa${ada.username.slice(3)}`.slice(0, 32), `${ada.username}.fan@example.test`);

    const a = chat(ada.username, ada.password);
    let b = chat(bob.username, bob.password, { viaEnv: true }); // COLINK_URL instead of --url
    await a.waitFor(`connected as ${ada.username}`);
    await b.waitFor(`connected as ${bob.username}`);

    a.type("hello bob");
    await b.waitFor(`${ada.username} in #general: hello bob`);
    b.type(`/dm ${ada.username}`);
    await b.waitFor(`now in a DM with ${ada.username}`);
    b.type("hi ada, privately");
    await a.waitFor(`${bob.username} in your DM with ${bob.username}: hi ada, privately`);

    // Edits, reactions, deletes and joins are told as sentences, with what they are about.
    const general = await channelNamed(ada, "general");
    const sent = await api("POST", `/channels/${general}/messages`, { token: ada.token, body: { text: "a typo heer" } });
    await b.waitFor(`${ada.username} in #general: a typo heer`);
    await api("PATCH", `/channels/${general}/messages/${sent.body.id}`, { token: ada.token, body: { text: "a typo here" } });
    await b.waitFor(`${ada.username} edited in #general: a typo here`);
    await api("PUT", `/channels/${general}/messages/${sent.body.id}/reactions/${encodeURIComponent("👍")}`, { token: ada.token });
    await b.waitFor(`${ada.username} reacted 👍 to ${ada.username}'s message "a typo here" in #general`);
    await api("DELETE", `/channels/${general}/messages/${sent.body.id}`, { token: ada.token });
    await b.waitFor(`${ada.username}'s message "a typo here" in #general was deleted`);
    const carol = await signUp("carol");
    await b.waitFor(`${carol.username} joined #general`);
    expect(b.output()).not.toMatch(/^-- (message|reaction|member)\./m);

    // One "connected" line per connection, though the server says ready twice (connect, resume).
    expect(a.count("connected as")).toBe(1);
    expect(b.count("connected as")).toBe(1);

    b.proc.kill("SIGKILL");
    for (const text of ["while you were away 1", "while you were away 2", "while you were away 3"]) a.type(text);
    await a.waitFor("while you were away 3");

    b = chat(bob.username, bob.password, { viaEnv: true });
    for (const text of ["while you were away 1", "while you were away 2", "while you were away 3"])
      await b.waitFor(`${ada.username} in #general: ${text}`);
    expect(b.count("while you were away 2")).toBe(1);
    await b.waitFor(`connected as ${bob.username}`);
    expect(b.count("connected as")).toBe(1);
  });

  it("keeps sending past its access token's lifetime (refresh before expiry, and after a 401) and keeps its user active", async () => {
    // Access tokens live 30 s here (the shortest allowed), so expiry comes within the test.
    const ttl = 30;
    const server = await startWranglerDev({
      vars: { ACCESS_TOKEN_TTL_SECONDS: String(ttl), LOGIN_MAX_ATTEMPTS_PER_IP: "100000", SEND_RATE_PER_MINUTE: "100000" },
    });
    const base = server.url;
    try {
      const ownerPassword = `pw-${crypto.randomUUID()}`;
      const first = await api("POST", "/auth/register", {
        body: { email: "owner@example.test", username: "owner", password: ownerPassword },
        base,
      });
      expect(first.status).toBe(201);
      const owner = await login("owner", ownerPassword, base);
      const tag = Date.now().toString(36);
      const [pat, quinn] = await Promise.all([
        register(owner, `pat${tag}`, `pat${tag}@example.test`, base),
        register(owner, `quinn${tag}`, `quinn${tag}@example.test`, base),
      ]);
      const room = await api("POST", "/channels", { token: owner.token, body: { name: `q-${tag}` }, base });
      expect(room.status).toBe(201);

      // Pat just waits: the client must refresh before the token expires. Quinn is suspended past
      // expiry with a line already typed: the first send meets a 401, renews and goes through.
      const p = chat(pat.username, pat.password, { url: base });
      const q = chat(quinn.username, quinn.password, { url: base, channel: `q-${tag}` });
      await p.waitFor(`connected as ${pat.username}`);
      await q.waitFor(`connected as ${quinn.username}`);
      const presence = async () => {
        const viewer = await login("owner", ownerPassword, base);
        const res = await api("GET", `/users/presence?ids=${pat.id}`, { token: viewer.token, base });
        return res.body.items[0] as { status: string; last_active_at: string };
      };
      const before = await presence();
      expect(before.status).toBe("active");

      q.proc.kill("SIGSTOP");
      await sleep((ttl + 6) * 1000);
      q.type("quinn, after expiry");
      q.proc.kill("SIGCONT");
      p.type("pat, after expiry");

      await p.waitFor(`${pat.username} in #general: pat, after expiry`, 20_000);
      await q.waitFor(`${quinn.username} in #q-${tag}: quinn, after expiry`, 20_000);
      expect(p.output()).not.toContain("!!");
      expect(q.output()).not.toContain("!!");

      const general = await channelNamed(await login(pat.username, pat.password, base), "general", base);
      const posts = (channelId: string, status: number) =>
        server.logs().split(`"method":"POST","path":"/api/v1/channels/${channelId}/messages","status":${status}`).length - 1;
      // A request's log line is written when it ends, which may be after its event reached the socket.
      for (const until = Date.now() + 10_000; posts(general, 201) + posts(room.body.id, 201) < 2 && Date.now() < until; ) await sleep(100);
      const logs = server.logs();
      // Pat's token was renewed in time: the send was never refused.
      expect(posts(general, 401)).toBe(0);
      expect(posts(general, 201)).toBe(1);
      expect(logs).toContain('"method":"POST","path":"/api/v1/auth/refresh","status":200');
      // Quinn's was refused once, renewed, and the retry made the message.
      expect(posts(room.body.id, 401)).toBe(1);
      expect(posts(room.body.id, 201)).toBe(1);

      // Typing a line told the server Pat is at the keyboard (`active`), past the connect.
      const deadline = Date.now() + 10_000;
      let after = await presence();
      while (after.last_active_at === before.last_active_at && Date.now() < deadline) {
        await sleep(250);
        after = await presence();
      }
      expect(Date.parse(after.last_active_at)).toBeGreaterThan(Date.parse(before.last_active_at) + ttl * 1000);
      expect(after.status).toBe("active");
    } finally {
      await server.stop();
    }
  }, 180_000);
});
