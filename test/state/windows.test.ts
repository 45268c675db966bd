/**
 * The O(1) windows against the brute-force references on random streams (fast-check): same value
 * after every step, NULL (NaN) during warm-up, and no leakage from records after the query time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BucketSigma, Lag, RollingExtremum, RollingSum, TimeWeightedMean } from '../../state/windows.ts';
import { close, type Obs, refExtremum, refLag, refSigma, refSum, refTwm } from './reference.ts';

/** A step: time advances by dt, then either an observation of v or only a query (tick). */
interface Step {
  dt: number;
  obs: boolean;
  v: number;
}
const step = (maxDt: number, value: fc.Arbitrary<number>) =>
  fc.record({
    dt: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: maxDt })),
    obs: fc.boolean(),
    v: value,
  });
const stream = (maxDt: number, value: fc.Arbitrary<number>, max = 200) =>
  fc.tuple(
    fc.integer({ min: 0, max: 100_000 }),
    fc.array(step(maxDt, value), { minLength: 1, maxLength: max }),
  );

const W = 1_000;
const positive = fc.double({ min: 1, max: 1e6, noNaN: true });
const anyValue = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
);

interface Win {
  observe(t: number, v: number): void;
  advance(now: number): void;
  value(): number;
}

/** Run a stream through a window and return its value after every step (with the history so far). */
function runState(
  make: () => Win,
  t0: number,
  steps: readonly Step[],
): { outs: number[]; hist: Obs[]; times: number[] } {
  const w = make();
  const hist: Obs[] = [];
  const outs: number[] = [];
  const times: number[] = [];
  let t = t0;
  for (const s of steps) {
    t += s.dt;
    if (s.obs) {
      w.observe(t, s.v);
      hist.push({ t, v: s.v });
    } else w.advance(t);
    outs.push(w.value());
    times.push(t);
  }
  return { outs, hist, times };
}

function checkAgainst(
  make: () => Win,
  ref: (hist: readonly Obs[], now: number) => number,
  value: fc.Arbitrary<number>,
  maxDt = 400,
  rel = 1e-9,
): void {
  fc.assert(
    fc.property(stream(maxDt, value), ([t0, steps]) => {
      const { outs, hist, times } = runState(make, t0, steps);
      let n = 0;
      for (let i = 0; i < steps.length; i++) {
        const now = times[i]!;
        while (n < hist.length && hist[n]!.t <= now && n < countObs(steps, i)) n++;
        const want = ref(hist.slice(0, n), now);
        if (!close(outs[i]!, want, rel, 1e-6)) {
          throw new Error(`step ${i} t=${now}: got ${outs[i]} want ${want}`);
        }
      }
    }),
    { numRuns: 300 },
  );
}

function countObs(steps: readonly Step[], upto: number): number {
  let c = 0;
  for (let i = 0; i <= upto; i++) if (steps[i]!.obs) c++;
  return c;
}

describe('windows vs brute force', () => {
  it('RollingSum = Σ events in (now − W, now], NULL until warm', () => {
    fc.assert(
      fc.property(stream(400, anyValue), ([t0, steps]) => {
        const w = new RollingSum(W);
        w.start(t0);
        const ev: Obs[] = [];
        let t = t0;
        for (const s of steps) {
          t += s.dt;
          if (s.obs) {
            w.add(t, s.v);
            ev.push({ t, v: s.v });
          } else w.advance(t);
          const want = refSum(ev, t0, t, W);
          expect(close(w.value(), want, 1e-9, 1e-6), `t=${t} got ${w.value()} want ${want}`).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('Lag = value in effect at now − W', () => {
    checkAgainst(
      () => new Lag(W),
      (h, now) => refLag(h, now, W),
      anyValue,
    );
  });

  it('RollingExtremum max/min over [now − W, now] with the carry', () => {
    checkAgainst(
      () => new RollingExtremum(W, 'max'),
      (h, now) => refExtremum(h, now, W, 'max'),
      anyValue,
    );
    checkAgainst(
      () => new RollingExtremum(W, 'min'),
      (h, now) => refExtremum(h, now, W, 'min'),
      anyValue,
    );
  });

  it('TimeWeightedMean = ∫ step / W over [now − W, now]', () => {
    checkAgainst(
      () => new TimeWeightedMean(W),
      (h, now) => refTwm(h, now, W),
      anyValue,
      400,
      1e-7,
    );
  });

  it('BucketSigma = σ of the last N bucket log returns', () => {
    const B = 100;
    const N = 8;
    checkAgainst(
      () => new BucketSigma(B, N),
      (h, now) => refSigma(h, now, B, N),
      positive,
      350,
      1e-6,
    );
  });

  it('long streams: running sums do not drift (1 h of 1 s events, 15 m window)', () => {
    const w = new RollingSum(900_000);
    w.start(0);
    const twm = new TimeWeightedMean(900_000);
    const ev: Obs[] = [];
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 1e6;
    for (let t = 0; t <= 3_600_000; t += 1000) {
      const x = rnd();
      w.add(t, x);
      twm.observe(t, x);
      ev.push({ t, v: x });
    }
    expect(close(w.value(), refSum(ev, 0, 3_600_000, 900_000), 1e-12)).toBe(true);
    expect(close(twm.value(), refTwm(ev, 3_600_000, 900_000), 1e-12)).toBe(true);
  });
});

describe('warm-up and leakage', () => {
  it('every window is NULL until the window length has passed since the first observation', () => {
    const wins = [new RollingExtremum(W, 'max'), new TimeWeightedMean(W)];
    for (const w of wins) w.observe(5_000, 3);
    const sum = new RollingSum(W);
    sum.add(5_000, 3);
    for (const now of [5_000, 5_500, 5_999.999]) {
      for (const w of wins) {
        w.advance(now);
        expect(w.value()).toBeNaN();
      }
      sum.advance(now);
      expect(sum.value()).toBeNaN();
    }
    for (const w of wins) {
      w.advance(6_000);
      expect(w.value()).toBe(3);
    }
    sum.advance(6_000);
    expect(sum.value()).toBe(0); // the event at 5000 is out of (5000, 6000]
    const sig = new BucketSigma(100, 4);
    sig.observe(1_000, 10);
    sig.observe(1_150, 11);
    sig.advance(1_400); // boundaries 1000, 1100, 1200, 1300 → 3 returns
    expect(sig.value()).toBeNaN();
    sig.advance(1_401); // boundary 1400 sampled → 4 returns
    expect(sig.value()).toBeGreaterThan(0);
  });

  it('no leakage: changing any record after t never changes a value computed at t', () => {
    const makers: Array<() => Win> = [
      () => new Lag(W),
      () => new RollingExtremum(W, 'max'),
      () => new TimeWeightedMean(W),
      () => new BucketSigma(100, 5),
    ];
    fc.assert(
      fc.property(
        stream(400, positive, 80),
        fc.array(step(400, positive), { minLength: 1, maxLength: 40 }),
        fc.nat(),
        ([t0, steps], tail, k) => {
          const cut = k % steps.length;
          const altered = [...steps.slice(0, cut + 1), ...tail];
          for (const make of makers) {
            const a = runState(make, t0, steps).outs;
            const b = runState(make, t0, altered).outs;
            for (let i = 0; i <= cut; i++) expect(Object.is(a[i], b[i])).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
