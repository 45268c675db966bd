import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { strategyMachine } from '../../machines/strategy.machine.ts';
import type { StrategyEvent } from '../../machines/strategy.events.ts';
import type { Intent, StrategyEval } from '../../machines/strategy.types.ts';
import { ManualClock } from '../../state/clock.ts';
import { TIMINGS } from './regime.fixtures.ts';

const setup = { side: 'LONG' as const, stop: 99, target: 101, ref: 100, edge: 99.5, reason: 'edge' };
const quiet: StrategyEval = { setup: null, trigger: false, exit: null, sizeFraction: 0 };
const tick = (e: Partial<StrategyEval> = {}): StrategyEvent => ({
  type: 'TICK',
  time: 5,
  version: 7,
  eval: { ...quiet, ...e },
});

function harness() {
  const clock = new ManualClock(0);
  const actor = createActor(strategyMachine, {
    clock,
    input: { strategy: 'geometry', coin: 'BTC', timings: TIMINGS },
  });
  const intents: Intent[] = [];
  const ignored: string[] = [];
  const alarms: string[] = [];
  actor.on('intent', (e) => intents.push(e.intent));
  actor.on('ignored', (e) => ignored.push(`${e.event}@${e.state}`));
  actor.on('alarm', (e) => alarms.push(e.message));
  actor.start();
  const state = () => {
    const v = actor.getSnapshot().value;
    return typeof v === 'string' ? v : `${Object.keys(v)[0]}.${Object.values(v)[0]}`;
  };
  const pending = () => actor.getSnapshot().context.pendingIntentId!;
  const to = (target: string) => {
    const path: Record<string, () => void> = {
      SCANNING: () => actor.send({ type: 'ENABLE' }),
      'ARMED.watching': () => {
        to('SCANNING');
        actor.send(tick({ setup }));
      },
      'ARMED.entering': () => {
        to('ARMED.watching');
        actor.send(tick({ setup, trigger: true, sizeFraction: 0.2 }));
      },
      ENTERED: () => {
        to('ARMED.entering');
        actor.send({ type: 'ENTRY_FILLED', intentId: pending() });
      },
      EXITED: () => {
        to('ENTERED');
        actor.send(tick({ exit: { reason: 'target', detail: 'hit' } }));
      },
      COOLDOWN: () => {
        to('EXITED');
        actor.send({ type: 'EXIT_FILLED', intentId: pending() });
      },
      DISABLED: () => {},
    };
    path[target]!();
    expect(state()).toBe(target);
  };
  return { actor, clock, intents, ignored, alarms, state, pending, to };
}

