import { exports } from "cloudflare:workers";
import { expect } from "vitest";

// Shared helpers for in-runtime tests: requests through the real Worker (D1, Durable Objects),
// and accounts made through the public API. Each test starts with an empty database.

export type Reply<T = any> = { status: number; headers: Headers; body: T };

export type CallOptions = {
  token?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is (with `content-type: application/json` unless `headers` say otherwise). */
  rawBody?: string;
  headers?: Record<string, string>;
};

/** Calls the API: `path` is under /api/v1 unless it starts with a different root ("/healthz"). */
export async function call<T = any>(method: string, path: string, options: CallOptions = {}): Promise<Reply<T>> {
  const headers = new Headers(options.headers);
  if (options.token) headers.set("authorization", `Bearer ${options.token}`);
  const hasBody = options.body !== undefined || options.rawBody !== undefined;
  if (hasBody && !headers.has("content-type")) headers.set("content-type", "application/json");
  const url = `https://colink.test${path.startsWith("/api/") || path === "/healthz" ? path : `/api/v1${path}`}`;
  const res = await exports.default.fetch(
    new Request(url, { method, headers, body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)) }),
  );
  const text = await res.text();
  let body: unknown = text;
  if (text && /json/.test(res.headers.get("content-type") ?? "")) body = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: body as T };
}

/** Asserts an RFC 9457 problem with the given status (and code), and returns it. */
export function expectProblem(reply: Reply, status: number, code?: string) {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  expect(reply.headers.get("content-type")).toBe("application/problem+json");
  expect(reply.body).toMatchObject({ status, ...(code ? { code } : {}) });
  return reply.body as { code: string; detail: string; errors?: { path: string; message: string }[] };
}

export type Account = {
  user: { id: string; username: string; email: string; role: string; [k: string]: unknown };
  token: string;
  refreshToken: string;
  password: string;
};

const toAccount = (reply: Reply, password: string): Account => ({
  user: reply.body.user,
  token: reply.body.access_token,
  refreshToken: reply.body.refresh_token,
  password,
});

let counter = 0;
const uniqueName = (prefix: string) => `${prefix}${(counter++).toString(36)}${crypto.randomUUID().slice(0, 6)}`;
const strongPassword = () => `pw-${crypto.randomUUID()}`;

/** Registers the workspace's first account, which becomes its owner. */
export async function registerOwner(fields: { username?: string; password?: string } = {}): Promise<Account> {
  const username = fields.username ?? "owner";
  const password = fields.password ?? strongPassword();
  const reply = await call("POST", "/auth/register", {
    body: { email: `${username}@example.test`, username, password, display_name: "Owner" },
  });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return toAccount(reply, password);
}

/** Makes an invite as `inviterToken` (an owner or admin) and returns its token. */
export async function invite(inviterToken: string, options: { role?: string; expires_in_hours?: number } = {}): Promise<string> {
  const reply = await call("POST", "/admin/invites", { token: inviterToken, body: options });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body.invite_token;
}

/** Signs up a new account through an invite from `inviterToken`, with the invite's role (default member). */
export async function signUp(
  inviterToken: string,
  options: { role?: string; username?: string; password?: string } = {},
): Promise<Account> {
  const username = options.username ?? uniqueName(options.role ?? "user");
  const password = options.password ?? strongPassword();
  const inviteToken = await invite(inviterToken, options.role ? { role: options.role } : {});
  const reply = await call("POST", "/auth/register", {
    body: { email: `${username}@example.test`, username, password, invite_token: inviteToken },
  });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return toAccount(reply, password);
}

export async function logIn(login: string, password: string, headers?: Record<string, string>): Promise<Reply> {
  return call("POST", "/auth/login", { body: { login, password }, headers });
}
