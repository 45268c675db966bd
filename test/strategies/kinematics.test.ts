/**
 * Kinematics (RULEBOOK "Kinematics"): every rule and every invalidation with a trigger and a no-trigger
 * case at its boundary (the adjacent double, so a `≥` made `>` is caught), LONG and SHORT; NULL inputs;
 * the frozen extreme (the 5 s max / min of mid) and origin (the trigger and the exits read them, not the
 * rolling window); sizing by the 0.5 % rule; the parameter defaults pinned to the RULEBOOK; the view's
 * hot-state fields.
 */
import { describe, expect, it } from 'vitest';
import type { SetupInfo } from '../../machines/strategy.types.ts';
import { F, newSlot } from '../../state/hotstate-layout.ts';
import { STRATEGIES } from '../../decision/registry.ts';
import { HotView } from '../../state/hotview.ts';
import { FAMILY_REGIME, type LifecyclePhase, riskSize } from '../../strategies/definition.ts';
import {
  aggShare1s,
  DEFAULT_KINEMATICS,
  evaluateKinematics,
  type KinematicsView,
  kinematicsExit,
  kinematicsHolds,
  kinematicsParams,
  kinematicsSetup,
  kinematicsTrigger,
  kinematicsView,
  retraced,
  strategy,
  windowExtreme,
} from '../../strategies/kinematics.ts';

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

/** A quiet market around 10 000 (no move): the base every case edits. */
const flat: KinematicsView = {
  mid: 10_000,
  move5s: 0,
  sigma5s: 0.001,
  mid1sAgo: 10_000,
  midMax5s: 10_000,
  midMin5s: 10_000,
  mid5sAgo: 10_000,
  buyNotional1s: 50_000,
  sellNotional1s: 50_000,
  depthBid20: 500_000,
  depthAsk20: 500_000,
  depthBid20Mean5s: 500_000,
  depthAsk20Mean5s: 500_000,
  oiDrop10s: 0,
};

type SideCase = {
  side: 'LONG' | 'SHORT';
  /** +1: an up-move (faded SHORT); −1: a down-move (faded LONG). */
  sign: 1 | -1;
  /** The move's flow (aggression in its direction) and the other side's. */
  push: 'buyNotional1s' | 'sellNotional1s';
  other: 'buyNotional1s' | 'sellNotional1s';
  defended: 'depthBid20' | 'depthAsk20';
  defendedMean: 'depthBid20Mean5s' | 'depthAsk20Mean5s';
  attacked: 'depthBid20' | 'depthAsk20';
  attackedMean: 'depthBid20Mean5s' | 'depthAsk20Mean5s';
};
const SIDES: SideCase[] = [
  {
    side: 'SHORT',
    sign: 1,
    push: 'buyNotional1s',
    other: 'sellNotional1s',
    defended: 'depthAsk20',
    defendedMean: 'depthAsk20Mean5s',
    attacked: 'depthBid20',
    attackedMean: 'depthBid20Mean5s',
  },
  {
    side: 'LONG',
    sign: -1,
    push: 'sellNotional1s',
    other: 'buyNotional1s',
    defended: 'depthBid20',
    defendedMean: 'depthBid20Mean5s',
    attacked: 'depthAsk20',
    attackedMean: 'depthAsk20Mean5s',
  },
];

/**
 * A 50 bps move from 10 000 in the side's direction, at its extreme now (it rose 10 bps a second): the
 * 5 s window runs from the origin (10 000) to mid.
 */
function moved(s: SideCase, o: Partial<KinematicsView> = {}): KinematicsView {
  const mid = 10_000 + s.sign * 50;
  return {
    ...flat,
    mid,
    move5s: Math.log(mid / 10_000),
    mid1sAgo: 10_000 + s.sign * 40,
    midMax5s: Math.max(mid, 10_000),
    midMin5s: Math.min(mid, 10_000),
    ...o,
  };
}
/** The side's 5 s extreme field: the max of mid for an up-move, the min for a down-move. */
const extremeKey = (s: SideCase) => (s.sign > 0 ? 'midMax5s' : 'midMin5s');
/** The other one (the origin's side of the window). */
const otherKey = (s: SideCase) => (s.sign > 0 ? 'midMin5s' : 'midMax5s');

