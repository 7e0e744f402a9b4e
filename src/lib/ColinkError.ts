import type { ContentfulStatusCode } from "hono/utils/http-status";

export type FieldError = { path: string; message: string };

/**
 * The one error type services throw. `code` is a stable snake_case string clients switch on;
 * `app.onError` renders it as RFC 9457 problem+json.
 */
export class ColinkError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; retryAfterSeconds?: number; members?: Record<string, string | number | boolean | null> } = {},
  ) {
    super(detail);
    this.name = "ColinkError";
  }
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export type Problem = {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: FieldError[];
  request_id?: string;
  /** Further members a problem type defines (RFC 9457 extensions), such as `muted_until`. */
  [member: string]: unknown;
};

export function problemBody(err: ColinkError, requestId?: string): Problem {
  return {
    type: `https://colink.dev/problems/${err.code.replaceAll("_", "-")}`,
    title: TITLES[err.status] ?? "Error",
    status: err.status,
    code: err.code,
    detail: err.detail,
    ...(err.extra.errors ? { errors: err.extra.errors } : {}),
    ...err.extra.members,
    ...(requestId ? { request_id: requestId } : {}),
  };
}

export function problemResponse(err: ColinkError, requestId?: string): Response {
  const headers = new Headers({ "content-type": "application/problem+json" });
  if (requestId) headers.set("x-request-id", requestId);
  if (err.status === 401) headers.set("www-authenticate", `Bearer error="invalid_token"`);
  if (err.extra.retryAfterSeconds !== undefined) headers.set("retry-after", String(Math.max(1, Math.ceil(err.extra.retryAfterSeconds))));
  return new Response(JSON.stringify(problemBody(err, requestId)), { status: err.status, headers });
}

export const notFound = (what: string, code = `${what}_not_found`) => new ColinkError(404, code, `No such ${what.replaceAll("_", " ")}.`);
export const forbidden = (detail: string, code = "forbidden") => new ColinkError(403, code, detail);
export const conflict = (code: string, detail: string) => new ColinkError(409, code, detail);
export const invalid = (path: string, message: string, code = "validation_failed") =>
  new ColinkError(422, code, message, { errors: [{ path, message }] });
