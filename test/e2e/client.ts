import { inject } from "vitest";

// A tiny Node client for the e2e suite: JSON calls, sign-up through an owner invite.

export const baseUrl = () => inject("baseUrl");

export type ApiResponse<T = unknown> = { status: number; headers: Headers; body: T };

export async function api<T = any>(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; base?: string } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${options.base ?? baseUrl()}/api/v1${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

export type Account = { id: string; username: string; token: string; refreshToken: string; password: string };

export async function login(loginName: string, password: string, base?: string): Promise<Account> {
  const res = await api("POST", "/auth/login", { body: { login: loginName, password }, base });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    id: res.body.user.id,
    username: res.body.user.username,
    token: res.body.access_token,
    refreshToken: res.body.refresh_token,
    password,
  };
}

export async function ownerAccount(): Promise<Account> {
  const owner = inject("owner");
  return login(owner.login, owner.password);
}

let counter = 0;

/** Registers a fresh member through an invite made by the workspace owner. */
export async function signUp(prefix = "user", base?: string): Promise<Account> {
  const owner = await ownerAccount();
  const invite = await api("POST", "/admin/invites", { token: owner.token, body: {}, base });
  if (invite.status !== 201) throw new Error(`invite failed: ${invite.status} ${JSON.stringify(invite.body)}`);
  const username = `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`.toLowerCase().slice(0, 32);
  const password = `pw-${crypto.randomUUID()}`;
  const res = await api("POST", "/auth/register", {
    body: { email: `${username}@example.test`, username, password, invite_token: invite.body.invite_token },
    base,
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.user.id, username, token: res.body.access_token, refreshToken: res.body.refresh_token, password };
}
