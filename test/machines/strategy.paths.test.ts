/**
 * Generated path tests of the strategy lifecycle, checked at every step against an independent oracle:
 * the RULEBOOK's lifecycle table written as data (test/oracle/lifecycle.ts). The machine only chooses
 * which event sequences are walked; the expected state value, emitted intents (with their reason),
 * `ignored` records and alarms, and the held setup come from the oracle.
 *
 * MARKET events (the regime controller's forwarded tick) are evaluated by `PATH_RULES`, given to the
 * actor as its rules and to the oracle as the strategy's rules: the oracle evaluates them itself, with
 * its own phase and frozen setup, and reads the MARKET as the TICK (or exception) that gives.
 */
import type { AnyMachineSnapshot } from 'xstate';
import { strategyMachine } from '../../machines/strategy.machine.ts';
import type { StrategyEvent } from '../../machines/strategy.events.ts';
import type { StrategyEval, StrategyRules } from '../../machines/strategy.types.ts';
import { describeMachinePaths } from '../kit/machine-paths.ts';
import { lifecycleOracle } from '../oracle/lifecycle.ts';

const setupLong = {
  side: 'LONG' as const,
  stop: 99,
  target: 101,
  ref: 100,
  levels: { edge: 99.5 },
  reason: 'edge',
};
// the same setup recomputed on a later tick (the rolling low moved): must never replace the frozen one
const setupMoved = {
  side: 'LONG' as const,
  stop: 98,
  target: 100,
  ref: 99,
  levels: { edge: 98.5 },
  reason: 'moved',
};
const quiet: StrategyEval = { setup: null, trigger: false, exit: null, sizeFraction: 0 };
const tick = (e: Partial<StrategyEval>): StrategyEvent => ({
  type: 'TICK',
  time: 1,
  version: 1,
  eval: { ...quiet, ...e },
});

const isEval = (x: unknown): x is StrategyEval =>
  typeof x === 'object' && x !== null && 'setup' in x && 'trigger' in x && 'exit' in x && 'sizeFraction' in x;

/**
 * The strategy's rules for the path tests: a market that is a StrategyEval is the verdict itself; the
 * market `'throw'` throws (a strategy exception); the market `'held'` answers from what the rules are
 * told (the phase and the setup held since arming: trigger it while ARMED, a stop while ENTERED), so a
 * wrong phase or held setup passed to the rules shows as a different lifecycle step.
 */
export const PATH_RULES: StrategyRules = (market, phase, held) => {
  if (market === 'throw') throw new Error('rules threw on this market');
  if (market === 'held')
    return {
      setup: held,
      trigger: phase === 'ARMED' && held !== null,
      exit: phase === 'ENTERED' ? { reason: 'stop', detail: `stop of the held setup ${held?.stop}` } : null,
      sizeFraction: 0.3,
    };
  if (isEval(market)) return market;
  throw new Error(`PATH_RULES: not a market of this test: ${JSON.stringify(market)}`);
};

const market = (m: unknown): StrategyEvent => ({
  type: 'MARKET',
  time: 2,
  version: 2,
  market: m,
  healthy: true,
  stale: false,
});

// Intent ids are deterministic: strategy:coin:counter. The counter is bounded in the serialisation.
export const STRATEGY_PATH_EVENTS: StrategyEvent[] = [
  { type: 'ENABLE' },
  { type: 'DISABLE' },
  { type: 'DISABLE', reason: 'oiRange15m 0.01 > 0.006', regime: 'DISABLED' },
  { type: 'RESET' },
  { type: 'OPERATOR_ENABLE' },
  tick({}),
  tick({ setup: setupLong }),
  tick({ setup: setupMoved }),
  tick({ setup: setupLong, trigger: true, sizeFraction: 0.1 }),
  tick({ setup: setupMoved, trigger: true, sizeFraction: 0.2 }),
  tick({ exit: { reason: 'target', detail: 'hit' } }),
  tick({ exit: { reason: 'invalidation', detail: 'range broke' } }),
  { type: 'ENTRY_FILLED', intentId: 'geometry:BTC:0' },
  { type: 'ENTRY_REJECTED', intentId: 'geometry:BTC:0', reason: 'risk' },
  { type: 'EXIT_FILLED', intentId: 'geometry:BTC:1' },
  { type: 'STRATEGY_ERROR', message: 'boom' },
  market(quiet),
  market({ ...quiet, setup: setupLong }),
  market({ ...quiet, setup: setupMoved, trigger: true, sizeFraction: 0.2 }),
  market({ ...quiet, exit: { reason: 'target', detail: 'hit' } }),
  market('held'),
  market('throw'),
];

const serializeState = (s: AnyMachineSnapshot) => {
  const c = s.context as Record<string, unknown>;
  const setup = c.setup as { ref: number } | null;
  return JSON.stringify([
    s.value,
    c.enabled,
    c.lockedOut,
    c.resetPending,
    ['geometry:BTC:0', 'geometry:BTC:1', null].includes(c.pendingIntentId as string | null)
      ? c.pendingIntentId
      : 'other',
    Math.min(Number(c.intentSeq), 3),
    setup?.ref ?? null,
  ]);
};

export const STRATEGY_PATH_INPUT = {
  strategy: 'geometry',
  coin: 'BTC',
  timings: {
    armTimeoutMs: 30_000,
    maxHoldMs: 900_000,
    cooldownMs: 60_000,
    exitRetryMs: 2_000,
    entryTimeoutMs: 5_000,
  },
  rules: PATH_RULES,
};

describeMachinePaths('strategy lifecycle', {
  machine: strategyMachine,
  input: STRATEGY_PATH_INPUT,
  events: STRATEGY_PATH_EVENTS,
  serializeState,
  limit: 20_000,
  oracle: lifecycleOracle({ strategy: 'geometry', coin: 'BTC', rules: PATH_RULES }),
});
