/**
 * Regime controller invariants under random markets and random strategy behaviour, with real strategy
 * children and a harness that plays execution the way the decision engine does (an entry intent asks
 * for the coin's lease; a fill needs the lease; a flat position releases it).
 *
 * The generator holds a regime for several ticks at a time, so active regimes are confirmed, strategies
 * arm, enter, hold positions and exit, leases are granted, denied and released, exceptions lock
 * strategies out and operators re-enable them. The test prints its reach and asserts it.
 *
 * Invariants (after every step; listener findings are collected and asserted, never thrown inside xstate):
 * - the two families are never both enabled; a family is enabled only when every member of the other
 *   is DISABLED; nothing is enabled while the regime is DISABLED;
 * - the controller never counts a member enabled that sits in DISABLED, and a member it has not enabled
 *   never sits in SCANNING or ARMED;
 * - after a tick that leaves an active regime in force, every member of its family that is not locked
 *   out is enabled (an operator re-enable takes effect at the next tick);
 * - one lease per coin: a GRANT only when the lease is free (or to its holder) and only to an enabled
 *   strategy; a RELEASE only by the holder; at most one strategy holds a position, and it holds the lease.
 */
import fc from 'fast-check';
import { type AnyActorRef, createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { STRATEGIES } from '../../decision/registry.ts';
import { regimeMachine } from '../../machines/regime.machine.ts';
import { DEFAULT_REGIME_THRESHOLDS, type RegimeInputs } from '../../machines/regime.types.ts';
import type { Intent } from '../../machines/strategy.types.ts';
import { ManualClock } from '../../state/clock.ts';
import { CHOP_INPUTS, EXPANSION_INPUTS, SIDEWAYS_INPUTS, TIMINGS } from './regime.fixtures.ts';

/** The real members: every strategy of the registry, with its family (both families are there). */
const MEMBERS = STRATEGIES.map((d) => ({ strategy: d.name, family: d.family })).sort((a, b) =>
  a.family === b.family ? a.strategy.localeCompare(b.strategy) : a.family === 'SLBRS' ? -1 : 1,
);
const NULLS: RegimeInputs = { ...SIDEWAYS_INPUTS, oiRange15m: Number.NaN };
const inputsOf = { S: SIDEWAYS_INPUTS, E: EXPANSION_INPUTS, C: CHOP_INPUTS, N: NULLS };
type Health = 'HEALTHY' | 'DEGRADED' | 'WARMING';

type Step =
  | { k: 'regime'; regime: 'S' | 'E' | 'C' | 'N'; ticks: number; health: Health; stale: boolean }
  | { k: 'strategyTick'; who: number; setup: boolean; trigger: boolean; exit: boolean }
  /** A whole entry attempt: setup tick, trigger tick, execution's verdict (fill needs the lease). */
  | { k: 'attempt'; who: number; fill: boolean }
  /** A whole exit: an invalidation tick, then the exit fill (when `fills`). */
  | { k: 'exit'; who: number; fills: boolean }
  | { k: 'entryVerdict'; who: number; fill: boolean }
  | { k: 'exitFilled'; who: number }
  | { k: 'error'; who: number }
  | { k: 'operatorEnable'; who: number }
  | { k: 'time'; ms: number };

const who = fc.integer({ min: 0, max: MEMBERS.length - 1 });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('regime' as const),
      regime: fc.constantFrom<Array<'S' | 'E' | 'C' | 'N'>>('S', 'S', 'S', 'E', 'E', 'E', 'C', 'N'),
      ticks: fc.integer({ min: 1, max: 5 }),
      health: fc.constantFrom<Health[]>(...Array<Health>(8).fill('HEALTHY'), 'DEGRADED', 'WARMING'),
      stale: fc.integer({ min: 0, max: 14 }).map((x) => x === 0),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      k: fc.constant('strategyTick' as const),
      who,
      setup: fc.integer({ min: 0, max: 4 }).map((x) => x > 0),
      trigger: fc.integer({ min: 0, max: 2 }).map((x) => x > 0),
      exit: fc.integer({ min: 0, max: 3 }).map((x) => x === 0),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('entryVerdict' as const),
      who,
      fill: fc.integer({ min: 0, max: 4 }).map((x) => x > 0),
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('exitFilled' as const), who }) },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('attempt' as const),
      who,
      fill: fc.integer({ min: 0, max: 4 }).map((x) => x > 0),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('exit' as const),
      who,
      fills: fc.integer({ min: 0, max: 3 }).map((x) => x > 0),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('error' as const), who }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('operatorEnable' as const), who }) },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant('time' as const), ms: fc.integer({ min: 100, max: 70_000 }) }),
  },
);

