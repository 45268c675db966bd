/**
 * Cascade (RULEBOOK "Cascade"): every rule and every exit with a trigger and a no-trigger case at its
 * boundary (the adjacent double, so a `≥` made `>` is caught), LONG and SHORT; NULL inputs; the frozen
 * start price and pre-cascade depth (the trigger and the exits read them, not the rolling windows); the
 * target fixed at the trigger from the entry; sizing by the 0.5 % rule; the parameter defaults pinned to
 * the RULEBOOK; the view's hot-state fields.
 */
import { describe, expect, it } from 'vitest';
import type { SetupInfo } from '../../machines/strategy.types.ts';
import { F, newSlot } from '../../state/hotstate-layout.ts';
import { STRATEGIES } from '../../decision/registry.ts';
import { HotView } from '../../state/hotview.ts';
import { FAMILY_REGIME, type LifecyclePhase, riskSize } from '../../strategies/definition.ts';
import {
  type CascadeView,
  cascadeExit,
  cascadeHolds,
  cascadeParams,
  cascadeSetup,
  cascadeTrigger,
  cascadeView,
  DEFAULT_CASCADE,
  evaluateCascade,
  flowShares5s,
  hitSide,
  strategy,
  targetFor,
} from '../../strategies/cascade.ts';

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

const healthy = { healthy: true, stale: false };
const NaN_ = Number.NaN;

/** A quiet market around 10 000: the base every case edits. */
const flat: CascadeView = {
  mid: 10_000,
  mid10sAgo: 10_000,
  buyNotional5s: 50_000,
  sellNotional5s: 50_000,
  oiDrop10s: 0,
  oiLowAgeMs: 60_000,
  depthBid20: 500_000,
  depthAsk20: 500_000,
  depthBid20Mean5s: 500_000,
  depthAsk20Mean5s: 500_000,
};

type SideCase = {
  side: 'LONG' | 'SHORT';
  /** The price direction of the flow: −1 sell-dominated (SHORT), +1 buy-dominated (LONG). */
  sign: 1 | -1;
  flow: 'buyNotional5s' | 'sellNotional5s';
  other: 'buyNotional5s' | 'sellNotional5s';
  /** The book side the flow hits, and the other one. */
  hit: 'depthBid20' | 'depthAsk20';
  hitMean: 'depthBid20Mean5s' | 'depthAsk20Mean5s';
  away: 'depthBid20' | 'depthAsk20';
  awayMean: 'depthBid20Mean5s' | 'depthAsk20Mean5s';
};
const SIDES: SideCase[] = [
  {
    side: 'SHORT',
    sign: -1,
    flow: 'sellNotional5s',
    other: 'buyNotional5s',
    hit: 'depthBid20',
    hitMean: 'depthBid20Mean5s',
    away: 'depthAsk20',
    awayMean: 'depthAsk20Mean5s',
  },
  {
    side: 'LONG',
    sign: 1,
    flow: 'buyNotional5s',
    other: 'sellNotional5s',
    hit: 'depthAsk20',
    hitMean: 'depthAsk20Mean5s',
    away: 'depthBid20',
    awayMean: 'depthBid20Mean5s',
  },
];

/** A cascade under way: OI down 3.5 % in 10 s, 90 % of the 5 s flow one way, mid 10 bps on from 10 s ago. */
function cascading(s: SideCase, o: Partial<CascadeView> = {}): CascadeView {
  return {
    ...flat,
    mid: 10_000 + s.sign * 10,
    oiDrop10s: 0.035,
    oiLowAgeMs: 0,
    [s.flow]: 90_000,
    [s.other]: 10_000,
    ...o,
  };
}

