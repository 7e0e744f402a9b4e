import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Account, call, invite, registerOwner, signUp } from "../helpers";

// DESIGN.md invariant 6, "bad input is answered, never crashes", for every auth, users and admin
// endpoint: random and malformed bodies, query strings, headers, tokens and path ids all get a
// status below 500, and every error is problem+json.

type Endpoint = { method: string; path: (id: string) => string };

const ENDPOINTS: Endpoint[] = [
  { method: "POST", path: () => "/auth/register" },
  { method: "POST", path: () => "/auth/login" },
  { method: "POST", path: () => "/auth/refresh" },
  { method: "POST", path: () => "/auth/logout" },
  { method: "GET", path: () => "/users/me" },
  { method: "PATCH", path: () => "/users/me" },
  { method: "GET", path: () => "/users" },
  { method: "GET", path: (id) => `/users/${id}` },
  { method: "PATCH", path: (id) => `/admin/users/${id}` },
  { method: "POST", path: (id) => `/admin/users/${id}/deactivate` },
  { method: "POST", path: (id) => `/admin/users/${id}/reactivate` },
  { method: "POST", path: () => "/admin/invites" },
];

const RUNS = 150;

const endpoint = fc.constantFrom(...ENDPOINTS);

/** Values a client might put in any field: right and wrong types, edge strings, deep junk. */
const value = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.constantFrom("", " ", "owner", "member", "admin", "guest", "UTC", "Europe/Paris", "a@b.co", "x".repeat(300), "\u0000", "😀", "%", "_"),
  fc.emailAddress(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.object({ maxDepth: 2 }),
);

const FIELDS = [
  "email",
  "username",
  "password",
  "display_name",
  "invite_token",
  "login",
  "refresh_token",
  "title",
  "timezone",
  "status_text",
  "status_emoji",
  "role",
  "expires_in_hours",
  "id",
  "deactivated",
];

const fieldBody = fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 6 });

/** A raw request body: JSON of the right and wrong shapes, or not JSON at all. */
const rawBody = fc.oneof(
  fieldBody.map((b) => JSON.stringify(b)),
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 200 }),
  fc.constantFrom("", "{", "[", "null", "{}", '{"a":', "\uFEFF{}", '{"__proto__":{"role":"owner"}}', '{"role":"owner","role":"owner"}'),
);

const contentType = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "application/merge-patch+json",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "",
  "application/jsonx",
);

/** Path ids: well-formed unknown ones, near misses and junk (percent-encoded into the path). */
const pathId = fc.oneof(
  fc.stringMatching(/^u_[0-9a-z]{26}$/),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.constantFrom("..", "%2e%2e", "%00", "u_", "me", "%ZZ"),
);