/** What the runs reached, over all runs of a property. */
interface Reach {
  runs: number;
  runsSideways: number;
  runsExpansion: number;
  runsWithPosition: number;
  runsFamilySwitchWhileHolding: number;
  granted: number;
  denied: number;
  released: number;
  positions: number;
  lockouts: number;
  reenabled: number;
}
const emptyReach = (): Reach => ({
  runs: 0,
  runsSideways: 0,
  runsExpansion: 0,
  runsWithPosition: 0,
  runsFamilySwitchWhileHolding: 0,
  granted: 0,
  denied: 0,
  released: 0,
  positions: 0,
  lockouts: 0,
  reenabled: 0,
});

const topState = (v: unknown) => (typeof v === 'string' ? v : Object.keys(v as object)[0]!);

function run(steps: Step[], reach: Reach): void {
  const clock = new ManualClock(1_700_000_000_000);
  const actor = createActor(regimeMachine, {
    clock,
    input: { coin: 'BTC', members: MEMBERS, thresholds: DEFAULT_REGIME_THRESHOLDS, timings: TIMINGS },
  });
  const violations: string[] = [];
  let holder: string | null = null;
  const lockedOutOnce = new Set<string>();
  let sawSideways = false;
  let sawExpansion = false;
  let heldPosition = false;
  let switchedWhileHolding = false;
  actor.on('decision', (e) => {
    const d = e.decision;
    if (d.kind === 'gate' && d.action === 'DISABLE' && /locked out/.test(d.reason)) {
      reach.lockouts++;
      lockedOutOnce.add(d.strategy ?? '');
    }
    // enabled again after a lock-out (an operator re-enable, then the regime's next tick or entry)
    if (d.kind === 'gate' && d.action === 'ENABLE' && lockedOutOnce.delete(d.strategy ?? ''))
      reach.reenabled++;
    if (d.kind !== 'lease') return;
    const s = d.strategy ?? '';
    if (d.action === 'GRANT') {
      reach.granted++;
      if (holder !== null && holder !== s) violations.push(`GRANT to ${s} while ${holder} holds the lease`);
      if (actor.getSnapshot().context.enabled[s] !== true) violations.push(`GRANT to ${s}, not enabled`);
      holder = s;
    } else if (d.action === 'RELEASE') {
      reach.released++;
      if (holder !== s) violations.push(`RELEASE by ${s}, holder ${holder}`);
      holder = null;
    } else if (d.action === 'DENY') reach.denied++;
  });
  actor.start();

  const children = MEMBERS.map((m) => actor.getSnapshot().children[m.strategy] as AnyActorRef);
  const stateOf = (i: number) => topState(children[i]!.getSnapshot().value);
  const ctxOf = (i: number) =>
    children[i]!.getSnapshot().context as { pendingIntentId: string | null; lockedOut: boolean };
  // the execution side, as the decision engine plays it
  const intents: Array<{ i: number; intent: Intent }> = [];
  children.forEach((c, i) => {
    c.on('intent', (e: { intent: Intent }) => intents.push({ i, intent: e.intent }));
  });
  const pendingEntry: Array<string | null> = MEMBERS.map(() => null);
  const position: boolean[] = MEMBERS.map(() => false);
  const awaitingEntry = (i: number) =>
    stateOf(i) === 'ARMED' && pendingEntry[i] !== null && ctxOf(i).pendingIntentId === pendingEntry[i];
  const release = (i: number) => {
    if (actor.getSnapshot().context.lease === MEMBERS[i]!.strategy)
      actor.send({ type: 'RELEASE_LEASE', strategy: MEMBERS[i]!.strategy });
  };
  const drain = () => {
    while (intents.length > 0) {
      const { i, intent } = intents.shift()!;
      if (intent.kind === 'entry') {
        actor.send({ type: 'ACQUIRE_LEASE', strategy: MEMBERS[i]!.strategy });
        pendingEntry[i] = intent.id;
      }
    }
    // an entry its strategy stopped waiting for: after an entry timeout nothing filled and the lease
    // goes back; after a DISABLE while in flight the strategy flattens (EXITED) and the exit fill releases it
    MEMBERS.forEach((_, i) => {
      if (pendingEntry[i] !== null && !awaitingEntry(i)) {
        pendingEntry[i] = null;
        if (stateOf(i) !== 'EXITED') release(i);
      }
    });
  };

  let version = 0;
  const check = (after: string) => {
    const snap = actor.getSnapshot();
    const ctx = snap.context;
    const fam = (f: 'SLBRS' | 'EFFCS') => MEMBERS.map((m, i) => ({ m, i })).filter((x) => x.m.family === f);
    const enabled = (f: 'SLBRS' | 'EFFCS') => fam(f).some((x) => ctx.enabled[x.m.strategy]);
    const live = (f: 'SLBRS' | 'EFFCS') => fam(f).some((x) => stateOf(x.i) !== 'DISABLED');
    const v: string[] = [];
    if (enabled('SLBRS') && enabled('EFFCS')) v.push('both families enabled');
    if (enabled('SLBRS') && live('EFFCS')) v.push('SLBRS enabled while an EFFCS member is not DISABLED');
    if (enabled('EFFCS') && live('SLBRS')) v.push('EFFCS enabled while an SLBRS member is not DISABLED');
    if (snap.value === 'DISABLED' && Object.values(ctx.enabled).some(Boolean))
      v.push('enabled while DISABLED');
    MEMBERS.forEach((m, i) => {
      const st = stateOf(i);
      if (ctx.enabled[m.strategy] && st === 'DISABLED') v.push(`${m.strategy} counted enabled but DISABLED`);
      if (!ctx.enabled[m.strategy] && (st === 'SCANNING' || st === 'ARMED'))
        v.push(`${m.strategy} ${st} without the controller's ENABLE`);
    });
    const holders = MEMBERS.filter((_, i) => position[i]).map((m) => m.strategy);
    if (holders.length > 1) v.push(`positions held by ${holders.join(', ')}`);
    if (holders.length === 1 && ctx.lease !== holders[0])
      v.push(`${holders[0]} holds a position without the lease`);
    if (ctx.lease !== holder) v.push(`lease ${ctx.lease} but the decisions say ${holder}`);
    violations.push(...v.map((x) => `${after}: ${x}`));
    expect(violations).toEqual([]);
  };

  const apply = (s: Step): void => {
    switch (s.k) {
      case 'regime':
        for (let t = 0; t < s.ticks; t++) {
          version++;
          actor.send({
            type: 'TICK',
            time: clock.now(),
            version,
            inputs: inputsOf[s.regime],
            health: s.health,
            stale: s.stale,
          });
          drain();
          const value = actor.getSnapshot().value;
          const active =
            typeof value === 'object' && Object.values(value)[0] === 'active' ? Object.keys(value)[0] : null;
          if (active === 'SIDEWAYS') sawSideways = true;
          if (active === 'EXPANSION') sawExpansion = true;
          const top = topState(value);
          if (top !== 'DISABLED') {
            const other = top === 'SIDEWAYS' ? 'EFFCS' : 'SLBRS';
            if (MEMBERS.some((m, i) => m.family === other && position[i])) switchedWhileHolding = true;
          }
          // liveness: in force, every member of the family not locked out is enabled after this tick
          if (active !== null) {
            const f = active === 'SIDEWAYS' ? 'SLBRS' : 'EFFCS';
            MEMBERS.forEach((m, i) => {
              if (m.family === f && !ctxOf(i).lockedOut && !actor.getSnapshot().context.enabled[m.strategy])
                violations.push(`${m.strategy} not locked out, yet not enabled in ${active} after a tick`);
            });
          }
          check(JSON.stringify(s));
        }
        break;
      case 'strategyTick': {
        if (stateOf(s.who) === 'DISABLED') break; // the engine evaluates only live strategies
        const side = MEMBERS[s.who]!.family === 'SLBRS' ? 'LONG' : 'SHORT';
        const setup = s.setup
          ? side === 'LONG'
            ? { side, stop: 99, target: 101, ref: 100, levels: { edge: 99.5 }, reason: 't' }
            : { side, stop: 101, target: 99, ref: 100, levels: { edge: 100.5 }, reason: 't' }
          : null;
        children[s.who]!.send({
          type: 'TICK',
          time: clock.now(),
          version,
          eval: {
            setup,
            trigger: s.trigger,
            exit: s.exit ? { reason: 'invalidation', detail: 't' } : null,
            sizeFraction: 0.1,
          },
        });
        break;
      }
      case 'entryVerdict': {
        const id = pendingEntry[s.who];
        if (id === null || !awaitingEntry(s.who)) break;
        pendingEntry[s.who] = null;
        const strategy = MEMBERS[s.who]!.strategy;
        if (s.fill && actor.getSnapshot().context.lease === strategy) {
          position[s.who] = true;
          heldPosition = true;
          reach.positions++;
          children[s.who]!.send({ type: 'ENTRY_FILLED', intentId: id });
        } else {
          release(s.who);
          children[s.who]!.send({ type: 'ENTRY_REJECTED', intentId: id, reason: 'NO_LEASE or venue' });
        }
        break;
      }
      case 'exitFilled': {
        if (stateOf(s.who) !== 'EXITED') break;
        const id = ctxOf(s.who).pendingIntentId;
        if (id === null) break;
        position[s.who] = false;
        pendingEntry[s.who] = null;
        release(s.who);
        children[s.who]!.send({ type: 'EXIT_FILLED', intentId: id });
        break;
      }
      case 'error':
        children[s.who]!.send({ type: 'STRATEGY_ERROR', message: 'boom' });
        break;
      case 'operatorEnable': {
        // operators re-enable what is locked out: `who` if it is, else the first member that is
        const target = ctxOf(s.who).lockedOut
          ? s.who
          : Math.max(
              0,
              MEMBERS.findIndex((_, i) => ctxOf(i).lockedOut),
            );
        actor.send({ type: 'OPERATOR_ENABLE', strategy: MEMBERS[target]!.strategy });
        break;
      }
      case 'time':
        clock.advance(s.ms);
        break;
      case 'attempt':
        apply({ k: 'strategyTick', who: s.who, setup: true, trigger: false, exit: false });
        apply({ k: 'strategyTick', who: s.who, setup: true, trigger: true, exit: false });
        apply({ k: 'entryVerdict', who: s.who, fill: s.fill });
        break;
      case 'exit':
        apply({ k: 'strategyTick', who: s.who, setup: true, trigger: false, exit: true });
        if (s.fills) apply({ k: 'exitFilled', who: s.who });
        break;
    }
    drain();
    check(JSON.stringify(s));
  };
  for (const s of steps) apply(s);
  expect(actor.getSnapshot().status).toBe('active');
  actor.stop();
  reach.runs++;
  if (sawSideways) reach.runsSideways++;
  if (sawExpansion) reach.runsExpansion++;
  if (heldPosition) reach.runsWithPosition++;
  if (switchedWhileHolding) reach.runsFamilySwitchWhileHolding++;
}

