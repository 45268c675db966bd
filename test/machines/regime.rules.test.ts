/**
 * The regime rules, tested from the RULEBOOK ("Regime controller"), not from the code:
 * - every threshold at, just inside and just outside its boundary (`≤` / `≥` inclusive), both signs of
 *   `depthAsym5s` (the rule reads its absolute value);
 * - NULL (NaN) and non-finite inputs, health not HEALTHY, a stale hot state, "both hold" → DISABLED;
 * - `confirmTicks` consecutive ticks to enter (2 vs 3), the immediate fall;
 * - gates: families never both enabled, the other family seen DISABLED first, one lease per coin;
 * - the operator re-enable after a lock-out, and the regime named in a DISABLE caused by its end.
 */
import { type AnyActorRef, createActor, createMachine, type InspectionEvent } from 'xstate';
import { describe, expect, it } from 'vitest';
import { type RegimeEvent, regimeMachine } from '../../machines/regime.machine.ts';
import { classify, familyOf } from '../../machines/regime.rules.ts';
import {
  DEFAULT_REGIME_THRESHOLDS,
  type HealthLevel,
  type RegimeDecision,
  type RegimeInputs,
  type RegimeThresholds,
} from '../../machines/regime.types.ts';
import { ManualClock } from '../../state/clock.ts';
import { CHOP_INPUTS, EXPANSION_INPUTS, SIDEWAYS_INPUTS, TIMINGS } from './regime.fixtures.ts';

const TH = DEFAULT_REGIME_THRESHOLDS;
const regimeOf = (i: RegimeInputs, health: HealthLevel = 'HEALTHY', stale = false, th = TH) =>
  classify(i, health, stale, th).regime;

// A value a hair inside / outside a boundary: far above float noise, far below any real signal.
const EPS = 1e-9;

describe('RULEBOOK defaults are pinned', () => {
  it('SIDEWAYS ≤ 0.006 / ≤ 0.00002 / |asym| ≤ 0.25; EXPANSION ≥ 0.02 / ≥ 0.00004 / |asym| ≥ 0.30; confirmTicks 3', () => {
    expect(TH).toEqual({
      sideways: { oiRange15mMax: 0.006, fundingDevMax: 0.00002, depthAsymAbsMax: 0.25 },
      expansion: { oiBuild1hMin: 0.02, fundingDevMin: 0.00004, depthAsymAbsMin: 0.3 },
      confirmTicks: 3,
    });
  });
  it('the fixtures classify as their names say', () => {
    expect(regimeOf(SIDEWAYS_INPUTS)).toBe('SIDEWAYS');
    expect(regimeOf(EXPANSION_INPUTS)).toBe('EXPANSION');
    expect(regimeOf(CHOP_INPUTS)).toBe('DISABLED');
  });
});

describe('SIDEWAYS boundaries (all of, inclusive ≤)', () => {
  // a point well inside SIDEWAYS and far from EXPANSION, so each test moves exactly one input
  const base: RegimeInputs = { oiRange15m: 0.001, oiBuild1h: 0, fundingDev: 0.000001, depthAsym5s: 0 };
  const cases: Array<[keyof RegimeInputs, number]> = [
    ['oiRange15m', TH.sideways.oiRange15mMax],
    ['fundingDev', TH.sideways.fundingDevMax],
    ['depthAsym5s', TH.sideways.depthAsymAbsMax],
  ];
  for (const [k, limit] of cases) {
    it(`${k}: at ${limit} and just inside → SIDEWAYS; just outside → DISABLED`, () => {
      expect(regimeOf({ ...base, [k]: limit })).toBe('SIDEWAYS');
      expect(regimeOf({ ...base, [k]: limit - EPS })).toBe('SIDEWAYS');
      expect(regimeOf({ ...base, [k]: limit + EPS })).toBe('DISABLED');
    });
  }
  it('|depthAsym5s|: the negative side mirrors the positive one', () => {
    const lim = TH.sideways.depthAsymAbsMax;
    expect(regimeOf({ ...base, depthAsym5s: -lim })).toBe('SIDEWAYS');
    expect(regimeOf({ ...base, depthAsym5s: -lim + EPS })).toBe('SIDEWAYS');
    expect(regimeOf({ ...base, depthAsym5s: -lim - EPS })).toBe('DISABLED');
    expect(regimeOf({ ...base, depthAsym5s: -0.9 })).toBe('DISABLED');
  });
  it('oiBuild1h plays no part in SIDEWAYS', () => {
    expect(regimeOf({ ...base, oiBuild1h: 0.5 })).toBe('SIDEWAYS');
  });
  it('each condition alone is not enough', () => {
    expect(regimeOf({ ...base, oiRange15m: 0.5 })).toBe('DISABLED');
    expect(regimeOf({ ...base, fundingDev: 0.00003 })).toBe('DISABLED');
    expect(regimeOf({ ...base, depthAsym5s: 0.27 })).toBe('DISABLED');
  });
});

