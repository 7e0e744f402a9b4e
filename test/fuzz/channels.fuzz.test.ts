import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EMOJI_SHORTCODES } from "../../src/protocol/emojiShortcodes";
import { addMembers, createChannel, expectStatus, pin, react, replied, sent, workspace } from "../channelFixtures";
import { type Account, call, type Reply } from "../helpers";

// DESIGN.md invariant 6, "bad input is answered, never crashes", for every channel, message, thread,
// reaction, pin and DM endpoint: random and malformed bodies, query strings, path ids and emoji,
// from members, readers and outsiders, all get a status below 500, every error as problem+json.

type Ids = { channel: string; message: string; user: string; emoji: string };
type Endpoint = { method: string; path: (ids: Ids) => string };

const ENDPOINTS: Endpoint[] = [
  { method: "POST", path: () => "/channels" },
  { method: "GET", path: () => "/channels" },
  { method: "GET", path: (i) => `/channels/${i.channel}` },
  { method: "PATCH", path: (i) => `/channels/${i.channel}` },
  { method: "POST", path: (i) => `/channels/${i.channel}/archive` },
  { method: "POST", path: (i) => `/channels/${i.channel}/unarchive` },
  { method: "POST", path: (i) => `/channels/${i.channel}/join` },
  { method: "POST", path: (i) => `/channels/${i.channel}/leave` },
  { method: "GET", path: (i) => `/channels/${i.channel}/members` },
  { method: "POST", path: (i) => `/channels/${i.channel}/members` },
  { method: "DELETE", path: (i) => `/channels/${i.channel}/members/${i.user}` },
  { method: "POST", path: (i) => `/channels/${i.channel}/read` },
  { method: "GET", path: (i) => `/channels/${i.channel}/events` },
  { method: "POST", path: (i) => `/channels/${i.channel}/messages` },
  { method: "GET", path: (i) => `/channels/${i.channel}/messages` },
  { method: "PATCH", path: (i) => `/channels/${i.channel}/messages/${i.message}` },
  { method: "DELETE", path: (i) => `/channels/${i.channel}/messages/${i.message}` },
  { method: "GET", path: (i) => `/channels/${i.channel}/messages/${i.message}/replies` },
  { method: "POST", path: (i) => `/channels/${i.channel}/messages/${i.message}/replies/read` },
  { method: "PUT", path: (i) => `/channels/${i.channel}/messages/${i.message}/follow` },
  { method: "DELETE", path: (i) => `/channels/${i.channel}/messages/${i.message}/follow` },
  { method: "PUT", path: (i) => `/channels/${i.channel}/messages/${i.message}/reactions/${i.emoji}` },
  { method: "DELETE", path: (i) => `/channels/${i.channel}/messages/${i.message}/reactions/${i.emoji}` },
  { method: "GET", path: (i) => `/channels/${i.channel}/pins` },
  { method: "PUT", path: (i) => `/channels/${i.channel}/pins/${i.message}` },
  { method: "DELETE", path: (i) => `/channels/${i.channel}/pins/${i.message}` },
  { method: "POST", path: () => "/dms" },
  { method: "GET", path: () => "/users/me/channels" },
  { method: "GET", path: () => "/users/me/threads" },
];
const REACTION_ENDPOINTS = ENDPOINTS.filter((e) => e.path({ channel: "", message: "", user: "", emoji: "E" }).endsWith("/reactions/E"));

const RUNS = 200;
const endpoint = fc.constantFrom(...ENDPOINTS);

const hugeNumbers = fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, -0, 2 ** 63, 0.5, -1);
const value = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.constantFrom("", " ", "@channel @here", "general", "UPPER", "a".repeat(81), "x".repeat(40_001), "\u0000", "😀", "\ud800", "c_", "m_"),
  fc.stringMatching(/^[cmu]_[0-9a-z]{26}$/),
  fc.integer(),
  fc.double(),
  hugeNumbers,
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.stringMatching(/^u_[0-9a-z]{26}$/)), { maxLength: 12 }),
  fc.object({ maxDepth: 2 }),
);

const FIELDS = [
  "name",
  "is_private",
  "topic",
  "purpose",
  "user_ids",
  "seq",
  "text",
  "client_msg_id",
  "thread_root_id",
  "also_send_to_channel",
  "__proto__",
  "constructor",
];
const fieldBody = fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 5 });

const rawBody = fc.oneof(
  fieldBody.map((b) => JSON.stringify(b)),
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 200 }),
  fc.constantFrom("", "{", "[]", "null", "1", '"text"', '{"text":', '{"seq":1e999}', '{"text":"a","text":""}', '{"user_ids":[null]}'),
);

const contentType = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  "",
);

/** Path ids: real ones, well-formed unknown ones, near misses and junk (percent-encoded into the path). */
const pathId = (real: string[], pattern: RegExp) =>
  fc.oneof(
    fc.constantFrom(...real),
    fc.stringMatching(pattern),
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
    fc.constantFrom("..", "%2e%2e", "%00", "c_", "m_", "u_", "me", "%ZZ", "C_00000000000000000000000000"),
  );

