import { type AnyMachineSnapshot, createMachine } from 'xstate';
import { regimeMachine, type RegimeEvent } from '../../machines/regime.machine.ts';
import { DEFAULT_REGIME_THRESHOLDS, type RegimeInputs } from '../../machines/regime.types.ts';
import { CHOP_INPUTS, EXPANSION_INPUTS, SIDEWAYS_INPUTS, TIMINGS } from './regime.fixtures.ts';
import { describeMachinePaths } from '../kit/machine-paths.ts';

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
  return JSON.stringify([s.value, c.candidate, Math.min(c.streak, 3), c.memberStates, c.enabled, c.lease]);
};

describeMachinePaths('regime controller', {
  machine,
  input: {
    coin: 'BTC',
    members: [
      { strategy: 'geometry', family: 'SLBRS' },
      { strategy: 'cascade', family: 'EFFCS' },
    ],
    thresholds: DEFAULT_REGIME_THRESHOLDS,
    timings: TIMINGS,
  },
  events,
  serializeState,
  limit: 50_000,
});
