/**
 * Cascade on the shared lifecycle machine, driven the way the decision engine drives a strategy: on every
 * 1 s control tick its `evaluate` (phase + the held setup) becomes a TICK. The market is a labelled path,
 * second by second, with the rolling fields derived from it as the state builder does (mid 10 s ago, the
 * hit side's 5 s mean of depth), so the rolling windows really move on while the levels frozen at arming
 * (start, preDepth) and the target fixed at the trigger (`entryLevels`) do not.
 */
import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { strategyMachine } from '../../machines/strategy.machine.ts';
import type { Intent, StrategyTimings } from '../../machines/strategy.types.ts';
import { ManualClock } from '../../state/clock.ts';
import { type LifecyclePhase, riskSize } from '../../strategies/definition.ts';
import { type CascadeView, DEFAULT_CASCADE, evaluateCascade } from '../../strategies/cascade.ts';

const TIMINGS: StrategyTimings = {
  armTimeoutMs: DEFAULT_CASCADE.armTimeoutMs,
  maxHoldMs: DEFAULT_CASCADE.maxHoldMs,
  cooldownMs: DEFAULT_CASCADE.cooldownMs,
  exitRetryMs: 2_000,
  entryTimeoutMs: 5_000,
};

/** One second of market: mid, OI drop, aggressor flow over 5 s, bid depth within 20 bps, ms since OI's last new low. */
type Market = { mid: number; oiDrop: number; sell: number; buy: number; bid: number; oiLowAge: number };

/** The hot-state view at second `t` of a path, as the state builder derives it. */
function viewAt(path: Market[], t: number): CascadeView {
  const m = path[t]!;
  const bids = path.slice(Math.max(0, t - 4), t + 1).map((x) => x.bid);
  return {
    mid: m.mid,
    mid10sAgo: t >= 10 ? path[t - 10]!.mid : Number.NaN,
    buyNotional5s: m.buy,
    sellNotional5s: m.sell,
    oiDrop10s: m.oiDrop,
    oiLowAgeMs: m.oiLowAge,
    depthBid20: m.bid,
    depthAsk20: 500_000,
    depthBid20Mean5s: t >= 4 ? bids.reduce((a, b) => a + b, 0) / bids.length : Number.NaN,
    depthAsk20Mean5s: 500_000,
  };
}

function harness() {
  const clock = new ManualClock(0);
  const actor = createActor(strategyMachine, {
    clock,
    input: { strategy: 'cascade', coin: 'ETH', timings: TIMINGS },
  });
  const intents: Intent[] = [];
  const phases: string[] = [];
  actor.on('intent', (e) => intents.push(e.intent));
  actor.start();
  actor.send({ type: 'ENABLE' });
  const phase = (): LifecyclePhase => {
    const v = actor.getSnapshot().value;
    return (typeof v === 'string' ? v : Object.keys(v)[0]) as LifecyclePhase;
  };
  const tick = (path: Market[], t: number) => {
    clock.advanceTo(t * 1000);
    const e = evaluateCascade(viewAt(path, t), phase(), actor.getSnapshot().context.setup, {
      healthy: true,
      stale: false,
    });
    actor.send({ type: 'TICK', time: t * 1000, version: t, eval: e });
    phases.push(phase());
  };
  const run = (path: Market[], from = 0, to = path.length - 1) => {
    for (let t = from; t <= to; t++) tick(path, t);
  };
  return { actor, clock, intents, phase, phases, tick, run };
}

const calm = (t: number): Market => ({
  mid: 10_000,
  oiDrop: 0,
  sell: 50_000,
  buy: 50_000,
  bid: 500_000,
  oiLowAge: 60_000 + t * 1000,
});
const falling = (mid: number, bid: number, o: Partial<Market> = {}): Market => ({
  mid,
  oiDrop: 0.035,
  sell: 90_000,
  buy: 10_000,
  bid,
  oiLowAge: 0,
  ...o,
});
/**
 * The labelled cascade (sell side): calm 12 s; OI drops 3.5 % with 90 % sell flow (armed at t = 12: start =
 * the mid 10 s before, 10 000; preDepth = the bid's 5 s mean, 496 000); the bid thins to 300 000 (60 %:
 * not yet), then 240 000 (< 248 000: the trigger at t = 14, entry 9 970, 30 travelled → target 9 910);
 * the fall goes on to the target.
 */
