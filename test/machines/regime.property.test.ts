import fc from 'fast-check';
import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { regimeMachine } from '../../machines/regime.machine.ts';
import { DEFAULT_REGIME_THRESHOLDS, type RegimeInputs } from '../../machines/regime.types.ts';
import { ManualClock } from '../../state/clock.ts';
import { CHOP_INPUTS, EXPANSION_INPUTS, SIDEWAYS_INPUTS, TIMINGS } from './regime.fixtures.ts';

const MEMBERS = [
  { strategy: 'geometry', family: 'SLBRS' as const },
  { strategy: 'kinematics', family: 'SLBRS' as const },
  { strategy: 'cascade', family: 'EFFCS' as const },
];
const NULLS: RegimeInputs = { oiRange15m: Number.NaN, oiBuild1h: 0, fundingDev: 0, depthAsym5s: 0 };

type Step =
  | { k: 'tick'; regime: 'S' | 'E' | 'C' | 'N'; healthy: boolean; stale: boolean }
  | { k: 'strategyTick'; who: number; setup: boolean; trigger: boolean; exit: boolean }
  | { k: 'entryFilled'; who: number }
  | { k: 'entryRejected'; who: number }
  | { k: 'exitFilled'; who: number }
  | { k: 'error'; who: number }
  | { k: 'lease'; who: number }
  | { k: 'release'; who: number }
  | { k: 'time'; ms: number };

const who = fc.integer({ min: 0, max: MEMBERS.length - 1 });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .record({
        regime: fc.constantFrom('S', 'E', 'C', 'N') as fc.Arbitrary<'S' | 'E' | 'C' | 'N'>,
        h: fc.integer({ min: 0, max: 9 }),
      })
      // mostly healthy and fresh, so active regimes get confirmed and strategies reach positions
      .map(({ regime, h }) => ({ k: 'tick' as const, regime, healthy: h > 0, stale: h === 1 })),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('strategyTick' as const),
      who,
      setup: fc.integer({ min: 0, max: 3 }).map((x) => x > 0),
      trigger: fc.integer({ min: 0, max: 3 }).map((x) => x > 0),
      exit: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('entryFilled' as const), who }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('entryRejected' as const), who }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('exitFilled' as const), who }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('error' as const), who }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('lease' as const), who }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('release' as const), who }) },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant('time' as const), ms: fc.integer({ min: 100, max: 70_000 }) }),
  },
);

const inputsOf = { S: SIDEWAYS_INPUTS, E: EXPANSION_INPUTS, C: CHOP_INPUTS, N: NULLS };