describe('Cascade setup: oiDrop10s ≥ 0.03 and one side ≥ 80 % of the 5 s flow; side with the flow', () => {
  for (const s of SIDES) {
    describe(s.side, () => {
      it('arms with the flow; frozen start = mid 10 s ago, preDepth = the hit side’s 5 s mean; stop 10 bps beyond the start', () => {
        const set = cascadeSetup(cascading(s, { [s.hitMean]: 480_000, [s.awayMean]: 900_000 }))!;
        expect(set).toMatchObject({ side: s.side, ref: 10_000 + s.sign * 10 });
        expect(set.levels).toEqual({ start: 10_000, preDepth: 480_000 });
        expect(set.stop).toBe(10_000 * (1 - (s.sign * 10) / 1e4));
        expect(hitSide(s.side)).toBe(s.hit === 'depthBid20' ? 'bid' : 'ask');
        // provisional target (as if entered at arming): moved on by twice the 10 travelled
        expect(set.target).toBe(10_000 + s.sign * 30);
        expect(set.reason).toBe(
          `${s.side} cascade: oiDrop10s 0.035 ≥ 0.03, ${s.flow === 'sellNotional5s' ? 'sell' : 'buy'} share of 5s flow 0.9 ≥ 0.8, start 10000, pre-cascade ${s.hit} 480000`,
        );
      });
      it('oiDrop10s exactly 0.03 arms; one ulp less does not; NULL does not', () => {
        expect(cascadeSetup(cascading(s, { oiDrop10s: 0.03 }))?.side).toBe(s.side);
        expect(cascadeSetup(cascading(s, { oiDrop10s: nextDown(0.03) }))).toBeNull();
        expect(cascadeSetup(cascading(s, { oiDrop10s: NaN_ }))).toBeNull();
      });
      it('the flow side’s share exactly 0.8 arms; one ulp less does not', () => {
        // notionals summing to exactly 1, so the share is the notional itself
        const at = cascading(s, { [s.flow]: 0.8, [s.other]: 0.2 });
        expect(flowShares5s(at)[s.flow === 'sellNotional5s' ? 'sell' : 'buy']).toBe(0.8);
        expect(cascadeSetup(at)?.side).toBe(s.side);
        const below = cascading(s, { [s.flow]: nextDown(0.8), [s.other]: 1 - nextDown(0.8) });
        expect(flowShares5s(below)[s.flow === 'sellNotional5s' ? 'sell' : 'buy']).toBe(nextDown(0.8));
        expect(cascadeSetup(below)).toBeNull();
      });
      it('a NULL input of the setup makes it false; a zero pre-cascade depth cannot measure thinning', () => {
        for (const k of ['mid', 'mid10sAgo', 'oiDrop10s', s.flow, s.other, s.hitMean] as const)
          expect(cascadeSetup(cascading(s, { [k]: NaN_ })), k).toBeNull();
        expect(cascadeSetup(cascading(s, { [s.hitMean]: 0 }))).toBeNull();
        // the other side's depth is not the pre-cascade depth
        expect(cascadeSetup(cascading(s, { [s.awayMean]: NaN_ }))?.side).toBe(s.side);
        expect(cascadeSetup(cascading(s, { mid10sAgo: 0 }))).toBeNull();
        expect(cascadeSetup(cascading(s, { mid: 0 }))).toBeNull();
      });
    });
  }
  it('balanced flow, no trade at all, or no OI drop: no setup', () => {
    expect(cascadeSetup({ ...flat, oiDrop10s: 0.05 })).toBeNull();
    expect(cascadeSetup({ ...flat, oiDrop10s: 0.05, buyNotional5s: 0, sellNotional5s: 0 })).toBeNull();
    expect(flowShares5s({ ...flat, buyNotional5s: 0, sellNotional5s: 0 })).toEqual({ buy: NaN_, sell: NaN_ });
    expect(cascadeSetup(cascading(SIDES[0]!, { oiDrop10s: 0 }))).toBeNull();
  });
});