describe('Kinematics setup: |move5s| ≥ 3 × sigma5s, side against the move, extreme and origin frozen', () => {
  for (const s of SIDES) {
    describe(s.side, () => {
      it('a 50 bps move at 10 bps σ arms against it: origin = mid 5 s ago, extreme = the move’s end, stop 10 bps beyond it, target the origin', () => {
        const set = kinematicsSetup(moved(s))!;
        const extreme = 10_000 + s.sign * 50;
        expect(set).toMatchObject({ side: s.side, target: 10_000, ref: extreme });
        expect(set.levels).toEqual({ extreme, origin: 10_000 });
        expect(set.stop).toBe(extreme * (1 + (s.sign * 10) / 1e4));
        expect(set.reason).toMatch(new RegExp(`^${s.side} fade: move5s`));
      });
      it('|move5s| exactly 3 σ arms; one ulp less does not; one ulp more does', () => {
        const sigma = 0.001;
        const at = s.sign * 3 * sigma;
        expect(Math.abs(at)).toBe(3 * sigma);
        expect(kinematicsSetup(moved(s, { move5s: at, sigma5s: sigma }))?.side).toBe(s.side);
        const less = s.sign > 0 ? nextDown(at) : nextUp(at);
        expect(kinematicsSetup(moved(s, { move5s: less, sigma5s: sigma }))).toBeNull();
        const more = s.sign > 0 ? nextUp(at) : nextDown(at);
        expect(kinematicsSetup(moved(s, { move5s: more, sigma5s: sigma }))?.side).toBe(s.side);
      });
      it('σ just above a third of the move: no setup (the threshold scales with σ)', () => {
        const m = moved(s);
        expect(kinematicsSetup({ ...m, sigma5s: nextUp(Math.abs(m.move5s) / 3) })).toBeNull();
      });
      it('the extreme is the 5 s max (min) of mid: a top 3–4 s before the arming tick, in none of the now / 1 s / 2 s samples, is frozen as the extreme, the stop 10 bps beyond it', () => {
        // mid path: 10 000 (5 s ago) → the top 10 060 (3.5 s ago) → 10 055, 10 052, 10 050 (2 s, 1 s ago, now)
        const top = 10_000 + s.sign * 60;
        const v = moved(s, { mid1sAgo: 10_000 + s.sign * 52, [extremeKey(s)]: top });
        expect(windowExtreme(v, s.sign)).toBe(top);
        const set = kinematicsSetup(v)!;
        expect(set.side).toBe(s.side);
        expect(set.levels).toEqual({ extreme: top, origin: 10_000 });
        expect(set.stop).toBe(top * (1 + (s.sign * 10) / 1e4));
        expect(set.ref).toBe(10_000 + s.sign * 50);
        // a move that turned by the arming tick keeps its high (its top 1 s ago)
        const turned = moved(s, { mid: 10_000 + s.sign * 45, [extremeKey(s)]: 10_000 + s.sign * 50 });
        turned.move5s = Math.log(turned.mid / 10_000);
        expect(kinematicsSetup(turned)!.levels.extreme).toBe(10_000 + s.sign * 50);
        expect(kinematicsSetup(turned)!.ref).toBe(10_000 + s.sign * 45);
      });
      it('the extreme is read from the move’s own side of the window only: the other field (the origin’s side) does not matter, even NULL', () => {
        for (const x of [NaN_, 10_000 - s.sign * 500, 10_000 + s.sign * 500]) {
          const set = kinematicsSetup(moved(s, { [otherKey(s)]: x }))!;
          expect(set.levels.extreme, String(x)).toBe(10_000 + s.sign * 50);
        }
      });
      it('the 5 s extreme at mid arms (the move at its top now); one ulp short of mid contradicts its own window: no setup; NULL: no setup', () => {
        const mid = 10_000 + s.sign * 50;
        expect(kinematicsSetup(moved(s, { [extremeKey(s)]: mid }))?.levels.extreme).toBe(mid);
        expect(
          kinematicsSetup(moved(s, { [extremeKey(s)]: s.sign > 0 ? nextDown(mid) : nextUp(mid) })),
        ).toBeNull();
        expect(kinematicsSetup(moved(s, { [extremeKey(s)]: NaN_ }))).toBeNull();
        expect(kinematicsSetup(moved(s, { [extremeKey(s)]: Number.POSITIVE_INFINITY }))).toBeNull();
      });
      it('a NULL input of the setup makes it false', () => {
        for (const k of ['mid', 'move5s', 'sigma5s', 'mid5sAgo', extremeKey(s)] as const)
          expect(kinematicsSetup(moved(s, { [k]: NaN_ })), k).toBeNull();
        expect(kinematicsSetup(moved(s, { sigma5s: Number.POSITIVE_INFINITY }))).toBeNull();
      });
      it('a move5s that contradicts its own origin (origin not behind mid) is bad input: no setup', () => {
        expect(kinematicsSetup(moved(s, { mid5sAgo: 10_000 + s.sign * 60 }))).toBeNull();
        expect(kinematicsSetup(moved(s, { mid5sAgo: 10_000 + s.sign * 50 }))).toBeNull();
      });
    });
  }
  it('no move, a small move, or a zero/negative price never arms; σ = 0 arms any non-zero move (≥ 0 × 3)', () => {
    expect(kinematicsSetup(flat)).toBeNull();
    expect(kinematicsSetup({ ...flat, sigma5s: 0 })).toBeNull(); // a zero move has no direction
    expect(kinematicsSetup({ ...flat, mid: 10_002, midMax5s: 10_002, move5s: Math.log(1.0002) })).toBeNull(); // 2 bps < 30
    expect(
      kinematicsSetup({ ...flat, mid: 10_002, midMax5s: 10_002, move5s: Math.log(1.0002), sigma5s: 0 })?.side,
    ).toBe('SHORT');
    expect(kinematicsSetup({ ...moved(SIDES[0]!), sigma5s: -0.001 })).toBeNull();
    expect(kinematicsSetup({ ...moved(SIDES[0]!), mid5sAgo: 0 })).toBeNull();
    expect(kinematicsSetup({ ...moved(SIDES[0]!), mid: -1 })).toBeNull();
    // a zero mid is no price, even with a down-move that would put the origin behind it
    expect(kinematicsSetup({ ...moved(SIDES[1]!), mid: 0 })).toBeNull();
  });
});