it('the registry has members of both families (the invariants below are about real ones)', () => {
  expect(new Set(MEMBERS.map((m) => m.family))).toEqual(new Set(['SLBRS', 'EFFCS']));
  expect(MEMBERS.map((m) => m.strategy)).toEqual(['geometry', 'kinematics', 'cascade']);
});

describe('regime controller invariants (property)', () => {
  it('a family is enabled only after every member of the other family is DISABLED (scripted)', () => {
    // cascade holds a position in EXPANSION; the market turns SIDEWAYS: geometry must wait for its exit
    const tick = (regime: 'S' | 'E'): Step => ({
      k: 'regime',
      regime,
      ticks: 1,
      health: 'HEALTHY',
      stale: false,
    });
    const reach = emptyReach();
    run(
      [
        tick('E'),
        tick('E'),
        tick('E'),
        { k: 'strategyTick', who: 2, setup: true, trigger: false, exit: false },
        { k: 'strategyTick', who: 2, setup: true, trigger: true, exit: false },
        { k: 'entryVerdict', who: 2, fill: true },
        tick('S'),
        tick('S'),
        tick('S'),
        tick('S'),
        { k: 'exitFilled', who: 2 },
        { k: 'time', ms: 61_000 },
        tick('S'),
      ],
      reach,
    );
    expect(reach).toMatchObject({ runsSideways: 1, runsExpansion: 1, positions: 1, granted: 1, released: 1 });
    expect(reach.runsFamilySwitchWhileHolding).toBe(1);
  });

  it('families exclusive, gates honest, operator re-enable live, one lease and one position per coin', () => {
    const reach = emptyReach();
    fc.assert(
      fc.property(fc.array(step, { minLength: 30, maxLength: 100 }), (steps) => run(steps, reach)),
      { numRuns: 1000, seed: 20261130 },
    );
    console.log(`regime property reach: ${JSON.stringify(reach)}`);
    // the generator must actually exercise what the invariants are about
    expect(reach.runs).toBe(1000);
    expect(reach.runsSideways).toBeGreaterThan(500);
    expect(reach.runsExpansion).toBeGreaterThan(500);
    expect(reach.runsWithPosition).toBeGreaterThan(300);
    expect(reach.runsFamilySwitchWhileHolding).toBeGreaterThan(100);
    expect(reach.positions).toBeGreaterThan(300);
    expect(reach.granted).toBeGreaterThan(500);
    expect(reach.released).toBeGreaterThan(300);
    expect(reach.denied).toBeGreaterThan(50);
    expect(reach.lockouts).toBeGreaterThan(100);
    expect(reach.reenabled).toBeGreaterThan(30);
  });
});
