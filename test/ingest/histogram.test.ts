import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketUpperUs, HIST_BUCKETS, LatencyHistogram } from '../../actors/ingest/histogram.ts';

/** The exact `p` quantile (nearest rank) of `xs`. */
function exact(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(p * s.length) - 1)]!;
}

describe('LatencyHistogram', () => {
  it('is empty at first', () => {
    const h = new LatencyHistogram();
    expect(h.total).toBe(0);
    expect(h.quantile(0.99)).toBe(0);
  });

  it('reports each quantile within 2 % above the exact value, never below', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 5e6, noNaN: true }), { minLength: 1, maxLength: 400 }),
        fc.constantFrom(0.5, 0.9, 0.99, 0.999, 1),
        (xs, p) => {
          const h = new LatencyHistogram();
          for (const x of xs) h.record(x);
          const want = exact(xs, p);
          const got = h.quantile(p);
          expect(got).toBeGreaterThanOrEqual(want - 1e-9);
          expect(got).toBeLessThanOrEqual(want * 1.02 + 1e-6 + 0.02);
          expect(h.max).toBe(Math.max(...xs));
        },
      ),
      { seed: 6, numRuns: 300 },
    );
  });

  it('sums intervals exactly through snapshots', () => {
    const all = new LatencyHistogram();
    const sum = new LatencyHistogram();
    const part = new LatencyHistogram();
    let x = 1;
    for (let i = 0; i < 10_000; i++) {
      x = (x * 48271) % 2147483647;
      const us = (x % 100_000) / 10;
      all.record(us);
      part.record(us);
      if (i % 997 === 0) {
        sum.addSnapshot(part.snapshot());
        part.reset();
      }
    }
    sum.addSnapshot(part.snapshot());
    expect(sum.total).toBe(all.total);
    expect(Array.from(sum.counts)).toEqual(Array.from(all.counts));
    for (const p of [0.5, 0.99, 0.999]) expect(sum.quantile(p)).toBe(all.quantile(p));
  });

  it('puts huge and negative values in the end buckets', () => {
    const h = new LatencyHistogram();
    h.record(-5);
    h.record(1e12);
    expect(h.counts[0]).toBe(1);
    expect(h.counts[HIST_BUCKETS - 1]).toBe(1);
    expect(bucketUpperUs(HIST_BUCKETS - 1)).toBeGreaterThan(1e8);
  });
});