describe('Kinematics trigger: stalled or turned, aggression kept pushing, mid still within the move', () => {
  for (const s of SIDES) {
    describe(s.side, () => {
      const held = kinematicsSetup(moved(s))!;
      const top = 10_000 + s.sign * 50;
      /** At the top, stalled (v1s = 0), the move's side 70 % of the 1 s flow. */
      const stall = (o: Partial<KinematicsView> = {}) =>
        moved(s, { mid: top, mid1sAgo: top, [s.push]: 70_000, [s.other]: 30_000, ...o });

      it('fires on a stall (v1s = 0) and on a turn; not while the move still extends (v1s one ulp its way)', () => {
        expect(kinematicsTrigger(stall(), held).fired).toBe(true);
        expect(kinematicsTrigger(stall({ mid: top - s.sign * 5 }), held).fired).toBe(true);
        const extending = stall({ mid1sAgo: s.sign > 0 ? nextDown(top) : nextUp(top) });
        expect(extending.mid - extending.mid1sAgo).not.toBe(0);
        expect(kinematicsTrigger(extending, held)).toMatchObject({ fired: false, reason: /still extending/ });
        const turned = stall({ mid1sAgo: s.sign > 0 ? nextUp(top) : nextDown(top) });
        expect(kinematicsTrigger(turned, held).fired).toBe(true);
      });
      it('aggShare1s of the move’s side exactly 0.6 fires, one ulp less does not; the other side’s flow does not count', () => {
        const at = stall({ [s.push]: 60_000, [s.other]: 40_000 });
        expect(aggShare1s(at, s.push === 'buyNotional1s' ? 'buy' : 'sell')).toBe(0.6);
        expect(kinematicsTrigger(at, held).fired).toBe(true);
        // notionals summing to exactly 1, so the share is the push side's notional itself
        const below = stall({ [s.push]: nextDown(0.6), [s.other]: 1 - nextDown(0.6) });
        expect(aggShare1s(below, s.push === 'buyNotional1s' ? 'buy' : 'sell')).toBe(nextDown(0.6));
        expect(kinematicsTrigger(below, held).fired).toBe(false);
        // the opposite aggression (the fade's own side) is not "aggression kept pushing"
        expect(kinematicsTrigger(stall({ [s.push]: 30_000, [s.other]: 70_000 }), held).fired).toBe(false);
      });
      it('no trade in the last second: aggShare1s is NULL, never fires', () => {
        const none = stall({ buyNotional1s: 0, sellNotional1s: 0 });
        expect(aggShare1s(none, 'buy')).toBeNaN();
        expect(kinematicsTrigger(none, held)).toEqual({
          fired: false,
          reason: expect.stringMatching(/NULL/),
        });
        expect(kinematicsTrigger(stall({ [s.push]: NaN_ }), held).fired).toBe(false);
      });
      it('mid back exactly half of the move still fires; one ulp further back does not', () => {
        const half = 10_000 + s.sign * 25;
        expect(retraced(held, half)).toBe(0.5);
        expect(kinematicsTrigger(stall({ mid: half, mid1sAgo: top }), held).fired).toBe(true);
        const past = s.sign > 0 ? nextDown(half) : nextUp(half);
        expect(retraced(held, past)).toBeGreaterThan(0.5);
        expect(kinematicsTrigger(stall({ mid: past, mid1sAgo: top }), held).fired).toBe(false);
      });
      it('mid at or beyond the stop is not within the move: no trigger (one ulp short of it fires)', () => {
        const stallAt = (mid: number) => stall({ mid, mid1sAgo: mid });
        expect(kinematicsTrigger(stallAt(held.stop), held).fired).toBe(false);
        expect(
          kinematicsTrigger(stallAt(s.sign > 0 ? nextDown(held.stop) : nextUp(held.stop)), held).fired,
        ).toBe(true);
      });
      it('NULL mid or mid 1 s ago never fires', () => {
        expect(kinematicsTrigger(stall({ mid: NaN_ }), held).fired).toBe(false);
        expect(kinematicsTrigger(stall({ mid1sAgo: NaN_ }), held)).toEqual({
          fired: false,
          reason: 'mid or mid1sAgo NULL',
        });
        // NULL 5 s extremes do not matter to the trigger (nor to "setup gone": no evidence of an extension)
        expect(kinematicsTrigger(stall({ midMax5s: NaN_, midMin5s: NaN_ }), held).fired).toBe(true);
        expect(
          evaluateKinematics(stall({ midMax5s: NaN_, midMin5s: NaN_ }), 'ARMED', held, healthy).trigger,
        ).toBe(true);
      });
      it('reads the frozen levels: the rolling window’s move has aged out (move5s 0, origin moved up to mid) and it still fires', () => {
        const aged = stall({ mid5sAgo: top, move5s: 0, sigma5s: 0.01, midMax5s: top, midMin5s: top });
        expect(kinematicsSetup(aged)).toBeNull(); // the rolling setup is gone …
        expect(evaluateKinematics(aged, 'ARMED', held, healthy)).toMatchObject({
          setup: held,
          trigger: true,
        });
        // … and the half-way line is the frozen one (25 bps back), not one of the rolling window
        const past = s.sign > 0 ? nextDown(10_000 + s.sign * 25) : nextUp(10_000 + s.sign * 25);
        expect(kinematicsTrigger({ ...aged, mid: past }, held).fired).toBe(false);
      });
      it('sizes by the 0.5 % risk rule from the frozen stop: (entry − stop) × size = 0.5 % of equity', () => {
        const entry = top - s.sign * 5;
        const ev = evaluateKinematics(stall({ mid: entry }), 'ARMED', held, healthy);
        expect(ev.trigger).toBe(true);
        expect(ev.entryLevels).toBeUndefined(); // the levels are the ones frozen at arming
        expect(ev.sizeFraction).toBe(riskSize(entry, held.stop, 0.005));
        const equity = 100_000;
        expect(Math.abs(entry - held.stop) * ((ev.sizeFraction * equity) / entry)).toBeCloseTo(
          0.005 * equity,
          6,
        );
        expect(
          evaluateKinematics(stall({ mid: entry }), 'ARMED', held, healthy, DEFAULT_KINEMATICS, 0.01)
            .sizeFraction,
        ).toBe(riskSize(entry, held.stop, 0.01));
      });
    });
  }
});