function run(steps: Step[]): void {
  const clock = new ManualClock(1_700_000_000_000);
  const actor = createActor(regimeMachine, {
    clock,
    input: { coin: 'BTC', members: MEMBERS, thresholds: DEFAULT_REGIME_THRESHOLDS, timings: TIMINGS },
  }).start();
  let version = 0;
  // never two position leases for one coin: a grant only when the lease is free (or re-granted to its
  // holder), and only to a strategy the controller has enabled
  let holder: string | null = null;
  actor.on('decision', (e) => {
    if (e.decision.kind !== 'lease') return;
    if (e.decision.action === 'GRANT') {
      expect(
        holder === null || holder === e.decision.strategy,
        `grant to ${e.decision.strategy} while ${holder} holds`,
      ).toBe(true);
      expect(actor.getSnapshot().context.enabled[e.decision.strategy!]).toBe(true);
      holder = e.decision.strategy!;
    } else if (e.decision.action === 'RELEASE') {
      expect(holder).toBe(e.decision.strategy);
      holder = null;
    }
  });
  const child = (i: number) => actor.getSnapshot().children[MEMBERS[i]!.strategy] as any;
  const check = (after: string) => {
    const snap = actor.getSnapshot();
    const ctx = snap.context;
    const stateOf = (m: string) => {
      const v = (actor.getSnapshot().children[m] as any).getSnapshot().value;
      return typeof v === 'string' ? v : Object.keys(v)[0]!;
    };
    const slbrsLive = MEMBERS.filter((m) => m.family === 'SLBRS').some(
      (m) => stateOf(m.strategy) !== 'DISABLED',
    );
    const effcsLive = MEMBERS.filter((m) => m.family === 'EFFCS').some(
      (m) => stateOf(m.strategy) !== 'DISABLED',
    );
    const slbrsEnabled = MEMBERS.filter((m) => m.family === 'SLBRS').some((m) => ctx.enabled[m.strategy]);
    const effcsEnabled = MEMBERS.filter((m) => m.family === 'EFFCS').some((m) => ctx.enabled[m.strategy]);
    // families never both enabled, and a family is only enabled when every member of the other is DISABLED
    expect(slbrsEnabled && effcsEnabled, after).toBe(false);
    if (slbrsEnabled) expect(effcsLive, `${after}: EFFCS live while SLBRS enabled`).toBe(false);
    if (effcsEnabled) expect(slbrsLive, `${after}: SLBRS live while EFFCS enabled`).toBe(false);
    // no strategy enabled while the regime is DISABLED
    if (snap.value === 'DISABLED') expect(Object.values(ctx.enabled).some(Boolean), after).toBe(false);
    // a strategy that is not enabled by the controller never sits in SCANNING or ARMED
    for (const m of MEMBERS) {
      if (!ctx.enabled[m.strategy])
        expect(['SCANNING', 'ARMED'], `${after}: ${m.strategy}`).not.toContain(stateOf(m.strategy));
    }
  };
  for (const s of steps) {
    switch (s.k) {
      case 'tick':
        version++;
        actor.send({
          type: 'TICK',
          time: clock.now(),
          version,
          inputs: inputsOf[s.regime],
          health: s.healthy ? 'HEALTHY' : 'DEGRADED',
          stale: s.stale,
        });
        break;
      case 'strategyTick':
        child(s.who).send({
          type: 'TICK',
          time: clock.now(),
          version,
          eval: {
            setup: s.setup
              ? { side: 'LONG', stop: 99, target: 101, ref: 100, edge: 99.5, reason: 't' }
              : null,
            trigger: s.trigger,
            exit: s.exit ? { reason: 'invalidation', detail: 't' } : null,
            sizeFraction: 0.1,
          },
        });
        break;
      case 'entryFilled':
      case 'entryRejected':
      case 'exitFilled': {
        const pending = child(s.who).getSnapshot().context.pendingIntentId;
        if (pending === null) break;
        const type =
          s.k === 'entryFilled' ? 'ENTRY_FILLED' : s.k === 'entryRejected' ? 'ENTRY_REJECTED' : 'EXIT_FILLED';
        child(s.who).send({ type, intentId: pending, reason: 'r' });
        break;
      }
      case 'error':
        child(s.who).send({ type: 'STRATEGY_ERROR', message: 'boom' });
        break;
      case 'lease':
        actor.send({ type: 'ACQUIRE_LEASE', strategy: MEMBERS[s.who]!.strategy });
        break;
      case 'release':
        actor.send({ type: 'RELEASE_LEASE', strategy: MEMBERS[s.who]!.strategy });
        break;
      case 'time':
        clock.advance(s.ms);
        break;
    }
    check(JSON.stringify(s));
    expect(actor.getSnapshot().context.lease).toBe(holder);
  }
  expect(actor.getSnapshot().status).toBe('active');
  actor.stop();
}

describe('regime controller invariants (property)', () => {
  it('a family is enabled only after every member of the other family is DISABLED (scripted)', () => {
    // cascade holds a position in EXPANSION; the market turns SIDEWAYS: geometry must wait for its exit
    const tick = (regime: 'S' | 'E'): Step => ({ k: 'tick', regime, healthy: true, stale: false });
    run([
      tick('E'),
      tick('E'),
      tick('E'),
      { k: 'strategyTick', who: 2, setup: true, trigger: false, exit: false },
      { k: 'strategyTick', who: 2, setup: true, trigger: true, exit: false },
      { k: 'entryFilled', who: 2 },
      tick('S'),
      tick('S'),
      tick('S'),
      tick('S'),
      { k: 'exitFilled', who: 2 },
      { k: 'time', ms: 61_000 },
      tick('S'),
    ]);
  });

  it('families exclusive, nothing enabled while DISABLED, one lease per coin', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 120 }), (steps) => run(steps)),
      {
        numRuns: 2000,
        seed: 20261124,
      },
    );
  });
});
