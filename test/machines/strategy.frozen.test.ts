/**
 * The setup is frozen when the strategy arms (RULEBOOK "Strategy lifecycle"): the machine holds it while
 * ARMED and ENTERED, the entry intent carries the frozen stop/target, and Geometry evaluated the way the
 * engine does (phase + the held setup) never triggers once mid is beyond the frozen edge by > breakBps.
 */
import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { strategyMachine } from '../../machines/strategy.machine.ts';
import type { Intent, SetupInfo, StrategyEval } from '../../machines/strategy.types.ts';
import { ManualClock } from '../../state/clock.ts';
import { evaluateGeometry, type GeometryView, type LifecyclePhase } from '../../strategies/geometry.ts';
import { TIMINGS } from './regime.fixtures.ts';

function harness() {
  const actor = createActor(strategyMachine, {
    clock: new ManualClock(0),
    input: { strategy: 'geometry', coin: 'BTC', timings: TIMINGS },
  });
  const intents: Intent[] = [];
  actor.on('intent', (e) => intents.push(e.intent));
  actor.start();
  actor.send({ type: 'ENABLE' });
  const phase = (): LifecyclePhase => {
    const v = actor.getSnapshot().value;
    return (typeof v === 'string' ? v : Object.keys(v)[0]) as LifecyclePhase;
  };
  // what the engine does on a control tick
  const engineTick = (v: GeometryView, time: number) => {
    const e = evaluateGeometry(v, phase(), actor.getSnapshot().context.setup, {
      healthy: true,
      stale: false,
    });
    actor.send({ type: 'TICK', time, version: time, eval: e });
  };
  return { actor, intents, phase, engineTick };
}

const base: GeometryView = {
  mid: 99.65,
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

describe('strategy lifecycle: the setup is frozen at arming', () => {
  const frozen: SetupInfo = {
    side: 'LONG',
    stop: 99.5,
    target: 100,
    ref: 99.65,
    levels: { edge: 99.6 },
    reason: 'armed',
  };
  const moved: SetupInfo = {
    side: 'LONG',
    stop: 99.3,
    target: 99.9,
    ref: 99.4,
    levels: { edge: 99.4 },
    reason: 'moved',
  };
  const quiet: StrategyEval = { setup: null, trigger: false, exit: null, sizeFraction: 0 };

  it('ARMED ticks do not overwrite the held setup; the entry intent carries the frozen stop and target', () => {
    const h = harness();
    h.actor.send({ type: 'TICK', time: 1, version: 1, eval: { ...quiet, setup: frozen } });
    expect(h.phase()).toBe('ARMED');
    h.actor.send({ type: 'TICK', time: 2, version: 2, eval: { ...quiet, setup: moved } });
    expect(h.actor.getSnapshot().context.setup).toEqual(frozen);
    h.actor.send({
      type: 'TICK',
      time: 3,
      version: 3,
      eval: { ...quiet, setup: moved, trigger: true, sizeFraction: 0.1 },
    });
    expect(h.intents).toHaveLength(1);
    expect(h.intents[0]).toMatchObject({ kind: 'entry', side: 'LONG', stop: 99.5, target: 100 });
    expect(h.actor.getSnapshot().context.setup).toEqual(frozen);
    h.actor.send({ type: 'ENTRY_FILLED', intentId: h.intents[0]!.id });
    expect(h.phase()).toBe('ENTERED');
    expect(h.actor.getSnapshot().context.setup).toEqual(frozen);
  });

  it('Geometry driven like the engine: mid slides beyond the frozen edge while the low follows it → no entry', () => {
    const h = harness();
    h.engineTick(base, 1);
    expect(h.phase()).toBe('ARMED');
    expect(h.actor.getSnapshot().context.setup?.levels.edge).toBe(99.6);
    // the slide: each second mid makes a new low (the rolling low follows), absorption 3× the 1 h mean
    for (let i = 1; i <= 10; i++) {
      const mid = 99.54 - i * 0.04; // 10 bps and more below the frozen edge
      h.engineTick({ ...base, mid, rangeLow15m: mid - 0.01, sellNotional5s: 30_000 }, 1 + i);
      expect(h.phase(), `tick ${i}`).toBe('ARMED');
    }
    expect(h.intents).toEqual([]);
    expect(h.actor.getSnapshot().context.setup?.levels.edge).toBe(99.6);
    // back within breakBps of the frozen edge (4 bps below it) and still in the edge zone of a (synthetic)
    // rolling range 99.45–100.4: absorption now triggers, at the frozen levels
    const back = 99.6 * (1 - 0.0004);
    h.engineTick({ ...base, mid: back, rangeLow15m: 99.45, sellNotional5s: 30_000 }, 20);
    expect(h.intents).toHaveLength(1);
    expect(h.intents[0]).toMatchObject({
      kind: 'entry',
      side: 'LONG',
      stop: 99.6 * (1 - 0.001),
      target: 100,
    });
  });
});
