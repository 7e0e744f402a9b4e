import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { crc32, deflateSync } from "node:zlib";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { EICAR } from "./clamd";
import { type Account, api, baseUrl, login, ownerAccount, signUp } from "./client";
import { putIdpAccount } from "./oidcLogin";

// The web client in a real browser: Debian's Chromium driven by playwright-core (which downloads
// no browser), two people in two browser contexts against the suite's `wrangler dev`. Screenshots
// of the main views go to test/e2e/screenshots/ on every run: look at them.

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SHOTS = path.join(import.meta.dirname, "screenshots");
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const TIMEOUT = 10_000;

/** What the machine needs for this test; scripts/test.mjs installs both when it runs as root. */
function missingPrerequisites(): string | null {
  if (!existsSync(CHROMIUM))
    return `no Chromium at ${CHROMIUM}: install it (Debian: apt-get install -y chromium fonts-noto-cjk) or set CHROMIUM_PATH`;
  const cjk = spawnSync("fc-list", [":lang=zh", "family"], { encoding: "utf8" });
  if (cjk.status !== 0 || !cjk.stdout.trim()) return "no CJK font, so CJK text would render as boxes: apt-get install -y fonts-noto-cjk";
  return null;
}

let browser: Browser;
let ada: { context: BrowserContext; page: Page; account: Account };
let grace: { context: BrowserContext; page: Page; account: Account };
let channelId: string;
let channelName: string;
const problems: string[] = [];

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
const log = (page: Page) => page.getByRole("log", { name: "Messages" });
const composer = (page: Page) => page.getByRole("textbox", { name: "Message" });
const messageWith = (scope: Page | Locator, text: string) => scope.getByRole("article").filter({ hasText: text });