describe('Cascade "setup gone" while ARMED', () => {
  for (const s of SIDES) {
    const held = cascadeSetup(cascading(s))!;
    it(`${s.side}: stands while the setup is still found on its side`, () => {
      expect(cascadeHolds(cascading(s, { oiLowAgeMs: NaN_ }), held)).toBe(true);
    });
    it(`${s.side}: the rolling setup lapsed but OI made a new low < 5 s ago: stands (4 999 ms); 5 000 ms or NULL: gone`, () => {
      const lapsed = (oiLowAgeMs: number) =>
        cascading(s, { oiDrop10s: 0.01, [s.flow]: 70_000, [s.other]: 30_000, oiLowAgeMs });
      expect(cascadeSetup(lapsed(0))).toBeNull();
      expect(cascadeHolds(lapsed(4_999), held)).toBe(true);
      expect(cascadeHolds(lapsed(nextDown(5_000)), held)).toBe(true);
      expect(cascadeHolds(lapsed(5_000), held)).toBe(false);
      expect(cascadeHolds(lapsed(NaN_), held)).toBe(false);
      expect(evaluateCascade(lapsed(5_000), 'ARMED', held, healthy)).toMatchObject({
        setup: null,
        trigger: false,
      });
      expect(evaluateCascade(lapsed(0), 'ARMED', held, healthy).setup).toEqual(held);
    });
    it(`${s.side}: the flow turned (a setup on the other side): gone, however recent the OI low`, () => {
      const turned = cascading(s, { [s.flow]: 10_000, [s.other]: 90_000, oiLowAgeMs: 0 });
      expect(cascadeSetup(turned)?.side).not.toBe(s.side);
      expect(cascadeHolds(turned, held)).toBe(false);
    });
  }
  it('unhealthy or stale while ARMED: no setup (back to SCANNING); never arms while unhealthy or stale', () => {
    const s = SIDES[0]!;
    const held = cascadeSetup(cascading(s))!;
    expect(evaluateCascade(cascading(s), 'ARMED', held, { healthy: false, stale: false }).setup).toBeNull();
    expect(evaluateCascade(cascading(s), 'ARMED', held, { healthy: true, stale: true }).setup).toBeNull();
    expect(
      evaluateCascade(cascading(s), 'SCANNING', null, { healthy: false, stale: false }).setup,
    ).toBeNull();
    expect(evaluateCascade(cascading(s), 'SCANNING', null, { healthy: true, stale: true }).setup).toBeNull();
  });
});

