/**
 * Kinematics under random markets (fast-check, fixed seed), NULLs injected into every field:
 * - the views come from a mid path over the last 5 s (the mid 5 s ago, mids in between, the mid 1 s ago,
 *   mid now): `midMax5s` / `midMin5s` are its max / min, so the brute-force meaning of the extreme is
 *   "the furthest mid of the path";
 * - setup: never throws; arms exactly when |move5s| ≥ 3 σ with every input known (the 5 s extreme of the
 *   move's side included); the side is against the move; the extreme is the path's max (min), wherever
 *   in the window it was; the levels are ordered target (origin) < mid ≤ extreme < stop for SHORT (mirror
 *   for LONG), the stop exactly 10 bps beyond the extreme;
 * - frozen levels: the trigger and the exits give the same verdict whatever the rolling-only fields
 *   (move5s, sigma5s, mid 5 s ago) say once armed;
 * - the trigger fires exactly when stalled/turned, pushed (aggShare1s ≥ 0.6), and within the move; an
 *   entry it allows sits strictly between target and stop, with a positive, finite 0.5 % size, and is
 *   not at once a target, stop or new-extreme exit;
 * - exits: target, then stop, then "a new extreme beyond the stop" exactly when the later window's path
 *   reached the stop while mid is back inside.
 * Each property prints its reach and asserts it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SetupInfo } from '../../machines/strategy.types.ts';
import {
  DEFAULT_KINEMATICS,
  evaluateKinematics,
  type KinematicsView,
  kinematicsExit,
  kinematicsHolds,
  kinematicsSetup,
  kinematicsTrigger,
} from '../../strategies/kinematics.ts';

const healthy = { healthy: true, stale: false };
const SEED = 20261201;

/** A value, or now and then NULL. */
const orNull = (a: fc.Arbitrary<number>) =>
  fc.oneof({ weight: 14, arbitrary: a }, { weight: 1, arbitrary: fc.constant(Number.NaN) });
/** Uniform over [min, max] (fast-check's own doubles crowd near zero), the bounds included. */
const dbl = (min: number, max: number) =>
  fc.integer({ min: 0, max: 1_000_000 }).map((i) => min + ((max - min) * i) / 1_000_000);
const flow = fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 6, arbitrary: dbl(0, 1e6) });

const pathMax = (path: readonly number[]) => path.reduce((a, b) => Math.max(a, b));
const pathMin = (path: readonly number[]) => path.reduce((a, b) => Math.min(a, b));

/**
 * A market view: a move of up to ±1 % from an origin, σ up to 40 bps, a mid path over the last 5 s (the
 * origin, up to 8 mids in between within ±1.3 % of it, the mid 1 s ago, mid), flows, depth, OI.
 */
const view: fc.Arbitrary<KinematicsView & { path: number[] }> = fc
  .record({
    origin: dbl(100, 100_000),
    m: dbl(-0.01, 0.01),
    sigma: dbl(0, 0.003),
    d1: dbl(-0.003, 0.003),
    inner: fc.array(dbl(-0.013, 0.013), { maxLength: 8 }),
    buy: flow,
    sell: flow,
    bid: dbl(0, 1e6),
    ask: dbl(0, 1e6),
    bidMean: dbl(1, 1e6),
    askMean: dbl(1, 1e6),
    oiDrop: dbl(0, 0.05),
  })
  .chain((r) => {
    const mid = r.origin * Math.exp(r.m);
    const mid1sAgo = mid * Math.exp(r.d1);
    const path = [r.origin, ...r.inner.map((d) => r.origin * Math.exp(d)), mid1sAgo, mid];
    return fc.record({
      path: fc.constant(path),
      mid: orNull(fc.constant(mid)),
      move5s: orNull(fc.constant(Math.log(mid / r.origin))),
      sigma5s: orNull(fc.constant(r.sigma)),
      mid1sAgo: orNull(fc.constant(mid1sAgo)),
      midMax5s: orNull(fc.constant(pathMax(path))),
      midMin5s: orNull(fc.constant(pathMin(path))),
      mid5sAgo: orNull(fc.constant(r.origin)),
      buyNotional1s: orNull(fc.constant(r.buy)),
      sellNotional1s: orNull(fc.constant(r.sell)),
      depthBid20: orNull(fc.constant(r.bid)),
      depthAsk20: orNull(fc.constant(r.ask)),
      depthBid20Mean5s: orNull(fc.constant(r.bidMean)),
      depthAsk20Mean5s: orNull(fc.constant(r.askMean)),
      oiDrop10s: orNull(fc.constant(r.oiDrop)),
    });
  });