const queryString = fc.oneof(
  fc
    .dictionary(fc.constantFrom("query", "cursor", "limit", "x"), fc.oneof(fc.string({ maxLength: 120 }), fc.integer().map(String)), {
      maxKeys: 4,
    })
    .map((q) => new URLSearchParams(q).toString()),
  fc.string({ maxLength: 60 }).map((s) => s.replace(/#/g, "")),
  fc.constantFrom("limit=1&limit=2", "cursor=%%%", "limit=1e3", "query=%FF", "cursor=eyJhZnRlciI6MX0"),
);

function expectAnswered(reply: { status: number; headers: Headers; body: any }, what: string) {
  expect(reply.status, what).toBeLessThan(500);
  if (reply.status >= 400) {
    expect(reply.headers.get("content-type"), what).toBe("application/problem+json");
    expect(reply.body, what).toMatchObject({ status: reply.status, code: expect.any(String) });
  }
  if (reply.status === 401) expect(reply.headers.get("www-authenticate"), what).toMatch(/^Bearer/);
  if (reply.status === 429) expect(Number(reply.headers.get("retry-after")), what).toBeGreaterThan(0);
}

/** An owner, a member and a guest, each with a live token, plus junk "tokens". */
async function cast() {
  const owner = await registerOwner();
  const member = await signUp(owner.token);
  const guest = await signUp(owner.token, { role: "guest" });
  return { owner, member, guest };
}

const tokenFor = (accounts: Account[]) =>
  fc.oneof(
    fc.constantFrom(...accounts.map((a) => a.token)),
    fc.constant(undefined),
    fc.string({ maxLength: 80 }),
    fc.stringMatching(/^[A-Za-z0-9_-]{10,40}\.[A-Za-z0-9_-]{10,60}\.[A-Za-z0-9_-]{0,40}$/),
    fc.constantFrom("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1XzAxIiwiaXNzIjoiY29saW5rIn0.", "Bearer", "null"),
  );

describe("fuzzing auth, users and admin endpoints", () => {
  it("answers any body with any content type with a status below 500", async () => {
    const { owner, member, guest } = await cast();
    await fc.assert(
      fc.asyncProperty(endpoint, pathId, rawBody, contentType, tokenFor([owner, member, guest]), async (ep, id, body, type, token) => {
        const reply = await call(ep.method, ep.path(id), {
          token,
          rawBody: ep.method === "GET" ? undefined : body,
          headers: type ? { "content-type": type } : {},
        });
        expectAnswered(reply, `${ep.method} ${ep.path(id)} ${type} ${body.slice(0, 100)}`);
      }),
      { numRuns: RUNS },
    );
  });

  it("answers field-shaped JSON bodies, valid invites included, with a status below 500", async () => {
    const { owner, member, guest } = await cast();
    const invites = [await invite(owner.token), await invite(owner.token, { role: "guest" })];
    const bodyWithInvite = fc
      .tuple(fieldBody, fc.option(fc.constantFrom(...invites)))
      .map(([b, inv]) => (inv ? { ...b, invite_token: inv } : b));
    await fc.assert(
      fc.asyncProperty(endpoint, pathId, bodyWithInvite, tokenFor([owner, member, guest]), async (ep, id, body, token) => {
        const reply = await call(ep.method, ep.path(id), { token, body: ep.method === "GET" ? undefined : body });
        expectAnswered(reply, `${ep.method} ${ep.path(id)} ${JSON.stringify(body).slice(0, 200)}`);
      }),
      { numRuns: RUNS },
    );
  });

  it("answers any query string with a status below 500", async () => {
    const { owner, guest } = await cast();
    await fc.assert(
      fc.asyncProperty(endpoint, queryString, fc.constantFrom(owner.token, guest.token, undefined), async (ep, query, token) => {
        const path = `${ep.path(owner.user.id)}?${query}`;
        const reply = await call(ep.method, path, { token });
        expectAnswered(reply, `${ep.method} ${path}`);
      }),
      { numRuns: RUNS },
    );
  });

  it("answers any Authorization, address and request-id header with a status below 500", async () => {
    const { owner } = await cast();
    const authorization = fc.oneof(
      fc.string({ maxLength: 100 }),
      tokenFor([owner]).map((t) => `Bearer ${t ?? ""}`),
      fc.constantFrom("Basic dXNlcjpwYXNz", "Bearer  ", "bearer x.y.z", "Bearer a b"),
    );
    const headers = fc.record(
      { authorization, "cf-connecting-ip": fc.string({ maxLength: 100 }), "x-request-id": fc.string({ maxLength: 100 }) },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(endpoint, headers, async (ep, h) => {
        // Header values must be ByteStrings without CR/LF: drop what fetch itself would reject.
        const clean = Object.fromEntries(Object.entries(h).map(([k, v]) => [k, v.replace(/[^\x20-\x7e]/g, "")]));
        const reply = await call(ep.method, ep.path(owner.user.id), { headers: clean, body: ep.method === "GET" ? undefined : {} });
        expectAnswered(reply, `${ep.method} ${ep.path(owner.user.id)} ${JSON.stringify(clean)}`);
      }),
      { numRuns: RUNS },
    );
  });
});