describe('EXPANSION boundaries (all of, inclusive ≥)', () => {
  const base: RegimeInputs = { oiRange15m: 0.5, oiBuild1h: 0.05, fundingDev: 0.0001, depthAsym5s: 0.6 };
  const cases: Array<[keyof RegimeInputs, number]> = [
    ['oiBuild1h', TH.expansion.oiBuild1hMin],
    ['fundingDev', TH.expansion.fundingDevMin],
    ['depthAsym5s', TH.expansion.depthAsymAbsMin],
  ];
  for (const [k, limit] of cases) {
    it(`${k}: at ${limit} and just inside → EXPANSION; just outside → DISABLED`, () => {
      expect(regimeOf({ ...base, [k]: limit })).toBe('EXPANSION');
      expect(regimeOf({ ...base, [k]: limit + EPS })).toBe('EXPANSION');
      expect(regimeOf({ ...base, [k]: limit - EPS })).toBe('DISABLED');
    });
  }
  it('|depthAsym5s|: the negative side mirrors the positive one', () => {
    const lim = TH.expansion.depthAsymAbsMin;
    expect(regimeOf({ ...base, depthAsym5s: -lim })).toBe('EXPANSION');
    expect(regimeOf({ ...base, depthAsym5s: -lim - EPS })).toBe('EXPANSION');
    expect(regimeOf({ ...base, depthAsym5s: -lim + EPS })).toBe('DISABLED');
    expect(regimeOf({ ...base, depthAsym5s: 0 })).toBe('DISABLED');
  });
  it('oiRange15m plays no part in EXPANSION', () => {
    expect(regimeOf({ ...base, oiRange15m: 0 })).toBe('EXPANSION');
  });
  it('each condition alone is not enough', () => {
    expect(regimeOf({ ...base, oiBuild1h: 0.001 })).toBe('DISABLED');
    expect(regimeOf({ ...base, fundingDev: 0.00003 })).toBe('DISABLED');
    expect(regimeOf({ ...base, depthAsym5s: 0.27 })).toBe('DISABLED');
  });
});

describe('DISABLED: ambiguity, NULL, health, staleness', () => {
  it('both hold → DISABLED, with a reason that says so', () => {
    // thresholds under which one point satisfies both tables
    const overlap: RegimeThresholds = {
      ...TH,
      sideways: { oiRange15mMax: 1, fundingDevMax: 1, depthAsymAbsMax: 1 },
      expansion: { oiBuild1hMin: 0, fundingDevMin: 0, depthAsymAbsMin: 0 },
    };
    const c = classify(SIDEWAYS_INPUTS, 'HEALTHY', false, overlap);
    expect(c.regime).toBe('DISABLED');
    expect(c.reason).toMatch(/ambiguous/);
  });
  it('any input NULL → DISABLED, naming the input', () => {
    for (const k of ['oiRange15m', 'oiBuild1h', 'fundingDev', 'depthAsym5s'] as const) {
      for (const good of [SIDEWAYS_INPUTS, EXPANSION_INPUTS]) {
        const c = classify({ ...good, [k]: Number.NaN }, 'HEALTHY', false, TH);
        expect(c.regime, k).toBe('DISABLED');
        expect(c.reason, k).toContain(k);
        expect(c.reason, k).toMatch(/NULL/);
      }
    }
  });
  it('the reason lists every NULL input', () => {
    const i = { ...SIDEWAYS_INPUTS, oiRange15m: Number.NaN, fundingDev: Number.NaN };
    expect(classify(i, 'HEALTHY', false, TH).reason).toBe('NULL input: oiRange15m, fundingDev');
    const inf = { ...EXPANSION_INPUTS, oiBuild1h: Number.POSITIVE_INFINITY };
    expect(classify(inf, 'HEALTHY', false, TH).reason).toBe('NULL input: oiBuild1h=Infinity');
  });
  it('a NULL input that the other regime does not read still disables it (any input NULL)', () => {
    expect(regimeOf({ ...SIDEWAYS_INPUTS, oiBuild1h: Number.NaN })).toBe('DISABLED');
    expect(regimeOf({ ...EXPANSION_INPUTS, oiRange15m: Number.NaN })).toBe('DISABLED');
  });
  it('a non-finite input (±Infinity: a division by a zero OI) is NULL, never a regime', () => {
    expect(regimeOf({ ...EXPANSION_INPUTS, oiBuild1h: Number.POSITIVE_INFINITY })).toBe('DISABLED');
    expect(regimeOf({ ...SIDEWAYS_INPUTS, oiRange15m: Number.NEGATIVE_INFINITY })).toBe('DISABLED');
    expect(
      classify({ ...SIDEWAYS_INPUTS, depthAsym5s: Number.POSITIVE_INFINITY }, 'HEALTHY', false, TH).reason,
    ).toMatch(/depthAsym5s/);
  });
  it('health not HEALTHY → DISABLED whatever the inputs', () => {
    for (const h of ['DEGRADED', 'HALTED', 'WARMING'] as const) {
      for (const i of [SIDEWAYS_INPUTS, EXPANSION_INPUTS]) {
        const c = classify(i, h, false, TH);
        expect(c.regime).toBe('DISABLED');
        expect(c.reason).toContain(h);
      }
    }
  });
  it('stale hot state → DISABLED whatever the inputs', () => {
    for (const i of [SIDEWAYS_INPUTS, EXPANSION_INPUTS]) {
      const c = classify(i, 'HEALTHY', true, TH);
      expect(c.regime).toBe('DISABLED');
      expect(c.reason).toMatch(/stale/);
    }
  });
  it('reasons carry the inputs', () => {
    expect(classify(SIDEWAYS_INPUTS, 'HEALTHY', false, TH).reason).toBe(
      'SIDEWAYS conditions hold: oiRange15m=0.002 oiBuild1h=0.003 fundingDev=0.000005 |depthAsym5s|=0.05',
    );
    expect(classify(EXPANSION_INPUTS, 'HEALTHY', false, TH).reason).toMatch(
      /^EXPANSION conditions hold: .*\|depthAsym5s\|=0\.4$/,
    );
    expect(classify(CHOP_INPUTS, 'HEALTHY', false, TH).reason).toMatch(/^neither regime holds/);
  });
  it('families: SIDEWAYS → SLBRS, EXPANSION → EFFCS, DISABLED → none', () => {
    expect(familyOf('SIDEWAYS')).toBe('SLBRS');
    expect(familyOf('EXPANSION')).toBe('EFFCS');
    expect(familyOf('DISABLED')).toBeNull();
  });
});

