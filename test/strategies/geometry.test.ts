import { describe, expect, it } from 'vitest';
import type { SetupInfo } from '../../machines/strategy.types.ts';
import {
  DEFAULT_GEOMETRY,
  evaluateGeometry,
  type GeometryView,
  geometryExit,
  geometrySetup,
  geometryTrigger,
  rangeBps,
  sizeFraction,
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

describe('Geometry setup', () => {
  it('range width in bps', () => {
    expect(rangeBps(base)).toBeCloseTo(80, 9);
  });
  it('LONG at the low edge when the bid side holds; exact stop and target', () => {
    const s = geometrySetup(atLow())!;
    expect(s.side).toBe('LONG');
    expect(s.stop).toBeCloseTo(99.6 * (1 - 0.001), 12);
    expect(s.target).toBeCloseTo(100, 12);
    expect(s.edge).toBe(99.6);
  });
  it('SHORT at the high edge when the ask side holds', () => {
    const s = geometrySetup(atHigh())!;
    expect(s.side).toBe('SHORT');
    expect(s.stop).toBeCloseTo(100.4 * 1.001, 12);
  });
  it('no setup mid-range, when the defended side does not hold, or with a range too narrow/wide', () => {
    expect(geometrySetup(base)).toBeNull();
    expect(geometrySetup(atLow({ depthBid20: 300_000 }))).toBeNull();
    expect(geometrySetup(atLow({ rangeHigh15m: 99.75, mid: 99.61 }))).toBeNull(); // 15 bps < 20
    expect(geometrySetup(atLow({ rangeHigh15m: 101.2 }))).toBeNull(); // 160 bps > 150
  });
  it('a NULL input makes the rule false', () => {
    expect(geometrySetup(atLow({ rangeLow15m: Number.NaN }))).toBeNull();
    expect(geometrySetup(atLow({ depthBid20: Number.NaN }))).toBeNull();
  });
});

describe('Geometry trigger (absorption)', () => {
  const s = geometrySetup(atLow())!;
  it('fires when sell flow ≥ 2× its 1 h mean and the edge holds', () => {
    expect(geometryTrigger(atLow({ sellNotional5s: 20_000 }), s).fired).toBe(true);
  });
  it('does not fire below 2× or when mid broke the edge by more than 5 bps', () => {
    expect(geometryTrigger(atLow({ sellNotional5s: 19_999 }), s).fired).toBe(false);
    const broke = 99.6 * (1 - 0.00051);
    expect(geometryTrigger(atLow({ sellNotional5s: 50_000, mid: broke }), s).fired).toBe(false);
    const within = 99.6 * (1 - 0.00049);
    expect(geometryTrigger(atLow({ sellNotional5s: 50_000, mid: within }), s).fired).toBe(true);
  });
  it('NULL flow never fires', () => {
    expect(geometryTrigger(atLow({ sellNotional5sMean1h: Number.NaN, sellNotional5s: 1e9 }), s).fired).toBe(
      false,
    );
  });
  it('sizes by the stop distance: (entry − stop) × size = 0.5 % of equity', () => {
    const entry = 99.65;
    const f = sizeFraction(entry, s.stop);
    const equity = 100_000;
    const size = (f * equity) / entry;
    expect((entry - s.stop) * size).toBeCloseTo(0.005 * equity, 6);
  });
});

describe('Geometry invalidations while ENTERED (each: trigger and no-trigger)', () => {
  const s: SetupInfo = geometrySetup(atLow())!;
  const cases: Array<[string, Partial<GeometryView>, Partial<GeometryView>, RegExp]> = [
    [
      'range breaks beyond the defended edge by breakBps',
      { mid: 99.6 * (1 - 0.0006) },
      { mid: 99.6 * (1 - 0.0004) },
      /range broke/,
    ],
    [
      'defended depth thins below 50 % of its 5 s mean',
      { depthBid20: 239_999 },
      { depthBid20: 240_001 },
      /thinning/,
    ],
    ['oiDrop10s ≥ 0.02', { oiDrop10s: 0.02 }, { oiDrop10s: 0.0199 }, /oiDrop10s/],
  ];
  for (const [name, fires, holds, re] of cases) {
    it(name, () => {
      expect(geometryExit(atLow(fires), s, healthy)?.detail).toMatch(re);
      expect(geometryExit(atLow(holds), s, healthy)).toBeNull();
    });
  }
  it('health not HEALTHY or stale state invalidates; healthy and fresh does not', () => {
    expect(geometryExit(atLow(), s, { healthy: false, stale: false })?.detail).toMatch(/health/);
    expect(geometryExit(atLow(), s, { healthy: true, stale: true })?.detail).toMatch(/stale/);
    expect(geometryExit(atLow(), s, healthy)).toBeNull();
  });
  it('target and stop', () => {
    expect(geometryExit(atLow({ mid: 100 }), s, healthy)?.reason).toBe('target');
    expect(geometryExit(atLow({ mid: 99.9999 }), s, healthy)).toBeNull();
    // the stop (10 bps beyond the edge) lies past the 5 bps break: a break is seen first, the stop when the price gaps through
    expect(geometryExit(atLow({ mid: s.stop }), s, healthy)?.reason).toBe('stop');
  });
});

describe('evaluateGeometry per phase', () => {
  it('SCANNING reports the setup only; ARMED adds the trigger and a size; ENTERED checks exits', () => {
    const sc = evaluateGeometry(atLow({ sellNotional5s: 30_000 }), 'SCANNING', null, healthy);
    expect(sc.setup?.side).toBe('LONG');
    expect(sc.trigger).toBe(false);
    const ar = evaluateGeometry(atLow({ sellNotional5s: 30_000 }), 'ARMED', sc.setup, healthy);
    expect(ar.trigger).toBe(true);
    expect(ar.sizeFraction).toBeGreaterThan(0);
    const en = evaluateGeometry(atLow({ oiDrop10s: 0.05 }), 'ENTERED', sc.setup, healthy);
    expect(en.exit?.reason).toBe('invalidation');
  });
  it('never arms while unhealthy or stale', () => {
    expect(evaluateGeometry(atLow(), 'SCANNING', null, { healthy: false, stale: false }).setup).toBeNull();
    expect(evaluateGeometry(atLow(), 'SCANNING', null, { healthy: true, stale: true }).setup).toBeNull();
  });
  it('defaults pin the RULEBOOK', () => {
    expect(DEFAULT_GEOMETRY).toEqual({
      rangeMinBps: 20,
      rangeMaxBps: 150,
      edgeZone: 0.15,
      absorptionMult: 2,
      breakBps: 5,
      stopBps: 10,
      riskPerTrade: 0.005,
      thinningFraction: 0.5,
      oiDropExit: 0.02,
    });
  });
});

describe('Geometry: the edge is frozen at arming (RULEBOOK "frozen when the strategy arms")', () => {
  // Armed at the low edge 99.6; then mid slides 40 bps below that frozen edge while the rolling 15 m low
  // follows it down, so the recomputed setup (edge = the new low) still holds and the flow is absorbed.
  const armedAt = atLow();
  const slid = atLow({ mid: 99.2, rangeLow15m: 99.19, sellNotional5s: 30_000 });
  it('the trigger measures "beyond the edge" against the frozen edge, not the rolling low', () => {
    const frozen = evaluateGeometry(armedAt, 'SCANNING', null, healthy).setup!;
    expect(frozen.edge).toBe(99.6);
    expect(geometrySetup(slid)?.side).toBe('LONG'); // the setup condition still holds on this tick
    const ev = evaluateGeometry(slid, 'ARMED', frozen, healthy);
    expect(ev.trigger).toBe(false);
    expect(ev.triggerReason).toMatch(/beyond edge/);
  });
  it('while ARMED the verdict carries the frozen setup (side, edge, stop, target), not the recomputed one', () => {
    const frozen = evaluateGeometry(armedAt, 'SCANNING', null, healthy).setup!;
    const back = atLow({ mid: 99.6 * (1 - 0.0004), rangeLow15m: 99.5, sellNotional5s: 30_000 });
    const ev = evaluateGeometry(back, 'ARMED', frozen, healthy);
    expect(ev.trigger).toBe(true); // 4 bps beyond the frozen edge: within breakBps
    expect(ev.setup).toEqual(frozen);
    expect(ev.sizeFraction).toBeCloseTo(sizeFraction(back.mid, frozen.stop), 12);
  });
  it('setup gone while ARMED (setup condition false on this tick) reports no setup', () => {
    const frozen = evaluateGeometry(armedAt, 'SCANNING', null, healthy).setup!;
    expect(evaluateGeometry(base, 'ARMED', frozen, healthy).setup).toBeNull(); // mid-range
    expect(evaluateGeometry(atLow({ depthBid20: 1 }), 'ARMED', frozen, healthy).setup).toBeNull();
    // the condition now holds only for the other side: the LONG setup is gone
    expect(evaluateGeometry(atHigh({ sellNotional5s: 1e9 }), 'ARMED', frozen, healthy)).toMatchObject({
      setup: null,
      trigger: false,
    });
  });
});