async function newPerson(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 760 }, locale: "en-GB", timezoneId: "UTC" });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  // A policy violation or a script error is a failure, even if the page looks right.
  page.on("console", (m) => {
    if (m.type() === "error" && !/Failed to load resource|ERR_INTERNET_DISCONNECTED|WebSocket/.test(m.text())) problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  return { context, page };
}

async function signIn(page: Page, loginName: string, password: string) {
  const res = await page.goto(baseUrl());
  const csp = res?.headers()["content-security-policy"] ?? "";
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain("unsafe-inline");
  await page.getByLabel("Username or email").fill(loginName);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Channels" }).waitFor();
  // Tokens stay out of localStorage; this tab keeps only its refresh token, and the page has no inline script.
  const stored = await page.evaluate(() => ({
    local: localStorage.length,
    session: Object.keys(sessionStorage),
    saved: Object.keys(JSON.parse(sessionStorage.getItem("colink.session") ?? "{}")),
    inline: document.querySelectorAll("script:not([src])").length,
  }));
  expect(stored).toEqual({ local: 0, session: ["colink.session"], saved: ["kind", "refreshToken"], inline: 0 });
}

/** A real PNG (8-bit RGB, a colour gradient with a band), made here so the server's scan and thumbnailer see real bytes. */
function gradientPng(width: number, height: number): Buffer {
  const row = width * 3 + 1;
  const raw = Buffer.alloc(row * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = y * row + 1 + x * 3;
      const band = Math.abs(y - height / 2) < height / 10;
      raw[i] = band ? 255 : Math.round((x / width) * 255);
      raw[i + 1] = band ? 255 : Math.round((y / height) * 200);
      raw[i + 2] = band ? 255 : 160;
    }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** The scan runs through a queue and a real clamd: allow it time. */
const SCAN_TIMEOUT = 45_000;

/** The texts of the channel's messages, in the order shown. */
const texts = (page: Page) => log(page).locator("article .text").allInnerTexts();

beforeAll(async () => {
  const missing = missingPrerequisites();
  if (missing) throw new Error(`the browser e2e test cannot run: ${missing}`);
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  const owner = await ownerAccount();
  const suffix = Date.now().toString(36);

  // Grace exists already; Ada registers in the browser from an invite link.
  const g = await signUp("grace");
  await api("PATCH", "/users/me", { token: g.token, body: { display_name: "Grace Hopper" } });
  grace = { ...(await newPerson()), account: g };
  const invite = await api("POST", "/admin/invites", { token: owner.token, body: {} });
  expect(invite.status).toBe(201);
  const a = await newPerson();
  await a.page.goto(`${baseUrl()}/#/invite/${encodeURIComponent(invite.body.invite_token)}`);
  const adaName = `ada${suffix}`;
  const adaPassword = `pw-${crypto.randomUUID()}`;
  await a.page.getByLabel("Email").fill(`${adaName}@example.test`);
  await a.page.getByLabel("Username").fill(adaName);
  await a.page.getByLabel("Display name").fill("Ada Lovelace");
  await a.page.getByLabel("New password").fill(adaPassword);
  await shot(a.page, "register");
  await a.page.getByRole("button", { name: "Create account" }).click();
  await a.page.getByRole("navigation", { name: "Channels" }).waitFor();
  const adaAccount = await login(adaName, adaPassword);
  ada = { ...a, account: adaAccount };

  // The suite's server starts with fresh state, so a plain name is free (and reads well in the screenshots).
  channelName = "web-design";
  const ch = await api("POST", "/channels", { token: owner.token, body: { name: channelName, topic: "Where the web client is made" } });
  channelId = ch.body.id;
  expect(
    (await api("POST", `/channels/${channelId}/members`, { token: owner.token, body: { user_ids: [adaAccount.id, g.id] } })).status,
  ).toBe(200);
  await api("POST", `/channels/${channelId}/messages`, { token: owner.token, body: { text: "Welcome, both of you! 👋" } });

  await grace.page.goto(baseUrl());
  await shot(grace.page, "sign-in");
  await signIn(grace.page, g.username, g.password);
});

// A failed step leaves what both people saw.
afterEach(async (ctx) => {
  if (ctx.task.result?.state !== "fail") return;
  const name = ctx.task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60);
  await Promise.all([
    ada?.page.screenshot({ path: path.join(SHOTS, `failed-${name}-ada.png`) }).catch(() => {}),
    grace?.page.screenshot({ path: path.join(SHOTS, `failed-${name}-grace.png`) }).catch(() => {}),
  ]);
});

afterAll(async () => {
  await browser?.close();
});

describe("the web client, two people in two browsers", () => {
  it("shows a channel added while signed in, live, and opens it", async () => {
    for (const p of [ada.page, grace.page]) {
      const link = p.getByRole("navigation", { name: "Channels" }).getByRole("link", { name: new RegExp(channelName) });
      await link.click();
      await expect.poll(() => texts(p), { timeout: TIMEOUT }).toContain("Welcome, both of you! 👋");
    }
  });

  it("delivers a message sent in one browser to the other live, as text, with the Markdown subset as elements", async () => {
    await composer(ada.page).fill("Hello **Grace**, see `deploy.sh` and https://example.com <script>alert(1)</script>");
    await composer(ada.page).press("Enter");
    const seen = messageWith(log(grace.page), "Hello Grace");
    await seen.waitFor();
    await expect.poll(() => seen.locator("strong").textContent(), { timeout: TIMEOUT }).toBe("Grace");
    expect(await seen.locator("code").textContent()).toBe("deploy.sh");
    expect(await seen.locator("a").getAttribute("href")).toBe("https://example.com/");
    expect(await seen.locator(".text").textContent()).toContain("<script>alert(1)</script>");
    expect(await grace.page.locator("[role=log] script").count()).toBe(0);
    // The composer is empty again and Shift+Enter makes a new line rather than sending.
    expect(await composer(ada.page).inputValue()).toBe("");
    await composer(ada.page).press("a");
    await composer(ada.page).press("Shift+Enter");
    await composer(ada.page).press("b");
    expect(await composer(ada.page).inputValue()).toBe("a\nb");
    await composer(ada.page).fill("");
  });

  it("shows who is typing, and stops after 6 s without more", async () => {
    await composer(grace.page).pressSequentially("I am wri", { delay: 20 });
    const line = ada.page.getByText("Grace Hopper is typing…");
    await line.waitFor();
    await shot(ada.page, "typing");
    await composer(grace.page).fill("");
    await line.waitFor({ state: "hidden", timeout: 9_000 });
  });

  it("edits the last message with Up, and the other sees the edit", async () => {
    await composer(ada.page).press("ArrowUp");
    const box = ada.page.getByRole("textbox", { name: "Edit message" });
    await box.fill("Hello **Grace**, the deploy script is `deploy.sh`");
    await box.press("Enter");
    const edited = messageWith(log(grace.page), "the deploy script");
    await edited.waitFor();
    expect(await edited.textContent()).toContain("(edited)");
  });

  it("deletes a message, and it goes for the other too", async () => {
    await composer(ada.page).fill("A message sent by mistake");
    await composer(ada.page).press("Enter");
    await messageWith(log(grace.page), "A message sent by mistake").waitFor();
    const mine = messageWith(log(ada.page), "A message sent by mistake");
    ada.page.once("dialog", (d) => void d.accept());
    await mine.hover();
    await mine.getByRole("button", { name: "Delete" }).click();
    await log(grace.page).getByText("A message sent by mistake").waitFor({ state: "hidden" });
    await log(ada.page).getByText("A message sent by mistake").waitFor({ state: "hidden" });
  });

  it("shows a message of files alone by its files, with no empty paragraph", async () => {
    const created = await api("POST", "/files", {
      token: ada.account.token,
      body: { filename: "plan-of-record.txt", content_type: "text/plain", size: 4 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const sent = await api("POST", `/channels/${channelId}/messages`, {
      token: ada.account.token,
      body: { text: "", file_ids: [created.body.file.id] },
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    const seen = messageWith(log(grace.page), "plan-of-record.txt");
    await seen.waitFor();
    expect(await seen.getByRole("list", { name: "Files" }).textContent()).toContain("Uploading…");
    expect(await seen.locator("p").count()).toBe(0);
    expect(await seen.locator(".text").count()).toBe(0);
  });

  it("replies in a thread side panel, and the reply count shows in the channel", async () => {
    const root = messageWith(log(grace.page), "the deploy script");
    await root.hover();
    await root.getByRole("button", { name: "Reply in thread" }).click();
    const panel = grace.page.getByRole("complementary", { name: "Thread" });
    const reply = panel.getByRole("textbox", { name: "Reply" });
    await reply.fill("Thanks! Reviewing it now.");
    await reply.press("Enter");
    await panel.getByRole("log", { name: "Replies" }).getByText("Thanks! Reviewing it now.").waitFor();

    const summary = messageWith(log(ada.page), "the deploy script").getByRole("button", { name: /1 reply/ });
    await summary.click();
    await ada.page.getByRole("complementary", { name: "Thread" }).getByText("Thanks! Reviewing it now.").waitFor();
    await shot(ada.page, "thread");
    await ada.page.keyboard.press("Escape");
    await ada.page.getByRole("complementary", { name: "Thread" }).waitFor({ state: "hidden" });
    await grace.page.getByRole("button", { name: "Close thread" }).click();
  });

  it("reacts with the emoji picker, and the reaction appears for the other", async () => {
    const target = messageWith(log(ada.page), "Welcome, both of you!");
    await target.hover();
    await target.getByRole("toolbar").getByRole("button", { name: "Add reaction" }).click();
    const picker = ada.page.getByRole("dialog", { name: "Emoji picker" });
    await picker.getByRole("textbox", { name: "Search emoji" }).fill("tada");
    await picker.getByRole("button", { name: ":tada:" }).click();
    const onGrace = messageWith(log(grace.page), "Welcome, both of you!").getByRole("button", { name: "🎉 1" });
    await onGrace.waitFor();
    // Grace adds hers by clicking the same reaction.
    await onGrace.click();
    await messageWith(log(ada.page), "Welcome, both of you!").getByRole("button", { name: "🎉 2" }).waitFor();
  });

  it("pins a message, and the other sees it in the channel's pins", async () => {
    const target = messageWith(log(grace.page), "Welcome, both of you!");
    await target.hover();
    await target.getByRole("toolbar").getByRole("button", { name: "Pin" }).click();
    await ada.page.getByRole("button", { name: "Pins (1)" }).click();
    await ada.page.getByRole("complementary", { name: "Pinned messages" }).getByText("Welcome, both of you!").waitFor();
    await shot(ada.page, "pins");
    await ada.page.getByRole("button", { name: "Close pins" }).click();
  });

  it("catches up after being offline: every message sent meanwhile, once, in order, CJK text included", async () => {
    await grace.context.setOffline(true);
    await grace.page.getByText("You are offline").waitFor();
    const sent = [
      "离线时收到的第一条消息",
      "日本語のメッセージ：こんにちは",
      "한국어 메시지입니다",
      "Mixed 中文 and English",
      "最后一条 ✅",
    ];
    for (const text of sent) {
      const r = await api("POST", `/channels/${channelId}/messages`, { token: ada.account.token, body: { text } });
      expect(r.status).toBe(201);
    }
    await grace.context.setOffline(false);
    await expect.poll(async () => (await texts(grace.page)).filter((t) => sent.includes(t)), { timeout: 15_000 }).toEqual(sent);
    await grace.page.getByText("You are offline").waitFor({ state: "hidden" });
    // Nothing doubled either: each of them appears exactly once.
    const all = await texts(grace.page);
    for (const text of sent) expect(all.filter((t) => t === text)).toHaveLength(1);
    await shot(grace.page, "channel-cjk");
  });

  it("shows a channel with reactions, pins and a thread open side by side", async () => {
    await ada.page.goto(`${baseUrl()}/#/c/${channelId}`);
    await messageWith(log(ada.page), "the deploy script")
      .getByRole("button", { name: /1 reply/ })
      .click();
    await ada.page.getByRole("complementary", { name: "Thread" }).getByText("Thanks! Reviewing it now.").waitFor();
    await log(ada.page).getByText("最后一条 ✅").waitFor();
    await ada.page.mouse.move(0, 0);
    await shot(ada.page, "overview");
  });

  it("switches channels with Ctrl+K and opens a DM with presence shown", async () => {
    await ada.page.keyboard.press("Control+K");
    const dialog = ada.page.getByRole("dialog", { name: "Switch channel" });
    await dialog.getByRole("combobox", { name: "Find a channel or person" }).fill("Grace Hop");
    await dialog.getByRole("combobox").press("Enter");
    await ada.page.getByRole("heading", { name: "Grace Hopper" }).waitFor();
    const nav = ada.page.getByRole("navigation", { name: "Channels" });
    await nav
      .getByRole("link", { name: /Grace Hopper/ })
      .getByRole("img", { name: "online" })
      .waitFor();
    await composer(ada.page).fill("A private word: 你好 👋");
    await composer(ada.page).press("Enter");
    // Grace gets the DM in her list, with an unread badge, without reloading.
    await grace.page
      .getByRole("navigation", { name: "Channels" })
      .getByRole("link", { name: /Ada Lovelace.*1 unread/ })
      .waitFor();
    await shot(ada.page, "dm");
  });

  it("shows a mention badge on a channel the person is not looking at", async () => {
    // Ada is in the DM; Grace mentions her in the channel.
    const r = await api("POST", `/channels/${channelId}/messages`, {
      token: grace.account.token,
      body: { text: `@${ada.account.username} can you review the release notes?` },
    });
    expect(r.status).toBe(201);
    const link = ada.page
      .getByRole("navigation", { name: "Channels" })
      .getByRole("link", { name: new RegExp(`${channelName}.*1 mention`) });
    await link.waitFor();
    await shot(ada.page, "mention-badge");
    await link.click();
    await messageWith(log(ada.page), "can you review the release notes").locator(".mention.me").waitFor();
    // A "New" line sits right above the first message she had not read.
    const order = await log(ada.page)
      .locator(".new-line, article")
      .evaluateAll((els) => els.map((e) => (e.classList.contains("new-line") ? "NEW" : (e.querySelector(".text")?.textContent ?? ""))));
    expect(order.slice(-2)).toEqual(["NEW", expect.stringContaining("can you review the release notes")]);
    // Reading the channel clears the badge.
    await ada.page
      .getByRole("navigation", { name: "Channels" })
      .getByRole("link", { name: new RegExp(`^${channelName}$`) })
      .waitFor();
  });

  it("creates a private channel, adds a person from its members panel, and it appears for them live", async () => {
    const name = `secret-${Date.now().toString(36)}`;
    await ada.page.getByRole("button", { name: "Add channels" }).click();
    const dialog = ada.page.getByRole("dialog", { name: "Channels" });
    await dialog.getByLabel("Channel name").fill(name);
    await dialog.getByLabel(/Private/).check();
    await dialog.getByRole("button", { name: "Create" }).click();
    await ada.page.getByRole("heading", { name: new RegExp(name) }).waitFor();
    // An empty channel still has its (visible) message log.
    await log(ada.page).waitFor();
    await ada.page.getByRole("button", { name: /1 member/ }).click();
    const panel = ada.page.getByRole("complementary", { name: "Members" });
    await panel.getByRole("textbox", { name: "Add people" }).fill("Grace Hop");
    await panel.getByRole("button", { name: "Add" }).click();
    await panel.getByRole("listitem").filter({ hasText: "Grace Hopper" }).waitFor();
    await ada.page.getByRole("button", { name: /2 members/ }).waitFor();
    await shot(ada.page, "members");
    await grace.page
      .getByRole("navigation", { name: "Channels" })
      .getByRole("link", { name: new RegExp(name) })
      .waitFor();
  });

  it("loads older history when scrolled to the top", async () => {
    const owner = await ownerAccount();
    const ch = await api("POST", "/channels", { token: owner.token, body: { name: `history-${Date.now().toString(36)}` } });
    await api("POST", `/channels/${ch.body.id}/members`, { token: owner.token, body: { user_ids: [ada.account.id] } });
    for (let i = 1; i <= 70; i += 10)
      await Promise.all(
        Array.from({ length: 10 }, (_, k) =>
          api("POST", `/channels/${ch.body.id}/messages`, {
            token: owner.token,
            body: { text: `history ${i + k}`, client_msg_id: `h-${i + k}` },
          }),
        ),
      );
    await ada.page.goto(`${baseUrl()}/#/c/${ch.body.id}`);
    await log(ada.page).getByText("history 70", { exact: true }).waitFor();
    expect(await log(ada.page).getByText("history 1", { exact: true }).count()).toBe(0);
    // Scrolling up, as a person does, until the oldest message is there.
    await expect
      .poll(
        async () => {
          await ada.page.locator(".message-scroller").evaluate((el) => {
            el.scrollTop = 0;
          });
          return log(ada.page).getByText("history 1", { exact: true }).count();
        },
        { timeout: TIMEOUT },
      )
      .toBe(1);
    await ada.page.getByText("This is the very beginning.").waitFor();
  });

  it("shows profile, password and sessions settings", async () => {
    await ada.page.goto(`${baseUrl()}/#/settings/profile`);
    await ada.page.getByLabel("Title").fill("Analyst");
    await ada.page.getByRole("button", { name: "Save profile" }).click();
    await ada.page.getByText("Saved").waitFor();
    await shot(ada.page, "settings-profile");
    await ada.page.getByRole("link", { name: "Sessions" }).click();
    await ada.page.getByText("this device").waitFor();
    await shot(ada.page, "settings-sessions");
  });

  it("signs in through the identity provider (authorization code with PKCE), and stays signed in across a reload", async () => {
    const idp = inject("idp");
    const suffix = Date.now().toString(36);
    const account = { sub: `web-${suffix}`, password: `idp-${crypto.randomUUID()}`, preferred_username: `kj${suffix}` };
    await putIdpAccount(idp, {
      ...account,
      name: "Katherine Johnson",
      email: `kj${suffix}@example.test`,
      email_verified: true,
      roles: ["colink-member"],
    });
    const { context, page } = await newPerson();
    await page.goto(baseUrl());
    await page.getByRole("button", { name: "Continue with single sign-on" }).click();
    await page.waitForURL((u) => u.href.startsWith(idp.issuer));
    await page.locator('input[name="username"]').fill(account.preferred_username);
    await page.locator('input[name="password"]').fill(account.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Allow" }).click();
    await page.getByRole("navigation", { name: "Channels" }).waitFor();
    expect(new URL(page.url()).search).toBe("");
    await page.getByRole("link", { name: /Katherine Johnson/ }).waitFor();
    // The code and verifier are spent; the provider's refresh token (this tab only) signs in again.
    await page.reload();
    await page.getByRole("navigation", { name: "Channels" }).waitFor();
    await page.getByRole("link", { name: /Katherine Johnson/ }).waitFor();
    await context.close();
  });

  it("follows a dark system theme", async () => {
    const dark = await browser.newContext({
      viewport: { width: 1280, height: 760 },
      colorScheme: "dark",
      locale: "en-GB",
      timezoneId: "UTC",
    });
    const page = await dark.newPage();
    page.setDefaultTimeout(TIMEOUT);
    await signIn(page, grace.account.username, grace.account.password);
    await page
      .getByRole("navigation", { name: "Channels" })
      .getByRole("link", { name: new RegExp(channelName) })
      .click();
    await log(page).getByText("最后一条 ✅").waitFor();
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe("rgb(22, 24, 31)");
    await shot(page, "channel-dark");
    // A phone-sized window: the channel fills it, and the channel list opens from the menu button.
    await page.setViewportSize({ width: 390, height: 844 });
    await log(page).getByText("最后一条 ✅").waitFor();
    await shot(page, "phone-channel");
    await page.getByRole("button", { name: "☰ Channels" }).click();
    await page.getByRole("navigation", { name: "Channels" }).getByRole("link", { name: "general" }).click();
    await page.getByRole("heading", { name: /general/ }).waitFor();
    await shot(page, "phone-general");
    await dark.close();
  });

  it("uploads an image from the attach button: progress, then its scan status live, and the other sees its thumbnail inline", async () => {
    await ada.page.goto(`${baseUrl()}/#/c/${channelId}`);
    await grace.page.goto(`${baseUrl()}/#/c/${channelId}`);
    await log(ada.page).getByText("最后一条 ✅").waitFor();
    await log(grace.page).getByText("最后一条 ✅").waitFor();
    const png = gradientPng(720, 420);
    // A slow uplink (Chromium's own throttling), so the progress bar is seen moving.
    const cdp = await ada.context.newCDPSession(ada.page);
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 24 * 1024 });
    const [chooser] = await Promise.all([
      ada.page.waitForEvent("filechooser"),
      ada.page.getByRole("button", { name: "Attach files" }).click(),
    ]);
    await chooser.setFiles({ name: "gradient-chart.png", mimeType: "image/png", buffer: png });
    const tray = ada.page.getByRole("list", { name: "Attachments" });
    await tray.getByText("gradient-chart.png").waitFor();
    const bar = tray.getByRole("progressbar", { name: "Uploading gradient-chart.png" });
    await expect.poll(async () => Number(await bar.getAttribute("value").catch(() => "0")), { timeout: TIMEOUT }).toBeGreaterThan(0);
    await shot(ada.page, "attachment-uploading");
    // Sending waits for the bytes.
    expect(await ada.page.getByRole("button", { name: "Send" }).isDisabled()).toBe(true);
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
    // POST /files answered `uploading`, complete `scanning`: "Clean" can only come from the file.updated event.
    await tray.getByText("✓ Clean").waitFor({ timeout: SCAN_TIMEOUT });
    await shot(ada.page, "attachment-clean");
    await composer(ada.page).fill("Here is the **chart** for the launch");
    await composer(ada.page).press("Enter");
    await tray.waitFor({ state: "hidden" });

    const onGrace = messageWith(log(grace.page), "for the launch");
    const img = onGrace.getByRole("img", { name: "gradient-chart.png" });
    await img.waitFor();
    // The thumbnail was fetched with the token and decoded: a real image, no larger than 360 px.
    await expect
      .poll(() => img.evaluate((el: HTMLImageElement) => (el.complete ? [el.naturalWidth, el.naturalHeight] : [0, 0])), {
        timeout: TIMEOUT,
      })
      .toEqual([360, 210]);
    expect(await img.getAttribute("src")).toMatch(/^blob:/);
    await grace.page.mouse.move(0, 0);
    await shot(grace.page, "file-thumbnail");
  });

  it("attaches files dropped on the channel and pasted into the box, holds the message while one is quarantined, and the other downloads them", async () => {
    // A real drag and drop: the DataTransfer carries a File, as the browser makes it from the desktop.
    const drop = await ada.page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(["Release notes\n- files in the composer\n- search\n"], "release-notes.txt", { type: "text/plain" }));
      return dt;
    });
    const pane = ada.page.locator("section.channel-pane");
    await pane.dispatchEvent("dragenter", { dataTransfer: drop });
    await ada.page.getByText(/Drop files to share them in #web-design/).waitFor();
    await shot(ada.page, "drop-zone");
    await pane.dispatchEvent("drop", { dataTransfer: drop });
    const tray = ada.page.getByRole("list", { name: "Attachments" });
    await tray.getByText("release-notes.txt").waitFor();
    // And a paste into the message box.
    await composer(ada.page).evaluate((box) => {
      const dt = new DataTransfer();
      dt.items.add(new File(["a,b\n1,2\n"], "numbers.csv", { type: "text/csv" }));
      box.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
    });
    await tray.getByText("numbers.csv").waitFor();
    // A file the scanner flags: it is shown quarantined, and the message cannot go with it.
    await composer(ada.page).evaluate((box, eicar) => {
      const dt = new DataTransfer();
      dt.items.add(new File([eicar], "totally-safe.txt", { type: "text/plain" }));
      box.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
    }, EICAR);
    await tray.getByText("Quarantined: remove it to send").waitFor({ timeout: SCAN_TIMEOUT });
    await composer(ada.page).fill("Notes and numbers attached");
    expect(await ada.page.getByRole("button", { name: "Send" }).isDisabled()).toBe(true);
    await shot(ada.page, "attachment-quarantined");
    await tray.getByRole("button", { name: "Remove totally-safe.txt" }).click();
    await tray.getByText("totally-safe.txt").waitFor({ state: "detached" });
    // The send button waits for the bytes, not for the scan.
    await ada.page.getByRole("button", { name: "Send" }).and(ada.page.locator(":enabled")).waitFor({ timeout: SCAN_TIMEOUT });
    await composer(ada.page).press("Enter");

    const onGrace = messageWith(log(grace.page), "Notes and numbers attached");
    await onGrace.getByText("release-notes.txt").waitFor();
    await onGrace.getByText("numbers.csv").waitFor();
    const save = onGrace.getByRole("button", { name: "Download release-notes.txt" });
    await save.waitFor({ timeout: SCAN_TIMEOUT });
    await onGrace.getByRole("button", { name: "Download numbers.csv" }).waitFor({ timeout: SCAN_TIMEOUT });
    expect(await onGrace.getByText("Scanning…").count()).toBe(0);
    const [download] = await Promise.all([grace.page.waitForEvent("download"), save.click()]);
    expect(download.suggestedFilename()).toBe("release-notes.txt");
    const saved = await download.path();
    expect((await import("node:fs")).readFileSync(saved, "utf8")).toContain("files in the composer");
    await grace.page.mouse.move(0, 0);
    await shot(grace.page, "file-chips");

    // A drop on the thread panel attaches to the reply, not to the channel's composer.
    const root = messageWith(log(ada.page), "Notes and numbers attached");
    await root.hover();
    await root.getByRole("button", { name: "Reply in thread" }).click();
    const panel = ada.page.getByRole("complementary", { name: "Thread" });
    const replyFile = await ada.page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(["one more thing\n"], "reply.txt", { type: "text/plain" }));
      return dt;
    });
    await panel.dispatchEvent("dragenter", { dataTransfer: replyFile });
    await panel.getByText("Drop files to reply with them").waitFor();
    await panel.dispatchEvent("drop", { dataTransfer: replyFile });
    await panel.getByRole("list", { name: "Attachments" }).getByText("reply.txt").waitFor();
    expect(await ada.page.locator("section.channel-pane").getByRole("list", { name: "Attachments" }).count()).toBe(0);
    // No words: a reply of the file alone.
    expect(await panel.getByRole("textbox", { name: "Reply" }).inputValue()).toBe("");
    await panel.getByRole("button", { name: "Send" }).and(ada.page.locator(":enabled")).waitFor({ timeout: SCAN_TIMEOUT });
    await panel.getByRole("textbox", { name: "Reply" }).press("Enter");
    const fileReply = panel.getByRole("log", { name: "Replies" }).getByRole("article").filter({ hasText: "reply.txt" });
    await fileReply.waitFor();
    expect(await fileReply.locator(".text").count()).toBe(0);
    await messageWith(grace.page.getByRole("log", { name: "Messages" }), "Notes and numbers attached")
      .getByRole("button", { name: /1 reply/ })
      .waitFor();
    await panel.getByRole("button", { name: "Close thread" }).click();
  });

  it("searches with operators from the top bar, marks the matches, and a click jumps to the message", async () => {
    const box = grace.page.getByRole("searchbox", { name: "Search" });
    const results = grace.page.getByRole("list", { name: "Message results" });
    // Indexing is asynchronous (a queue): ask again until the index has the message.
    await expect
      .poll(
        async () => {
          await box.fill(`deploy in:#${channelName} from:@${ada.account.username}`);
          await box.press("Enter");
          await grace.page.getByRole("heading", { name: "Search" }).waitFor();
          await grace.page.locator(".search-page .loading").waitFor({ state: "hidden" });
          return results.getByRole("listitem").count();
        },
        { timeout: 20_000, interval: 1_000 },
      )
      .toBeGreaterThan(0);
    const hit = results.getByRole("listitem").filter({ hasText: "the deploy script" });
    const marks = await hit.locator("mark").allTextContents();
    expect(marks.length).toBeGreaterThan(0);
    for (const m of marks) expect(m.toLowerCase()).toMatch(/^deploy/);
    // The text stays text: the Markdown's asterisks are shown, not bold, and no element came from it.
    expect(await hit.locator(".result-text").textContent()).toContain("**Grace**");
    expect(await hit.locator(".result-text strong").count()).toBe(0);
    await shot(grace.page, "search");
    // A word that is excluded finds nothing.
    await box.fill(`deploy in:#${channelName} -script`);
    await box.press("Enter");
    await grace.page.getByText("No messages found.").waitFor();

    await box.fill(`deploy in:#${channelName}`);
    await box.press("Enter");
    await results.getByRole("listitem").filter({ hasText: "the deploy script" }).getByRole("link").click();
    await grace.page.getByRole("heading", { name: new RegExp(channelName) }).waitFor();
    const target = messageWith(log(grace.page), "the deploy script");
    await expect.poll(() => target.evaluate((el) => el.classList.contains("focused")), { timeout: TIMEOUT }).toBe(true);
    expect(await target.isVisible()).toBe(true);

    // Files by name, with the match marked.
    await box.fill("gradient");
    await box.press("Enter");
    await grace.page.getByRole("link", { name: "Files" }).click();
    const file = grace.page.getByRole("list", { name: "File results" }).getByRole("listitem").filter({ hasText: "gradient-chart.png" });
    await file.waitFor({ timeout: 20_000 });
    expect(await file.locator("mark").first().textContent()).toBe("gradient");
    await shot(grace.page, "search-files");
  });

  it("an admin sees the stats, manages users and reports, reads the audit log page by page, and revokes an invite", async () => {
    const owner = await ownerAccount();
    // Enough entries that the audit log has a second page, and one invite to revoke.
    for (let i = 0; i < 6; i++)
      await Promise.all(Array.from({ length: 10 }, () => api("POST", "/admin/invites", { token: owner.token, body: {} })));
    const doomed = await api("POST", "/admin/invites", { token: owner.token, body: { role: "guest" } });
    expect(doomed.status).toBe(201);
    const temp = await signUp("temp");
    await api("POST", `/channels/${channelId}/members`, { token: owner.token, body: { user_ids: [temp.id] } });
    const reported = await api("POST", `/channels/${channelId}/messages`, {
      token: temp.token,
      body: { text: "Buy cheap watches now!!!" },
    });
    expect(reported.status).toBe(201);
    // Grace reports it from the message's toolbar.
    await grace.page
      .getByRole("navigation", { name: "Channels" })
      .getByRole("link", { name: new RegExp(channelName) })
      .click();
    const spam = messageWith(log(grace.page), "Buy cheap watches now!!!");
    await spam.hover();
    await spam.getByRole("button", { name: "Report message" }).click();
    const dialog = grace.page.getByRole("dialog", { name: "Report message" });
    await dialog.getByLabel("Reason").selectOption("spam");
    await dialog.getByLabel("Comment (optional)").fill("Not what this channel is for");
    await shot(grace.page, "report-message");
    await dialog.getByRole("button", { name: "Report" }).click();
    await dialog.getByText("Thank you").waitFor();
    await dialog.getByRole("button", { name: "Close" }).click();
    await dialog.waitFor({ state: "hidden" });

    const { context, page } = await newPerson();
    await signIn(page, inject("owner").login, inject("owner").password);
    await page.getByRole("link", { name: "Administration" }).click();
    await page.getByRole("heading", { name: "Administration" }).waitFor();
    const stats = page.getByLabel("Workspace stats");
    await stats.getByText("Active users").waitFor();
    expect(await stats.locator(".stat").count()).toBe(5);
    expect(Number(await stats.locator(".stat").first().locator("strong").textContent())).toBeGreaterThanOrEqual(3);

    // Users: deactivate and reactivate someone.
    await page.getByRole("searchbox", { name: "Find people" }).fill(temp.username);
    await page.getByRole("button", { name: "Find" }).click();
    const row = page.getByRole("row").filter({ hasText: temp.username });
    await row.waitFor();
    page.once("dialog", (d) => void d.accept());
    await row.getByRole("button", { name: "Deactivate" }).click();
    await row.getByText("Deactivated").waitFor();
    expect([401, 403]).toContain((await api("GET", "/users/me", { token: temp.token })).status);
    await row.getByRole("button", { name: "Reactivate" }).click();
    await row.getByText("Active", { exact: true }).waitFor();
    // A role change, as the server has it.
    await row.getByRole("combobox", { name: `Role of ${temp.username}` }).selectOption("guest");
    await expect
      .poll(async () => (await api("GET", `/users/${temp.id}`, { token: owner.token })).body.role, { timeout: TIMEOUT })
      .toBe("guest");
    await row.getByRole("combobox", { name: `Role of ${temp.username}` }).selectOption("member");
    await expect
      .poll(async () => (await api("GET", `/users/${temp.id}`, { token: owner.token })).body.role, { timeout: TIMEOUT })
      .toBe("member");
    await page.getByRole("searchbox", { name: "Find people" }).fill("");
    await page.getByRole("button", { name: "Find" }).click();
    await page.getByRole("row").filter({ hasText: grace.account.username }).waitFor();
    await shot(page, "admin-users");

    // Reports: dismiss the spam report.
    await page.getByRole("link", { name: "Reports" }).click();
    const item = page.getByRole("listitem").filter({ hasText: "Buy cheap watches" });
    await item.getByText("Not what this channel is for").waitFor();
    await shot(page, "admin-reports");
    await item.getByRole("button", { name: "Dismiss" }).click();
    await item.getByText(/Resolved: dismiss/).waitFor();

    // Invites: make one in the page (its link is shown to copy), and revoke another.
    await page.getByRole("link", { name: "Invites" }).click();
    await page.getByRole("button", { name: "Create invite link" }).click();
    const link = await page.getByRole("textbox", { name: "Invite link" }).inputValue();
    expect(link).toMatch(new RegExp(`^${baseUrl()}/#/invite/.+`));
    const revoke = page.locator(`tr[data-invite-id="${doomed.body.id}"]`);
    await revoke.waitFor();
    await shot(page, "admin-invites");
    await revoke.getByRole("button", { name: /Revoke/ }).click();
    await revoke.waitFor({ state: "detached" });
    const open = await api("GET", "/admin/invites", { token: owner.token });
    expect(open.body.items.map((i: { id: string }) => i.id)).not.toContain(doomed.body.id);
    const refused = await api("POST", "/auth/register", {
      body: {
        email: "late@example.test",
        username: `late${Date.now().toString(36)}`,
        password: `pw-${crypto.randomUUID()}`,
        invite_token: doomed.body.invite_token,
      },
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);

    // The audit log: the revoke is there; filters by action and actor; older entries by cursor.
    await page.getByRole("link", { name: "Audit log" }).click();
    const table = page.getByRole("table", { name: "Audit log" });
    await table.getByRole("row").filter({ hasText: "invite.revoked" }).first().waitFor();
    await table.getByRole("row").filter({ hasText: "user.role_changed" }).filter({ hasText: temp.username }).first().waitFor();
    await page.getByRole("combobox", { name: "Action" }).fill("invite.created");
    await page.getByRole("textbox", { name: "Actor" }).fill(`@${inject("owner").login.replace(/@.*/, "")}`);
    await page.getByRole("button", { name: "Filter" }).click();
    const rows = table.locator("tbody tr");
    const actionsShown = () => table.locator("tbody tr td:nth-child(3)").allTextContents();
    // A full first page, all of that action (the unfiltered page is replaced, not added to).
    await expect
      .poll(
        async () => {
          const a = await actionsShown();
          return { n: a.length, actions: [...new Set(a)] };
        },
        { timeout: TIMEOUT },
      )
      .toEqual({ n: 50, actions: ["invite.created"] });
    await page.getByRole("button", { name: "Load older entries" }).click();
    await expect.poll(() => rows.count(), { timeout: TIMEOUT }).toBeGreaterThan(50);
    await page.getByRole("combobox", { name: "Action" }).fill("invite.revoked");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect.poll(actionsShown, { timeout: TIMEOUT }).toEqual(["invite.revoked"]);
    await page.getByRole("button", { name: "Clear" }).click();
    await expect.poll(() => rows.count(), { timeout: TIMEOUT }).toBe(50);
    await page.mouse.move(0, 0);
    await shot(page, "admin-audit");
    // A member sees no admin link, and the page itself says so.
    expect(await grace.page.getByRole("link", { name: "Administration" }).count()).toBe(0);
    await context.close();
  });

  it("changes the password in settings, which signs the other sessions out, and signs in with the new one", async () => {
    const next = `pw-${crypto.randomUUID()}`;
    await ada.page.goto(`${baseUrl()}/#/settings/password`);
    await ada.page.getByLabel("Current password").fill(ada.account.password);
    await ada.page.getByLabel("New password").fill(next);
    await ada.page.getByRole("button", { name: "Change password" }).click();
    await ada.page.getByText("Password changed").waitFor();
    // The API session from beforeAll was another session: it is over.
    expect((await api("GET", "/users/me", { token: ada.account.token })).status).toBe(401);
    await ada.page.getByRole("button", { name: "Sign out", exact: true }).click();
    await ada.page.getByLabel("Username or email").fill(ada.account.username);
    await ada.page.getByLabel("Password").fill(next);
    await ada.page.getByRole("button", { name: "Sign in" }).click();
    await ada.page.getByRole("navigation", { name: "Channels" }).waitFor();
  });

  it("had no script errors or policy violations on any page", () => {
    expect(problems).toEqual([]);
  });
});
