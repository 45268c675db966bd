import type { AnyMachineSnapshot } from 'xstate';
import { fromCallback } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine.ts';
import type { ConnectionEvent, SocketCommand } from '../../machines/connection.events.ts';
import type { ConnectionContext } from '../../machines/connection.types.ts';
import { describeMachinePaths } from '../kit/machine-paths.ts';

// The production chart with a socket actor that opens nothing: the path events stand in for what the
// real socket would send back.
const machine = connectionMachine.provide({
  actors: { socket: fromCallback<SocketCommand, { url: string; epoch: number }>(() => () => {}) },
});

const events: ConnectionEvent[] = [
  { type: 'START' },
  { type: 'STOP' },
  { type: 'SYNC' },
  { type: 'OPEN' },
  { type: 'CLOSED', code: 1006, reason: 'abrupt' },
  { type: 'ACTIVITY' },
  { type: 'PONG' },
  { type: 'SUB_ACK', key: 'trades:BTC' },
  {
    type: 'SUB_REJECTED',
    key: 'l2Book:NOPE',
    message: 'Invalid subscription {"type":"l2Book","coin":"NOPE"}',
  },
  { type: 'VENUE_ERROR', message: 'Cannot send more than 2000 messages per minute.' },
  { type: 'SUBSCRIBED_ALL' },
];

// bounded: the state value, whether this is a reconnect, and the (capped) backoff attempt
const serializeState = (s: AnyMachineSnapshot) => {
  const c = s.context as ConnectionContext;
  return JSON.stringify([s.value, c.epoch > 1, Math.min(c.attempt, 2)]);
};

describeMachinePaths('connection', {
  machine,
  input: {
    url: 'ws://127.0.0.1:1/ws',
    seed: 7,
    timings: {
      connectTimeoutMs: 10_000,
      subscribeTimeoutMs: 15_000,
      pingAfterMs: 20_000,
      pongTimeoutMs: 10_000,
      receiveTimeoutMs: 45_000,
      stableAfterMs: 35_000,
      backoff: { baseMs: 500, maxMs: 30_000, minMs: 100 },
    },
  },
  events,
  serializeState,
  limit: 20_000,
});
