import type { AnyMachineSnapshot } from 'xstate';
import { strategyMachine } from '../../machines/strategy.machine.ts';
import type { StrategyEvent } from '../../machines/strategy.events.ts';
import type { StrategyEval } from '../../machines/strategy.types.ts';
import { describeMachinePaths } from '../kit/machine-paths.ts';

const setupLong = { side: 'LONG' as const, stop: 99, target: 101, ref: 100, edge: 99.5, reason: 'edge' };
const quiet: StrategyEval = { setup: null, trigger: false, exit: null, sizeFraction: 0 };
const tick = (e: Partial<StrategyEval>): StrategyEvent => ({
  type: 'TICK',
  time: 1,
  version: 1,
  eval: { ...quiet, ...e },
});

// Intent ids are deterministic: strategy:coin:counter. The counter is bounded in the serialisation.
const events: StrategyEvent[] = [
  { type: 'ENABLE' },
  { type: 'DISABLE' },
  { type: 'RESET' },
  { type: 'OPERATOR_ENABLE' },
  tick({}),
  tick({ setup: setupLong }),
  tick({ setup: setupLong, trigger: true, sizeFraction: 0.1 }),
  tick({ exit: { reason: 'target', detail: 'hit' } }),
  { type: 'ENTRY_FILLED', intentId: 'geometry:BTC:0' },
  { type: 'ENTRY_REJECTED', intentId: 'geometry:BTC:0', reason: 'risk' },
  { type: 'EXIT_FILLED', intentId: 'geometry:BTC:1' },
  { type: 'STRATEGY_ERROR', message: 'boom' },
];

const serializeState = (s: AnyMachineSnapshot) => {
  const c = s.context as Record<string, unknown>;
  return JSON.stringify([
    s.value,
    c.enabled,
    c.lockedOut,
    c.resetPending,
    ['geometry:BTC:0', 'geometry:BTC:1', null].includes(c.pendingIntentId as string | null)
      ? c.pendingIntentId
      : 'other',
    Math.min(Number(c.intentSeq), 3),
    c.setup !== null,
  ]);
};

describeMachinePaths('strategy lifecycle', {
  machine: strategyMachine,
  input: {
    strategy: 'geometry',
    coin: 'BTC',
    timings: {
      armTimeoutMs: 30_000,
      maxHoldMs: 900_000,
      cooldownMs: 60_000,
      exitRetryMs: 2_000,
      entryTimeoutMs: 5_000,
    },
  },
  events,
  serializeState,
  limit: 20_000,
});
