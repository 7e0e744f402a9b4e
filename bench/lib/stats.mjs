// Latency arithmetic: percentiles and CDF points from raw samples (milliseconds).

/** Concatenates Float64Arrays and sorts the result ascending. */
export function mergeSorted(arrays) {
  const total = arrays.reduce((n, a) => n + a.length, 0);
  const out = new Float64Array(total);
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out.sort();
}

/** Nearest-rank percentile of an ascending array; null when empty. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? null;
}

const round = (v) => (v === null || v === undefined ? null : Math.round(v * 100) / 100);

export function summarize(sorted) {
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    min: round(sorted[0] ?? null),
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.length ? (sorted[sorted.length - 1] ?? null) : null),
    mean: round(sorted.length ? sum / sorted.length : null),
  };
}

/** At most `points` [latencyMs, fraction] pairs tracing the empirical CDF, always with the max. */
export function cdfPoints(sorted, points = 200) {
  const n = sorted.length;
  if (n === 0) return [];
  const out = [];
  const step = Math.max(1, Math.floor(n / points));
  for (let i = 0; i < n; i += step) out.push([round(sorted[i] ?? 0), round((i + 1) / n)]);
  const last = out[out.length - 1];
  if (last?.[1] !== 1) out.push([round(sorted[n - 1] ?? 0), 1]);
  return out;
}

/** Grows a Float64Array as samples are pushed. */
export class Samples {
  constructor(capacity = 1024) {
    this.buf = new Float64Array(capacity);
    this.length = 0;
  }

  push(v) {
    if (this.length === this.buf.length) {
      const bigger = new Float64Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.length++] = v;
  }

  toArray() {
    return this.buf.slice(0, this.length);
  }
}