// ---------------------------------------------------------------- the controller

const MEMBERS = [
  { strategy: 'geometry', family: 'SLBRS' as const },
  { strategy: 'kinematics', family: 'SLBRS' as const },
  { strategy: 'cascade', family: 'EFFCS' as const },
];

/** A controller with real strategy children on a ManualClock; records decisions and the gates it sends. */
function controller(opts: { confirmTicks?: number; inert?: boolean } = {}) {
  const clock = new ManualClock(1_700_000_000_000);
  const sent: Array<{ to: string; type: string; reason?: string }> = [];
  const inspect = (e: InspectionEvent) => {
    if (e.type !== '@xstate.event') return;
    const to = (e.actorRef as AnyActorRef).id;
    const ev = e.event as { type: string; reason?: string };
    if (ev.type === 'ENABLE' || ev.type === 'DISABLE') sent.push({ to, type: ev.type, reason: ev.reason });
  };
  const machine = opts.inert
    ? regimeMachine.provide({ actors: { strategy: createMachine({ id: 'inert' }) as never } })
    : regimeMachine;
  const actor = createActor(machine, {
    clock,
    inspect,
    input: {
      coin: 'BTC',
      members: MEMBERS,
      thresholds: { ...TH, confirmTicks: opts.confirmTicks ?? TH.confirmTicks },
      timings: TIMINGS,
    },
  });
  const decisions: RegimeDecision[] = [];
  actor.on('decision', (e) => decisions.push(e.decision));
  actor.start();
  let version = 0;
  const tick = (inputs: RegimeInputs, health: HealthLevel = 'HEALTHY', stale = false) => {
    version++;
    actor.send({ type: 'TICK', time: clock.now(), version, inputs, health, stale } satisfies RegimeEvent);
  };
  const child = (s: string) => actor.getSnapshot().children[s] as AnyActorRef;
  const memberState = (s: string) => {
    const v = child(s).getSnapshot().value as string | Record<string, unknown>;
    return typeof v === 'string' ? v : Object.keys(v)[0]!;
  };
  return { actor, clock, tick, child, memberState, decisions, sent };
}

describe('controller: confirmTicks to enter, immediate fall', () => {
  it('confirmTicks 3: two SIDEWAYS ticks stay DISABLED, the third enters', () => {
    const c = controller();
    c.tick(SIDEWAYS_INPUTS);
    c.tick(SIDEWAYS_INPUTS);
    expect(c.actor.getSnapshot().value).toBe('DISABLED');
    expect(c.memberState('geometry')).toBe('DISABLED');
    c.tick(SIDEWAYS_INPUTS);
    expect(c.actor.getSnapshot().value).toEqual({ SIDEWAYS: 'active' });
    expect(c.memberState('geometry')).toBe('SCANNING');
    expect(c.memberState('kinematics')).toBe('SCANNING');
    expect(c.memberState('cascade')).toBe('DISABLED');
  });
  it('confirmTicks 2: the second tick enters', () => {
    const c = controller({ confirmTicks: 2 });
    c.tick(EXPANSION_INPUTS);
    expect(c.actor.getSnapshot().value).toBe('DISABLED');
    c.tick(EXPANSION_INPUTS);
    expect(c.actor.getSnapshot().value).toEqual({ EXPANSION: 'active' });
    expect(c.memberState('cascade')).toBe('SCANNING');
    expect(c.memberState('geometry')).toBe('DISABLED');
  });
  it('the ticks must be consecutive: any other tick in between restarts the count', () => {
    for (const breaker of [CHOP_INPUTS, EXPANSION_INPUTS]) {
      const c = controller();
      c.tick(SIDEWAYS_INPUTS);
      c.tick(SIDEWAYS_INPUTS);
      c.tick(breaker);
      c.tick(SIDEWAYS_INPUTS);
      c.tick(SIDEWAYS_INPUTS);
      expect(c.actor.getSnapshot().value).toBe('DISABLED');
      c.tick(SIDEWAYS_INPUTS);
      expect(c.actor.getSnapshot().value).toEqual({ SIDEWAYS: 'active' });
    }
    // an unhealthy or stale tick breaks the run too
    for (const [h, stale] of [
      ['DEGRADED', false],
      ['HEALTHY', true],
    ] as const) {
      const c = controller();
      c.tick(SIDEWAYS_INPUTS);
      c.tick(SIDEWAYS_INPUTS);
      c.tick(SIDEWAYS_INPUTS, h, stale);
      c.tick(SIDEWAYS_INPUTS);
      c.tick(SIDEWAYS_INPUTS);
      expect(c.actor.getSnapshot().value).toBe('DISABLED');
    }
  });
  it('falling to DISABLED is immediate: one tick of chop, NULL, unhealthy or stale', () => {
    const fallers: Array<[RegimeInputs, HealthLevel, boolean]> = [
      [CHOP_INPUTS, 'HEALTHY', false],
      [{ ...SIDEWAYS_INPUTS, fundingDev: Number.NaN }, 'HEALTHY', false],
      [SIDEWAYS_INPUTS, 'DEGRADED', false],
      [SIDEWAYS_INPUTS, 'HEALTHY', true],
      [EXPANSION_INPUTS, 'HEALTHY', false],
    ];
    for (const [inputs, h, stale] of fallers) {
      const c = controller();
      for (let i = 0; i < 3; i++) c.tick(SIDEWAYS_INPUTS);
      expect(c.memberState('geometry')).toBe('SCANNING');
      c.tick(inputs, h, stale);
      expect(c.actor.getSnapshot().value).toBe('DISABLED');
      expect(c.memberState('geometry')).toBe('DISABLED');
      expect(c.memberState('kinematics')).toBe('DISABLED');
      expect(Object.values(c.actor.getSnapshot().context.enabled).some(Boolean)).toBe(false);
    }
  });
  it('EXPANSION straight after SIDEWAYS still needs its own confirmTicks (the fall tick counts as the first)', () => {
    const c = controller();
    for (let i = 0; i < 3; i++) c.tick(SIDEWAYS_INPUTS);
    c.tick(EXPANSION_INPUTS);
    c.tick(EXPANSION_INPUTS);
    expect(c.actor.getSnapshot().value).toBe('DISABLED');
    expect(c.memberState('cascade')).toBe('DISABLED');
    c.tick(EXPANSION_INPUTS);
    expect(c.actor.getSnapshot().value).toEqual({ EXPANSION: 'active' });
    expect(c.memberState('cascade')).toBe('SCANNING');
    expect(c.memberState('geometry')).toBe('DISABLED');
  });
  it('every regime change and gate is logged with the regime, the inputs and the reason', () => {
    const c = controller();
    for (let i = 0; i < 3; i++) c.tick(SIDEWAYS_INPUTS);
    c.tick(CHOP_INPUTS);
    const regimes = c.decisions.filter((d) => d.kind === 'regime').map((d) => d.regime);
    expect(regimes).toEqual(['DISABLED', 'SIDEWAYS', 'DISABLED']);
    const gates = c.decisions.filter((d) => d.kind === 'gate');
    expect(gates.map((g) => `${g.action} ${g.strategy} ${g.regime}`)).toEqual([
      'ENABLE geometry SIDEWAYS',
      'ENABLE kinematics SIDEWAYS',
      'DISABLE geometry DISABLED',
      'DISABLE kinematics DISABLED',
    ]);
    expect(gates[0]!.inputs).toEqual(SIDEWAYS_INPUTS);
    expect(gates[2]!.inputs).toEqual(CHOP_INPUTS);
    expect(gates[2]!.reason).toMatch(/neither regime holds/);
  });
});

