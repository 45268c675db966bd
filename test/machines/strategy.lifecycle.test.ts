import { assign, createActor, sendTo, setup as xsetup, spawnChild } from 'xstate';
import { describe, expect, it } from 'vitest';
import { exitAlarmDue, strategyMachine } from '../../machines/strategy.machine.ts';
import type { StrategyEvent } from '../../machines/strategy.events.ts';
import type { Intent, StrategyEval } from '../../machines/strategy.types.ts';
import { ManualClock } from '../../state/clock.ts';
import { TIMINGS } from './regime.fixtures.ts';

const setup = {
  side: 'LONG' as const,
  stop: 99,
  target: 101,
  ref: 100,
  levels: { edge: 99.5 },
  reason: 'edge',
};
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
    h.actor.send({ type: 'DISABLE', reason: 'oiRange15m 0.01 > 0.006', regime: 'DISABLED' });
    expect(h.state()).toBe('EXITED');
    expect(h.intents.at(-1)).toMatchObject({ kind: 'exit', emergency: true, reason: 'invalidation' });
    expect((h.intents.at(-1) as { detail: string }).detail).toMatch(/regime left.*DISABLED.*oiRange15m/);
    h.actor.send({ type: 'EXIT_FILLED', intentId: h.pending() });
    h.clock.advance(TIMINGS.cooldownMs);
    expect(h.state()).toBe('DISABLED');
  });
  it('an exit unfilled for 2 minutes is re-sent every exitRetryMs but alarms once, then once a minute', () => {
    const h = harness();
    h.to('EXITED');
    const resends = Math.floor(125_000 / TIMINGS.exitRetryMs);
    for (let i = 0; i < resends; i++) h.clock.advance(TIMINGS.exitRetryMs);
    expect(h.intents.filter((i) => i.kind === 'exit')).toHaveLength(resends + 1);
    expect(h.alarms.length).toBe(
      Array.from({ length: resends }, (_, i) => i + 1).filter((n) => exitAlarmDue(n, TIMINGS.exitRetryMs))
        .length,
    );
    expect(h.alarms.length).toBeLessThanOrEqual(3);
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
      { type: 'STRATEGY_ERROR', message: 'boom' },
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

describe('strategy lifecycle: RULEBOOK rows pinned by issue 21', () => {
  it('DISABLED —DISABLE→ DISABLED is a table row: a silent no-op, not an ignored event', () => {
    const h = harness();
    h.actor.send({ type: 'DISABLE' });
    expect(h.state()).toBe('DISABLED');
    expect(h.ignored).toEqual([]);
    expect(h.actor.getSnapshot().context.ignored).toBe(0);
  });
  it('RESET while DISABLED is a no-op, logged as such', () => {
    const h = harness();
    const notes: string[] = [];
    h.actor.on('ignored', (e) => notes.push(e.note ?? ''));
    h.actor.send({ type: 'RESET', reason: 'operator' });
    expect(h.state()).toBe('DISABLED');
    expect(h.ignored).toEqual(['RESET@"DISABLED"']);
    expect(notes).toEqual([expect.stringMatching(/RESET while DISABLED: no-op/)]);
    expect(h.intents).toEqual([]);
  });
  for (const [ev, reason] of [
    [{ type: 'DISABLE', reason: 'family SLBRS excluded in EXPANSION', regime: 'EXPANSION' }, 'invalidation'],
    [{ type: 'RESET' }, 'reset'],
    [{ type: 'STRATEGY_ERROR', message: 'boom' }, 'exception'],
  ] as const) {
    it(`ARMED with its entry in flight —${ev.type}→ EXITED (any fill closed at market), then as EXITED`, () => {
      const h = harness();
      h.to('ARMED.entering');
      const entry = h.pending();
      h.actor.send(ev);
      expect(h.state()).toBe('EXITED');
      expect(h.intents.at(-1)).toMatchObject({ kind: 'exit', atMarket: true, emergency: true, reason });
      h.actor.send({ type: 'ENTRY_FILLED', intentId: entry }); // the in-flight entry's verdict: too late
      expect(h.state()).toBe('EXITED');
      h.actor.send({ type: 'EXIT_FILLED', intentId: h.pending() });
      if (ev.type === 'RESET') {
        expect(h.state()).toBe('DISABLED'); // forced: no cooldown
        return;
      }
      expect(h.state()).toBe('COOLDOWN');
      h.clock.advance(TIMINGS.cooldownMs);
      expect(h.state()).toBe('DISABLED');
      h.actor.send({ type: 'ENABLE' });
      expect(h.state()).toBe(ev.type === 'STRATEGY_ERROR' ? 'DISABLED' : 'SCANNING'); // an exception locks out
    });
  }
  it('EXITED —DISABLE→ stays EXITED until the exit fills, then DISABLED after COOLDOWN (no new exit)', () => {
    const h = harness();
    h.to('EXITED');
    const exits = h.intents.filter((i) => i.kind === 'exit').length;
    h.actor.send({ type: 'DISABLE', reason: 'x', regime: 'DISABLED' });
    expect(h.state()).toBe('EXITED');
    expect(h.intents.filter((i) => i.kind === 'exit').length).toBe(exits);
    h.actor.send({ type: 'EXIT_FILLED', intentId: h.pending() });
    expect(h.state()).toBe('COOLDOWN');
    h.clock.advance(TIMINGS.cooldownMs - 1);
    expect(h.state()).toBe('COOLDOWN');
    h.clock.advance(1);
    expect(h.state()).toBe('DISABLED');
  });
  it('the controller DISABLE without a regime field still exits as an invalidation naming its reason', () => {
    const h = harness();
    h.to('ENTERED');
    h.actor.send({ type: 'DISABLE', reason: 'regime DISABLED: health DEGRADED' });
    expect(h.intents.at(-1)).toMatchObject({ kind: 'exit', reason: 'invalidation' });
    expect((h.intents.at(-1) as { detail: string }).detail).toMatch(/regime DISABLED: health DEGRADED/);
  });
  it('an exception: EXITED → COOLDOWN → DISABLED even if the operator re-enables meanwhile; the re-enable clears the lock-out', () => {
    const h = harness();
    h.to('ENTERED');
    h.actor.send({ type: 'STRATEGY_ERROR', message: 'TypeError' });
    expect(h.state()).toBe('EXITED');
    h.actor.send({ type: 'ENABLE' }); // the controller's ENABLE is refused while locked out
    expect(h.ignored.at(-1)).toMatch(/^ENABLE@/);
    h.actor.send({ type: 'OPERATOR_ENABLE' }); // accepted in any state: clears the lock-out only
    expect(h.actor.getSnapshot().context.lockedOut).toBe(false);
    h.actor.send({ type: 'EXIT_FILLED', intentId: h.pending() });
    h.clock.advance(TIMINGS.cooldownMs);
    expect(h.state()).toBe('DISABLED'); // the exception disabled it: no way back without the controller
    h.actor.send({ type: 'ENABLE' });
    expect(h.state()).toBe('SCANNING');
  });
  it('OPERATOR_ENABLE during COOLDOWN after an exception is not lost', () => {
    const h = harness();
    h.to('ENTERED');
    h.actor.send({ type: 'STRATEGY_ERROR', message: 'TypeError' });
    h.actor.send({ type: 'EXIT_FILLED', intentId: h.pending() });
    expect(h.state()).toBe('COOLDOWN');
    h.actor.send({ type: 'OPERATOR_ENABLE' });
    h.clock.advance(TIMINGS.cooldownMs);
    expect(h.state()).toBe('DISABLED');
    h.actor.send({ type: 'ENABLE' });
    expect(h.state()).toBe('SCANNING');
  });
});

describe('strategy lifecycle: reports to its controller', () => {
  it('each state it enters is reported with its lock-out, so the controller need not guess it', () => {
    type Report = { state: string; lockedOut?: boolean };
    const parent = xsetup({
      types: {
        context: {} as { reports: Report[] },
        events: {} as
          | { type: 'MEMBER_STATE'; strategy: string; state: string; lockedOut?: boolean }
          | { type: 'FWD'; inner: StrategyEvent },
      },
      actors: { strategy: strategyMachine },
    }).createMachine({
      context: { reports: [] },
      entry: spawnChild('strategy', {
        id: 's',
        input: { strategy: 'geometry', coin: 'BTC', timings: TIMINGS },
      }),
      on: {
        MEMBER_STATE: {
          actions: assign({
            reports: ({ context, event }) => [
              ...context.reports,
              { state: event.state, lockedOut: event.lockedOut },
            ],
          }),
        },
        FWD: { actions: sendTo('s', ({ event }) => event.inner) },
      },
    });
    const p = createActor(parent, { clock: new ManualClock(0) });
    p.start();
    const fwd = (inner: StrategyEvent) => p.send({ type: 'FWD', inner });
    fwd({ type: 'ENABLE' });
    fwd({ type: 'STRATEGY_ERROR', message: 'boom' });
    fwd({ type: 'OPERATOR_ENABLE' });
    fwd({ type: 'ENABLE' });
    fwd({ type: 'DISABLE' });
    expect(p.getSnapshot().context.reports).toEqual([
      { state: 'DISABLED', lockedOut: false },
      { state: 'SCANNING', lockedOut: false },
      { state: 'DISABLED', lockedOut: true },
      { state: 'SCANNING', lockedOut: false },
      { state: 'DISABLED', lockedOut: false },
    ]);
  });
});

describe('strategy lifecycle: an entry left unanswered is never walked away from', () => {
  it('ARMED with its entry in flight —entryTimeout→ EXITED: the entry is cancelled and any fill closed at market', () => {
    const h = harness();
    h.to('ARMED.entering');
    const entry = h.pending();
    h.clock.advance(TIMINGS.entryTimeoutMs);
    expect(h.state()).toBe('EXITED');
    expect(h.intents.at(-1)).toMatchObject({
      kind: 'exit',
      atMarket: true,
      emergency: true,
      reason: 'invalidation',
    });
    expect((h.intents.at(-1) as { detail: string }).detail).toMatch(/entry .* unanswered/);
    h.actor.send({ type: 'ENTRY_FILLED', intentId: entry }); // a late fill: the exit already covers it
    expect(h.state()).toBe('EXITED');
    h.actor.send({ type: 'EXIT_FILLED', intentId: h.pending() });
    expect(h.state()).toBe('COOLDOWN');
    h.clock.advance(TIMINGS.cooldownMs);
    expect(h.state()).toBe('SCANNING'); // still enabled
  });
});

describe('unfilled exit alarms (issue 20, defect 8)', () => {
  it('one alarm at the first re-send, then one a minute, not one per re-send', () => {
    const due = Array.from({ length: 95 }, (_, i) => i + 1).filter((n) => exitAlarmDue(n, 2_000));
    expect(due).toEqual([1, 30, 60, 90]);
    expect(exitAlarmDue(0, 2_000)).toBe(false);
    // a re-send slower than the reminder: each one alarms
    expect([1, 2, 3].every((n) => exitAlarmDue(n, 90_000))).toBe(true);
  });
});
