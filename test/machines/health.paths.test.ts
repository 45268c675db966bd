import { expect } from 'vitest';
import type { AnyMachineSnapshot } from 'xstate';
import { healthMachine } from '../../machines/health.machine.ts';
import type { HealthEvent } from '../../machines/health.events.ts';
import type { HealthContext } from '../../machines/health.types.ts';
import { describeMachinePaths } from '../kit/machine-paths.ts';

// Two channels: a fast book (stale after 1.5 s) and a bbo (cadence 1 s: stale after 3 s); validation 10 s.
const fresh = (now: number): HealthEvent => ({
  type: 'TICK',
  now,
  lastUpdate: { 'l2Book:BTC': now - 100, 'bbo:BTC': now - 200 },
});
const events: HealthEvent[] = [
  fresh(1_000_000),
  fresh(1_020_000), // 20 s later: validates a run that started at the previous fresh tick
  { type: 'TICK', now: 1_030_000, lastUpdate: { 'l2Book:BTC': 1_020_000, 'bbo:BTC': 1_029_900 } }, // book stale
  { type: 'CONNECTION_LIVE', time: 999_000, epoch: 1 },
  { type: 'CONNECTION_LOST', time: 1_040_000, reason: 'socket closed (code 1006)' },
  { type: 'HEARTBEAT_TIMEOUT', time: 1_040_000, reason: 'pong overdue' },
  { type: 'GAP', time: 1_000_500, key: '*', reason: 'lost 12 frames' },
];

const serializeState = (s: AnyMachineSnapshot) => {
  const c = s.context as HealthContext;
  return JSON.stringify([s.value, c.connected, c.freshSince, c.validFrom]);
};

describeMachinePaths('health', {
  machine: healthMachine,
  input: {
    channels: { 'l2Book:BTC': { cadenceMs: 500 }, 'bbo:BTC': { cadenceMs: 1_000 } },
    validationMs: 10_000,
  },
  events,
  serializeState,
  limit: 20_000,
  // the periodic waiting report re-enters its state: the status and the transition count stay true
  check: (actual) => {
    const c = actual.context as HealthContext;
    expect(c.status).toBe(actual.value);
    if (c.status === 'HEALTHY') expect(c.waitingSince).toBeNull();
  },
});
