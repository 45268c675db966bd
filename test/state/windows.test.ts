/**
 * The O(1) windows against the brute-force references on random streams (fast-check): same value
 * after every step, NULL (NaN) during warm-up, and no leakage from records after the query time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Lag, MoveSigma, RollingExtremum, RollingSum, TimeWeightedMean } from '../../state/windows.ts';
import {
  close,
  type Obs,
  refExtremum,
  refExtremumTime,
  refLag,
  refMoveSigma,
  refSum,
  refTwm,
} from './reference.ts';

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
    // size 'max': lengths up to `max`, so streams outlast the windows (fast-check's default keeps arrays short)
    fc.array(step(maxDt, value), { minLength: 1, maxLength: max, size: 'max' }),
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

/** How many compared values were warm (a number) and how many NULL (NaN), over every run. */
interface Reach {
  warm: number;
  nulls: number;
}

function checkAgainst(
  make: () => Win,
  ref: (hist: readonly Obs[], now: number) => number,
  value: fc.Arbitrary<number>,
  maxDt = 400,
  rel = 1e-9,
  runs = 300,
): Reach {
  const reach: Reach = { warm: 0, nulls: 0 };
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
        if (Number.isNaN(want)) reach.nulls++;
        else reach.warm++;
      }
    }),
    { numRuns: runs },
  );
  return reach;
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

  it('MoveSigma = σ of the lagged log return sampled at each boundary, over the last N samples', () => {
    // (sample, lag, N): lag = sample is σ of consecutive bucket returns; lag > sample overlaps
    // (the RULEBOOK's sigma5s is 1 s, 5 s, 3600); maxDt 3000 has silences longer than N + lag/sample
    // boundaries, where the window replays only the last N + lag/sample of them
    const cases: Array<[number, number, number, number]> = [
      [100, 100, 8, 350],
      [100, 500, 8, 350],
      [100, 300, 20, 400],
      [100, 200, 4, 3_000],
    ];
    for (const [S, lag, N, maxDt] of cases) {
      const reach = checkAgainst(
        () => new MoveSigma(S, lag, N),
        (h, now) => refMoveSigma(h, now, S, lag, N),
        positive,
        maxDt,
        1e-6,
      );
      console.log(
        `MoveSigma(${S}, ${lag}, ${N}) maxDt ${maxDt}: ${reach.warm} warm, ${reach.nulls} NULL values compared`,
      );
      expect(reach.warm).toBeGreaterThan(1_000);
      expect(reach.nulls).toBeGreaterThan(1_000);
    }
  });

  it('MoveSigma refuses a lag that is not a whole number of samples', () => {
    expect(() => new MoveSigma(1_000, 2_500, 10)).toThrow(/whole number/);
    expect(() => new MoveSigma(1_000, 0, 10)).toThrow(/whole number/);
    expect(() => new MoveSigma(1_000, 5_000, 1)).toThrow(/≥ 2 samples/);
  });

  it('MoveSigma over 1 h of a trending price (mean ≫ σ) keeps its precision: no cancellation, no drift', () => {
    const w = new MoveSigma(1_000, 5_000, 3_600);
    const obs: Obs[] = [];
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    let p = 100;
    for (let t = 0; t <= 3 * 3_600_000; t += 250) {
      p *= Math.exp(2.5e-5 + (rnd() - 0.5) * 1e-8); // +10 bps a second, noise 1e-8
      w.observe(t, p);
      obs.push({ t, v: p });
    }
    w.advance(3 * 3_600_000 + 1);
    const want = refMoveSigma(obs, 3 * 3_600_000 + 1, 1_000, 5_000, 3_600);
    expect(want).toBeGreaterThan(0);
    expect(w.value() / want - 1).toBeLessThan(1e-6);
    expect(want / w.value() - 1).toBeLessThan(1e-6);
  });

  it('RollingExtremum.extremumTime = when the extremum was first attained (ties to the earliest)', () => {
    // a few distinct values, so equal values (ties) are frequent
    const few = fc.integer({ min: 0, max: 4 });
    for (const kind of ['max', 'min'] as const) {
      const edges = { carry: 0, fresh: 0, inside: 0, tieLater: 0 };
      const reach = checkAgainst(
        () => {
          const w = new RollingExtremum(W, kind);
          return {
            observe: (t: number, v: number) => w.observe(t, v),
            advance: (t: number) => w.advance(t),
            value: () => w.extremumTime(),
          };
        },
        (h, now) => {
          const at = refExtremumTime(h, now, W, kind);
          if (!Number.isNaN(at)) {
            if (at === now - W) edges.carry++;
            else if (at === now) edges.fresh++;
            else edges.inside++;
            const best = refExtremum(h, now, W, kind);
            if (h.some((o) => o.t > at && o.t <= now && o.v === best)) edges.tieLater++;
          }
          return at;
        },
        few,
        400,
        0,
      );
      console.log(
        `extremumTime ${kind}: ${reach.warm} warm, ${reach.nulls} NULL; at now − W ${edges.carry}, at now ${edges.fresh}, inside ${edges.inside}, with a later equal value ${edges.tieLater}`,
      );
      expect(reach.nulls).toBeGreaterThan(1_000);
      for (const n of [edges.carry, edges.fresh, edges.inside, edges.tieLater])
        expect(n).toBeGreaterThan(200);
    }
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
    const sig = new MoveSigma(100, 100, 4);
    sig.observe(1_000, 10);
    sig.observe(1_150, 11);
    sig.advance(1_400); // boundaries 1000, 1100, 1200, 1300 → 3 returns
    expect(sig.value()).toBeNaN();
    sig.advance(1_401); // boundary 1400 sampled → 4 returns
    expect(sig.value()).toBeGreaterThan(0);
    // lag 5 samples: the first sample is at 1000 + 500, so 4 samples need boundary 1800 passed
    const lagged = new MoveSigma(100, 500, 4);
    lagged.observe(1_000, 10);
    lagged.observe(1_650, 11);
    lagged.advance(1_800); // samples at 1500, 1600, 1700 (1800 not yet passed)
    expect(lagged.value()).toBeNaN();
    lagged.advance(1_800.5); // 1800 sampled: ln(10/10), ln(10/10), ln(11/10), ln(11/10)
    const x = Math.log(1.1);
    expect(lagged.value()).toBeCloseTo(Math.sqrt((2 * (x / 2) ** 2 + 2 * (x / 2) ** 2) / 3), 12);
  });

  it('no leakage: changing any record after t never changes a value computed at t', () => {
    const makers: Array<() => Win> = [
      () => new Lag(W),
      () => new RollingExtremum(W, 'max'),
      () => new TimeWeightedMean(W),
      () => new MoveSigma(100, 300, 5),
      () => {
        const w = new RollingExtremum(W, 'min');
        return {
          observe: (t: number, v: number) => w.observe(t, v),
          advance: (t: number) => w.advance(t),
          value: () => w.extremumTime(),
        };
      },
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