describe('Kinematics "setup gone" while ARMED: mid back at the frozen origin or at the stop', () => {
  for (const s of SIDES) {
    it(`${s.side}: stands strictly between origin and stop; gone at either (exact), or with mid NULL`, () => {
      const held = kinematicsSetup(moved(s))!;
      const at = (mid: number) => kinematicsHolds({ ...flat, mid }, held);
      expect(at(10_000 + s.sign * 20)).toBe(true);
      expect(at(10_000)).toBe(false);
      expect(at(s.sign > 0 ? nextUp(10_000) : nextDown(10_000))).toBe(true);
      expect(at(held.stop)).toBe(false);
      expect(at(s.sign > 0 ? nextDown(held.stop) : nextUp(held.stop))).toBe(true);
      expect(at(NaN_)).toBe(false);
      // the 5 s extreme at or beyond the stop (the move extended past it between control ticks) is gone
      // too, one ulp short of it stands; NULL is no evidence
      const inside = (x: number) =>
        kinematicsHolds({ ...flat, mid: 10_000 + s.sign * 20, [extremeKey(s)]: x }, held);
      expect(inside(held.stop)).toBe(false);
      expect(inside(s.sign > 0 ? nextDown(held.stop) : nextUp(held.stop))).toBe(true);
      expect(inside(NaN_)).toBe(true);
      // through evaluate: gone → no setup (the machine goes back to SCANNING)
      expect(evaluateKinematics({ ...flat, mid: 10_000 }, 'ARMED', held, healthy)).toMatchObject({
        setup: null,
        trigger: false,
      });
    });
  }
  for (const s of SIDES)
    it(`${s.side}: a stall that would fire, after the 5 s extreme went past the stop between ticks: gone, no entry (it would be invalidated at once)`, () => {
      const held = kinematicsSetup(moved(s))!;
      const top = 10_000 + s.sign * 50;
      const stall = moved(s, { mid: top, mid1sAgo: top, [s.push]: 70_000, [s.other]: 30_000 });
      expect(evaluateKinematics(stall, 'ARMED', held, healthy).trigger).toBe(true);
      const spiked = { ...stall, [extremeKey(s)]: held.stop };
      expect(kinematicsTrigger(spiked, held).fired).toBe(true); // the trigger alone would fire …
      expect(kinematicsExit(spiked, held, healthy)?.detail).toMatch(/new extreme/); // … into an invalidation
      expect(evaluateKinematics(spiked, 'ARMED', held, healthy)).toMatchObject({
        setup: null,
        trigger: false,
      });
    });
  it('unhealthy or stale while ARMED: no setup (back to SCANNING); never arms while unhealthy or stale', () => {
    const held = kinematicsSetup(moved(SIDES[0]!))!;
    expect(
      evaluateKinematics(moved(SIDES[0]!), 'ARMED', held, { healthy: false, stale: false }).setup,
    ).toBeNull();
    expect(
      evaluateKinematics(moved(SIDES[0]!), 'ARMED', held, { healthy: true, stale: true }).setup,
    ).toBeNull();
    expect(
      evaluateKinematics(moved(SIDES[0]!), 'SCANNING', null, { healthy: false, stale: false }).setup,
    ).toBeNull();
    expect(
      evaluateKinematics(moved(SIDES[0]!), 'SCANNING', null, { healthy: true, stale: true }).setup,
    ).toBeNull();
    expect(evaluateKinematics(moved(SIDES[0]!), 'SCANNING', null, healthy).setup?.side).toBe('SHORT');
  });
});