const queryString = fc.oneof(
  fc
    .dictionary(
      fc.constantFrom("limit", "before", "after", "cursor", "joined", "x"),
      fc.oneof(
        fc.string({ maxLength: 60 }),
        fc.integer().map(String),
        hugeNumbers.map(String),
        fc.constantFrom("1e400", "99999999999999999999", "true", "-0", "0x10"),
      ),
      { maxKeys: 4 },
    )
    .map((q) => new URLSearchParams(q).toString()),
  fc.string({ maxLength: 60 }).map((s) => s.replace(/#/g, "")),
  fc.constantFrom("limit=1&limit=2", "cursor=%%%", "after=1&after=x", "joined=true&joined=false", "cursor=eyJhZnRlciI6IiJ9"),
);

function expectAnswered(reply: Reply, what: string) {
  expect(reply.status, what).toBeLessThan(500);
  if (reply.status >= 400) {
    expect(reply.headers.get("content-type"), what).toBe("application/problem+json");
    expect(reply.body, what).toMatchObject({ status: reply.status, code: expect.any(String) });
  }
}

/** A path segment as a client would send it; a string that cannot be percent-encoded (a lone surrogate) as raw bad bytes. */
const pathSegment = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return "%ED%A0%80";
  }
};

/** Reaction emoji: real ones and shortcodes, near misses, random graphemes and junk, encoded or raw. */
const emoji = fc.oneof(
  fc
    .constantFrom("👍", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "1️⃣", "🇫🇷", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", ...[...EMOJI_SHORTCODES.keys()].slice(0, 20).map((k) => `:${k}:`))
    .map(pathSegment),
  fc
    .constantFrom(":nope:", "::", ":", ":+1", "👍👍", "🇫", "\u200d", "%", "%ZZ", "%F0%9F", "%C0%AF", "%00", "%2F", "a%2Fb", "..")
    .map(pathSegment),
  fc.constantFrom("%ZZ", "%F0%9F", "%C0%AF", "%00", "%2F", "%25", "😀😀😀"),
  fc
    .string({ unit: "grapheme", maxLength: 4 })
    .filter((s) => s.length > 0)
    .map(pathSegment),
  fc
    .string({ unit: "binary", maxLength: 40 })
    .filter((s) => s.length > 0)
    .map(pathSegment),
  fc.stringMatching(/^:[a-z0-9_+-]{1,45}:$/).map(pathSegment),
);

/**
 * A public channel with history, a thread, reactions and a pin; a private channel and a DM; a
 * member, an outsider and a guest.
 */
async function scene() {
  const { owner, alice, bob, guest } = await workspace();
  const pub = await createChannel(alice);
  const priv = await createChannel(alice, { is_private: true });
  await addMembers(alice, pub.id, guest);
  const dm = expectStatus(await call("POST", "/dms", { token: alice.token, body: { user_ids: [bob.user.id] } }), 201);
  const messages = [await sent(alice, pub.id, "one"), await sent(alice, priv.id, "two"), await sent(bob, dm.id, "three")];
  const [root] = messages as [{ id: string }];
  messages.push(await replied(guest, pub.id, root.id, "a reply"));
  expectStatus(await react(guest, pub.id, root.id, "👍"), 200);
  expectStatus(await pin(alice, pub.id, root.id), 200);
  const accounts: Account[] = [alice, owner, guest];
  return {
    accounts,
    ids: fc.record({
      channel: pathId([pub.id, priv.id, dm.id], /^c_[0-9a-z]{26}$/),
      message: pathId(
        messages.map((m) => m.id),
        /^m_[0-9a-z]{26}$/,
      ),
      user: pathId([alice.user.id, bob.user.id, guest.user.id], /^u_[0-9a-z]{26}$/),
      emoji,
    }),
    token: fc.constantFrom(...accounts.map((a) => a.token)),
  };
}

describe("fuzzing channel, message and DM endpoints", () => {
  it("invariant 6: bad input is answered, never crashes (any body, any content type)", async () => {
    const { ids, token } = await scene();
    await fc.assert(
      fc.asyncProperty(endpoint, ids, rawBody, contentType, token, async (ep, id, body, type, tok) => {
        const path = ep.path(id);
        const reply = await call(ep.method, path, {
          token: tok,
          rawBody: ep.method === "GET" ? undefined : body,
          headers: type ? { "content-type": type } : {},
        });
        expectAnswered(reply, `${ep.method} ${path} ${type} ${body.slice(0, 100)}`);
      }),
      { numRuns: RUNS },
    );
  });

  it("invariant 6: bad input is answered, never crashes (field-shaped JSON)", async () => {
    const { ids, token } = await scene();
    await fc.assert(
      fc.asyncProperty(endpoint, ids, fieldBody, token, async (ep, id, body, tok) => {
        const path = ep.path(id);
        const reply = await call(ep.method, path, { token: tok, body: ep.method === "GET" ? undefined : body });
        expectAnswered(reply, `${ep.method} ${path} ${JSON.stringify(body).slice(0, 200)}`);
      }),
      { numRuns: RUNS },
    );
  });

  it("invariant 6: bad input is answered, never crashes (query strings)", async () => {
    const { ids, token } = await scene();
    await fc.assert(
      fc.asyncProperty(endpoint, ids, queryString, token, async (ep, id, query, tok) => {
        const path = `${ep.path(id)}?${query}`;
        const reply = await call(ep.method, path, { token: tok, body: ep.method === "GET" ? undefined : {} });
        expectAnswered(reply, `${ep.method} ${path}`);
      }),
      { numRuns: RUNS },
    );
  });

  it("invariant 6: reaction emoji of any shape are answered, never crash (and only one emoji or a shortcode is taken)", async () => {
    const { ids, token } = await scene();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...REACTION_ENDPOINTS), ids, token, async (ep, id, tok) => {
        const path = ep.path(id);
        const reply = await call(ep.method, path, { token: tok });
        expectAnswered(reply, `${ep.method} ${path}`);
        if (reply.status === 200)
          expect(
            reply.body.reactions.every((r: { emoji: string }) => r.emoji.length <= 32),
            path,
          ).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
