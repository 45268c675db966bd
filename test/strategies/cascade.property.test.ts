/**
 * Cascade under random markets (fast-check, fixed seed), NULLs injected into every field:
 * - setup: never throws; arms exactly when oiDrop10s ≥ 0.03 and one side has ≥ 80 % of the 5 s flow with
 *   a known start and a positive pre-cascade depth; side with the flow; stop exactly 10 bps beyond the start;
 * - frozen levels: the trigger and the exits give the same verdict whatever the rolling-only fields
 *   (mid 10 s ago, the 5 s depth means, the flow, the OI drop) say once armed;
 * - the trigger fires exactly when the hit side is below 50 % of the frozen preDepth and mid has moved
 *   with the flow; its target is the entry moved on by twice the distance travelled; the entry sits
 *   strictly between target and stop with a positive, finite 0.5 % size, and is not at once a target or
 *   stop exit.
 * Each property prints its reach and asserts it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SetupInfo } from '../../machines/strategy.types.ts';
import {
  type CascadeView,
  cascadeExit,
  cascadeHolds,
  cascadeSetup,
  cascadeTrigger,
  evaluateCascade,
} from '../../strategies/cascade.ts';

const healthy = { healthy: true, stale: false };
const SEED = 20261202;

/** Uniform over [min, max] (fast-check's own doubles crowd near zero), the bounds included. */
const dbl = (min: number, max: number) =>
  fc.integer({ min: 0, max: 1_000_000 }).map((i) => min + ((max - min) * i) / 1_000_000);
const orNull = (a: fc.Arbitrary<number>) =>
  fc.oneof({ weight: 14, arbitrary: a }, { weight: 1, arbitrary: fc.constant(Number.NaN) });
const flow = fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 6, arbitrary: dbl(0, 1e6) });

/** A market: OI drop up to 6 %, flow of any balance (often one-sided, either way), mid within ±1 % of 10 s ago. */
const view: fc.Arbitrary<CascadeView> = fc
  .record({
    total: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 6, arbitrary: dbl(0, 1e6) }),
    buyShare: fc.oneof(dbl(0, 0.25), dbl(0.75, 1), dbl(0, 1)),
  })
  .chain(({ total, buyShare }) =>
    fc.record({
      mid: orNull(dbl(9_900, 10_100)),
      mid10sAgo: orNull(dbl(9_900, 10_100)),
      buyNotional5s: orNull(fc.constant(total * buyShare)),
      sellNotional5s: orNull(fc.constant(total - total * buyShare)),
      oiDrop10s: orNull(dbl(0, 0.06)),
      oiLowAgeMs: orNull(dbl(0, 10_000)),
      depthBid20: orNull(dbl(0, 1e6)),
      depthAsk20: orNull(dbl(0, 1e6)),
      depthBid20Mean5s: orNull(
        fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 5, arbitrary: dbl(0, 1e6) }),
      ),
      depthAsk20Mean5s: orNull(
        fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 5, arbitrary: dbl(0, 1e6) }),
      ),
    }),
  );