describe('Kinematics exits while ENTERED: each with a trigger and a no-trigger case', () => {
  for (const s of SIDES) {
    describe(s.side, () => {
      const held = kinematicsSetup(moved(s))!;
      /** In the trade: 20 bps back from the extreme, the 5 s window (10 040 → 10 030) inside the stop. */
      const inTrade = (o: Partial<KinematicsView> = {}): KinematicsView => ({
        ...flat,
        mid: 10_000 + s.sign * 30,
        mid1sAgo: 10_000 + s.sign * 35,
        [extremeKey(s)]: 10_000 + s.sign * 40,
        [otherKey(s)]: 10_000 + s.sign * 30,
        ...o,
      });
      const exit = (o: Partial<KinematicsView>) => kinematicsExit(inTrade(o), held, healthy);
      it('nothing to do in the trade', () => {
        expect(exit({})).toBeNull();
      });
      it('target = the frozen origin: exactly there exits as target; one ulp short does not', () => {
        expect(exit({ mid: 10_000 })?.reason).toBe('target');
        expect(exit({ mid: s.sign > 0 ? nextUp(10_000) : nextDown(10_000) })).toBeNull();
      });
      it('stop: mid exactly at the stop exits as stop; one ulp short does not', () => {
        expect(exit({ mid: held.stop })?.reason).toBe('stop');
        expect(exit({ mid: s.sign > 0 ? nextDown(held.stop) : nextUp(held.stop) })).toBeNull();
      });
      it('a new extreme beyond the stop (the 5 s max (min) of mid at or past it while mid is back inside): invalidation; one ulp short, NULL, or the other side of the window: nothing', () => {
        const k = extremeKey(s);
        const r = exit({ [k]: held.stop });
        expect(r).toEqual({
          reason: 'invalidation',
          detail: expect.stringMatching(/^new extreme .* beyond the stop .*\(frozen extreme \d+\)$/),
        });
        expect(exit({ [k]: s.sign > 0 ? nextUp(held.stop) : nextDown(held.stop) })?.reason).toBe(
          'invalidation',
        );
        expect(exit({ [k]: s.sign > 0 ? nextDown(held.stop) : nextUp(held.stop) })).toBeNull();
        expect(exit({ [k]: NaN_ })).toBeNull();
        expect(exit({ midMax5s: NaN_, midMin5s: NaN_ })).toBeNull();
        // the origin's side of the window, however far, is not an extreme of the move
        expect(exit({ [otherKey(s)]: 10_000 - s.sign * 5 })).toBeNull();
        // the rolling window's extreme being past the frozen one (but inside the stop) is nothing
        expect(exit({ [k]: 10_000 + s.sign * 55 })).toBeNull();
        // the 1 s sample is not what this reads any more
        expect(exit({ mid1sAgo: held.stop })).toBeNull();
      });
      it('defended depth below 50 % of its 5 s mean (exactly 50 % holds); the other side thinning does not count; NULL does not', () => {
        expect(exit({ [s.defended]: 250_000 })).toBeNull();
        expect(exit({ [s.defended]: nextDown(250_000) })).toEqual({
          reason: 'invalidation',
          detail: `defended depth thinning: ${s.defended} 250000 < 0.5 × 5s mean 500000`,
        });
        expect(exit({ [s.attacked]: 1 })).toBeNull();
        expect(exit({ [s.defended]: NaN_ })).toBeNull();
        expect(exit({ [s.defended]: 1, [s.defendedMean]: NaN_ })).toBeNull();
      });
      it('oiDrop10s ≥ 0.02 (exactly 0.02 exits, one ulp less does not; NULL does not)', () => {
        expect(exit({ oiDrop10s: 0.02 })).toEqual({
          reason: 'invalidation',
          detail: 'oiDrop10s 0.02 ≥ 0.02',
        });
        expect(exit({ oiDrop10s: nextDown(0.02) })).toBeNull();
        expect(exit({ oiDrop10s: NaN_ })).toBeNull();
      });
      it('health not HEALTHY / state stale / mid NULL invalidate', () => {
        expect(kinematicsExit(inTrade(), held, { healthy: false, stale: false })).toEqual({
          reason: 'invalidation',
          detail: 'health not HEALTHY',
        });
        expect(kinematicsExit(inTrade(), held, { healthy: true, stale: true })).toEqual({
          reason: 'invalidation',
          detail: 'hot state stale',
        });
        expect(exit({ mid: NaN_ })).toEqual({ reason: 'invalidation', detail: 'mid NULL' });
      });
      it('exits read the frozen levels: a new setup on the rolling window (another move) changes nothing', () => {
        const rolling = inTrade({ mid5sAgo: 10_000 + s.sign * 100, move5s: -s.sign * 0.007 });
        expect(kinematicsSetup(rolling)?.side).not.toBe(s.side);
        expect(kinematicsExit(rolling, held, healthy)).toBeNull();
        expect(evaluateKinematics(rolling, 'ENTERED', held, healthy).exit).toBeNull();
      });
    });
  }
});