describe('Cascade trigger: the hit side below 50 % of the frozen pre-cascade depth, mid moved with the flow', () => {
  for (const s of SIDES) {
    describe(s.side, () => {
      const held = cascadeSetup(cascading(s))!; // start 10 000, preDepth 500 000
      /** 30 further on from the start, the hit side at 40 % of the frozen pre-cascade depth. */
      const thin = (o: Partial<CascadeView> = {}) =>
        cascading(s, { mid: 10_000 + s.sign * 30, [s.hit]: 200_000, ...o });
      it('fires: stop = the frozen one, target = entry moved with the flow by 2 × the distance from the start', () => {
        const t = cascadeTrigger(thin(), held);
        expect(t.fired).toBe(true);
        expect(t.levels).toEqual({ stop: held.stop, target: 10_000 + s.sign * 90 });
        expect(targetFor(s.side, 10_000, 10_000 + s.sign * 30, DEFAULT_CASCADE)).toBe(10_000 + s.sign * 90);
      });
      it('hit depth exactly 50 % of preDepth does not fire (strictly below); one ulp less fires', () => {
        expect(cascadeTrigger(thin({ [s.hit]: 250_000 }), held).fired).toBe(false);
        expect(cascadeTrigger(thin({ [s.hit]: nextDown(250_000) }), held).fired).toBe(true);
      });
      it('the other side thinning does not count', () => {
        expect(cascadeTrigger(thin({ [s.hit]: 500_000, [s.away]: 1 }), held).fired).toBe(false);
      });
      it('mid at the start has not moved: no trigger; one ulp with the flow fires; against the flow does not', () => {
        expect(cascadeTrigger(thin({ mid: 10_000 }), held).fired).toBe(false);
        const ulp = s.sign > 0 ? nextUp(10_000) : nextDown(10_000);
        const t = cascadeTrigger(thin({ mid: ulp }), held);
        expect(t.fired).toBe(true);
        expect(t.levels?.target).toBe(ulp + s.sign * 2 * Math.abs(ulp - 10_000));
        expect(cascadeTrigger(thin({ mid: 10_000 - s.sign * 5 }), held).fired).toBe(false);
      });
      it('reads the frozen preDepth, not the rolling mean (which has already thinned, or refilled)', () => {
        // the rolling mean has fallen to 300 000: half of it (150 000) is below the hit depth, yet it fires
        expect(cascadeTrigger(thin({ [s.hitMean]: 300_000 }), held).fired).toBe(true);
        // the rolling mean has risen to 600 000: against it 260 000 would be thin, against the frozen 500 000 it is not
        expect(cascadeTrigger(thin({ [s.hit]: 260_000, [s.hitMean]: 600_000 }), held).fired).toBe(false);
        // and the start is the frozen one: the rolling mid 10 s ago moving along changes nothing
        expect(cascadeTrigger(thin({ mid10sAgo: 10_000 + s.sign * 40 }), held).levels?.target).toBe(
          10_000 + s.sign * 90,
        );
      });
      it('NULL hit depth or NULL mid never fires', () => {
        expect(cascadeTrigger(thin({ [s.hit]: NaN_ }), held)).toEqual({
          fired: false,
          reason: `${s.hit} or mid NULL`,
        });
        expect(cascadeTrigger(thin({ mid: NaN_ }), held).fired).toBe(false);
      });
      it('through evaluate: entryLevels carry the trigger’s target; size by the 0.5 % rule from entry to stop', () => {
        const ev = evaluateCascade(thin(), 'ARMED', held, healthy);
        expect(ev).toMatchObject({
          setup: held,
          trigger: true,
          entryLevels: { stop: held.stop, target: 10_000 + s.sign * 90 },
        });
        const entry = 10_000 + s.sign * 30;
        expect(ev.sizeFraction).toBe(riskSize(entry, held.stop, 0.005));
        const equity = 100_000;
        expect(Math.abs(entry - held.stop) * ((ev.sizeFraction * equity) / entry)).toBeCloseTo(
          0.005 * equity,
          6,
        );
        expect(evaluateCascade(thin({ [s.hit]: 300_000 }), 'ARMED', held, healthy)).toMatchObject({
          trigger: false,
          sizeFraction: 0,
        });
        expect(
          evaluateCascade(thin({ [s.hit]: 300_000 }), 'ARMED', held, healthy).entryLevels,
        ).toBeUndefined();
      });
    });
  }
  it('a target at or below zero (a third of the price in 10 s) is no target: no trigger; exactly 0 neither', () => {
    const s = SIDES[0]!;
    const held = cascadeSetup(cascading(s))!;
    const t = cascadeTrigger(cascading(s, { mid: 6_000, depthBid20: 1 }), held); // target 6 000 − 2 × 4 000
    expect(t.fired).toBe(false);
    expect(t.reason).toMatch(/target .* ≤ 0/);
    expect(cascadeTrigger(cascading(s, { mid: 6_700, depthBid20: 1 }), held).fired).toBe(true);
    // start 3, entry 2: target 2 − 2 × 1 = 0 exactly; one ulp higher the target is just above 0
    const small = cascadeSetup(cascading(s, { mid10sAgo: 3, mid: 2.99 }))!;
    expect(cascadeTrigger(cascading(s, { mid: 2, depthBid20: 1 }), small)).toMatchObject({ fired: false });
    const t2 = cascadeTrigger(cascading(s, { mid: nextUp(2), depthBid20: 1 }), small);
    expect(t2.fired).toBe(true);
    expect(t2.levels!.target).toBeGreaterThan(0);
  });
});

