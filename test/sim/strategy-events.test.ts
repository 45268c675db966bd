/**
 * Labelled strategy events (sim/events.ts) against the hot state the system builds from the simulator's
 * frames. Each scenario is played the way the system sees it (the offline session's records through the
 * real ingest pipeline and state builder, see hot-probe.ts); per labelled event the RULEBOOK's setup,
 * trigger and resolution conditions are evaluated on the hot-state fields at the control ticks and must
 * become true inside the event's window, in the event's regime; far from every event the setups must
 * (almost) never hold. The reach (events, how many met each condition, rates inside and outside) is printed.
 */
import { describe, expect, it } from 'vitest';
import { groundTruthToJsonl } from '../../sim/engine.ts';
import {
  isInside,
  matchEntries,
  type StrategyEvent,
  StrategyEventLineSchema,
  StrategyEventSchema,
} from '../../sim/events.ts';
import { generate, strategyEventsOf } from '../../sim/generate.ts';
import { scenarioDurationMs, scenarioNames } from '../../sim/scenarios.ts';
import { type HotSample, probeScenario } from './hot-probe.ts';

const SEED = 11;
/** "Far outside": more than this from every event of the coin (a 5 s move and a 10 s window age out). */
const FAR_MS = 15_000;
/** Outside ticks are counted once the 1 h windows are warm and the regime has settled. */
const WARM_MS = 3_600_000 + 60_000;

const sign = (e: StrategyEvent): 1 | -1 =>
  e.kind === 'exhaustion' ? (e.side === 'SHORT' ? 1 : -1) : e.side === 'SHORT' ? -1 : 1;

function inWindow(ss: readonly HotSample[], from: number, to: number): HotSample[] {
  return ss.filter((s) => s.t >= from && s.t <= to);
}

/** The sample in force at `t` (the last one at or before it). */
function sampleAt(ss: readonly HotSample[], t: number): HotSample | undefined {
  let lo = 0;
  let hi = ss.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (ss[m]!.t <= t) lo = m + 1;
    else hi = m;
  }
  return lo === 0 ? undefined : ss[lo - 1];
}

/** Kinematics setup on one tick: SIDEWAYS and |move5s| ≥ 3 σ (NULL σ: false). */
function kinematicsSetup(s: HotSample): boolean {
  return s.regime === 'SIDEWAYS' && Number.isFinite(s.sigma5s1h) && Math.abs(s.ret5s) >= 3 * s.sigma5s1h;
}

/** Cascade setup on one tick: EXPANSION, oiDrop10s ≥ 0.03 and one side ≥ 80 % of the 5 s notional. */
function cascadeSetup(s: HotSample): boolean {
  const tot = s.buyNtl5s + s.sellNtl5s;
  return (
    s.regime === 'EXPANSION' &&
    s.oiDrop10s >= 0.03 &&
    tot > 0 &&
    Math.max(s.buyNtl5s, s.sellNtl5s) / tot >= 0.8
  );
}

interface ExhaustionCheck {
  setup: boolean;
  setupSideOk: boolean;
  trigger: boolean;
  resolved: boolean;
  regimeHeld: boolean;
  setupTicks: number;
  ticks: number;
}

/** RULEBOOK Kinematics on one labelled exhaustion event, from the hot-state samples. */
function checkExhaustion(ss: readonly HotSample[], e: StrategyEvent): ExhaustionCheck {
  const dir = sign(e);
  const win = inWindow(ss, e.start, e.end);
  const out: ExhaustionCheck = {
    setup: false,
    setupSideOk: false,
    trigger: false,
    resolved: false,
    regimeHeld: win.length > 0 && win.every((s) => s.regime === 'SIDEWAYS'),
    setupTicks: win.filter(kinematicsSetup).length,
    ticks: win.length,
  };
  const armed = win.find(kinematicsSetup);
  if (!armed) return out;
  out.setup = true;
  out.setupSideOk = Math.sign(armed.ret5s) === dir;
  // frozen at arming: the origin (mid 5 s ago) and the extreme (furthest mid over the last 5 s)
  const origin = armed.mid5sAgo;
  const last5 = inWindow(ss, armed.t - 5_000, armed.t).map((s) => s.mid);
  const extreme = dir === 1 ? Math.max(...last5) : Math.min(...last5);
  // trigger within armTimeout 10 s: stalled or turned, aggression still pushing, not back past half
  const trig = inWindow(ss, armed.t, armed.t + 10_000).find((s) => {
    const v1s = s.mid - s.mid1sAgo;
    const tot = s.buyNtl1s + s.sellNtl1s;
    const share = tot > 0 ? (dir === 1 ? s.buyNtl1s : s.sellNtl1s) / tot : Number.NaN;
    const within = dir * (s.mid - origin) >= 0.5 * dir * (extreme - origin);
    return s.regime === 'SIDEWAYS' && v1s * dir <= 0 && share >= 0.6 && within;
  });
  if (!trig) return out;
  out.trigger = true;
  // the outcome, after the trigger and by the end of the window: the target (the origin, within 2 bps)
  // for a revert, beyond the stop (the extreme by 10 bps) for a breakout
  const after = inWindow(ss, trig.t, e.end + 2_000);
  out.resolved =
    e.outcome === 'revert'
      ? after.some((s) => (dir * (s.mid - origin)) / origin <= 2e-4)
      : after.some((s) => dir * (s.mid - extreme * (1 + dir * 0.001)) > 0);
  return out;
}