describe('controller: the DISABLE caused by the regime leaving names the regime', () => {
  it('SIDEWAYS → DISABLED: the DISABLE sent to each member says "regime left SIDEWAYS"', () => {
    const c = controller();
    for (let i = 0; i < 3; i++) c.tick(SIDEWAYS_INPUTS);
    c.tick(CHOP_INPUTS);
    const disables = c.sent.filter((s) => s.type === 'DISABLE');
    expect(disables.map((d) => d.to)).toEqual(['geometry', 'kinematics']);
    for (const d of disables) {
      expect(d.reason).toMatch(/^SIDEWAYS → DISABLED: neither regime holds/);
    }
    const gate = c.decisions.find((d) => d.kind === 'gate' && d.action === 'DISABLE');
    expect(gate!.reason).toMatch(/^regime left SIDEWAYS → DISABLED/);
  });
  it('EXPANSION → DISABLED names EXPANSION; an ENTERED strategy exits with that reason', () => {
    const c = controller();
    for (let i = 0; i < 3; i++) c.tick(EXPANSION_INPUTS);
    const cascade = c.child('cascade');
    const intents: Array<{ kind: string; reason?: string; detail?: string }> = [];
    cascade.on('intent', (e: { intent: { kind: string; reason?: string; detail?: string } }) =>
      intents.push(e.intent),
    );
    const setup = {
      side: 'SHORT' as const,
      stop: 101,
      target: 98,
      ref: 100,
      levels: { edge: 100.5 },
      reason: 's',
    };
    cascade.send({
      type: 'TICK',
      time: 0,
      version: 1,
      eval: { setup, trigger: false, exit: null, sizeFraction: 0.1 },
    });
    cascade.send({
      type: 'TICK',
      time: 0,
      version: 2,
      eval: { setup, trigger: true, exit: null, sizeFraction: 0.1 },
    });
    const id = cascade.getSnapshot().context.pendingIntentId as string;
    cascade.send({ type: 'ENTRY_FILLED', intentId: id });
    expect(c.memberState('cascade')).toBe('ENTERED');
    c.tick(EXPANSION_INPUTS, 'DEGRADED');
    expect(c.memberState('cascade')).toBe('EXITED');
    const exit = intents.find((i) => i.kind === 'exit');
    expect(`${exit?.reason}: ${exit?.detail}`).toMatch(/regime left.*EXPANSION → DISABLED: health DEGRADED/);
  });
});