describe('evaluateKinematics per phase', () => {
  const s = SIDES[0]!;
  const held = kinematicsSetup(moved(s))!;
  const none = { setup: null, trigger: false, exit: null, sizeFraction: 0 };
  for (const phase of ['DISABLED', 'EXITED', 'COOLDOWN'] as LifecyclePhase[])
    it(`${phase}: nothing, whatever the market`, () => {
      expect(evaluateKinematics(moved(s), phase, held, healthy)).toEqual(none);
      expect(
        evaluateKinematics(moved(s, { mid: 10_000 }), phase, held, { healthy: false, stale: true }),
      ).toEqual(none);
    });
  it('ARMED or ENTERED without a held setup: nothing to measure against', () => {
    expect(evaluateKinematics(moved(s), 'ARMED', null, healthy)).toEqual(none);
    expect(evaluateKinematics({ ...flat, mid: 10_000 }, 'ENTERED', null, healthy)).toEqual(none);
  });
  it('SCANNING reports the setup only; ENTERED the exit only', () => {
    expect(evaluateKinematics(moved(s), 'SCANNING', null, healthy)).toEqual({ ...none, setup: held });
    expect(evaluateKinematics({ ...flat, mid: 10_000 }, 'ENTERED', held, healthy)).toMatchObject({
      setup: null,
      exit: { reason: 'target' },
    });
  });
  it('a setup without its frozen levels is a strategy error (thrown, caught as STRATEGY_ERROR by the actor)', () => {
    const broken: SetupInfo = { ...held, levels: {} };
    expect(() => kinematicsTrigger(moved(s, { mid1sAgo: 10_050 }), broken)).toThrow(/without extreme/);
  });
});