const CASCADE: Market[] = [
  ...Array.from({ length: 12 }, (_, t) => calm(t)),
  falling(9_990, 480_000),
  falling(9_980, 300_000),
  falling(9_970, 240_000),
  falling(9_950, 200_000),
  falling(9_930, 180_000),
  falling(9_910, 150_000),
  ...Array.from({ length: 5 }, () =>
    falling(9_910, 150_000, { oiDrop: 0.01, sell: 50_000, buy: 50_000, oiLowAge: 1_000 }),
  ),
];
const TRIGGER_T = 14;
const PRE_DEPTH = (500_000 * 4 + 480_000) / 5;

describe('Cascade on the lifecycle machine', () => {
  it('a labelled cascade: SCANNING → ARMED → ENTERED → EXITED (target) → COOLDOWN (120 s) → SCANNING; frozen start and preDepth, the trigger’s target', () => {
    const h = harness();
    h.run(CASCADE, 0, 11);
    expect(h.phases.every((p) => p === 'SCANNING')).toBe(true);
    h.tick(CASCADE, 12);
    expect(h.phase()).toBe('ARMED');
    const frozen = h.actor.getSnapshot().context.setup!;
    expect(frozen).toMatchObject({
      side: 'SHORT',
      stop: 10_000 * 1.001,
      levels: { start: 10_000, preDepth: PRE_DEPTH },
    });
    h.tick(CASCADE, 13); // 300 000 ≥ 50 % of 496 000: not thin yet
    expect(h.phase()).toBe('ARMED');
    expect(h.actor.getSnapshot().context.setup).toEqual(frozen);
    // at the trigger the rolling mean has thinned too (404 000): against it 240 000 would not be thin
    const v = viewAt(CASCADE, TRIGGER_T);
    expect(v.depthBid20).toBeGreaterThan(0.5 * v.depthBid20Mean5s);
    h.tick(CASCADE, TRIGGER_T);
    expect(h.intents).toHaveLength(1);
    const entry = h.intents[0]!;
    expect(entry).toMatchObject({
      kind: 'entry',
      strategy: 'cascade',
      side: 'SHORT',
      stop: 10_000 * 1.001,
      target: 9_910,
    });
    expect(entry.kind === 'entry' && entry.sizeFraction).toBe(riskSize(9_970, 10_000 * 1.001, 0.005));
    expect(entry.kind === 'entry' && entry.reason).toMatch(
      /^SHORT cascade: .*; trigger: thinning: depthBid20 240000 vs 0\.5 × pre-cascade 496000/,
    );
    h.actor.send({ type: 'ENTRY_FILLED', intentId: entry.id });
    expect(h.phase()).toBe('ENTERED');
    // held while ENTERED: the frozen levels with the trigger's stop and target
    expect(h.actor.getSnapshot().context.setup).toEqual({ ...frozen, stop: 10_000 * 1.001, target: 9_910 });
    h.run(CASCADE, 15, 16);
    expect(h.phase()).toBe('ENTERED');
    h.tick(CASCADE, 17);
    expect(h.phase()).toBe('EXITED');
    expect(h.intents[1]).toMatchObject({
      kind: 'exit',
      reason: 'target',
      emergency: false,
      detail: 'mid 9910 reached target 9910',
    });
    h.actor.send({ type: 'EXIT_FILLED', intentId: h.intents[1]!.id });
    expect(h.phase()).toBe('COOLDOWN');
    h.clock.advance(DEFAULT_CASCADE.cooldownMs - 1);
    expect(h.phase()).toBe('COOLDOWN');
    h.clock.advance(1);
    expect(h.phase()).toBe('SCANNING');
  });

  it('a one-tick lapse of the flow share while OI still makes new lows keeps the armed cascade and its preDepth', () => {
    const h = harness();
    const flicker = [...CASCADE];
    flicker[13] = falling(9_980, 300_000, { sell: 75_000, buy: 25_000 }); // 75 % < 80 %: the rolling setup lapses
    h.run(flicker, 0, 13);
    expect(h.phase()).toBe('ARMED');
    expect(h.actor.getSnapshot().context.setup?.levels.preDepth).toBe(PRE_DEPTH);
    h.tick(flicker, TRIGGER_T);
    expect(h.intents[0]).toMatchObject({ kind: 'entry', target: 9_910 });
  });

  it('the flow turns (buyers ≥ 80 %) while armed: setup gone, back to SCANNING, no entry', () => {
    const h = harness();
    const turned = [...CASCADE];
    turned[13] = falling(9_985, 300_000, { sell: 10_000, buy: 90_000 });
    h.run(turned, 0, 13);
    expect(h.phases[12]).toBe('ARMED');
    expect(h.phase()).toBe('SCANNING');
    expect(h.intents).toEqual([]);
  });

  it('armed, the book never thins: back to SCANNING exactly at armTimeout (10 s)', () => {
    const h = harness();
    const thick = [
      ...CASCADE.slice(0, 13),
      ...Array.from({ length: 12 }, (_, i) => falling(9_990 - i, 480_000)),
    ];
    h.run(thick, 0, 21);
    expect(h.phase()).toBe('ARMED');
    h.clock.advanceTo(12_000 + DEFAULT_CASCADE.armTimeoutMs - 1);
    expect(h.phase()).toBe('ARMED');
    h.clock.advance(1);
    expect(h.phase()).toBe('SCANNING');
    expect(h.intents).toEqual([]);
  });

  it('entered, then OI stops making new lows for 5 s: exit; the bid refilling above 80 % of preDepth: exit', () => {
    const stall = harness();
    const path1 = [...CASCADE.slice(0, 15), falling(9_960, 200_000, { oiLowAge: 5_000 })];
    stall.run(path1, 0, TRIGGER_T);
    stall.actor.send({ type: 'ENTRY_FILLED', intentId: stall.intents[0]!.id });
    stall.tick(path1, 15);
    expect(stall.intents[1]).toMatchObject({
      kind: 'exit',
      reason: 'invalidation',
      detail: /OI stopped falling/,
    });

    const refill = harness();
    const path2 = [...CASCADE.slice(0, 15), falling(9_960, 0.8 * PRE_DEPTH + 1)];
    refill.run(path2, 0, TRIGGER_T);
    refill.actor.send({ type: 'ENTRY_FILLED', intentId: refill.intents[0]!.id });
    refill.tick(path2, 15);
    expect(refill.intents[1]).toMatchObject({ kind: 'exit', reason: 'invalidation', detail: /bid refilled/ });
  });

  it('entered, then back through the stop (the start + 10 bps): stop; a second trade held 5 min: maxHold', () => {
    const h = harness();
    const path = [...CASCADE.slice(0, 15), falling(10_010, 200_000)];
    h.run(path, 0, TRIGGER_T);
    h.actor.send({ type: 'ENTRY_FILLED', intentId: h.intents[0]!.id });
    h.tick(path, 15);
    expect(h.intents[1]).toMatchObject({ kind: 'exit', reason: 'stop', emergency: false });

    const held = harness();
    held.run(CASCADE, 0, TRIGGER_T);
    held.actor.send({ type: 'ENTRY_FILLED', intentId: held.intents[0]!.id });
    held.clock.advance(DEFAULT_CASCADE.maxHoldMs - 1);
    expect(held.phase()).toBe('ENTERED');
    held.clock.advance(1);
    expect(held.intents[1]).toMatchObject({ kind: 'exit', reason: 'maxHold' });
  });

  it('the regime leaves EXPANSION while entered: an invalidation naming the regime', () => {
    const h = harness();
    h.run(CASCADE, 0, TRIGGER_T);
    h.actor.send({ type: 'ENTRY_FILLED', intentId: h.intents[0]!.id });
    h.actor.send({ type: 'DISABLE', regime: 'DISABLED', reason: 'regime DISABLED' });
    expect(h.intents[1]).toMatchObject({
      kind: 'exit',
      reason: 'invalidation',
      detail: /regime left \(now DISABLED\)/,
    });
  });
});
