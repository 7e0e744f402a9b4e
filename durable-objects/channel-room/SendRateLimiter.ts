/**
 * A token bucket per author, in the room's memory: `perMinute` sends, refilled continuously.
 * Losing it on eviction only forgives a burst, which is acceptable for a rate limit.
 */
export class SendRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly refillPerMs: number;

  constructor(private readonly perMinute: number) {
    this.refillPerMs = perMinute / 60_000;
  }

  /** Takes one token for `key`; returns null when allowed, else the seconds until one is available. */
  take(key: string, now: number): number | null {
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    const tokens = Math.min(this.perMinute, bucket.tokens + Math.max(0, now - bucket.at) * this.refillPerMs);
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      return (1 - tokens) / this.refillPerMs / 1000;
    }
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    if (this.buckets.size > 10_000) this.forgetFull(now);
    return null;
  }

  /** Drops buckets that have refilled completely: they carry no information. */
  private forgetFull(now: number): void {
    for (const [key, b] of this.buckets) if (b.tokens + (now - b.at) * this.refillPerMs >= this.perMinute) this.buckets.delete(key);
  }
}
