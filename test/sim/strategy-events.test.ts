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
import {
  cascadeSetup,
  checkCascade,
  checkExhaustion,
  checkRangeEdge,
  geometryEntryFlow,
  kinematicsSetup,
  outside,
  WARM_MS,
} from './event-checks.ts';
import { probeScenario } from './hot-probe.ts';

const SEED = 11;

const count = <T>(xs: readonly T[], f: (x: T) => boolean) => xs.filter(f).length;
const pct = (a: number, b: number) => (b === 0 ? 0 : Number(((100 * a) / b).toFixed(3)));

/**
 * A scenario's labelled events over its whole run (`strategyEventsOf` with the default duration), computed
 * once per scenario: the listing test reads every scenario's, the hot-state tests the same exhaustion and
 * cascade ones again (deterministic: the same seed gives the same events).
 */
const wholeRunEvents = new Map<string, StrategyEvent[]>();
const eventsOfWholeRun = (scenario: string): StrategyEvent[] => {
  let events = wholeRunEvents.get(scenario);
  if (!events) wholeRunEvents.set(scenario, (events = strategyEventsOf({ seed: SEED, scenario })));
  return events;
};

describe('labelled strategy events in the ground truth', () => {
  it('every scenario lists its events, typed, with unique ids and windows inside the run', () => {
    const reach: Record<string, Record<string, number>> = {};
    for (const scenario of scenarioNames()) {
      const events = eventsOfWholeRun(scenario);
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
    expect(strategyEventsOf({ seed: SEED, scenario: 'exhaustion', durationMs, finishOpen: false })).toEqual(
      streamed,
    );
    // by default the events under way at the end are run to their end and listed too
    const finished = strategyEventsOf({ seed: SEED, scenario: 'exhaustion', durationMs });
    expect(finished.slice(0, streamed.length)).toEqual(streamed);
    const end = r.startTime + durationMs;
    expect(finished.every((e) => e.start <= end)).toBe(true);
    expect(finished.slice(streamed.length).every((e) => e.end > r.endTime - 200)).toBe(true);
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
    // the whole run's events: strategyEventsOf's default duration is scenarioDurationMs(scenario)
    const events = eventsOfWholeRun(scenario).filter((e) => e.kind === 'exhaustion');
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
    const events = eventsOfWholeRun(scenario).filter((e) => e.kind === 'cascade');
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

  it('range-edge: Geometry setup and absorption inside the edge episodes of a sideways range', () => {
    const scenario = 'sideways';
    const durationMs = 95 * 60_000;
    const all = strategyEventsOf({ seed: SEED, scenario, durationMs });
    const events = all.filter((e) => e.kind === 'range-edge');
    const p = probeScenario({ seed: SEED, scenario, durationMs });
    const checks = events.map((e) => ({ e, c: checkRangeEdge(p.samples.get(e.coin)!, e) }));
    const out = outside(p.samples, all, p.startTime + WARM_MS, geometryEntryFlow);
    let inTicks = 0;
    let inHits = 0;
    for (const e of events)
      for (const s of p.samples.get(e.coin)!)
        if (s.t >= e.start && s.t <= e.end) {
          inTicks++;
          if (geometryEntryFlow(s)) inHits++;
        }
    const reach = {
      scenario,
      seed: SEED,
      simMinutes: durationMs / 60_000,
      events: events.length,
      long: count(events, (e) => e.side === 'LONG'),
      short: count(events, (e) => e.side === 'SHORT'),
      setup: count(checks, (x) => x.c.setup),
      trigger: count(checks, (x) => x.c.trigger),
      sidewaysThroughout: count(checks, (x) => x.c.regimeHeld),
      setupAndFlowTickPctInside: pct(inHits, inTicks),
      setupAndFlowTickPctFarOutside: pct(out.hits, out.ticks),
      farOutsideTicks: out.ticks,
    };
    console.log(`[strategy events hot state] ${JSON.stringify(reach)}`);
    expect(events.length).toBeGreaterThan(15);
    expect(count(checks, (x) => x.c.regimeHeld)).toBe(events.length);
    // the edge episodes are the sim's absorption at its oscillation's turning points: most are at the
    // edge of the 15 m range as Geometry measures it (the others sit inside a range widened by noise)
    expect(count(checks, (x) => x.c.setup && x.c.trigger) / events.length).toBeGreaterThanOrEqual(0.85);
    expect(inHits / inTicks).toBeGreaterThan(0.25);
    expect(out.hits / out.ticks).toBeLessThan(0.01);
  });
});