describe('controller: families and leases', () => {
  it('a family is enabled only once every member of the other family is DISABLED', () => {
    const c = controller({ inert: true });
    // inert children: the test plays their reports
    for (let i = 0; i < 3; i++) c.tick(EXPANSION_INPUTS);
    c.actor.send({ type: 'MEMBER_STATE', strategy: 'cascade', state: 'SCANNING' });
    c.actor.send({ type: 'MEMBER_STATE', strategy: 'cascade', state: 'ENTERED' });
    c.tick(CHOP_INPUTS); // disables cascade; it is exiting
    c.actor.send({ type: 'MEMBER_STATE', strategy: 'cascade', state: 'EXITED' });
    for (let i = 0; i < 4; i++) c.tick(SIDEWAYS_INPUTS);
    expect(c.actor.getSnapshot().value).toEqual({ SIDEWAYS: 'waitingFamily' });
    expect(c.actor.getSnapshot().context.enabled).toEqual({
      geometry: false,
      kinematics: false,
      cascade: false,
    });
    c.actor.send({ type: 'MEMBER_STATE', strategy: 'cascade', state: 'COOLDOWN' });
    expect(c.actor.getSnapshot().value).toEqual({ SIDEWAYS: 'waitingFamily' });
    c.actor.send({ type: 'MEMBER_STATE', strategy: 'cascade', state: 'DISABLED' });
    expect(c.actor.getSnapshot().value).toEqual({ SIDEWAYS: 'active' });
    expect(c.actor.getSnapshot().context.enabled).toEqual({
      geometry: true,
      kinematics: true,
      cascade: false,
    });
  });
  it('every member of the other family, not just one (every, not some)', () => {
    const c = controller({ inert: true });
    for (let i = 0; i < 3; i++) c.tick(SIDEWAYS_INPUTS);
    c.actor.send({ type: 'MEMBER_STATE', strategy: 'geometry', state: 'ENTERED' });
    c.actor.send({ type: 'MEMBER_STATE', strategy: 'kinematics', state: 'ENTERED' });
    c.tick(CHOP_INPUTS);
    c.actor.send({ type: 'MEMBER_STATE', strategy: 'kinematics', state: 'DISABLED' });
    for (let i = 0; i < 3; i++) c.tick(EXPANSION_INPUTS);
    expect(c.actor.getSnapshot().value).toEqual({ EXPANSION: 'waitingFamily' });
    c.actor.send({ type: 'MEMBER_STATE', strategy: 'geometry', state: 'DISABLED' });
    expect(c.actor.getSnapshot().value).toEqual({ EXPANSION: 'active' });
  });
  it('one lease per coin: granted only when free (or to its holder) and only to an enabled strategy', () => {
    const c = controller();
    const lease = (type: 'ACQUIRE_LEASE' | 'RELEASE_LEASE', strategy: string) => {
      c.actor.send({ type, strategy });
      return c.actor.getSnapshot().context.lease;
    };
    const verdicts = () =>
      c.decisions.filter((d) => d.kind === 'lease').map((d) => `${d.action} ${d.strategy}: ${d.reason}`);
    expect(lease('ACQUIRE_LEASE', 'geometry')).toBeNull(); // not enabled (DISABLED regime)
    for (let i = 0; i < 3; i++) c.tick(SIDEWAYS_INPUTS);
    expect(lease('ACQUIRE_LEASE', 'cascade')).toBeNull(); // not enabled in SIDEWAYS
    expect(lease('ACQUIRE_LEASE', 'geometry')).toBe('geometry');
    expect(lease('ACQUIRE_LEASE', 'geometry')).toBe('geometry'); // its holder may ask again
    expect(lease('ACQUIRE_LEASE', 'kinematics')).toBe('geometry'); // held
    expect(lease('RELEASE_LEASE', 'kinematics')).toBe('geometry'); // not the holder: ignored
    expect(lease('RELEASE_LEASE', 'geometry')).toBeNull();
    expect(lease('ACQUIRE_LEASE', 'kinematics')).toBe('kinematics');
    expect(verdicts()).toEqual([
      'DENY geometry: strategy geometry not enabled',
      'DENY cascade: strategy cascade not enabled',
      'GRANT geometry: lease free and strategy enabled',
      'GRANT geometry: lease free and strategy enabled',
      'DENY kinematics: lease held by geometry',
      'RELEASE geometry: position flat',
      'GRANT kinematics: lease free and strategy enabled',
    ]);
  });
  it('the lease outlives the regime until its holder releases it (the position is still being closed)', () => {
    const c = controller();
    for (let i = 0; i < 3; i++) c.tick(SIDEWAYS_INPUTS);
    c.actor.send({ type: 'ACQUIRE_LEASE', strategy: 'geometry' });
    c.tick(CHOP_INPUTS);
    expect(c.actor.getSnapshot().context.lease).toBe('geometry');
    for (let i = 0; i < 3; i++) c.tick(EXPANSION_INPUTS);
    c.actor.send({ type: 'ACQUIRE_LEASE', strategy: 'cascade' });
    expect(c.actor.getSnapshot().context.lease).toBe('geometry');
    c.actor.send({ type: 'RELEASE_LEASE', strategy: 'geometry' });
    c.actor.send({ type: 'ACQUIRE_LEASE', strategy: 'cascade' });
    expect(c.actor.getSnapshot().context.lease).toBe('cascade');
  });
});

