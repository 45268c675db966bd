/**
 * Kinematics on the shared lifecycle machine, driven the way the decision engine drives a strategy: on
 * every 1 s control tick its `evaluate` (phase + the held setup) becomes a TICK. The market is a labelled
 * mid path with the hot state's kinematic fields derived from it as the state builder does (mid 1 s and
 * 5 s ago, move5s = ln(mid / mid 5 s ago), the max / min of mid over the last 5 s, intra-second mids
 * between control ticks included), so the rolling window really moves on.
 *
 * - A labelled exhaustion (a spike, then a stall with aggression still pushing) goes SCANNING → ARMED →
 *   ENTERED → EXITED → COOLDOWN → SCANNING, at the levels frozen at arming.
 * - The same exhaustion with the registry's default "setup gone" (re-run the setup on the rolling window)
 *   never enters: the 5 s move has aged out by the time the stall shows. That is why Kinematics has `holds`.
 * - A move whose top came between control ticks 3–4 s before arming freezes that top as its extreme.
 * - A breakout (the move keeps extending) never enters; a stall without aggression times out.
 */
import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { strategyMachine } from '../../machines/strategy.machine.ts';
import type { Intent, StrategyTimings } from '../../machines/strategy.types.ts';
import { ManualClock } from '../../state/clock.ts';
import { type AnyStrategy, evaluate, type LifecyclePhase, riskSize } from '../../strategies/definition.ts';
import { DEFAULT_KINEMATICS, type KinematicsView, strategy } from '../../strategies/kinematics.ts';

const TIMINGS: StrategyTimings = {
  armTimeoutMs: DEFAULT_KINEMATICS.armTimeoutMs,
  maxHoldMs: DEFAULT_KINEMATICS.maxHoldMs,
  cooldownMs: DEFAULT_KINEMATICS.cooldownMs,
  exitRetryMs: 2_000,
  entryTimeoutMs: 5_000,
};

type Market = {
  mid: number;
  /** A mid seen between the previous control tick and this one (a spike the 1 s ticks do not sample). */
  between?: number;
  buy?: number;
  sell?: number;
  oiDrop10s?: number;
  depthAsk20?: number;
};

/**
 * Max or min of every mid over the last 5 s at second `t`: the mid in effect 5 s ago, then every mid
 * after it (the ticks' and those between them); NULL until 5 s of mid.
 */
function extreme5s(path: Market[], t: number, pick: (a: number, b: number) => number): number {
  if (t < 5) return Number.NaN;
  let x = path[t - 5]!.mid;
  for (let k = t - 4; k <= t; k++) {
    x = pick(x, path[k]!.mid);
    const b = path[k]!.between;
    if (b !== undefined) x = pick(x, b);
  }
  return x;
}

/** The hot-state view at second `t` of a path (one entry per second), as the state builder derives it. */
function viewAt(path: Market[], t: number): KinematicsView {
  const at = (k: number) => (t - k >= 0 ? path[t - k]!.mid : Number.NaN);
  const m = path[t]!;
  return {
    mid: m.mid,
    move5s: Math.log(m.mid / at(5)),
    sigma5s: 0.001, // 10 bps: the setup needs a 30 bps move over 5 s
    mid1sAgo: at(1),
    midMax5s: extreme5s(path, t, Math.max),
    midMin5s: extreme5s(path, t, Math.min),
    mid5sAgo: at(5),
    buyNotional1s: m.buy ?? 50_000,
    sellNotional1s: m.sell ?? 50_000,
    depthBid20: 500_000,
    depthAsk20: m.depthAsk20 ?? 500_000,
    depthBid20Mean5s: 500_000,
    depthAsk20Mean5s: 500_000,
    oiDrop10s: m.oiDrop10s ?? 0,
  };
}