/** An arming market (either side), a later market, and other values for the rolling-only fields. */
const armedThenLater = fc
  .record({
    short: fc.boolean(),
    start: dbl(1_000, 100_000),
    movedBps: dbl(-20, 150),
    laterBps: dbl(-30, 400),
    share: dbl(0.8, 1),
    oiDrop: dbl(0.03, 0.08),
    preDepth: dbl(10_000, 1e6),
    depthFrac: dbl(0, 1.2),
    oiLowAgeMs: dbl(0, 8_000),
    rolling: fc.record({
      mid10sAgo: orNull(dbl(500, 200_000)),
      depthBid20Mean5s: orNull(dbl(0, 2e6)),
      depthAsk20Mean5s: orNull(dbl(0, 2e6)),
      buyNotional5s: orNull(flow),
      sellNotional5s: orNull(flow),
      oiDrop10s: orNull(dbl(0, 0.1)),
    }),
  })
  .map((r) => {
    const sign = r.short ? -1 : 1;
    const flowSide = r.short ? 'sellNotional5s' : 'buyNotional5s';
    const otherSide = r.short ? 'buyNotional5s' : 'sellNotional5s';
    const hit = r.short ? 'depthBid20' : 'depthAsk20';
    const hitMean = r.short ? 'depthBid20Mean5s' : 'depthAsk20Mean5s';
    const arm: CascadeView = {
      mid: r.start * (1 + (sign * r.movedBps) / 1e4),
      mid10sAgo: r.start,
      buyNotional5s: 0,
      sellNotional5s: 0,
      oiDrop10s: r.oiDrop,
      oiLowAgeMs: 0,
      depthBid20: 500_000,
      depthAsk20: 500_000,
      depthBid20Mean5s: 500_000,
      depthAsk20Mean5s: 500_000,
      [flowSide]: r.share,
      [otherSide]: 1 - r.share,
      [hitMean]: r.preDepth,
    };
    const later: CascadeView = {
      ...arm,
      mid: r.start * (1 + (sign * r.laterBps) / 1e4),
      oiLowAgeMs: r.oiLowAgeMs,
      [hit]: r.depthFrac * r.preDepth,
    };
    return { arm, later, rolling: r.rolling, sign };
  });