describe('controller: every tick is recorded, in every state (decisions carry the latest time, version, inputs)', () => {
  const sw = (x: number): RegimeInputs => ({ ...SIDEWAYS_INPUTS, oiRange15m: x });
  const ex = (x: number): RegimeInputs => ({ ...EXPANSION_INPUTS, oiBuild1h: x });
  const last = (c: ReturnType<typeof controller>) => c.decisions.at(-1)!;
  for (const [name, at, xs] of [
    ['SIDEWAYS', sw, [0.001, 0.002, 0.003, 0.004]],
    ['EXPANSION', ex, [0.021, 0.022, 0.023, 0.024]],
  ] as const) {
    it(`${name}: the confirming tick, ticks while active, and the lease verdicts after them`, () => {
      const c = controller();
      const member = name === 'SIDEWAYS' ? 'geometry' : 'cascade';
      c.tick(at(xs[0]));
      c.clock.advance(1_000);
      c.tick(at(xs[1]));
      c.clock.advance(1_000);
      c.tick(at(xs[2])); // confirms
      const enable = c.decisions.find((d) => d.kind === 'gate' && d.action === 'ENABLE')!;
      expect(enable).toMatchObject({ version: 3, time: 1_700_000_002_000, strategy: member });
      expect(enable.inputs).toEqual(at(xs[2]));
      c.clock.advance(1_000);
      c.tick(at(xs[3])); // active
      c.actor.send({ type: 'ACQUIRE_LEASE', strategy: member });
      expect(last(c)).toMatchObject({ kind: 'lease', action: 'GRANT', version: 4, time: 1_700_000_003_000 });
      expect(last(c).inputs).toEqual(at(xs[3]));
    });
  }
  it('EXPANSION: ticks while waiting for the other family are recorded too', () => {
    const c = controller({ inert: true });
    for (let i = 0; i < 3; i++) c.tick(SIDEWAYS_INPUTS);
    c.actor.send({ type: 'MEMBER_STATE', strategy: 'geometry', state: 'ENTERED', lockedOut: false });
    c.tick(CHOP_INPUTS);
    for (let i = 0; i < 3; i++) c.tick(EXPANSION_INPUTS);
    expect(c.actor.getSnapshot().value).toEqual({ EXPANSION: 'waitingFamily' });
    c.clock.advance(5_000);
    c.tick(ex(0.025));
    c.actor.send({ type: 'ACQUIRE_LEASE', strategy: 'cascade' });
    expect(last(c)).toMatchObject({ kind: 'lease', action: 'DENY', version: 8, time: 1_700_000_005_000 });
    expect(last(c).inputs).toEqual(ex(0.025));
  });
  it('SIDEWAYS: ticks while waiting for the other family are recorded too', () => {
    const c = controller({ inert: true });
    for (let i = 0; i < 3; i++) c.tick(EXPANSION_INPUTS);
    c.actor.send({ type: 'MEMBER_STATE', strategy: 'cascade', state: 'ENTERED', lockedOut: false });
    c.tick(CHOP_INPUTS);
    for (let i = 0; i < 3; i++) c.tick(SIDEWAYS_INPUTS);
    expect(c.actor.getSnapshot().value).toEqual({ SIDEWAYS: 'waitingFamily' });
    c.clock.advance(5_000);
    c.tick(sw(0.005));
    c.actor.send({ type: 'ACQUIRE_LEASE', strategy: 'geometry' });
    expect(last(c)).toMatchObject({ kind: 'lease', action: 'DENY', version: 8, time: 1_700_000_005_000 });
    expect(last(c).inputs).toEqual(sw(0.005));
  });
  it('EXPANSION: an operator re-enable is enabled at the next tick, and logged as such', () => {
    const c = controller({ inert: true });
    for (let i = 0; i < 3; i++) c.tick(EXPANSION_INPUTS);
    c.actor.send({ type: 'MEMBER_STATE', strategy: 'cascade', state: 'DISABLED', lockedOut: true });
    c.tick(EXPANSION_INPUTS);
    expect(c.actor.getSnapshot().context.enabled.cascade).toBe(false);
    c.actor.send({ type: 'OPERATOR_ENABLE', strategy: 'cascade' });
    c.tick(EXPANSION_INPUTS);
    expect(c.actor.getSnapshot().context.enabled.cascade).toBe(true);
    expect(last(c)).toMatchObject({
      kind: 'gate',
      action: 'ENABLE',
      strategy: 'cascade',
      regime: 'EXPANSION',
    });
    expect(last(c).reason).toMatch(
      /^enabled again \(operator re-enable or reset: not locked out\): EXPANSION conditions hold/,
    );
  });
});

