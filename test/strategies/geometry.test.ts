import { describe, expect, it } from 'vitest';
import type { SetupInfo } from '../../machines/strategy.types.ts';
import {
  beyondEdgeBps,
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
    expect(s.levels.edge).toBe(99.6);
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
      enabled: true,
      walletFilter: false,
      armTimeoutMs: 30_000,
      maxHoldMs: 15 * 60_000,
      cooldownMs: 60_000,
      rangeMinBps: 20,
      rangeMaxBps: 150,
      edgeZone: 0.15,
      absorptionMult: 2,
      breakBps: 5,
      stopBps: 10,
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
    expect(frozen.levels.edge).toBe(99.6);
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

// ── Boundaries (issue 21): every threshold at / just inside / just outside, LONG and SHORT mirrors ──
// "just outside" / "just inside" are the adjacent doubles, so a `≤` made `<` (or the reverse) is caught.
const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
function nextUp(x: number): number {
  f64[0] = x;
  i64[0] = x >= 0 ? i64[0]! + 1n : i64[0]! - 1n;
  return f64[0]!;
}
function nextDown(x: number): number {
  return -nextUp(-x);
}

// a price scale where the bps arithmetic is exact: mid 10 000
const flat: GeometryView = {
  mid: 10_000,
  rangeHigh15m: 10_040,
  rangeLow15m: 9_960,
  depthBid20: 500_000,
  depthAsk20: 500_000,
  depthBid20Mean5s: 500_000,
  depthAsk20Mean5s: 500_000,
  sellNotional5s: 10_000,
  buyNotional5s: 10_000,
  sellNotional5sMean1h: 10_000,
  buyNotional5sMean1h: 10_000,
  oiDrop10s: 0,
};
const v = (o: Partial<GeometryView>): GeometryView => ({ ...flat, ...o });
type SideCase = {
  side: 'LONG' | 'SHORT';
  /** A view in this side's edge zone (range 80 bps). */
  at: (o?: Partial<GeometryView>) => GeometryView;
  defended: 'depthBid20' | 'depthAsk20';
  attacking: 'depthBid20' | 'depthAsk20';
  defendedMean: 'depthBid20Mean5s' | 'depthAsk20Mean5s';
  against: 'sellNotional5s' | 'buyNotional5s';
  againstMean: 'sellNotional5sMean1h' | 'buyNotional5sMean1h';
  /** Move a price `bps` beyond the edge (against the position). */
  beyond: (edge: number, bps: number) => number;
};
const SIDES: SideCase[] = [
  {
    side: 'LONG',
    // the defended edge at 10 000 so "5 bps beyond" is exact
    at: (o = {}) => v({ rangeLow15m: 10_000, rangeHigh15m: 10_080, mid: 10_010, ...o }),
    defended: 'depthBid20',
    attacking: 'depthAsk20',
    defendedMean: 'depthBid20Mean5s',
    against: 'sellNotional5s',
    againstMean: 'sellNotional5sMean1h',
    beyond: (edge, bps) => edge - (edge * bps) / 1e4,
  },
  {
    side: 'SHORT',
    at: (o = {}) => v({ rangeLow15m: 9_920, rangeHigh15m: 10_000, mid: 9_990, ...o }),
    defended: 'depthAsk20',
    attacking: 'depthBid20',
    defendedMean: 'depthAsk20Mean5s',
    against: 'buyNotional5s',
    againstMean: 'buyNotional5sMean1h',
    beyond: (edge, bps) => edge + (edge * bps) / 1e4,
  },
];

describe('Geometry boundaries: range width 20 / 150 bps (inclusive)', () => {
  // [side, low, high at the bound, which bound]; mid 10 000 sits in the side's edge zone in each
  const cases = [
    ['LONG', 9_998, 10_018, 20],
    ['LONG', 9_980, 10_130, 150],
    ['SHORT', 9_982, 10_002, 20],
    ['SHORT', 9_870, 10_020, 150],
  ] as const;
  for (const [side, low, high, bound] of cases) {
    it(`${side}: width exactly ${bound} bps arms; one ulp ${bound === 20 ? 'narrower' : 'wider'} does not; one ulp inside does`, () => {
      const at = v({ rangeLow15m: low, rangeHigh15m: high });
      expect(rangeBps(at)).toBe(bound);
      expect(geometrySetup(at)?.side).toBe(side);
      const outside = v({ rangeLow15m: low, rangeHigh15m: bound === 20 ? nextDown(high) : nextUp(high) });
      const inside = v({ rangeLow15m: low, rangeHigh15m: bound === 20 ? nextUp(high) : nextDown(high) });
      expect(bound === 20 ? rangeBps(outside) < 20 : rangeBps(outside) > 150).toBe(true);
      expect(geometrySetup(outside)).toBeNull();
      expect(geometrySetup(inside)?.side).toBe(side);
    });
  }
});

for (const s of SIDES) {
  describe(`Geometry boundaries, ${s.side}`, () => {
    const w = flat.rangeHigh15m - flat.rangeLow15m;
    it('edge zone 15 % of the width: at the zone line arms, one ulp further in the range does not', () => {
      const line =
        s.side === 'LONG'
          ? flat.rangeLow15m + DEFAULT_GEOMETRY.edgeZone * w
          : flat.rangeHigh15m - DEFAULT_GEOMETRY.edgeZone * w;
      expect(geometrySetup(v({ mid: line }))?.side).toBe(s.side);
      expect(geometrySetup(v({ mid: s.side === 'LONG' ? nextUp(line) : nextDown(line) }))).toBeNull();
      expect(geometrySetup(v({ mid: s.side === 'LONG' ? nextDown(line) : nextUp(line) }))?.side).toBe(s.side);
    });
    it('the defended side holds: depth equal arms (≥), one ulp less does not', () => {
      expect(geometrySetup(s.at({ [s.defended]: 400_000, [s.attacking]: 400_000 }))?.side).toBe(s.side);
      expect(geometrySetup(s.at({ [s.defended]: nextDown(400_000), [s.attacking]: 400_000 }))).toBeNull();
      expect(geometrySetup(s.at({ [s.defended]: nextUp(400_000), [s.attacking]: 400_000 }))?.side).toBe(
        s.side,
      );
    });
    it('setup levels: stop 10 bps beyond the edge, target the range middle, edge = the defended extreme', () => {
      const set = geometrySetup(s.at())!;
      const view = s.at();
      const edge = s.side === 'LONG' ? view.rangeLow15m : view.rangeHigh15m;
      expect(edge).toBe(10_000);
      expect(set).toMatchObject({
        side: s.side,
        levels: { edge },
        target: (view.rangeHigh15m + view.rangeLow15m) / 2,
      });
      expect(set.stop).toBe(edge * (s.side === 'LONG' ? 1 - 10 / 1e4 : 1 + 10 / 1e4));
    });
    it('a NULL input of the setup makes it false', () => {
      for (const k of ['mid', 'rangeHigh15m', 'rangeLow15m', 'depthBid20', 'depthAsk20'] as const) {
        expect(geometrySetup(s.at({ [k]: Number.NaN })), k).toBeNull();
      }
    });

    const held = geometrySetup(s.at())!;
    it('absorption 2×: flow against the edge exactly 2 × its 1 h mean fires, one ulp less does not', () => {
      expect(geometryTrigger(s.at({ [s.against]: 20_000 }), held).fired).toBe(true);
      expect(geometryTrigger(s.at({ [s.against]: nextDown(20_000) }), held).fired).toBe(false);
      // the other side's flow does not count
      const other = s.against === 'sellNotional5s' ? 'buyNotional5s' : 'sellNotional5s';
      expect(geometryTrigger(s.at({ [other]: 1e9 }), held).fired).toBe(false);
    });
    it('a 1 h mean of 0 (no flow at all in the hour) never triggers', () => {
      const r = geometryTrigger(s.at({ [s.against]: 1e9, [s.againstMean]: 0 }), held);
      expect(r.fired).toBe(false);
      expect(r.reason).toMatch(/1 h mean 0/);
      expect(
        evaluateGeometry(s.at({ [s.against]: 1e9, [s.againstMean]: 0 }), 'ARMED', held, healthy).trigger,
      ).toBe(false);
    });
    it('NULL flow or NULL mean never triggers', () => {
      expect(geometryTrigger(s.at({ [s.against]: Number.NaN }), held).fired).toBe(false);
      expect(geometryTrigger(s.at({ [s.against]: 1e9, [s.againstMean]: Number.NaN }), held).fired).toBe(
        false,
      );
      expect(geometryTrigger(s.at({ [s.against]: 1e9, mid: Number.NaN }), held).fired).toBe(false);
    });
    it('breakBps 5: mid exactly 5 bps beyond the frozen edge still triggers, one ulp more does not', () => {
      const edge = held.levels.edge!;
      const five = s.beyond(edge, 5);
      expect(beyondEdgeBps(s.side, edge, five)).toBe(5);
      const further = s.side === 'LONG' ? nextDown(five) : nextUp(five);
      expect(beyondEdgeBps(s.side, edge, further)).toBeGreaterThan(5);
      expect(geometryTrigger(s.at({ mid: five, [s.against]: 30_000 }), held).fired).toBe(true);
      expect(geometryTrigger(s.at({ mid: further, [s.against]: 30_000 }), held).fired).toBe(false);
    });
    it('size by the 0.5 % risk rule from the frozen stop', () => {
      const entry = s.at().mid;
      const f = sizeFraction(entry, held.stop);
      const equity = 100_000;
      expect(Math.abs(entry - held.stop) * ((f * equity) / entry)).toBeCloseTo(0.005 * equity, 6);
      expect(sizeFraction(held.stop, held.stop)).toBe(0);
      expect(sizeFraction(Number.NaN, held.stop)).toBe(0);
    });

    describe('invalidations while ENTERED: each with a trigger and a no-trigger case', () => {
      const quietExit = (o: Partial<GeometryView>) => geometryExit(s.at(o), held, healthy);
      it('the range breaks: beyond the frozen edge by more than breakBps (exactly 5 bps holds)', () => {
        const five = s.beyond(held.levels.edge!, 5);
        expect(quietExit({ mid: five })).toBeNull();
        const r = quietExit({ mid: s.side === 'LONG' ? nextDown(five) : nextUp(five) });
        expect(r).toMatchObject({ reason: 'invalidation' });
        expect(r?.detail).toMatch(/range broke/);
      });
      it('the rolling extreme following mid does not move the frozen edge', () => {
        const seven = s.beyond(held.levels.edge!, 7);
        const follows = s.side === 'LONG' ? { rangeLow15m: seven - 1 } : { rangeHigh15m: seven + 1 };
        expect(quietExit({ mid: seven, ...follows })?.detail).toMatch(/range broke/);
      });
      it('defended depth below 50 % of its 5 s mean (exactly 50 % holds); the other side thinning does not count', () => {
        expect(quietExit({ [s.defended]: 250_000, [s.defendedMean]: 500_000 })).toBeNull();
        expect(quietExit({ [s.defended]: nextDown(250_000), [s.defendedMean]: 500_000 })?.detail).toMatch(
          /thinning/,
        );
        const otherMean = s.defendedMean === 'depthBid20Mean5s' ? 'depthAsk20Mean5s' : 'depthBid20Mean5s';
        expect(quietExit({ [s.attacking]: 1, [otherMean]: 500_000 })).toBeNull();
        // NULL depth or mean: the thinning rule is false
        expect(quietExit({ [s.defended]: Number.NaN })).toBeNull();
        expect(quietExit({ [s.defended]: 1, [s.defendedMean]: Number.NaN })).toBeNull();
      });
      it('oiDrop10s ≥ 0.02 (exactly 0.02 exits, one ulp less does not; NULL does not)', () => {
        expect(quietExit({ oiDrop10s: 0.02 })?.detail).toMatch(/oiDrop10s/);
        expect(quietExit({ oiDrop10s: nextDown(0.02) })).toBeNull();
        expect(quietExit({ oiDrop10s: Number.NaN })).toBeNull();
      });
      it('health not HEALTHY / state stale / mid NULL invalidate; healthy, fresh and priced do not', () => {
        expect(geometryExit(s.at(), held, { healthy: false, stale: false })?.detail).toMatch(/health/);
        expect(geometryExit(s.at(), held, { healthy: true, stale: true })?.detail).toMatch(/stale/);
        expect(quietExit({ mid: Number.NaN })?.detail).toMatch(/mid NULL/);
        expect(quietExit({})).toBeNull();
      });
      it('target reached exactly exits as target; one ulp short does not', () => {
        expect(quietExit({ mid: held.target })?.reason).toBe('target');
        expect(
          quietExit({ mid: s.side === 'LONG' ? nextDown(held.target) : nextUp(held.target) }),
        ).toBeNull();
      });
      it('stop touched exactly exits as stop; one ulp before the stop it is the range break', () => {
        expect(quietExit({ mid: held.stop })?.reason).toBe('stop');
        const before = s.side === 'LONG' ? nextUp(held.stop) : nextDown(held.stop);
        expect(quietExit({ mid: before })).toMatchObject({ reason: 'invalidation' });
      });
    });

    it('frozen edge, mirrored: mid runs beyond the frozen edge while the rolling extreme follows → no trigger', () => {
      const run = s.beyond(held.levels.edge!, 20);
      const follows = s.side === 'LONG' ? { rangeLow15m: run - 1 } : { rangeHigh15m: run + 1 };
      const view = s.at({ mid: run, ...follows, [s.against]: 1e6 });
      expect(geometrySetup(view)?.side).toBe(s.side); // still a setup on the rolling range
      expect(evaluateGeometry(view, 'ARMED', held, healthy)).toMatchObject({ setup: held, trigger: false });
    });
  });
}