describe('Cascade properties', () => {
  it('setup: arms exactly on an OI drop ≥ 3 % with ≥ 80 % one-sided flow, a start and a pre-cascade depth; side with the flow', () => {
    const reach = { SHORT: 0, LONG: 0, nullInput: 0, noSetup: 0 };
    fc.assert(
      fc.property(view, (v) => {
        const s = cascadeSetup(v);
        const total = v.buyNotional5s + v.sellNotional5s;
        const sellShare = v.sellNotional5s / total;
        const buyShare = v.buyNotional5s / total;
        const side = total > 0 && sellShare >= 0.8 ? 'SHORT' : total > 0 && buyShare >= 0.8 ? 'LONG' : null;
        const pre = side === 'SHORT' ? v.depthBid20Mean5s : v.depthAsk20Mean5s;
        const should =
          v.oiDrop10s >= 0.03 &&
          side !== null &&
          pre > 0 &&
          Number.isFinite(pre) &&
          v.mid > 0 &&
          v.mid10sAgo > 0;
        expect(s !== null).toBe(should);
        if (!s) {
          if ([v.mid, v.mid10sAgo, v.oiDrop10s, v.buyNotional5s, v.sellNotional5s].some(Number.isNaN))
            reach.nullInput++;
          else reach.noSetup++;
          return;
        }
        reach[s.side]++;
        expect(s.side).toBe(side);
        expect(s.levels).toEqual({ start: v.mid10sAgo, preDepth: pre });
        const sign = s.side === 'LONG' ? 1 : -1;
        expect(s.stop).toBe(v.mid10sAgo * (1 - (sign * 10) / 1e4));
        expect([s.stop, s.target, s.ref].every(Number.isFinite)).toBe(true);
        // the provisional target is never against the flow from the arming mid
        expect(sign * (s.target - v.mid)).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 3000, seed: SEED },
    );
    console.log(`cascade setup property reach: ${JSON.stringify(reach)}`);
    expect(reach.SHORT).toBeGreaterThan(150);
    expect(reach.LONG).toBeGreaterThan(150);
    expect(reach.nullInput).toBeGreaterThan(300);
    expect(reach.noSetup).toBeGreaterThan(300);
  });

  it('once armed: trigger and exits read only the frozen levels; a trigger is exactly thin ∧ moved, and its entry is sane', () => {
    const reach = {
      armed: 0,
      fired: 0,
      notThin: 0,
      notMoved: 0,
      gone: 0,
      exits: {} as Record<string, number>,
    };
    fc.assert(
      fc.property(armedThenLater, ({ arm, later, rolling, sign }) => {
        const held: SetupInfo | null = cascadeSetup(arm);
        expect(held).not.toBeNull();
        if (!held) return;
        reach.armed++;
        const moved = { ...later, ...rolling };
        const t = cascadeTrigger(later, held);
        expect(cascadeTrigger(moved, held)).toEqual(t);
        // while ENTERED the machine holds the trigger's stop and target when there was one
        const entered: SetupInfo = t.levels ? { ...held, ...t.levels } : held;
        const x = cascadeExit(later, entered, healthy);
        expect(cascadeExit(moved, entered, healthy)).toEqual(x);
        reach.exits[x?.reason ?? 'none'] = (reach.exits[x?.reason ?? 'none'] ?? 0) + 1;
        if (!cascadeHolds(moved, held)) reach.gone++;

        const { start, preDepth } = held.levels as { start: number; preDepth: number };
        const hit = sign < 0 ? later.depthBid20 : later.depthAsk20;
        const thin = hit < 0.5 * preDepth;
        const wentOn = (later.mid - start) * sign > 0;
        expect(t.fired).toBe(thin && wentOn);
        if (!thin) reach.notThin++;
        else if (!wentOn) reach.notMoved++;
        if (!t.fired) return;
        reach.fired++;
        const levels = t.levels!;
        expect(levels.stop).toBe(held.stop);
        expect(levels.target - later.mid).toBeCloseTo(2 * (later.mid - start), 6);
        expect(sign * (levels.target - later.mid)).toBeGreaterThan(0);
        expect(sign * (later.mid - levels.stop)).toBeGreaterThan(0);
        const ev = evaluateCascade(later, 'ARMED', held, healthy);
        expect(ev).toMatchObject({ trigger: true, entryLevels: levels });
        expect(ev.sizeFraction).toBeGreaterThan(0);
        expect(Number.isFinite(ev.sizeFraction)).toBe(true);
        expect(['target', 'stop']).not.toContain(cascadeExit(later, entered, healthy)?.reason);
      }),
      { numRuns: 3000, seed: SEED },
    );
    console.log(`cascade armed property reach: ${JSON.stringify(reach)}`);
    expect(reach.armed).toBe(3000);
    expect(reach.fired).toBeGreaterThan(200);
    expect(reach.notThin).toBeGreaterThan(200);
    expect(reach.notMoved).toBeGreaterThan(50);
    expect(reach.gone).toBeGreaterThan(200);
    for (const r of ['none', 'stop', 'invalidation']) expect(reach.exits[r] ?? 0, r).toBeGreaterThan(200);
  });

  it('never throws; a NULL mid or hit-side depth never triggers, and a NULL mid exits', () => {
    let n = 0;
    const held = cascadeSetup({
      mid: 9_990,
      mid10sAgo: 10_000,
      buyNotional5s: 0,
      sellNotional5s: 1,
      oiDrop10s: 0.05,
      oiLowAgeMs: 0,
      depthBid20: 1,
      depthAsk20: 1,
      depthBid20Mean5s: 500_000,
      depthAsk20Mean5s: 500_000,
    })!;
    fc.assert(
      fc.property(view, (v) => {
        cascadeSetup(v);
        cascadeHolds(v, held);
        const t = cascadeTrigger(v, held);
        const x = cascadeExit(v, held, healthy);
        if (Number.isNaN(v.mid) || Number.isNaN(v.depthBid20)) {
          n++;
          expect(t.fired).toBe(false);
        }
        if (Number.isNaN(v.mid)) expect(x).toEqual({ reason: 'invalidation', detail: 'mid NULL' });
      }),
      { numRuns: 2000, seed: SEED + 1 },
    );
    console.log(`cascade NULL property reach: ${n} views with mid or the hit depth NULL`);
    expect(n).toBeGreaterThan(100);
  });
});