describe('controller: reports and commands it must not trust blindly', () => {
  it('a report or operator command naming no member changes nothing and breaks nothing', () => {
    const c = controller();
    for (let i = 0; i < 3; i++) c.tick(SIDEWAYS_INPUTS);
    const before = c.actor.getSnapshot().context;
    c.actor.send({ type: 'MEMBER_STATE', strategy: 'ghost', state: 'DISABLED', lockedOut: true });
    c.actor.send({ type: 'OPERATOR_ENABLE', strategy: 'ghost' });
    const after = c.actor.getSnapshot();
    expect(after.status).toBe('active');
    expect(after.context.memberStates).toEqual(before.memberStates);
    expect(after.context.lockedOut).toEqual(before.lockedOut);
    expect(after.context.enabled).toEqual(before.enabled);
    expect('ghost' in after.context.memberStates).toBe(false);
  });
  it('a member that says it is locked out while still exiting: not counted enabled, and logged', () => {
    const c = controller({ inert: true });
    for (let i = 0; i < 3; i++) c.tick(SIDEWAYS_INPUTS);
    c.actor.send({ type: 'MEMBER_STATE', strategy: 'geometry', state: 'EXITED', lockedOut: true });
    expect(c.actor.getSnapshot().context.enabled.geometry).toBe(false);
    const gate = c.decisions.at(-1)!;
    expect(gate).toMatchObject({ kind: 'gate', action: 'DISABLE', strategy: 'geometry', regime: 'SIDEWAYS' });
    expect(gate.reason).toBe(
      'geometry locked out after a strategy exception (reported EXITED): not enabled again until an operator re-enables it',
    );
    // its own word that it is not locked out wins over the inference from DISABLED
    c.actor.send({ type: 'MEMBER_STATE', strategy: 'kinematics', state: 'DISABLED', lockedOut: false });
    expect(c.decisions.at(-1)!.reason).toBe(
      'kinematics reached DISABLED on its own and is not locked out: enabled again at the next tick its regime holds',
    );
    expect(c.actor.getSnapshot().context.enabled.kinematics).toBe(false);
    c.tick(SIDEWAYS_INPUTS);
    expect(c.actor.getSnapshot().context.enabled).toMatchObject({ kinematics: true, geometry: false });
    expect(c.decisions.at(-1)!.reason).toMatch(
      /^enabled again \(operator re-enable or reset: not locked out\): SIDEWAYS/,
    );
  });
  it('an inert member reporting DISABLED while enabled is taken as locked out (no word of its own)', () => {
    const c = controller({ inert: true });
    for (let i = 0; i < 3; i++) c.tick(SIDEWAYS_INPUTS);
    c.actor.send({ type: 'MEMBER_STATE', strategy: 'geometry', state: 'DISABLED' });
    c.tick(SIDEWAYS_INPUTS);
    expect(c.actor.getSnapshot().context.enabled.geometry).toBe(false);
    c.actor.send({ type: 'OPERATOR_ENABLE', strategy: 'geometry' });
    c.tick(SIDEWAYS_INPUTS);
    expect(c.actor.getSnapshot().context.enabled.geometry).toBe(true);
  });
  it('gate reasons: entering a regime logs its classification as the reason, nothing else', () => {
    const c = controller();
    for (let i = 0; i < 3; i++) c.tick(SIDEWAYS_INPUTS);
    const enable = c.decisions.find((d) => d.kind === 'gate' && d.action === 'ENABLE')!;
    expect(enable.reason).toBe(classify(SIDEWAYS_INPUTS, 'HEALTHY', false, TH).reason);
  });
  it('lease verdicts before any tick carry the DISABLED regime; a holder no longer enabled is told so', () => {
    const c = controller();
    c.actor.send({ type: 'ACQUIRE_LEASE', strategy: 'geometry' });
    expect(c.decisions.at(-1)).toMatchObject({ kind: 'lease', action: 'DENY', regime: 'DISABLED' });
    for (let i = 0; i < 3; i++) c.tick(SIDEWAYS_INPUTS);
    c.actor.send({ type: 'ACQUIRE_LEASE', strategy: 'geometry' });
    c.tick(CHOP_INPUTS);
    c.actor.send({ type: 'ACQUIRE_LEASE', strategy: 'geometry' }); // holds it, no longer enabled
    expect(c.decisions.at(-1)).toMatchObject({
      kind: 'lease',
      action: 'DENY',
      strategy: 'geometry',
      reason: 'strategy geometry not enabled',
    });
    expect(c.actor.getSnapshot().context.lease).toBe('geometry');
  });
});