describe('Cascade exits while ENTERED: each with a trigger and a no-trigger case', () => {
  for (const s of SIDES) {
    describe(s.side, () => {
      const armed = cascadeSetup(cascading(s))!;
      // as the machine holds it after the trigger at 10 000 + 30·sign: the trigger's stop and target
      const held: SetupInfo = {
        ...armed,
        ...cascadeTrigger(cascading(s, { mid: 10_000 + s.sign * 30, [s.hit]: 200_000 }), armed).levels,
      };
      /** In the trade: 40 on from the start, OI still making lows, the hit side still thin. */
      const inTrade = (o: Partial<CascadeView> = {}) =>
        cascading(s, { mid: 10_000 + s.sign * 40, [s.hit]: 200_000, oiLowAgeMs: 1_000, ...o });
      const exit = (o: Partial<CascadeView>) => cascadeExit(inTrade(o), held, healthy);
      it('nothing to do in the trade', () => {
        expect(exit({})).toBeNull();
      });
      it('target (fixed at the trigger): exactly there exits as target; one ulp short does not', () => {
        expect(exit({ mid: held.target })?.reason).toBe('target');
        expect(exit({ mid: s.sign > 0 ? nextDown(held.target) : nextUp(held.target) })).toBeNull();
      });
      it('stop (the frozen start, 10 bps beyond): exactly there exits as stop; one ulp short does not', () => {
        expect(exit({ mid: held.stop })).toEqual({
          reason: 'stop',
          detail: expect.stringMatching(/^mid .* through stop /),
        });
        expect(exit({ mid: s.sign > 0 ? nextUp(held.stop) : nextDown(held.stop) })).toBeNull();
      });
      it('OI has not made a new low for 5 s: exactly 5 000 ms exits, one ulp less does not; NULL does not', () => {
        expect(exit({ oiLowAgeMs: 5_000 })).toEqual({
          reason: 'invalidation',
          detail: 'OI stopped falling: no new low for 5000 ms ≥ 5000',
        });
        expect(exit({ oiLowAgeMs: nextDown(5_000) })).toBeNull();
        expect(exit({ oiLowAgeMs: NaN_ })).toBeNull();
      });
      it('the hit side refilled above 80 % of the frozen preDepth: exactly 80 % holds, one ulp more exits; the other side does not count', () => {
        expect(exit({ [s.hit]: 400_000 })).toBeNull();
        expect(exit({ [s.hit]: nextUp(400_000) })).toEqual({
          reason: 'invalidation',
          detail: `${hitSide(s.side)} refilled: ${s.hit} 400000 > 0.8 × pre-cascade 500000`,
        });
        expect(exit({ [s.away]: 5_000_000 })).toBeNull();
        expect(exit({ [s.hit]: NaN_ })).toBeNull();
      });
      it('the refill is measured against the frozen preDepth, not the rolling 5 s mean', () => {
        // the rolling mean has thinned to 200 000: 300 000 is above 80 % of it, but not of the frozen 500 000
        expect(exit({ [s.hit]: 300_000, [s.hitMean]: 200_000 })).toBeNull();
      });
      it('health not HEALTHY / state stale / mid NULL', () => {
        expect(cascadeExit(inTrade(), held, { healthy: false, stale: false })).toEqual({
          reason: 'invalidation',
          detail: 'health not HEALTHY',
        });
        expect(cascadeExit(inTrade(), held, { healthy: true, stale: true })).toEqual({
          reason: 'invalidation',
          detail: 'hot state stale',
        });
        expect(exit({ mid: NaN_ })).toEqual({ reason: 'invalidation', detail: 'mid NULL' });
      });
    });
  }
});