/**
 * A view that arms (a 20–100 bps move, σ at most a third of it; its path may hold a top before mid, up to
 * 30 bps beyond it), and a later view around its extreme (its window's path: mid, the mid 1 s ago, and
 * maybe a new excursion within ±30 bps of the frozen extreme).
 */
const armedThenLater = fc
  .record({
    origin: dbl(100, 100_000),
    size: dbl(0.002, 0.01),
    up: fc.boolean(),
    sigmaFrac: dbl(0, 1 / 3),
    back: dbl(-0.2, 1.2), // where mid is later, as a fraction of the move back from the extreme
    over: dbl(0, 0.0015), // or how far beyond the extreme it went (log), when `beyond`
    beyond: fc.integer({ min: 0, max: 5 }).map((x) => x === 0),
    v1: fc.oneof(fc.constant(0), dbl(0.00001, 0.002)),
    turned: fc.boolean(),
    top: fc.option(dbl(0, 0.003), { nil: undefined }),
    excursion: fc.option(dbl(-0.003, 0.003), { nil: undefined }),
    buy: flow,
    sell: flow,
    depth: dbl(100_000, 1e6),
    oiDrop: dbl(0, 0.025),
    rolling: fc.record({ move5s: dbl(-0.02, 0.02), sigma5s: dbl(0, 0.01), mid5sAgo: dbl(50, 200_000) }),
  })
  .map((r) => {
    const sign = r.up ? 1 : -1;
    const m = sign * r.size;
    const mid = r.origin * Math.exp(m);
    const armPath = [r.origin, r.origin * Math.exp(m * 0.6), r.origin * Math.exp(m * 0.8), mid];
    // a top made earlier in the window, beyond mid (it turned before the arming tick)
    if (r.top !== undefined) armPath.splice(2, 0, mid * Math.exp(sign * r.top));
    const arm: KinematicsView = {
      mid,
      move5s: Math.log(mid / r.origin),
      sigma5s: (Math.abs(Math.log(mid / r.origin)) * r.sigmaFrac) / 1.000001,
      mid1sAgo: armPath[armPath.length - 2]!,
      midMax5s: pathMax(armPath),
      midMin5s: pathMin(armPath),
      mid5sAgo: r.origin,
      buyNotional1s: 1,
      sellNotional1s: 1,
      depthBid20: 500_000,
      depthAsk20: 500_000,
      depthBid20Mean5s: 500_000,
      depthAsk20Mean5s: 500_000,
      oiDrop10s: 0,
    };
    const armExtreme = r.up ? pathMax(armPath) : pathMin(armPath);
    const laterMid = r.beyond ? armExtreme * Math.exp(sign * r.over) : mid - r.back * (mid - r.origin);
    // a stall/turn, or still extending
    const later1s = laterMid * (1 + (r.turned ? sign : -sign) * Math.abs(r.v1));
    const laterPath = [later1s, laterMid];
    if (r.excursion !== undefined) laterPath.unshift(armExtreme * Math.exp(sign * r.excursion));
    const later: KinematicsView = {
      ...arm,
      mid: laterMid,
      mid1sAgo: later1s,
      midMax5s: pathMax(laterPath),
      midMin5s: pathMin(laterPath),
      buyNotional1s: r.buy,
      sellNotional1s: r.sell,
      depthBid20: r.depth,
      depthAsk20: r.depth,
      oiDrop10s: r.oiDrop,
    };
    return { arm, armPath, later, laterPath, rolling: r.rolling };
  });