describe('controller: strategy exception, lock-out and operator re-enable', () => {
  /** SIDEWAYS confirmed, then geometry throws: it goes DISABLED and is locked out. */
  function lockedOutGeometry() {
    const c = controller();
    for (let i = 0; i < 3; i++) c.tick(SIDEWAYS_INPUTS);
    expect(c.memberState('geometry')).toBe('SCANNING');
    c.child('geometry').send({ type: 'STRATEGY_ERROR', message: 'TypeError: boom' });
    expect(c.memberState('geometry')).toBe('DISABLED');
    return c;
  }
  it('locked out: further SIDEWAYS ticks do not re-enable it, and the controller does not claim it is enabled', () => {
    const c = lockedOutGeometry();
    for (let i = 0; i < 5; i++) c.tick(SIDEWAYS_INPUTS);
    expect(c.memberState('geometry')).toBe('DISABLED');
    expect(c.memberState('kinematics')).toBe('SCANNING');
    expect(c.actor.getSnapshot().context.enabled.geometry).toBe(false);
    // a locked-out strategy gets no lease
    c.actor.send({ type: 'ACQUIRE_LEASE', strategy: 'geometry' });
    expect(c.actor.getSnapshot().context.lease).toBeNull();
  });
  it('OPERATOR_ENABLE while the regime lasts: enabled again at the next tick, and the gate is logged', () => {
    const c = lockedOutGeometry();
    c.tick(SIDEWAYS_INPUTS);
    c.actor.send({ type: 'OPERATOR_ENABLE', strategy: 'geometry' });
    const before = c.decisions.length;
    c.tick(SIDEWAYS_INPUTS);
    expect(c.memberState('geometry')).toBe('SCANNING');
    expect(c.actor.getSnapshot().context.enabled.geometry).toBe(true);
    const gates = c.decisions.slice(before).filter((d) => d.kind === 'gate');
    expect(gates.map((g) => `${g.action} ${g.strategy} ${g.regime}`)).toEqual(['ENABLE geometry SIDEWAYS']);
    expect(gates[0]!.reason).toMatch(/operator re-enable/);
    // and it keeps working: more ticks change nothing, no duplicate gate
    for (let i = 0; i < 3; i++) c.tick(SIDEWAYS_INPUTS);
    expect(c.decisions.slice(before).filter((d) => d.kind === 'gate')).toHaveLength(1);
    expect(c.memberState('geometry')).toBe('SCANNING');
  });
  it('OPERATOR_ENABLE while DISABLED: nothing now; enabled with its family when SIDEWAYS is next confirmed', () => {
    const c = lockedOutGeometry();
    c.tick(CHOP_INPUTS);
    c.actor.send({ type: 'OPERATOR_ENABLE', strategy: 'geometry' });
    c.tick(CHOP_INPUTS);
    expect(c.memberState('geometry')).toBe('DISABLED');
    for (let i = 0; i < 3; i++) c.tick(SIDEWAYS_INPUTS);
    expect(c.memberState('geometry')).toBe('SCANNING');
    expect(c.actor.getSnapshot().context.enabled.geometry).toBe(true);
  });
  it('no operator re-enable: the next SIDEWAYS period leaves it DISABLED and does not log it enabled', () => {
    const c = lockedOutGeometry();
    c.tick(CHOP_INPUTS);
    for (let i = 0; i < 4; i++) c.tick(SIDEWAYS_INPUTS);
    expect(c.memberState('geometry')).toBe('DISABLED');
    expect(c.memberState('kinematics')).toBe('SCANNING');
    expect(c.actor.getSnapshot().context.enabled.geometry).toBe(false);
    const lastEnables = c.decisions
      .filter((d) => d.kind === 'gate' && d.action === 'ENABLE')
      .map((d) => d.strategy);
    expect(lastEnables).toEqual(['geometry', 'kinematics', 'kinematics']);
  });
  it('an exception while ENTERED: emergency exit, cooldown, DISABLED, locked out; then the operator re-enable', () => {
    const c = lockedOutGeometryEntered();
    c.actor.send({ type: 'OPERATOR_ENABLE', strategy: 'geometry' });
    c.tick(SIDEWAYS_INPUTS);
    expect(c.memberState('geometry')).toBe('SCANNING');
  });
  it('an exception while ENTERED, then the regime leaves before it is DISABLED: no ENABLE claimed when SIDEWAYS returns', () => {
    const c = controller();
    for (let i = 0; i < 3; i++) c.tick(SIDEWAYS_INPUTS);
    const g = enterGeometry(c);
    g.send({ type: 'STRATEGY_ERROR', message: 'boom' });
    c.tick(CHOP_INPUTS); // regime leaves while geometry is still exiting
    g.send({ type: 'EXIT_FILLED', intentId: g.getSnapshot().context.pendingIntentId });
    c.clock.advance(TIMINGS.cooldownMs + 1);
    expect(c.memberState('geometry')).toBe('DISABLED');
    const before = c.decisions.length;
    for (let i = 0; i < 4; i++) c.tick(SIDEWAYS_INPUTS);
    const enables = c.decisions.slice(before).filter((d) => d.kind === 'gate' && d.action === 'ENABLE');
    expect(enables.map((d) => d.strategy)).toEqual(['kinematics']);
    expect(c.actor.getSnapshot().context.enabled.geometry).toBe(false);
    expect(c.memberState('geometry')).toBe('DISABLED');
    c.actor.send({ type: 'OPERATOR_ENABLE', strategy: 'geometry' });
    c.tick(SIDEWAYS_INPUTS);
    expect(c.memberState('geometry')).toBe('SCANNING');
  });
  it('OPERATOR_ENABLE while it is still exiting: enabled once it reaches DISABLED, at the next tick', () => {
    const c = controller();
    for (let i = 0; i < 3; i++) c.tick(SIDEWAYS_INPUTS);
    const g = enterGeometry(c);
    g.send({ type: 'STRATEGY_ERROR', message: 'boom' });
    expect(c.actor.getSnapshot().context.enabled.geometry).toBe(false); // its actor says: locked out
    c.actor.send({ type: 'OPERATOR_ENABLE', strategy: 'geometry' });
    g.send({ type: 'EXIT_FILLED', intentId: g.getSnapshot().context.pendingIntentId });
    c.clock.advance(TIMINGS.cooldownMs + 1);
    expect(c.memberState('geometry')).toBe('DISABLED');
    c.tick(SIDEWAYS_INPUTS);
    expect(c.memberState('geometry')).toBe('SCANNING');
    expect(c.actor.getSnapshot().context.enabled.geometry).toBe(true);
  });
  function enterGeometry(c: ReturnType<typeof controller>) {
    const g = c.child('geometry');
    const setup = {
      side: 'LONG' as const,
      stop: 99,
      target: 101,
      ref: 100,
      levels: { edge: 99.5 },
      reason: 's',
    };
    g.send({
      type: 'TICK',
      time: 0,
      version: 1,
      eval: { setup, trigger: false, exit: null, sizeFraction: 0.1 },
    });
    g.send({
      type: 'TICK',
      time: 0,
      version: 2,
      eval: { setup, trigger: true, exit: null, sizeFraction: 0.1 },
    });
    g.send({ type: 'ENTRY_FILLED', intentId: g.getSnapshot().context.pendingIntentId });
    expect(c.memberState('geometry')).toBe('ENTERED');
    return g;
  }
  function lockedOutGeometryEntered() {
    const c = controller();
    for (let i = 0; i < 3; i++) c.tick(SIDEWAYS_INPUTS);
    const g = c.child('geometry');
    const setup = {
      side: 'LONG' as const,
      stop: 99,
      target: 101,
      ref: 100,
      levels: { edge: 99.5 },
      reason: 's',
    };
    g.send({
      type: 'TICK',
      time: 0,
      version: 1,
      eval: { setup, trigger: false, exit: null, sizeFraction: 0.1 },
    });
    g.send({
      type: 'TICK',
      time: 0,
      version: 2,
      eval: { setup, trigger: true, exit: null, sizeFraction: 0.1 },
    });
    g.send({ type: 'ENTRY_FILLED', intentId: g.getSnapshot().context.pendingIntentId });
    expect(c.memberState('geometry')).toBe('ENTERED');
    g.send({ type: 'STRATEGY_ERROR', message: 'boom' });
    expect(c.memberState('geometry')).toBe('EXITED');
    g.send({ type: 'EXIT_FILLED', intentId: g.getSnapshot().context.pendingIntentId });
    expect(c.memberState('geometry')).toBe('COOLDOWN');
    c.clock.advance(TIMINGS.cooldownMs + 1);
    expect(c.memberState('geometry')).toBe('DISABLED');
    c.tick(SIDEWAYS_INPUTS);
    expect(c.memberState('geometry')).toBe('DISABLED');
    expect(c.actor.getSnapshot().context.enabled.geometry).toBe(false);
    return c;
  }
});
