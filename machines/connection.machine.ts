/**
 * The feed connection: idle → session(connecting → subscribing → live) → backoff → session … → stopped.
 *
 * Pure definition. The socket is the invoked `socket` actor (real one: `actors/feed/socket.ts`, provided
 * with `machine.provide`), alive only while in `session`; leaving `session` stops it, which closes it.
 * Reconnects forever with exponential backoff and full jitter (PRNG state in context, seeded from input),
 * so it never gives up silently. Heartbeat: after `pingAfterMs` without a frame, ping; reconnect when the
 * pong is `pongTimeoutMs` overdue; reconnect when no frame at all arrived for `receiveTimeoutMs`. All
 * timeouts are `after` delays on the actor's clock. Every (re)connect increments the epoch and is a gap
 * for every channel; connection events leave as emitted `conn` events to be journaled.
 */
import { assign, emit, enqueueActions, fromCallback, sendTo, setup } from 'xstate';
import type { ConnEvent } from '../state/records.ts';
import type { ConnectionEvent, SocketCommand } from './connection.events.ts';
import {
  type ConnectionContext,
  type ConnectionEmitted,
  type ConnectionInput,
  type ConnectionTimings,
  DEFAULT_TIMINGS,
  type DropCause,
} from './connection.types.ts';

export interface SocketInput {
  url: string;
  epoch: number;
}

/** mulberry32: one step of a small, well-mixed PRNG over a uint32 state. Returns [value in [0,1), next]. */
export function nextRandom(state: number): [number, number] {
  const s = (state + 0x6d2b79f5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return [((t ^ (t >>> 14)) >>> 0) / 4294967296, s];
}

/** Full-jitter backoff: uniform in [minMs, min(maxMs, baseMs·2^attempt)]. */
export function backoffDelay(timings: ConnectionTimings, attempt: number, random: number): number {
  const { baseMs, maxMs, minMs } = timings.backoff;
  const cap = Math.max(minMs, Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 52)));
  return Math.round(minMs + random * (cap - minMs));
}

export function resolveTimings(input: ConnectionInput['timings']): ConnectionTimings {
  return { ...DEFAULT_TIMINGS, ...input, backoff: { ...DEFAULT_TIMINGS.backoff, ...input?.backoff } };
}

const DROP_TEXT: Record<DropCause, string> = {
  closed: 'socket closed',
  connectTimeout: 'no connection within the connect timeout',
  subscribeTimeout: 'subscriptions not all acknowledged within the subscribe timeout',
  pongOverdue: 'pong overdue after ping',
  receiveTimeout: 'no frame within the receive timeout (half-open socket)',
  stopped: 'stopped by owner',
};

function conn(context: ConnectionContext, event: ConnEvent): ConnectionEmitted {
  return { type: 'conn', epoch: context.epoch, event };
}