describe('Kinematics properties', () => {
  it('setup: arms exactly when |move5s| ≥ 3 σ with every input known; side against the move; ordered levels', () => {
    const reach = { SHORT: 0, LONG: 0, nullInput: 0, nullExtreme: 0, belowThreshold: 0, topBeforeNow: 0 };
    fc.assert(
      fc.property(view, ({ path, ...v }) => {
        const s = kinematicsSetup(v);
        const known = [v.mid, v.move5s, v.sigma5s, v.mid5sAgo].every(Number.isFinite);
        const extremeKnown = Number.isFinite(v.move5s > 0 ? v.midMax5s : v.midMin5s);
        if (known && !extremeKnown && v.move5s !== 0) reach.nullExtreme++;
        if (!known || (!extremeKnown && v.move5s !== 0)) {
          reach.nullInput++;
          expect(s).toBeNull();
          return;
        }
        const should =
          v.move5s !== 0 && Math.abs(v.move5s) >= 3 * v.sigma5s && (v.mid - v.mid5sAgo) * v.move5s > 0;
        expect(s !== null).toBe(should);
        if (!s) {
          reach.belowThreshold++;
          return;
        }
        reach[s.side]++;
        const sign = s.side === 'SHORT' ? 1 : -1;
        expect(sign * v.move5s).toBeGreaterThan(0);
        const { extreme, origin } = s.levels as { extreme: number; origin: number };
        expect([extreme, origin, s.stop, s.target].every(Number.isFinite)).toBe(true);
        expect(s.target).toBe(origin);
        expect(origin).toBe(v.mid5sAgo);
        expect(sign * (v.mid - s.target)).toBeGreaterThan(0);
        expect(sign * (extreme - v.mid)).toBeGreaterThanOrEqual(0);
        expect(sign * (s.stop - extreme)).toBeGreaterThan(0);
        expect(s.stop).toBe(extreme * (1 + (sign * 10) / 1e4));
        // brute force: the extreme is the furthest mid of the 5 s path, wherever in the window it was
        expect(extreme).toBe(sign > 0 ? pathMax(path) : pathMin(path));
        expect(path).toContain(extreme);
        for (const x of path) expect(sign * (extreme - x)).toBeGreaterThanOrEqual(0);
        if (extreme !== v.mid && extreme !== v.mid1sAgo) reach.topBeforeNow++;
      }),
      { numRuns: 3000, seed: SEED },
    );
    console.log(`kinematics setup property reach: ${JSON.stringify(reach)}`);
    expect(reach.SHORT).toBeGreaterThan(300);
    expect(reach.LONG).toBeGreaterThan(300);
    expect(reach.nullInput).toBeGreaterThan(300);
    expect(reach.belowThreshold).toBeGreaterThan(300);
    expect(reach.nullExtreme).toBeGreaterThan(50);
    expect(reach.topBeforeNow).toBeGreaterThan(300);
  });

  it('once armed: trigger and exits read only the frozen levels; a trigger is exactly stall ∧ push ∧ within, and its entry is sane', () => {
    const reach = {
      armed: 0,
      fired: 0,
      notStalled: 0,
      notPushed: 0,
      notWithin: 0,
      gone: 0,
      firedButGone: 0,
      topBeforeArming: 0,
      newExtreme: 0,
      exits: {} as Record<string, number>,
    };
    fc.assert(
      fc.property(armedThenLater, ({ arm, armPath, later, laterPath, rolling }) => {
        const held: SetupInfo | null = kinematicsSetup(arm);
        expect(held).not.toBeNull();
        if (!held) return;
        reach.armed++;
        const sign = held.side === 'SHORT' ? 1 : -1;
        const { extreme, origin } = held.levels as { extreme: number; origin: number };
        // brute force: frozen at the furthest mid of the arming window's path
        expect(extreme).toBe(sign > 0 ? pathMax(armPath) : pathMin(armPath));
        if (extreme !== arm.mid) reach.topBeforeArming++;
        const moved = { ...later, ...rolling };
        const t = kinematicsTrigger(later, held);
        expect(kinematicsTrigger(moved, held)).toEqual(t);
        const x = kinematicsExit(later, held, healthy);
        expect(kinematicsExit(moved, held, healthy)).toEqual(x);
        expect(kinematicsHolds(moved, held)).toBe(kinematicsHolds(later, held));
        reach.exits[x?.reason ?? 'none'] = (reach.exits[x?.reason ?? 'none'] ?? 0) + 1;

        // the exits' oracle: target, then stop, then a new extreme (the later path) at or beyond the stop
        const laterExtreme = sign > 0 ? pathMax(laterPath) : pathMin(laterPath);
        const newExtreme = sign * (laterExtreme - held.stop) >= 0;
        if (sign * (origin - later.mid) >= 0) expect(x?.reason).toBe('target');
        else if (sign * (later.mid - held.stop) >= 0) expect(x?.reason).toBe('stop');
        else if (newExtreme) {
          reach.newExtreme++;
          expect(x).toMatchObject({ reason: 'invalidation', detail: expect.stringMatching(/^new extreme/) });
        } else expect(x?.detail ?? '').not.toMatch(/new extreme/);

        // the trigger's oracle, from the RULEBOOK's words
        const stalled = (later.mid - later.mid1sAgo) * sign <= 0;
        const pushing =
          later.buyNotional1s + later.sellNotional1s > 0 &&
          (sign > 0 ? later.buyNotional1s : later.sellNotional1s) /
            (later.buyNotional1s + later.sellNotional1s) >=
            0.6;
        const within =
          (extreme - later.mid) / (extreme - origin) <= 0.5 && (held.stop - later.mid) * sign > 0;
        expect(t.fired).toBe(stalled && pushing && within);
        if (!stalled) reach.notStalled++;
        else if (!pushing) reach.notPushed++;
        else if (!within) reach.notWithin++;
        const holds = kinematicsHolds(later, held);
        // the setup stands exactly while mid is strictly between origin and stop and the window short of the stop
        expect(holds).toBe(
          sign * (later.mid - origin) > 0 && sign * (held.stop - later.mid) > 0 && !newExtreme,
        );
        if (!holds) reach.gone++;
        const ev = evaluateKinematics(later, 'ARMED', held, healthy);
        expect(ev.trigger).toBe(t.fired && holds);
        if (t.fired && !holds) reach.firedButGone++;
        if (!ev.trigger) return;
        reach.fired++;
        // an allowed entry: strictly between target and stop, a positive finite size, not at once a
        // target, stop or new-extreme exit
        expect(sign * (later.mid - held.target)).toBeGreaterThan(0);
        expect(sign * (held.stop - later.mid)).toBeGreaterThan(0);
        expect(ev.sizeFraction).toBeGreaterThan(0);
        expect(Number.isFinite(ev.sizeFraction)).toBe(true);
        const atOnce = kinematicsExit(later, held, healthy);
        expect(['target', 'stop']).not.toContain(atOnce?.reason);
        expect(atOnce?.detail ?? '').not.toMatch(/new extreme/);
      }),
      { numRuns: 3000, seed: SEED },
    );
    console.log(`kinematics armed property reach: ${JSON.stringify(reach)}`);
    expect(reach.armed).toBe(3000);
    expect(reach.fired).toBeGreaterThan(200);
    expect(reach.notStalled).toBeGreaterThan(200);
    expect(reach.notPushed).toBeGreaterThan(200);
    expect(reach.notWithin).toBeGreaterThan(200);
    expect(reach.gone).toBeGreaterThan(200);
    expect(reach.firedButGone).toBeGreaterThan(50);
    expect(reach.topBeforeArming).toBeGreaterThan(1000);
    expect(reach.newExtreme).toBeGreaterThan(200);
    for (const r of ['none', 'target', 'stop', 'invalidation'])
      expect(reach.exits[r] ?? 0, r).toBeGreaterThan(200);
  });

  it('never throws and never arms or triggers on a view with NULLs where the rule needs a value', () => {
    let n = 0;
    fc.assert(
      fc.property(view, ({ path: _path, ...v }) => {
        const s =
          kinematicsSetup(v) ??
          kinematicsSetup({ ...v, mid: 100, move5s: 0.01, sigma5s: 0, mid5sAgo: 99, midMax5s: 100 });
        if (!s) return;
        const t = kinematicsTrigger(v, s, DEFAULT_KINEMATICS);
        const x = kinematicsExit(v, s, healthy);
        if (!Number.isFinite(v.mid) || !Number.isFinite(v.mid1sAgo)) {
          n++;
          expect(t.fired).toBe(false);
          if (!Number.isFinite(v.mid)) expect(x).toEqual({ reason: 'invalidation', detail: 'mid NULL' });
        }
      }),
      { numRuns: 2000, seed: SEED + 1 },
    );
    console.log(`kinematics NULL property reach: ${n} views with mid or mid1sAgo NULL`);
    expect(n).toBeGreaterThan(100);
  });
});