describe('Kinematics definition', () => {
  it('is discovered by the registry from its file alone (the same definition object)', () => {
    expect(STRATEGIES.filter((d) => d.name === 'kinematics')).toEqual([strategy]);
    expect(STRATEGIES.find((d) => d.name === 'kinematics')).toBe(strategy);
  });
  it('defaults pin the RULEBOOK', () => {
    expect(DEFAULT_KINEMATICS).toEqual({
      enabled: true,
      walletFilter: false,
      armTimeoutMs: 10_000,
      maxHoldMs: 300_000,
      cooldownMs: 60_000,
      sigmaMult: 3,
      aggShareMin: 0.6,
      retraceMax: 0.5,
      stopBps: 10,
      thinningFraction: 0.5,
      oiDropExit: 0.02,
    });
    expect(strategy.params.parse({})).toEqual(DEFAULT_KINEMATICS);
  });
  it('name, family SLBRS (SIDEWAYS), its rules', () => {
    expect(strategy).toMatchObject({ name: 'kinematics', family: 'SLBRS' });
    expect(FAMILY_REGIME[strategy.family]).toBe('SIDEWAYS');
    expect(strategy.holds).toBe(kinematicsHolds);
  });
  it('params: unknown keys and out-of-range values are refused, overrides kept', () => {
    expect(() => kinematicsParams.parse({ sigmaMul: 3 })).toThrow();
    expect(() => kinematicsParams.parse({ aggShareMin: 1.5 })).toThrow();
    expect(() => kinematicsParams.parse({ stopBps: -1 })).toThrow();
    expect(kinematicsParams.parse({ sigmaMult: 2.5 }).sigmaMult).toBe(2.5);
  });
  it('the view reads the hot-state fields the RULEBOOK names', () => {
    const slot = newSlot();
    const set: Record<string, number> = {
      mid: 101,
      ret5s: 0.004,
      sigma5s1h: 0.001,
      mid1sAgo: 102,
      midMax5s: 103,
      midMin5s: 99,
      mid2sAgo: 107, // not read
      mid5sAgo: 104,
      buyNtl1s: 1,
      sellNtl1s: 2,
      depthBid20: 3,
      depthAsk20: 4,
      depthBid20Mean5s: 5,
      depthAsk20Mean5s: 6,
      oiDrop10s: 0.007,
    };
    for (const [k, x] of Object.entries(set)) slot[F[k as keyof typeof F]] = x;
    expect(kinematicsView(new HotView(slot))).toEqual({
      mid: 101,
      move5s: 0.004,
      sigma5s: 0.001,
      mid1sAgo: 102,
      midMax5s: 103,
      midMin5s: 99,
      mid5sAgo: 104,
      buyNotional1s: 1,
      sellNotional1s: 2,
      depthBid20: 3,
      depthAsk20: 4,
      depthBid20Mean5s: 5,
      depthAsk20Mean5s: 6,
      oiDrop10s: 0.007,
    });
    // a fresh slot: everything NULL, nothing arms
    expect(kinematicsSetup(kinematicsView(new HotView(newSlot())))).toBeNull();
  });
});
