import { expect } from 'vitest';
import type { AnyMachineSnapshot } from 'xstate';
import { fromCallback } from 'xstate';
import { executionMachine } from '../../machines/execution.machine.ts';
import {
  DEFAULT_EXECUTION_CONFIG,
  type ExecutionContext,
  type ExecutionEvent,
  type ExecutionInput,
  type VenueCommand,
} from '../../machines/execution.types.ts';
import type { EntryIntent, ExitIntent } from '../../machines/strategy.types.ts';
import { describeMachinePaths } from '../kit/machine-paths.ts';

// The venue is the caller's; here it swallows commands and the path events play its reports.
const machine = executionMachine.provide({
  actors: { venue: fromCallback<VenueCommand>(({ receive }) => receive(() => {})) },
});

const T = 1_767_607_200_000;
const intent: EntryIntent = {
  kind: 'entry',
  id: 'geometry:BTC:0',
  strategy: 'geometry',
  coin: 'BTC',
  side: 'LONG',
  sizeFraction: 0,
  stop: 99,
  target: 103,
  reason: 'edge',
  version: 1,
  time: T,
};
const exitIntent: ExitIntent = {
  kind: 'exit',
  id: 'geometry:BTC:1',
  strategy: 'geometry',
  coin: 'BTC',
  atMarket: true,
  emergency: true,
  reason: 'invalidation',
  detail: 'range broke',
  version: 1,
  time: T,
  attempt: 0,
};
const quote = { bid: 100, ask: 100.5, mark: 100.25 };
const tick = (health: 'HEALTHY' | 'DEGRADED', mark: number): ExecutionEvent => ({
  type: 'TICK',
  time: T,
  health,
  stale: false,
  quotes: { BTC: { bid: mark - 0.5, ask: mark + 0.5, mark } },
  equity: 1_000,
});
const fill = (clientId: string, side: 'BUY' | 'SELL', sz: number, remaining: number): ExecutionEvent => ({
  type: 'VENUE',
  report: {
    type: 'fill',
    clientId,
    coin: 'BTC',
    side,
    px: 100.5,
    sz,
    fee: 0.05,
    liquidity: 'taker',
    remaining,
    time: T,
  },
});

const events: ExecutionEvent[] = [
  {
    type: 'ENTRY',
    intent,
    order: { coin: 'BTC', side: 'BUY', size: 1, limitPx: 101, tif: 'Gtc', reduceOnly: false },
    quote,
    detail: 'sized',
  },
  { type: 'DENY', intent, code: 'HEALTH', detail: 'health is DEGRADED' },
  { type: 'EXIT', intent: exitIntent, quote },
  { type: 'VENUE', report: { type: 'accepted', clientId: 'x1', oid: '1', time: T } },
  fill('x1', 'BUY', 0.5, 0.5),
  fill('x1', 'BUY', 1, 0),
  { type: 'VENUE', report: { type: 'canceled', clientId: 'x1', reason: 'canceled', time: T } },
  {
    type: 'VENUE',
    report: { type: 'rejected', clientId: 'x1', reason: 'Order must have minimum value of $10.', time: T },
  },
  { type: 'VENUE', report: { type: 'timeout', clientId: 'x1', time: T } },
  fill('x2', 'SELL', 1, 0),
  { type: 'VENUE', report: { type: 'canceled', clientId: 'x2', reason: 'ioc remainder', time: T } },
  {
    type: 'VENUE',
    report: { type: 'funding', coin: 'BTC', rate: 0.0001, markPx: 100, szi: 1, usdc: -0.01, time: T },
  },
  { type: 'ORDER_TIMEOUT', clientId: 'x1' },
  { type: 'REST_TIMEOUT', clientId: 'x1' },
  // the close timers (ids from the context's timerSeq: the first retry / reminder of a close)
  { type: 'CLOSE_RETRY', coin: 'BTC', timer: 1 },
  { type: 'CLOSE_REMINDER', coin: 'BTC', timer: 2 },
  tick('HEALTHY', 100),
  tick('DEGRADED', 100),
  tick('HEALTHY', 50),
  { type: 'KILL', reason: 'operator' },
  { type: 'RESET_HALT' },
  { type: 'REDUCE' },
  { type: 'RESUME' },
  { type: 'RESTORE', trading: 'HALTED' },
  { type: 'RESTORE', trading: 'REDUCING' },
  { type: 'RESTORE', trading: 'ACTIVE', reason: 'operator: reset halt' },
];

const serializeState = (s: AnyMachineSnapshot) => {
  const c = s.context as ExecutionContext;
  const orders = ['x1', 'x2'].map((id) => c.orders[id]?.status ?? '-');
  return JSON.stringify([
    s.value,
    orders,
    Math.sign(c.ledger.positions.BTC?.size ?? 0),
    c.closing.BTC !== undefined,
    c.healthy,
    c.day.index >= 0,
    Math.min(c.orderSeq, 3),
  ]);
};

const input: ExecutionInput = {
  config: { ...DEFAULT_EXECUTION_CONFIG, assets: { BTC: { szDecimals: 4 } } },
};

describeMachinePaths('execution', {
  machine,
  input,
  events,
  serializeState,
  limit: 50_000,
  startTime: T,
  // never a hedge: every close is a reduce-only IOC against the position's side
  check: (actual) => {
    const c = actual.context as ExecutionContext;
    for (const o of Object.values(c.orders)) {
      if (o.purpose !== 'close') continue;
      expect(o.reduceOnly && o.tif === 'Ioc').toBe(true);
    }
  },
});
