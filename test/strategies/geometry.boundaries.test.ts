/**
 * Geometry (RULEBOOK "Geometry") beyond test/strategies/geometry.test.ts: what mutation testing found
 * unpinned — invalid numbers (a zero or negative mid, an infinite depth, a NULL flow or mid at trigger
 * time), the verdict outside SCANNING/ARMED/ENTERED, and the reasons an operator reads in the decision
 * log (setup, trigger, every exit), LONG and SHORT.
 */
import { describe, expect, it } from 'vitest';
import type { SetupInfo } from '../../machines/strategy.types.ts';
import {
  DEFAULT_GEOMETRY,
  evaluateGeometry,
  type GeometryView,
  geometryExit,
  geometrySetup,
  geometryTrigger,
  type LifecyclePhase,
  rangeBps,
} from '../../strategies/geometry.ts';

// range 99.6 – 100.4 around mid 100: 80 bps wide; edge zone = 0.15 × 0.8 = 0.12
const base: GeometryView = {
  mid: 100,
  rangeHigh15m: 100.4,
  rangeLow15m: 99.6,
  depthBid20: 500_000,
  depthAsk20: 400_000,
  depthBid20Mean5s: 480_000,
  depthAsk20Mean5s: 420_000,
  sellNotional5s: 10_000,
  buyNotional5s: 10_000,
  sellNotional5sMean1h: 10_000,
  buyNotional5sMean1h: 10_000,
  oiDrop10s: 0,
};
const atLow = (o: Partial<GeometryView> = {}): GeometryView => ({ ...base, mid: 99.65, ...o });
const atHigh = (o: Partial<GeometryView> = {}): GeometryView => ({
  ...base,
  mid: 100.35,
  depthBid20: 400_000,
  depthAsk20: 500_000,
  ...o,
});
const healthy = { healthy: true, stale: false };
const LONG: SetupInfo = {
  side: 'LONG',
  stop: 99.6 * 0.999,
  target: 100,
  ref: 99.65,
  levels: { edge: 99.6 },
  reason: 'l',
};
const SHORT: SetupInfo = {
  side: 'SHORT',
  stop: 100.4 * 1.001,
  target: 100,
  ref: 100.35,
  levels: { edge: 100.4 },
  reason: 's',
};

describe('range width: only from a positive, finite mid', () => {
  it('a zero or negative mid, or any NULL, is no width (NaN), never Infinity or a negative width', () => {
    expect(rangeBps({ ...base, mid: 0 })).toBeNaN();
    expect(rangeBps({ ...base, mid: -5 })).toBeNaN();
    expect(rangeBps({ ...base, mid: Number.NaN })).toBeNaN();
    expect(rangeBps({ ...base, rangeHigh15m: Number.NaN })).toBeNaN();
    expect(rangeBps({ ...base, rangeLow15m: Number.POSITIVE_INFINITY })).toBeNaN();
    expect(rangeBps({ ...base, mid: 0.001 })).toBeCloseTo(8e6, 3); // any positive mid: computed
  });
});

describe('setup: invalid depth never arms; the reasons name side, edge, range and depth', () => {
  it('an infinite defended depth is not a depth (no setup), LONG or SHORT', () => {
    expect(geometrySetup(atLow({ depthBid20: Number.POSITIVE_INFINITY }))).toBeNull();
    expect(geometrySetup(atHigh({ depthAsk20: Number.POSITIVE_INFINITY }))).toBeNull();
    expect(geometrySetup(atLow({ depthAsk20: Number.NaN }))).toBeNull();
  });
  it('LONG reason', () => {
    expect(geometrySetup(atLow())!.reason).toBe(
      'LONG edge: mid 99.65 within 15% of low, range 99.6–100.4 (80.281 bps), depthBid20 500000 ≥ depthAsk20 400000',
    );
  });
  it('SHORT reason', () => {
    expect(geometrySetup(atHigh())!.reason).toBe(
      'SHORT edge: mid 100.35 within 15% of high, range 99.6–100.4 (79.721 bps), depthAsk20 500000 ≥ depthBid20 400000',
    );
  });
});