interface CascadeCheck {
  setup: boolean;
  setupSideOk: boolean;
  trigger: boolean;
  oiStopped: boolean;
  refilled: boolean;
  regimeHeld: boolean;
  setupTicks: number;
  ticks: number;
}

/** RULEBOOK Cascade on one labelled cascade event, from the hot-state samples. */
function checkCascade(ss: readonly HotSample[], e: StrategyEvent): CascadeCheck {
  const dir = sign(e); // −1: longs liquidated, sells hit the bids
  const win = inWindow(ss, e.start, e.end);
  const out: CascadeCheck = {
    setup: false,
    setupSideOk: false,
    trigger: false,
    oiStopped: false,
    refilled: false,
    regimeHeld: false,
    setupTicks: win.filter(cascadeSetup).length,
    ticks: win.length,
  };
  const armed = win.find(cascadeSetup);
  if (!armed) return out;
  out.setup = true;
  out.setupSideOk = (armed.buyNtl5s > armed.sellNtl5s ? 1 : -1) === dir;
  const hit = (s: HotSample) => (dir === -1 ? s.depthBid20 : s.depthAsk20);
  const pre = dir === -1 ? armed.depthBid20Mean5s : armed.depthAsk20Mean5s;
  const startPx = sampleAt(ss, armed.t - 10_000)?.mid ?? Number.NaN;
  const trig = inWindow(ss, armed.t, armed.t + 10_000).find(
    (s) => s.regime === 'EXPANSION' && hit(s) < 0.5 * pre && dir * (s.mid - startPx) > 0,
  );
  if (!trig) return out;
  out.trigger = true;
  out.regimeHeld = inWindow(ss, e.start, trig.t).every((s) => s.regime === 'EXPANSION');
  // then OI stops making new lows for 5 s, and the hit side refills above 80 % of the pre-cascade depth
  const after = inWindow(ss, trig.t, e.end + 5_000);
  let low = Number.POSITIVE_INFINITY;
  let lowAt = trig.t;
  for (const s of inWindow(ss, e.start, e.end + 5_000)) {
    if (s.oi < low) {
      low = s.oi;
      lowAt = s.t;
    }
    if (s.t > trig.t && s.t - lowAt >= 5_000) {
      out.oiStopped = true;
      break;
    }
  }
  out.refilled = after.some((s) => hit(s) >= 0.8 * pre);
  return out;
}

/** Ticks far from every event of the coin where `pred` holds, over all such ticks. */
function outside(
  samples: Map<string, HotSample[]>,
  events: readonly StrategyEvent[],
  from: number,
  pred: (s: HotSample) => boolean,
): { hits: number; ticks: number } {
  let hits = 0;
  let ticks = 0;
  for (const [coin, ss] of samples) {
    const mine = events.filter((e) => e.coin === coin);
    for (const s of ss) {
      if (s.t < from) continue;
      if (mine.some((e) => s.t >= e.start - FAR_MS && s.t <= e.end + FAR_MS)) continue;
      ticks++;
      if (pred(s)) hits++;
    }
  }
  return { hits, ticks };
}

const count = <T>(xs: readonly T[], f: (x: T) => boolean) => xs.filter(f).length;
const pct = (a: number, b: number) => (b === 0 ? 0 : Number(((100 * a) / b).toFixed(3)));

