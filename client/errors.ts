// Errors the SDK throws. Every API failure is a ColinkApiError carrying the problem+json `code`
// (API.md "Errors"), so callers switch on `code`, never on message text.

export type FieldProblem = { path: string; message: string };

/** The server answered with an error (problem+json). */
export class ColinkApiError extends Error {
  override readonly name = "ColinkApiError";
  readonly status: number;
  /** Stable snake_case code, e.g. `channel_not_found`, `validation_failed`, `rate_limited`. */
  readonly code: string;
  readonly detail: string;
  /** Field problems of a validation failure (422). */
  readonly errors: FieldProblem[];
  /** From `Retry-After`, when the server sent one (429, 503). */
  readonly retryAfterMs: number | null;
  readonly requestId: string | null;

  constructor(init: {
    status: number;
    code: string;
    detail: string;
    errors?: FieldProblem[];
    retryAfterMs?: number | null;
    requestId?: string | null;
  }) {
    super(`${init.status} ${init.code}: ${init.detail}`);
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.errors = init.errors ?? [];
    this.retryAfterMs = init.retryAfterMs ?? null;
    this.requestId = init.requestId ?? null;
  }
}

/** The request never got an answer (connection refused or dropped, DNS, offline, timeout). */
export class ColinkNetworkError extends Error {
  override readonly name = "ColinkNetworkError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Narrows an unknown error to an API error with one of the given codes. */
export function isApiError(error: unknown, ...codes: string[]): error is ColinkApiError {
  return error instanceof ColinkApiError && (codes.length === 0 || codes.includes(error.code));
}

/** Builds the typed error from a failed response; a non-problem body still yields a code. */
export async function apiErrorFrom(res: Response, retryAfterMs: number | null): Promise<ColinkApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // not JSON (a proxy's HTML error page): the status alone describes it
  }
  const problem = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  return new ColinkApiError({
    status: res.status,
    code: str(problem.code) ?? `http_${res.status}`,
    detail: str(problem.detail) ?? (res.statusText || `HTTP ${res.status}`),
    errors: Array.isArray(problem.errors)
      ? problem.errors.filter((e): e is FieldProblem => typeof e?.path === "string" && typeof e?.message === "string")
      : [],
    retryAfterMs,
    requestId: str(problem.request_id) ?? res.headers.get("x-request-id"),
  });
}
