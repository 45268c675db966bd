/**
 * Generated path tests of the regime controller, checked at every step against an independent oracle:
 * the RULEBOOK's regime rules written as data (test/oracle/regime.ts) — classification, confirmTicks,
 * the immediate fall, gates per family, family exclusion, lock-out and operator re-enable, the lease,
 * and the decision records (regime, gate, lease) each step must emit. The member actors are recorders:
 * the MARKETs the controller forwards them are checked against the oracle too.
 */
import { type AnyMachineSnapshot, assign, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { type RegimeEvent, regimeMachine } from '../../machines/regime.machine.ts';
import { DEFAULT_REGIME_THRESHOLDS, type RegimeInputs } from '../../machines/regime.types.ts';
import {
  describeMachinePaths,
  type MachinePath,
  type PathTestOptions,
  runPath,
} from '../kit/machine-paths.ts';
import {
  CONFIRM_TICKS,
  classifyTick,
  MARKET_RULES,
  REGIME_CONDITIONS,
  regimeOracle,
} from '../oracle/regime.ts';
import { CHOP_INPUTS, EXPANSION_INPUTS, SIDEWAYS_INPUTS, TIMINGS } from './regime.fixtures.ts';

const tick = (
  inputs: RegimeInputs,
  health: 'HEALTHY' | 'DEGRADED' = 'HEALTHY',
  stale = false,
): RegimeEvent => ({
  type: 'TICK',
  time: 0,
  version: 0,
  inputs,
  health,
  stale,
});

// strategy children only record the MARKETs they are sent (all but the type): the test itself plays
// their MEMBER_STATE reports
const recorder = setup({
  types: { context: {} as { markets: Record<string, unknown>[] } },
}).createMachine({
  id: 'recorder',
  context: { markets: [] },
  on: {
    MARKET: {
      actions: assign({
        markets: ({ context, event }) => {
          const { type: _, ...sent } = event;
          return [...context.markets, sent];
        },
      }),
    },
  },
});
const machine = regimeMachine.provide({ actors: { strategy: recorder as any } });

const marketBoth: RegimeEvent = {
  type: 'MARKET',
  time: 5,
  version: 5,
  markets: { geometry: { mid: 100 }, cascade: { mid: 100, depth: 3 } },
  healthy: true,
  stale: false,
};
// cascade's input only (geometry gets none), on an unhealthy, stale tick
const marketCascade: RegimeEvent = {
  type: 'MARKET',
  time: 6,
  version: 6,
  markets: { cascade: 'cascade input' },
  healthy: false,
  stale: true,
};

const events: RegimeEvent[] = [
  tick(SIDEWAYS_INPUTS),
  tick(EXPANSION_INPUTS),
  tick(CHOP_INPUTS),
  tick(SIDEWAYS_INPUTS, 'DEGRADED'),
  tick(SIDEWAYS_INPUTS, 'HEALTHY', true),
  tick({ ...EXPANSION_INPUTS, oiRange15m: Number.NaN }),
  { type: 'MEMBER_STATE', strategy: 'geometry', state: 'EXITED' },
  { type: 'MEMBER_STATE', strategy: 'geometry', state: 'DISABLED' },
  { type: 'MEMBER_STATE', strategy: 'cascade', state: 'EXITED' },
  { type: 'MEMBER_STATE', strategy: 'cascade', state: 'DISABLED' },
  { type: 'ACQUIRE_LEASE', strategy: 'geometry' },
  { type: 'ACQUIRE_LEASE', strategy: 'cascade' },
  { type: 'RELEASE_LEASE', strategy: 'geometry' },
  { type: 'OPERATOR_ENABLE', strategy: 'geometry' },
  marketBoth,
  marketCascade,
];

const serializeState = (s: AnyMachineSnapshot) => {
  const c = s.context as any;
  return JSON.stringify([
    s.value,
    c.candidate,
    Math.min(c.streak, 3),
    c.memberStates,
    c.enabled,
    c.lockedOut,
    c.lease,
  ]);
};

const members = [
  { strategy: 'geometry', family: 'SLBRS' as const },
  { strategy: 'cascade', family: 'EFFCS' as const },
];

describe('regime oracle', () => {
  it('states the RULEBOOK numbers the machine is configured with by default', () => {
    const byInput = (r: 'SIDEWAYS' | 'EXPANSION') =>
      Object.fromEntries(REGIME_CONDITIONS[r].map((c) => [c.input, c.value]));
    expect(byInput('SIDEWAYS')).toEqual({
      oiRange15m: DEFAULT_REGIME_THRESHOLDS.sideways.oiRange15mMax,
      fundingDev: DEFAULT_REGIME_THRESHOLDS.sideways.fundingDevMax,
      depthAsym5s: DEFAULT_REGIME_THRESHOLDS.sideways.depthAsymAbsMax,
    });
    expect(byInput('EXPANSION')).toEqual({
      oiBuild1h: DEFAULT_REGIME_THRESHOLDS.expansion.oiBuild1hMin,
      fundingDev: DEFAULT_REGIME_THRESHOLDS.expansion.fundingDevMin,
      depthAsym5s: DEFAULT_REGIME_THRESHOLDS.expansion.depthAsymAbsMin,
    });
    expect(CONFIRM_TICKS).toBe(DEFAULT_REGIME_THRESHOLDS.confirmTicks);
  });
});

describeMachinePaths('regime controller', {
  machine,
  input: { coin: 'BTC', members, thresholds: DEFAULT_REGIME_THRESHOLDS, timings: TIMINGS },
  events,
  serializeState,
  limit: 50_000,
  oracle: regimeOracle({ members, recordsMarkets: true }),
});

/** Drive the production machine along a hand-made or random event sequence, checked by the oracle. */
function walk(opts: PathTestOptions, evs: readonly RegimeEvent[], description: string): void {
  const path: MachinePath = {
    description,
    steps: [
      { event: { type: 'xstate.init' }, state: undefined as never },
      ...evs.map((event) => ({ event, state: undefined as never })),
    ],
  };
  runPath(opts, path);
}

const optsFor = (ms: typeof members): PathTestOptions => ({
  machine,
  input: { coin: 'BTC', members: ms, thresholds: DEFAULT_REGIME_THRESHOLDS, timings: TIMINGS },
  events: [],
  oracle: regimeOracle({ members: ms, recordsMarkets: true }),
});

describe('regime controller against the oracle: every threshold at / just inside / just outside', () => {
  const th = { s: DEFAULT_REGIME_THRESHOLDS.sideways, e: DEFAULT_REGIME_THRESHOLDS.expansion };
  const eps = 1e-9;
  const cases: Array<[string, RegimeInputs]> = [];
  for (const [name, base, key, limit, dir] of [
    ['SIDEWAYS oiRange15m', SIDEWAYS_INPUTS, 'oiRange15m', th.s.oiRange15mMax, -1],
    ['SIDEWAYS fundingDev', SIDEWAYS_INPUTS, 'fundingDev', th.s.fundingDevMax, -1],
    ['SIDEWAYS +depthAsym5s', SIDEWAYS_INPUTS, 'depthAsym5s', th.s.depthAsymAbsMax, -1],
    ['SIDEWAYS -depthAsym5s', SIDEWAYS_INPUTS, 'depthAsym5s', -th.s.depthAsymAbsMax, 1],
    ['EXPANSION oiBuild1h', EXPANSION_INPUTS, 'oiBuild1h', th.e.oiBuild1hMin, 1],
    ['EXPANSION fundingDev', EXPANSION_INPUTS, 'fundingDev', th.e.fundingDevMin, 1],
    ['EXPANSION +depthAsym5s', EXPANSION_INPUTS, 'depthAsym5s', th.e.depthAsymAbsMin, 1],
    ['EXPANSION -depthAsym5s', EXPANSION_INPUTS, 'depthAsym5s', -th.e.depthAsymAbsMin, -1],
  ] as const) {
    const d = Math.abs(limit) * eps + 1e-12;
    cases.push([`${name} at the threshold`, { ...base, [key]: limit }]);
    cases.push([`${name} just inside`, { ...base, [key]: limit + dir * d }]);
    cases.push([`${name} just outside`, { ...base, [key]: limit - dir * d }]);
  }
  for (const key of ['oiRange15m', 'oiBuild1h', 'fundingDev', 'depthAsym5s'] as const) {
    cases.push([`SIDEWAYS with ${key} NULL`, { ...SIDEWAYS_INPUTS, [key]: Number.NaN }]);
    cases.push([`EXPANSION with ${key} NULL`, { ...EXPANSION_INPUTS, [key]: Number.NaN }]);
    cases.push([`SIDEWAYS with ${key} infinite`, { ...SIDEWAYS_INPUTS, [key]: Number.POSITIVE_INFINITY }]);
  }
  // both regimes' conditions at once is impossible with fundingDev (≤ 0.00002 and ≥ 0.00004): neither
  const opts = optsFor(members);
  for (const [name, inputs] of cases) {
    it(`${name}: ${CONFIRM_TICKS} ticks → ${classifyTick(inputs, 'HEALTHY', false).regime}`, () => {
      walk(opts, [tick(inputs), tick(inputs), tick(inputs), tick(inputs)], name);
    });
  }
  it('the cases reach both regimes and DISABLED', () => {
    const got = new Set(cases.map(([, i]) => classifyTick(i, 'HEALTHY', false).regime));
    expect([...got].sort()).toEqual(['DISABLED', 'EXPANSION', 'SIDEWAYS']);
  });
});

describe('regime controller against the oracle: random walks over the RULEBOOK families', () => {
  // xorshift32: deterministic
  const rng = (seed: number) => () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  for (const [label, ms] of [
    [
      'geometry + kinematics (SLBRS) and cascade (EFFCS)',
      [
        { strategy: 'geometry', family: 'SLBRS' as const },
        { strategy: 'kinematics', family: 'SLBRS' as const },
        { strategy: 'cascade', family: 'EFFCS' as const },
      ],
    ],
    [
      'SLBRS members only (no EFFCS member configured)',
      [
        { strategy: 'geometry', family: 'SLBRS' as const },
        { strategy: 'kinematics', family: 'SLBRS' as const },
      ],
    ],
  ] as const) {
    it(`${label}: 300 walks of 40 steps (and a MARKET after every 4th) agree with the oracle; reach printed and asserted`, () => {
      const next = rng(0x9e3779b9);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
      const names = ms.map((m) => m.strategy);
      const opts = optsFor([...ms]);
      const reach = {
        SIDEWAYS: 0,
        EXPANSION: 0,
        grants: 0,
        releases: 0,
        lockOuts: 0,
        reEnables: 0,
        forwarded: 0,
        withheldDisabled: 0,
      };
      // the tick's market, to every member or to the first one only (drawn without the generator, so the
      // walks' other events are the same as without them)
      const marketTo = (to: readonly string[], n: number): RegimeEvent => ({
        type: 'MARKET',
        time: n,
        version: n,
        markets: Object.fromEntries(to.map((s) => [s, { strategy: s, n }])),
        healthy: n % 3 !== 0,
        stale: n % 5 === 0,
      });
      const ticks = [
        tick(SIDEWAYS_INPUTS),
        tick(SIDEWAYS_INPUTS),
        tick(EXPANSION_INPUTS),
        tick(EXPANSION_INPUTS),
        tick(CHOP_INPUTS),
        tick(SIDEWAYS_INPUTS, 'DEGRADED'),
        tick(EXPANSION_INPUTS, 'HEALTHY', true),
      ];
      for (let w = 0; w < 300; w++) {
        const evs: RegimeEvent[] = [];
        while (evs.length < 40) {
          const r = next();
          // ticks come in runs (a regime needs confirmTicks consecutive ones)
          if (r < 0.4) {
            const t = pick(ticks);
            for (let k = 1 + Math.floor(next() * 4); k > 0; k--) evs.push(t);
          } else if (r < 0.7)
            evs.push({
              type: 'MEMBER_STATE',
              strategy: pick(names),
              state: pick(['DISABLED', 'DISABLED', 'SCANNING', 'EXITED', 'COOLDOWN']),
            });
          else if (r < 0.82) evs.push({ type: 'ACQUIRE_LEASE', strategy: pick(names) });
          else if (r < 0.92) evs.push({ type: 'RELEASE_LEASE', strategy: pick(names) });
          else evs.push({ type: 'OPERATOR_ENABLE', strategy: pick(names) });
        }
        const walked = evs.flatMap((e, i) =>
          i % 4 !== 3 ? [e] : [e, marketTo(i % 8 === 3 ? names : names.slice(0, 1), i)],
        );
        // reach, by the oracle's own account of the walk
        const o = opts.oracle!;
        let m = o.initial(opts.input).model;
        for (const e of walked) {
          const keys = o.keys?.(m, e, null) ?? [];
          if (keys.some((k) => k.startsWith('lock-out: a member'))) reach.lockOuts++;
          if (keys.some((k) => k.startsWith('lock-out: operator'))) reach.reEnables++;
          reach.forwarded += keys.filter((k) => k === MARKET_RULES[0]).length;
          reach.withheldDisabled += keys.filter((k) => k === MARKET_RULES[1]).length;
          const v = o.step(m, e, null);
          m = v.model;
          for (const rec of v.verdict.emitted) {
            const d = (
              rec as { decision: { kind: string; action?: string; regime?: string; reason?: unknown } }
            ).decision;
            if (d.kind === 'regime' && d.regime !== 'DISABLED') reach[d.regime as 'SIDEWAYS' | 'EXPANSION']++;
            if (d.action === 'GRANT') reach.grants++;
            if (d.action === 'RELEASE') reach.releases++;
          }
        }
        walk(opts, walked, `walk ${w}`);
      }
      console.log(`regime random walks (${label}): ${JSON.stringify(reach)}`);
      expect(reach.SIDEWAYS).toBeGreaterThan(20);
      if (names.includes('cascade')) expect(reach.EXPANSION).toBeGreaterThan(20);
      expect(reach.grants).toBeGreaterThan(20);
      expect(reach.releases).toBeGreaterThan(5);
      expect(reach.lockOuts).toBeGreaterThan(5);
      expect(reach.reEnables).toBeGreaterThan(0);
      expect(reach.forwarded).toBeGreaterThan(100);
      expect(reach.withheldDisabled).toBeGreaterThan(100);
    });
  }
});