describe('strategy lifecycle: valid transitions (RULEBOOK table)', () => {
  it('DISABLED —ENABLE→ SCANNING', () => {
    const h = harness();
    h.to('SCANNING');
  });
  it('SCANNING —setup→ ARMED', () => {
    const h = harness();
    h.to('ARMED.watching');
    expect(h.actor.getSnapshot().context.setup).toEqual(setup);
  });
  it('ARMED —trigger→ entry intent; accepted (filled) → ENTERED, with exact stop/target and size', () => {
    const h = harness();
    h.to('ENTERED');
    expect(h.intents).toHaveLength(1);
    expect(h.intents[0]).toMatchObject({
      kind: 'entry',
      side: 'LONG',
      stop: 99,
      target: 101,
      sizeFraction: 0.2,
      version: 7,
      time: 5,
      id: 'geometry:BTC:0',
    });
  });
  it('ARMED —entry rejected→ SCANNING', () => {
    const h = harness();
    h.to('ARMED.entering');
    h.actor.send({ type: 'ENTRY_REJECTED', intentId: h.pending(), reason: 'NO_LEASE' });
    expect(h.state()).toBe('SCANNING');
  });
  it('ARMED —setup gone→ SCANNING; —armTimeout→ SCANNING', () => {
    const h = harness();
    h.to('ARMED.watching');
    h.actor.send(tick());
    expect(h.state()).toBe('SCANNING');
    h.actor.send(tick({ setup }));
    h.clock.advance(TIMINGS.armTimeoutMs - 1);
    expect(h.state()).toBe('ARMED.watching');
    h.clock.advance(1);
    expect(h.state()).toBe('SCANNING');
  });
  for (const [why, send] of [
    [
      'target',
      (h: ReturnType<typeof harness>) => h.actor.send(tick({ exit: { reason: 'target', detail: 'x' } })),
    ],
    [
      'stop',
      (h: ReturnType<typeof harness>) => h.actor.send(tick({ exit: { reason: 'stop', detail: 'x' } })),
    ],
    [
      'invalidation',
      (h: ReturnType<typeof harness>) =>
        h.actor.send(tick({ exit: { reason: 'invalidation', detail: 'x' } })),
    ],
    ['maxHold', (h: ReturnType<typeof harness>) => h.clock.advance(TIMINGS.maxHoldMs)],
  ] as const) {
    it(`ENTERED —${why}→ EXITED with an exit intent at market`, () => {
      const h = harness();
      h.to('ENTERED');
      send(h);
      expect(h.state()).toBe('EXITED');
      const exit = h.intents.at(-1)!;
      expect(exit).toMatchObject({ kind: 'exit', atMarket: true, reason: why });
    });
  }
  it('EXITED —exit fill→ COOLDOWN —cooldown, still enabled→ SCANNING', () => {
    const h = harness();
    h.to('COOLDOWN');
    h.clock.advance(TIMINGS.cooldownMs - 1);
    expect(h.state()).toBe('COOLDOWN');
    h.clock.advance(1);
    expect(h.state()).toBe('SCANNING');
  });
  it('COOLDOWN —cooldown, disabled meanwhile→ DISABLED', () => {
    const h = harness();
    h.to('EXITED');
    h.actor.send({ type: 'DISABLE' });
    h.actor.send({ type: 'EXIT_FILLED', intentId: h.pending() });
    expect(h.state()).toBe('COOLDOWN');
    h.clock.advance(TIMINGS.cooldownMs);
    expect(h.state()).toBe('DISABLED');
  });
  for (const s of ['SCANNING', 'ARMED.watching', 'COOLDOWN']) {
    it(`${s} —DISABLE→ DISABLED`, () => {
      const h = harness();
      h.to(s);
      h.actor.send({ type: 'DISABLE' });
      expect(h.state()).toBe('DISABLED');
    });
  }
  it('ENTERED —DISABLE→ EXITED (emergency exit at market), then DISABLED after COOLDOWN', () => {
    const h = harness();
    h.to('ENTERED');
    h.actor.send({ type: 'DISABLE', reason: 'regime left SIDEWAYS' });
    expect(h.state()).toBe('EXITED');
    expect(h.intents.at(-1)).toMatchObject({ kind: 'exit', emergency: true, reason: 'disable' });
    h.actor.send({ type: 'EXIT_FILLED', intentId: h.pending() });
    h.clock.advance(TIMINGS.cooldownMs);
    expect(h.state()).toBe('DISABLED');
  });
  it('an unfilled exit is re-sent and alarms', () => {
    const h = harness();
    h.to('EXITED');
    h.clock.advance(TIMINGS.exitRetryMs);
    expect(h.state()).toBe('EXITED');
    expect(h.alarms).toHaveLength(1);
    const exits = h.intents.filter((i) => i.kind === 'exit');
    expect(exits).toHaveLength(2);
    expect(exits[1]).toMatchObject({ attempt: 1 });
    expect(exits[1]!.id).not.toBe(exits[0]!.id);
  });
  it('a strategy exception in ENTERED: emergency exit, then DISABLED and locked out until an operator re-enables', () => {
    const h = harness();
    h.to('ENTERED');
    h.actor.send({ type: 'STRATEGY_ERROR', message: 'TypeError: x is undefined' });
    expect(h.intents.at(-1)).toMatchObject({ kind: 'exit', emergency: true, reason: 'exception' });
    h.actor.send({ type: 'EXIT_FILLED', intentId: h.pending() });
    h.clock.advance(TIMINGS.cooldownMs);
    expect(h.state()).toBe('DISABLED');
    h.actor.send({ type: 'ENABLE' });
    expect(h.state()).toBe('DISABLED'); // refused: locked out
    h.actor.send({ type: 'OPERATOR_ENABLE' });
    h.actor.send({ type: 'ENABLE' });
    expect(h.state()).toBe('SCANNING');
  });
});