describe('labelled strategy events in the ground truth', () => {
  it('every scenario lists its events, typed, with unique ids and windows inside the run', () => {
    const reach: Record<string, Record<string, number>> = {};
    for (const scenario of scenarioNames()) {
      const events = strategyEventsOf({ seed: SEED, scenario });
      const byKind: Record<string, number> = {};
      for (const e of events) {
        expect(StrategyEventSchema.parse(e)).toEqual(e);
        expect(e.start).toBeLessThan(e.end);
        expect(e.id.startsWith(`${e.coin}-${e.kind}-`)).toBe(true);
        const k = `${e.kind}/${e.outcome}`;
        byKind[k] = (byKind[k] ?? 0) + 1;
      }
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
      // listed in the order they ended
      expect(events.every((e, i) => i === 0 || events[i - 1]!.end <= e.end)).toBe(true);
      reach[scenario] = byKind;
    }
    console.log(`[strategy events] seed ${SEED} ${JSON.stringify(reach)}`);
    // three coins: six spikes each (four revert, two break out), three staged cascades each
    expect(reach.exhaustion!['exhaustion/revert']).toBe(12);
    expect(reach.exhaustion!['exhaustion/breakout']).toBe(6);
    expect(reach.cascade!['cascade/continue']).toBe(9);
    expect(reach['expansion-cascade']!['cascade/continue']).toBe(6);
    expect(reach.default!['cascade/continue']).toBe(3);
    expect(reach.sideways!['range-edge/revert']).toBeGreaterThan(10);
    expect(reach.chop).toEqual({});
    // the cascade labels are the engine's cascades
    expect(reach.exhaustion!['cascade/continue']).toBeUndefined();
  });

  it('the events of a run do not depend on the frames asked for; they are JSONL lines of the ground truth', () => {
    const durationMs = 75 * 60_000;
    const streamed: StrategyEvent[] = [];
    const r = generate({
      seed: SEED,
      scenario: 'exhaustion',
      durationMs,
      channels: ['trades'],
      onFrame: () => {},
      onStrategyEvent: (e) => streamed.push(e),
    });
    expect(streamed.length).toBeGreaterThan(3);
    expect(strategyEventsOf({ seed: SEED, scenario: 'exhaustion', durationMs })).toEqual(streamed);
    const lines = groundTruthToJsonl(r.engine.groundTruth())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const parsed = lines
      .filter((l) => l.event === 'strategyEvent')
      .map((l) => StrategyEventLineSchema.parse(l));
    expect(parsed.map(({ event: _e, ...rest }) => rest)).toEqual(streamed);
    // each line comes after the labels of the seconds before its end
    const idx = lines.findIndex((l) => l.event === 'strategyEvent');
    expect(lines[idx - 1].t).toBeLessThanOrEqual(parsed[0]!.end);
  });

  it('matchEntries: inside = same coin and time in [start, end]; precision and recall', () => {
    const e = (id: string, coin: string, start: number, end: number): StrategyEvent => ({
      id,
      kind: 'exhaustion',
      coin,
      start,
      end,
      outcome: 'revert',
      side: 'SHORT',
      strategy: 'kinematics',
      fromPx: 1,
      extremePx: 2,
      notes: '',
    });
    const events = [e('a', 'BTC', 1_000, 2_000), e('b', 'ETH', 1_000, 2_000), e('c', 'BTC', 5_000, 6_000)];
    expect(isInside(events[0]!, 'BTC', 1_000)).toBe(true);
    expect(isInside(events[0]!, 'BTC', 2_000)).toBe(true);
    expect(isInside(events[0]!, 'BTC', 2_001)).toBe(false);
    expect(isInside(events[0]!, 'ETH', 1_500)).toBe(false);
    const m = matchEntries(
      events,
      [
        { coin: 'BTC', time: 1_500 },
        { coin: 'BTC', time: 1_800 },
        { coin: 'ETH', time: 3_000 },
        { coin: 'SOL', time: 1_500 },
      ],
      ['exhaustion'],
    );
    expect(m.entries.map((x) => x.event?.id ?? null)).toEqual(['a', 'a', null, null]);
    expect(m.precision).toBe(0.5);
    expect(m.recall).toBeCloseTo(1 / 3);
    expect(m.taken).toEqual(['a']);
    expect(matchEntries(events, [{ coin: 'BTC', time: 1_500 }], ['cascade'])).toMatchObject({
      precision: 0,
      recall: 1,
      events: 0,
    });
  });
});

