/**
 * A fixed log-bucketed latency histogram (µs) the ingest worker fills per frame without allocating, and
 * that sums exactly across intervals and runs — so a benchmark reports the percentile of every frame it
 * measured, not an average of per-second percentiles. Bucket k holds the values v with
 * G^(k−1) − 1 < v ≤ G^k − 1 µs, G = 1.02; a percentile is reported as its bucket's upper edge (capped
 * at the exact maximum), so it is never understated and at most 2 % overstated.
 */

const GROWTH = 1.02;
const LOG_G = Math.log(GROWTH);
/** Buckets up to about 100 s (1e8 µs); everything beyond lands in the last one. */
export const HIST_BUCKETS = Math.ceil(Math.log(1e8 + 1) / LOG_G) + 1;

/** Upper edge (µs) of bucket `k`. */
export function bucketUpperUs(k: number): number {
  return GROWTH ** k - 1;
}

export class LatencyHistogram {
  readonly counts = new Float64Array(HIST_BUCKETS);
  total = 0;
  max = 0;

  record(us: number): void {
    const v = us > 0 ? us : 0;
    let k = Math.ceil(Math.log1p(v) / LOG_G);
    if (k >= HIST_BUCKETS) k = HIST_BUCKETS - 1;
    this.counts[k]!++;
    this.total++;
    if (v > this.max) this.max = v;
  }

  /** The `p` quantile (0 < p ≤ 1) as its bucket's upper edge, capped at the exact maximum; 0 when empty. */
  quantile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(p * this.total));
    let seen = 0;
    for (let k = 0; k < HIST_BUCKETS; k++) {
      seen += this.counts[k]!;
      if (seen >= rank) return Math.min(bucketUpperUs(k), this.max);
    }
    return this.max;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.max = 0;
  }

  /** A structured-clone-friendly copy (sparse: [bucket, count] pairs). */
  snapshot(): HistogramSnapshot {
    const buckets: Array<[number, number]> = [];
    for (let k = 0; k < HIST_BUCKETS; k++) if (this.counts[k]! > 0) buckets.push([k, this.counts[k]!]);
    return { buckets, total: this.total, max: this.max };
  }

  addSnapshot(s: HistogramSnapshot): void {
    for (const [k, c] of s.buckets) if (k >= 0 && k < HIST_BUCKETS) this.counts[k]! += c;
    this.total += s.total;
    if (s.max > this.max) this.max = s.max;
  }
}

export interface HistogramSnapshot {
  buckets: Array<[number, number]>;
  total: number;
  max: number;
}