describe('strategy lifecycle: invalid transitions are ignored and logged', () => {
  const invalid: Record<string, StrategyEvent[]> = {
    DISABLED: [
      tick({ setup }),
      { type: 'ENTRY_FILLED', intentId: 'x' },
      { type: 'EXIT_FILLED', intentId: 'x' },
      { type: 'DISABLE' },
    ],
    SCANNING: [
      { type: 'ENABLE' },
      { type: 'ENTRY_FILLED', intentId: 'x' },
      { type: 'EXIT_FILLED', intentId: 'x' },
    ],
    'ARMED.watching': [{ type: 'ENABLE' }, { type: 'ENTRY_FILLED', intentId: 'x' }],
    'ARMED.entering': [
      { type: 'ENTRY_FILLED', intentId: 'not-the-pending-one' },
      { type: 'EXIT_FILLED', intentId: 'x' },
    ],
    ENTERED: [
      { type: 'ENABLE' },
      { type: 'ENTRY_FILLED', intentId: 'x' },
      { type: 'EXIT_FILLED', intentId: 'x' },
    ],
    EXITED: [
      { type: 'EXIT_FILLED', intentId: 'stale-id' },
      { type: 'ENTRY_FILLED', intentId: 'x' },
    ],
    COOLDOWN: [
      { type: 'ENTRY_FILLED', intentId: 'x' },
      { type: 'EXIT_FILLED', intentId: 'x' },
    ],
  };
  for (const [state, events] of Object.entries(invalid)) {
    for (const ev of events) {
      it(`${state} ignores ${ev.type}${'intentId' in ev ? `(${ev.intentId})` : ''}`, () => {
        const h = harness();
        h.to(state);
        const before = h.intents.length;
        h.actor.send(ev);
        expect(h.state()).toBe(state);
        expect(h.intents.length).toBe(before);
        expect(h.ignored.at(-1)).toMatch(new RegExp(`^${ev.type}@`));
        expect(h.actor.getSnapshot().context.ignored).toBe(h.ignored.length);
      });
    }
  }
});

describe('strategy lifecycle: forced RESET from every state', () => {
  for (const state of ['DISABLED', 'SCANNING', 'ARMED.watching', 'COOLDOWN']) {
    it(`${state} —RESET→ DISABLED (no position: no exit)`, () => {
      const h = harness();
      h.to(state);
      const exitsBefore = h.intents.filter((i) => i.kind === 'exit').length;
      h.actor.send({ type: 'RESET' });
      expect(h.state()).toBe('DISABLED');
      expect(h.intents.filter((i) => i.kind === 'exit').length).toBe(exitsBefore);
    });
  }
  for (const state of ['ARMED.entering', 'ENTERED']) {
    it(`${state} —RESET→ emergency exit → DISABLED on the exit fill (no cooldown)`, () => {
      const h = harness();
      h.to(state);
      h.actor.send({ type: 'RESET' });
      expect(h.state()).toBe('EXITED');
      expect(h.intents.at(-1)).toMatchObject({ kind: 'exit', emergency: true, reason: 'reset' });
      h.actor.send({ type: 'EXIT_FILLED', intentId: h.pending() });
      expect(h.state()).toBe('DISABLED');
    });
  }
  it('EXITED —RESET→ DISABLED once the exit fills', () => {
    const h = harness();
    h.to('EXITED');
    h.actor.send({ type: 'RESET' });
    expect(h.state()).toBe('EXITED');
    h.actor.send({ type: 'EXIT_FILLED', intentId: h.pending() });
    expect(h.state()).toBe('DISABLED');
  });
});