describe('evaluateCascade per phase', () => {
  const s = SIDES[0]!;
  const held = cascadeSetup(cascading(s))!;
  const none = { setup: null, trigger: false, exit: null, sizeFraction: 0 };
  for (const phase of ['DISABLED', 'EXITED', 'COOLDOWN'] as LifecyclePhase[])
    it(`${phase}: nothing, whatever the market`, () => {
      expect(evaluateCascade(cascading(s), phase, held, healthy)).toEqual(none);
      expect(
        evaluateCascade(cascading(s, { oiLowAgeMs: 1e6 }), phase, held, { healthy: false, stale: true }),
      ).toEqual(none);
    });
  it('ARMED or ENTERED without a held setup: nothing', () => {
    expect(evaluateCascade(cascading(s, { depthBid20: 1 }), 'ARMED', null, healthy)).toEqual(none);
    expect(evaluateCascade(cascading(s, { oiLowAgeMs: 1e6 }), 'ENTERED', null, healthy)).toEqual(none);
  });
  it('SCANNING reports the setup only; ENTERED the exit only', () => {
    expect(evaluateCascade(cascading(s), 'SCANNING', null, healthy)).toEqual({ ...none, setup: held });
    expect(evaluateCascade(cascading(s, { oiLowAgeMs: 6_000 }), 'ENTERED', held, healthy)).toMatchObject({
      setup: null,
      exit: { reason: 'invalidation' },
    });
  });
  it('a setup without its frozen levels is a strategy error (thrown, caught as STRATEGY_ERROR by the actor)', () => {
    expect(() => cascadeTrigger(cascading(s, { depthBid20: 1 }), { ...held, levels: {} })).toThrow(
      /without start/,
    );
  });
});

describe('Cascade definition', () => {
  it('is discovered by the registry from its file alone (the same definition object)', () => {
    expect(STRATEGIES.filter((d) => d.name === 'cascade')).toEqual([strategy]);
    expect(STRATEGIES.find((d) => d.name === 'cascade')).toBe(strategy);
  });
  it('defaults pin the RULEBOOK', () => {
    expect(DEFAULT_CASCADE).toEqual({
      enabled: true,
      walletFilter: false,
      armTimeoutMs: 10_000,
      maxHoldMs: 300_000,
      cooldownMs: 120_000,
      oiDropMin: 0.03,
      flowShareMin: 0.8,
      thinFraction: 0.5,
      refillFraction: 0.8,
      stopBps: 10,
      targetMult: 2,
      oiStallMs: 5_000,
    });
    expect(strategy.params.parse({})).toEqual(DEFAULT_CASCADE);
  });
  it('name, family EFFCS (EXPANSION), its rules', () => {
    expect(strategy).toMatchObject({ name: 'cascade', family: 'EFFCS' });
    expect(FAMILY_REGIME[strategy.family]).toBe('EXPANSION');
    expect(strategy.holds).toBe(cascadeHolds);
  });
  it('params: unknown keys and out-of-range values are refused (a flow share ≤ 0.5 is not one-sided)', () => {
    expect(() => cascadeParams.parse({ oiDrop: 0.03 })).toThrow();
    expect(() => cascadeParams.parse({ flowShareMin: 0.5 })).toThrow();
    expect(() => cascadeParams.parse({ refillFraction: 1.2 })).toThrow();
    expect(cascadeParams.parse({ flowShareMin: 0.75 }).flowShareMin).toBe(0.75);
  });
  it('the view reads the hot-state fields the RULEBOOK names', () => {
    const slot = newSlot();
    const set: Record<string, number> = {
      mid: 101,
      mid10sAgo: 102,
      buyNtl5s: 1,
      sellNtl5s: 2,
      oiDrop10s: 0.04,
      oiLowAgeMs: 1234,
      depthBid20: 3,
      depthAsk20: 4,
      depthBid20Mean5s: 5,
      depthAsk20Mean5s: 6,
    };
    for (const [k, x] of Object.entries(set)) slot[F[k as keyof typeof F]] = x;
    expect(cascadeView(new HotView(slot))).toEqual({
      mid: 101,
      mid10sAgo: 102,
      buyNotional5s: 1,
      sellNotional5s: 2,
      oiDrop10s: 0.04,
      oiLowAgeMs: 1234,
      depthBid20: 3,
      depthAsk20: 4,
      depthBid20Mean5s: 5,
      depthAsk20Mean5s: 6,
    });
    expect(cascadeSetup(cascadeView(new HotView(newSlot())))).toBeNull();
  });
});