describe('the RULEBOOK setups hold in the hot state inside the labelled events, and not far outside', () => {
  it('exhaustion: Kinematics setup, trigger and outcome inside every spike, regime SIDEWAYS', () => {
    const scenario = 'exhaustion';
    const durationMs = scenarioDurationMs(scenario);
    const events = strategyEventsOf({ seed: SEED, scenario, durationMs }).filter(
      (e) => e.kind === 'exhaustion',
    );
    const p = probeScenario({ seed: SEED, scenario, durationMs });
    const checks = events.map((e) => ({ e, c: checkExhaustion(p.samples.get(e.coin)!, e) }));
    const out = outside(p.samples, events, p.startTime + WARM_MS, kinematicsSetup);
    const inTicks = checks.reduce((a, x) => a + x.c.ticks, 0);
    const inSetup = checks.reduce((a, x) => a + x.c.setupTicks, 0);
    const reach = {
      scenario,
      seed: SEED,
      simMinutes: durationMs / 60_000,
      events: events.length,
      revert: count(events, (e) => e.outcome === 'revert'),
      breakout: count(events, (e) => e.outcome === 'breakout'),
      setup: count(checks, (x) => x.c.setup),
      setupOnTheMoveSide: count(checks, (x) => x.c.setupSideOk),
      trigger: count(checks, (x) => x.c.trigger),
      outcomeReached: count(checks, (x) => x.c.resolved),
      sidewaysThroughout: count(checks, (x) => x.c.regimeHeld),
      setupTickPctInside: pct(inSetup, inTicks),
      setupTickPctFarOutside: pct(out.hits, out.ticks),
      farOutsideSetupTicks: out.hits,
      farOutsideTicks: out.ticks,
      rejectedFrames: p.rejected,
    };
    console.log(`[strategy events hot state] ${JSON.stringify(reach)}`);
    for (const { e, c } of checks) {
      expect({ id: e.id, ...c }).toMatchObject({
        id: e.id,
        setup: true,
        setupSideOk: true,
        trigger: true,
        resolved: true,
        regimeHeld: true,
      });
    }
    expect(events.length).toBe(18);
    expect(p.rejected).toBe(0);
    expect(out.ticks).toBeGreaterThan(3 * 20 * 60);
    expect(out.hits / out.ticks).toBeLessThanOrEqual(0.001);
  });

  it('cascade: Cascade setup, trigger, OI stopping and refill inside every cascade, regime EXPANSION', () => {
    const scenario = 'cascade';
    const durationMs = scenarioDurationMs(scenario);
    const events = strategyEventsOf({ seed: SEED, scenario, durationMs }).filter((e) => e.kind === 'cascade');
    const p = probeScenario({ seed: SEED, scenario, durationMs });
    const checks = events.map((e) => ({ e, c: checkCascade(p.samples.get(e.coin)!, e) }));
    const out = outside(p.samples, events, p.startTime + WARM_MS, cascadeSetup);
    const inTicks = checks.reduce((a, x) => a + x.c.ticks, 0);
    const inSetup = checks.reduce((a, x) => a + x.c.setupTicks, 0);
    const expansionTicks = [...p.samples.values()].flat().filter((s) => s.t >= p.startTime + WARM_MS);
    const reach = {
      scenario,
      seed: SEED,
      simMinutes: durationMs / 60_000,
      events: events.length,
      setup: count(checks, (x) => x.c.setup),
      setupOnTheFlowSide: count(checks, (x) => x.c.setupSideOk),
      trigger: count(checks, (x) => x.c.trigger),
      expansionUntilTrigger: count(checks, (x) => x.c.regimeHeld),
      oiStopped: count(checks, (x) => x.c.oiStopped),
      refilled: count(checks, (x) => x.c.refilled),
      setupTickPctInside: pct(inSetup, inTicks),
      setupTickPctFarOutside: pct(out.hits, out.ticks),
      farOutsideSetupTicks: out.hits,
      farOutsideTicks: out.ticks,
      expansionPctAfterWarmup: pct(
        count(expansionTicks, (s) => s.regime === 'EXPANSION'),
        expansionTicks.length,
      ),
      rejectedFrames: p.rejected,
    };
    console.log(`[strategy events hot state] ${JSON.stringify(reach)}`);
    for (const { e, c } of checks) {
      expect({ id: e.id, ...c }).toMatchObject({
        id: e.id,
        setup: true,
        setupSideOk: true,
        trigger: true,
        regimeHeld: true,
        oiStopped: true,
        refilled: true,
      });
    }
    expect(events.length).toBe(9);
    expect(p.rejected).toBe(0);
    expect(out.ticks).toBeGreaterThan(3 * 20 * 60);
    expect(out.hits).toBe(0);
  });
});
