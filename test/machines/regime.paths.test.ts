/**
 * Generated path tests of the regime controller, checked at every step against an independent oracle:
 * the RULEBOOK's regime rules written as data (test/oracle/regime.ts) — classification, confirmTicks,
 * the immediate fall, gates per family, family exclusion, lock-out and operator re-enable, the lease,
 * and the decision records (regime, gate, lease) each step must emit.
 */
import { type AnyMachineSnapshot, createMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import { type RegimeEvent, regimeMachine } from '../../machines/regime.machine.ts';
import { DEFAULT_REGIME_THRESHOLDS, type RegimeInputs } from '../../machines/regime.types.ts';
import { describeMachinePaths } from '../kit/machine-paths.ts';
import { CONFIRM_TICKS, REGIME_CONDITIONS, regimeOracle } from '../oracle/regime.ts';
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

// strategy children are inert here: the test itself plays their MEMBER_STATE reports
const inert = createMachine({ id: 'inert' });
const machine = regimeMachine.provide({ actors: { strategy: inert as any } });

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
  oracle: regimeOracle({ members }),
});