function harness(def: AnyStrategy = strategy) {
  const clock = new ManualClock(0);
  const actor = createActor(strategyMachine, {
    clock,
    input: { strategy: 'kinematics', coin: 'BTC', timings: TIMINGS },
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
  /** One control tick at second `t` of `path`: what the engine does. */
  const tick = (path: Market[], t: number) => {
    clock.advanceTo(t * 1000);
    const v = viewAt(path, t);
    const e = evaluate(
      def,
      v,
      phase(),
      actor.getSnapshot().context.setup,
      { healthy: true, stale: false },
      DEFAULT_KINEMATICS,
      0.005,
      v.mid,
    );
    actor.send({ type: 'TICK', time: t * 1000, version: t, eval: e });
    phases.push(phase());
  };
  const run = (path: Market[], from = 0, to = path.length - 1) => {
    for (let t = from; t <= to; t++) tick(path, t);
  };
  return { actor, clock, intents, phase, phases, tick, run };
}

const FLAT = 10_000;
const quiet = (n: number, mid = FLAT): Market[] => Array.from({ length: n }, () => ({ mid }));
/**
 * The labelled exhaustion, second by second: flat 10 s; a spike to 10 045 (armed: 45 bps ≥ 30), on to
 * 10 058 (beyond the first frozen stop: gone, re-armed at 10 058 the next second); a stall at the top
 * with balanced flow; then a turn while buyers still hit 70 % of the flow (the trigger, t = 17); then
 * the fall back to the origin.
 */
const EXHAUSTION: Market[] = [
  ...quiet(10),
  { mid: 10_020, buy: 80_000, sell: 20_000 },
  { mid: 10_045, buy: 80_000, sell: 20_000 },
  { mid: 10_055, buy: 80_000, sell: 20_000 },
  { mid: 10_058, buy: 80_000, sell: 20_000 },
  { mid: 10_058, buy: 50_000, sell: 50_000 },
  { mid: 10_058, buy: 50_000, sell: 50_000 },
  { mid: 10_057, buy: 50_000, sell: 50_000 },
  { mid: 10_056, buy: 70_000, sell: 30_000 },
  { mid: 10_040 },
  { mid: 10_020 },
  { mid: 10_005 },
  { mid: 10_000 },
  ...quiet(5),
];
const TRIGGER_T = 17;

describe('Kinematics on the lifecycle machine', () => {
  it('a labelled exhaustion: SCANNING → ARMED → ENTERED → EXITED (target) → COOLDOWN → SCANNING, at the frozen levels', () => {
    const h = harness();
    h.run(EXHAUSTION, 0, 10);
    expect(h.phases.every((p) => p === 'SCANNING')).toBe(true);
    h.tick(EXHAUSTION, 11);
    expect(h.phase()).toBe('ARMED');
    expect(h.actor.getSnapshot().context.setup?.levels).toEqual({ extreme: 10_045, origin: 10_000 });
    h.tick(EXHAUSTION, 12); // still extending, inside the stop
    expect(h.phase()).toBe('ARMED');
    h.tick(EXHAUSTION, 13); // 10 058 ≥ stop 10 055.045: the move extended past the frozen extreme's stop
    expect(h.phase()).toBe('SCANNING');
    h.tick(EXHAUSTION, 14); // re-armed at the new extreme
    expect(h.phase()).toBe('ARMED');
    const frozen = h.actor.getSnapshot().context.setup!;
    expect(frozen).toMatchObject({
      side: 'SHORT',
      target: 10_000,
      levels: { extreme: 10_058, origin: 10_000 },
    });
    expect(frozen.stop).toBe(10_058 * 1.001);
    h.run(EXHAUSTION, 15, 16); // stalled, but no aggression: no trigger, and the setup stands
    expect(h.phase()).toBe('ARMED');
    expect(h.actor.getSnapshot().context.setup).toEqual(frozen);
    // the rolling 5 s move has aged out by now (12 bps), yet the frozen setup stands and triggers
    expect(viewAt(EXHAUSTION, TRIGGER_T).move5s).toBeLessThan(3 * 0.001);
    h.tick(EXHAUSTION, TRIGGER_T);
    expect(h.intents).toHaveLength(1);
    const entry = h.intents[0]!;
    expect(entry).toMatchObject({
      kind: 'entry',
      strategy: 'kinematics',
      side: 'SHORT',
      stop: 10_058 * 1.001,
      target: 10_000,
      time: TRIGGER_T * 1000,
    });
    expect(entry.kind === 'entry' && entry.sizeFraction).toBe(riskSize(10_056, 10_058 * 1.001, 0.005));
    expect(entry.kind === 'entry' && entry.reason).toMatch(
      /SHORT fade: .*; trigger: exhaustion: v1s -1 \(stalled\/turned\), aggShare1s\(buy\) 0\.7/,
    );
    h.actor.send({ type: 'ENTRY_FILLED', intentId: entry.id });
    expect(h.phase()).toBe('ENTERED');
    h.run(EXHAUSTION, 18, 20);
    expect(h.phase()).toBe('ENTERED');
    expect(h.actor.getSnapshot().context.setup).toEqual(frozen);
    h.tick(EXHAUSTION, 21); // back at the frozen origin
    expect(h.phase()).toBe('EXITED');
    expect(h.intents[1]).toMatchObject({ kind: 'exit', reason: 'target', emergency: false });
    h.actor.send({ type: 'EXIT_FILLED', intentId: h.intents[1]!.id });
    expect(h.phase()).toBe('COOLDOWN');
    h.clock.advance(DEFAULT_KINEMATICS.cooldownMs - 1);
    expect(h.phase()).toBe('COOLDOWN');
    h.clock.advance(1);
    expect(h.phase()).toBe('SCANNING');
  });

  it('the same exhaustion with the default "setup gone" (the rolling setup re-run) never enters', () => {
    const h = harness({ ...strategy, holds: undefined });
    h.run(EXHAUSTION);
    expect(h.intents).toEqual([]);
    // armed on the spike, then dropped when the 5 s move aged out, before the trigger could come
    expect(h.phases.slice(11, 17)).toContain('ARMED');
    expect(h.phases[TRIGGER_T]).toBe('SCANNING');
  });

  it('a top between control ticks 3–4 s before the arming tick is the frozen extreme (the stop 10 bps beyond it), and the trade runs on it', () => {
    // flat; in second 10 a spike to 10 070 between ticks (the ticks see 10 005); the climb to 10 040 at
    // t = 13 is the 3 σ move that arms, with the spike still inside the 5 s window
    const path: Market[] = [
      ...quiet(10),
      { mid: 10_005, between: 10_070, buy: 90_000, sell: 10_000 },
      { mid: 10_010 },
      { mid: 10_020 },
      { mid: 10_040, buy: 80_000, sell: 20_000 },
      { mid: 10_045, buy: 80_000, sell: 20_000 },
      { mid: 10_045, buy: 70_000, sell: 30_000 },
      { mid: 10_030 },
      { mid: 10_010 },
      { mid: 10_000 },
      ...quiet(3),
    ];
    const h = harness();
    h.run(path, 0, 12);
    expect(h.phases.every((p) => p === 'SCANNING')).toBe(true); // 5, 10, 20 bps: below 30
    h.tick(path, 13);
    expect(h.phase()).toBe('ARMED');
    const frozen = h.actor.getSnapshot().context.setup!;
    expect(frozen.levels).toEqual({ extreme: 10_070, origin: 10_000 });
    expect(frozen.stop).toBe(10_070 * 1.001);
    h.tick(path, 14); // still extending (v1s > 0); the spike is still in the window, short of the stop
    expect(h.phase()).toBe('ARMED');
    h.tick(path, 15); // stalled at 10 045, buyers 70 %, 25 / 70 of the move back: within
    expect(h.intents[0]).toMatchObject({
      kind: 'entry',
      side: 'SHORT',
      stop: 10_070 * 1.001,
      target: 10_000,
    });
    expect(h.intents[0]!.kind === 'entry' && h.intents[0]!.sizeFraction).toBe(
      riskSize(10_045, 10_070 * 1.001, 0.005),
    );
    h.actor.send({ type: 'ENTRY_FILLED', intentId: h.intents[0]!.id });
    h.run(path, 16, 18);
    expect(h.phase()).toBe('EXITED');
    expect(h.intents[1]).toMatchObject({ kind: 'exit', reason: 'target' });
  });

  it('entered, then a spike between control ticks past the stop while the tick’s mid is back inside: a new extreme beyond the stop', () => {
    const h = harness();
    const stop = 10_058 * 1.001;
    const path: Market[] = [...EXHAUSTION.slice(0, 18), { mid: 10_050, between: stop }];
    h.run(path, 0, TRIGGER_T);
    h.actor.send({ type: 'ENTRY_FILLED', intentId: h.intents[0]!.id });
    expect(viewAt(path, 18).mid).toBeLessThan(stop);
    h.tick(path, 18);
    expect(h.phase()).toBe('EXITED');
    expect(h.intents[1]).toMatchObject({
      kind: 'exit',
      reason: 'invalidation',
      detail: expect.stringMatching(
        /^new extreme 10068\.1 beyond the stop 10068\.1 \(frozen extreme 10058\)$/,
      ),
    });
  });

  it('armed, then a spike between control ticks past the stop: the setup is gone, the stall after it does not enter', () => {
    const h = harness();
    // EXHAUSTION, but the last second before the trigger spikes past the stop (10 068.058) between ticks
    const path: Market[] = EXHAUSTION.map((m, t) => (t === TRIGGER_T - 1 ? { ...m, between: 10_070 } : m));
    h.run(path, 0, TRIGGER_T - 2);
    expect(h.phase()).toBe('ARMED');
    h.tick(path, TRIGGER_T - 1);
    expect(h.phase()).toBe('SCANNING');
    h.run(path, TRIGGER_T, path.length - 1);
    expect(h.intents).toEqual([]);
  });

  it('a breakout (the move keeps extending with aggression) never enters', () => {
    const h = harness();
    const up: Market[] = [
      ...quiet(10),
      ...Array.from({ length: 20 }, (_, i) => ({ mid: FLAT + 15 * (i + 1), buy: 90_000, sell: 10_000 })),
    ];
    h.run(up);
    expect(h.intents).toEqual([]);
    expect(h.phases).toContain('ARMED');
  });

  it('armed, then a stall without aggression: back to SCANNING exactly at armTimeout (10 s)', () => {
    const h = harness();
    const stall: Market[] = [...EXHAUSTION.slice(0, 15), ...quiet(15, 10_058)];
    h.run(stall, 0, 14);
    expect(h.phase()).toBe('ARMED');
    h.run(stall, 15, 23);
    h.clock.advanceTo(14_000 + DEFAULT_KINEMATICS.armTimeoutMs - 1);
    expect(h.phase()).toBe('ARMED');
    h.clock.advance(1);
    expect(h.phase()).toBe('SCANNING');
    h.run(stall, 24, 29); // the 5 s move is gone: no new setup
    expect(h.phases.slice(24)).toEqual(Array(6).fill('SCANNING'));
    expect(h.intents).toEqual([]);
  });

  it('entered, then oiDrop10s ≥ 0.02: an emergency exit as an invalidation', () => {
    const h = harness();
    const path: Market[] = [...EXHAUSTION.slice(0, 18), { mid: 10_050, oiDrop10s: 0.02 }];
    h.run(path, 0, TRIGGER_T);
    h.actor.send({ type: 'ENTRY_FILLED', intentId: h.intents[0]!.id });
    h.tick(path, 18);
    expect(h.phase()).toBe('EXITED');
    expect(h.intents[1]).toMatchObject({
      kind: 'exit',
      reason: 'invalidation',
      emergency: true,
      detail: 'oiDrop10s 0.02 ≥ 0.02',
    });
  });

  it('entered, then the defended (ask) side thins: invalidation; then maxHold on a second trade', () => {
    const h = harness();
    const path: Market[] = [...EXHAUSTION.slice(0, 18), { mid: 10_050, depthAsk20: 200_000 }];
    h.run(path, 0, TRIGGER_T);
    h.actor.send({ type: 'ENTRY_FILLED', intentId: h.intents[0]!.id });
    h.tick(path, 18);
    expect(h.intents[1]).toMatchObject({
      kind: 'exit',
      reason: 'invalidation',
      detail: /defended depth thinning: depthAsk20/,
    });

    const held = harness();
    held.run(EXHAUSTION, 0, TRIGGER_T);
    held.actor.send({ type: 'ENTRY_FILLED', intentId: held.intents[0]!.id });
    held.clock.advance(DEFAULT_KINEMATICS.maxHoldMs - 1);
    expect(held.phase()).toBe('ENTERED');
    held.clock.advance(1);
    expect(held.phase()).toBe('EXITED');
    expect(held.intents[1]).toMatchObject({ kind: 'exit', reason: 'maxHold' });
  });

  it('the regime leaves SIDEWAYS while entered: an invalidation naming the regime', () => {
    const h = harness();
    h.run(EXHAUSTION, 0, TRIGGER_T);
    h.actor.send({ type: 'ENTRY_FILLED', intentId: h.intents[0]!.id });
    h.actor.send({ type: 'DISABLE', regime: 'EXPANSION', reason: 'regime EXPANSION' });
    expect(h.intents[1]).toMatchObject({
      kind: 'exit',
      reason: 'invalidation',
      detail: /regime left \(now EXPANSION\)/,
    });
  });
});