describe('trigger: NULL flow or mid never fires, and says which', () => {
  it('a NULL flow, mean or mid: not fired, "flow NULL"', () => {
    for (const v of [
      atLow({ sellNotional5s: Number.NaN }),
      atLow({ sellNotional5sMean1h: Number.NaN }),
      atLow({ sellNotional5s: 30_000, mid: Number.NaN }),
    ])
      expect(geometryTrigger(v, LONG)).toEqual({ fired: false, reason: 'flow NULL' });
    expect(geometryTrigger(atHigh({ buyNotional5s: Number.POSITIVE_INFINITY }), SHORT)).toEqual({
      fired: false,
      reason: 'flow NULL',
    });
  });
  it('LONG reads the sell flow and says so', () => {
    expect(geometryTrigger(atLow({ sellNotional5s: 30_000 }), LONG)).toEqual({
      fired: true,
      reason: 'absorption: sellNotional5s 30000 vs 2× 1h mean 10000, mid -5.02008 bps beyond edge (limit 5)',
    });
  });
  it('SHORT reads the buy flow and says so', () => {
    expect(geometryTrigger(atHigh({ buyNotional5s: 30_000 }), SHORT)).toEqual({
      fired: true,
      reason: 'absorption: buyNotional5s 30000 vs 2× 1h mean 10000, mid -4.98008 bps beyond edge (limit 5)',
    });
  });
});

describe('exits: each reason and detail', () => {
  it('health, staleness, NULL mid', () => {
    expect(geometryExit(atLow(), LONG, { healthy: false, stale: false })).toEqual({
      reason: 'invalidation',
      detail: 'health not HEALTHY',
    });
    expect(geometryExit(atLow(), LONG, { healthy: true, stale: true })).toEqual({
      reason: 'invalidation',
      detail: 'hot state stale',
    });
    expect(geometryExit(atLow({ mid: Number.NaN }), LONG, healthy)).toEqual({
      reason: 'invalidation',
      detail: 'mid NULL',
    });
  });
  it('target and stop, LONG and SHORT', () => {
    expect(geometryExit(atLow({ mid: 100 }), LONG, healthy)).toEqual({
      reason: 'target',
      detail: 'mid 100 reached target 100',
    });
    expect(geometryExit(atLow({ mid: 99.5 }), LONG, healthy)).toEqual({
      reason: 'stop',
      detail: 'mid 99.5 through stop 99.5004',
    });
    expect(geometryExit(atHigh({ mid: 99.9 }), SHORT, healthy)).toEqual({
      reason: 'target',
      detail: 'mid 99.9 reached target 100',
    });
    expect(geometryExit(atHigh({ mid: 100.6 }), SHORT, healthy)).toEqual({
      reason: 'stop',
      detail: 'mid 100.6 through stop 100.5',
    });
  });
  it('defended depth thinning is an invalidation, naming the defended side', () => {
    expect(geometryExit(atLow({ depthBid20: 200_000 }), LONG, healthy)).toEqual({
      reason: 'invalidation',
      detail: 'defended depth thinning: depthBid20 200000 < 0.5 × 5s mean 480000',
    });
    expect(geometryExit(atHigh({ depthAsk20: 200_000 }), SHORT, healthy)).toEqual({
      reason: 'invalidation',
      detail: 'defended depth thinning: depthAsk20 200000 < 0.5 × 5s mean 420000',
    });
  });
});

describe('the verdict outside SCANNING / ARMED / ENTERED is empty', () => {
  // a view on which an ENTERED LONG would exit (health) and a SCANNING one would arm
  const none = { setup: null, trigger: false, exit: null, sizeFraction: 0 };
  for (const phase of ['DISABLED', 'EXITED', 'COOLDOWN'] as LifecyclePhase[])
    it(`${phase}: no setup, no trigger, no exit, even with a held setup and a reason to exit`, () => {
      expect(evaluateGeometry(atLow(), phase, LONG, { healthy: false, stale: true })).toEqual(none);
      expect(evaluateGeometry(atLow({ mid: 100.5 }), phase, LONG, healthy, DEFAULT_GEOMETRY)).toEqual(none);
    });
  it('ENTERED without a held setup: nothing to measure an exit against', () => {
    expect(evaluateGeometry(atLow({ mid: 100.5 }), 'ENTERED', null, healthy)).toEqual(none);
  });
});
