// Retry timing shared by HTTP retries and socket reconnects: exponential backoff with full jitter
// (AWS Architecture Blog, "Exponential Backoff And Jitter"), so that many clients dropped at once
// do not come back in lockstep, and the server's Retry-After when it gives one.

export type BackoffPolicy = {
  /** The first retry waits up to this long. */
  baseMs: number;
  /** No wait is longer than this. */
  capMs: number;
};

/** How long to wait before retry number `attempt` (0 for the first retry): uniform in [0, min(cap, base·2^attempt)]. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number = Date.now()): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