export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
    emitted: {} as ConnectionEmitted,
  },
  actors: {
    // Replaced by the real WebSocket actor (actors/feed/socket.ts) via `machine.provide`. Without it the
    // machine reports why it cannot connect and keeps retrying: never a silent failure.
    socket: fromCallback<SocketCommand, SocketInput>(({ sendBack }) => {
      sendBack({ type: 'CLOSED', reason: 'no socket implementation provided (see actors/feed/socket.ts)' });
    }),
  },
  delays: {
    connectTimeout: ({ context }) => context.timings.connectTimeoutMs,
    subscribeTimeout: ({ context }) => context.timings.subscribeTimeoutMs,
    pingAfter: ({ context }) => context.timings.pingAfterMs,
    pongTimeout: ({ context }) => context.timings.pongTimeoutMs,
    receiveTimeout: ({ context }) => context.timings.receiveTimeoutMs,
    stableAfter: ({ context }) => context.timings.stableAfterMs,
    backoff: ({ context }) => context.backoffMs,
  },
  actions: {
    beginEpoch: assign(({ context }) => ({ epoch: context.epoch + 1 })),
    // every reconnect is a gap for every channel; the gap record precedes the new session's records
    announceSession: enqueueActions(({ context, enqueue }) => {
      if (context.epoch > 1) {
        enqueue.emit(conn(context, { type: 'gap', key: '*', reason: `reconnect: epoch ${context.epoch}` }));
      }
      enqueue.emit(conn(context, { type: 'connecting', url: context.url }));
    }),
    emitOpen: emit(({ context }) => conn(context, { type: 'open', url: context.url })),
    emitSubscribed: emit(({ context, event }) =>
      conn(context, { type: 'subscribed', key: event.type === 'SUB_ACK' ? event.key : '' }),
    ),
    emitSubRejected: emit(({ context, event }) =>
      conn(
        context,
        event.type === 'SUB_REJECTED'
          ? { type: 'error', key: event.key, reason: event.message }
          : { type: 'error', reason: 'subscription rejected' },
      ),
    ),
    emitVenueError: emit(({ context, event }) =>
      conn(context, { type: 'error', reason: event.type === 'VENUE_ERROR' ? event.message : 'venue error' }),
    ),
    emitLive: emit(({ context }) => ({ type: 'live' as const, epoch: context.epoch })),
    recordDrop: assign(({ context, event }, params: { cause: DropCause }) => {
      const t = context.timings;
      let reason = DROP_TEXT[params.cause];
      if (params.cause === 'closed' && event.type === 'CLOSED') {
        reason = `socket closed${event.code !== undefined ? ` (code ${event.code})` : ''}: ${event.reason}`;
      } else if (params.cause === 'pongOverdue') {
        reason = `pong overdue: none within ${t.pongTimeoutMs} ms of the ping`;
      } else if (params.cause === 'receiveTimeout') {
        reason = `no frame for ${t.receiveTimeoutMs} ms (half-open socket)`;
      } else if (params.cause === 'connectTimeout') {
        reason = `not connected within ${t.connectTimeoutMs} ms`;
      } else if (params.cause === 'subscribeTimeout') {
        reason = `subscriptions not settled within ${t.subscribeTimeoutMs} ms`;
      }
      return { lastCause: params.cause, lastReason: reason, drops: context.drops + 1 };
    }),
    emitClosed: emit(({ context }) =>
      conn(context, { type: 'closed', url: context.url, reason: context.lastReason ?? 'closed' }),
    ),
    emitDown: emit(({ context }) => ({
      type: 'down' as const,
      epoch: context.epoch,
      cause: context.lastCause ?? 'closed',
      reason: context.lastReason ?? 'closed',
    })),
    planBackoff: assign(({ context }) => {
      const [r, rng] = nextRandom(context.rng);
      return {
        rng,
        backoffMs: backoffDelay(context.timings, context.attempt, r),
        attempt: context.attempt + 1,
      };
    }),
    resetAttempts: assign({ attempt: 0 }),
    subscribeAll: sendTo('socket', { type: 'SUBSCRIBE_ALL' } satisfies SocketCommand),
    syncSubscriptions: sendTo('socket', { type: 'SYNC' } satisfies SocketCommand),
    sendPing: sendTo('socket', { type: 'PING' } satisfies SocketCommand),
    countPing: assign(({ context }) => ({ pingsSent: context.pingsSent + 1 })),
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => ({
    url: input.url,
    timings: resolveTimings(input.timings),
    epoch: 0,
    attempt: 0,
    backoffMs: 0,
    rng: (input.seed ?? 1) >>> 0,
    drops: 0,
    pingsSent: 0,
    lastCause: null,
    lastReason: null,
  }),
  initial: 'idle',
  states: {
    idle: {
      on: {
        START: 'session',
        STOP: 'stopped',
      },
    },
    session: {
      entry: ['beginEpoch', 'announceSession'],
      invoke: {
        id: 'socket',
        src: 'socket',
        input: ({ context }) => ({ url: context.url, epoch: context.epoch }),
      },
      on: {
        CLOSED: {
          target: 'backoff',
          actions: [{ type: 'recordDrop', params: { cause: 'closed' } }, 'emitClosed', 'emitDown'],
        },
        STOP: {
          target: 'stopped',
          actions: [{ type: 'recordDrop', params: { cause: 'stopped' } }, 'emitClosed', 'emitDown'],
        },
        SUB_ACK: { actions: 'emitSubscribed' },
        SUB_REJECTED: { actions: 'emitSubRejected' },
        VENUE_ERROR: { actions: 'emitVenueError' },
      },
      initial: 'connecting',
      states: {
        connecting: {
          on: { OPEN: { target: 'subscribing', actions: 'emitOpen' } },
          after: {
            connectTimeout: {
              target: '#connection.backoff',
              actions: [
                { type: 'recordDrop', params: { cause: 'connectTimeout' } },
                'emitClosed',
                'emitDown',
              ],
            },
          },
        },
        subscribing: {
          entry: 'subscribeAll',
          on: {
            SUBSCRIBED_ALL: { target: 'live', actions: 'emitLive' },
            SYNC: { actions: 'syncSubscriptions' },
          },
          after: {
            subscribeTimeout: {
              target: '#connection.backoff',
              actions: [
                { type: 'recordDrop', params: { cause: 'subscribeTimeout' } },
                'emitClosed',
                'emitDown',
              ],
            },
          },
        },
        live: {
          type: 'parallel',
          on: { SYNC: { actions: 'syncSubscriptions' } },
          states: {
            heartbeat: {
              initial: 'listening',
              states: {
                listening: {
                  on: { ACTIVITY: { target: 'listening', reenter: true } },
                  after: { pingAfter: 'awaitingPong' },
                },
                awaitingPong: {
                  entry: ['sendPing', 'countPing'],
                  on: { PONG: 'listening' },
                  after: {
                    pongTimeout: {
                      target: '#connection.backoff',
                      actions: [
                        { type: 'recordDrop', params: { cause: 'pongOverdue' } },
                        'emitClosed',
                        'emitDown',
                      ],
                    },
                  },
                },
              },
            },
            watchdog: {
              initial: 'receiving',
              states: {
                receiving: {
                  on: { ACTIVITY: { target: 'receiving', reenter: true } },
                  after: {
                    receiveTimeout: {
                      target: '#connection.backoff',
                      actions: [
                        { type: 'recordDrop', params: { cause: 'receiveTimeout' } },
                        'emitClosed',
                        'emitDown',
                      ],
                    },
                  },
                },
              },
            },
            stability: {
              initial: 'fresh',
              states: {
                fresh: { after: { stableAfter: { target: 'stable', actions: 'resetAttempts' } } },
                stable: {},
              },
            },
          },
        },
      },
    },
    backoff: {
      entry: 'planBackoff',
      on: { STOP: 'stopped' },
      after: { backoff: 'session' },
    },
    stopped: { type: 'final' },
  },
});
