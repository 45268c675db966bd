/**
 * Types of the feed connection machine. Context is plain, serialisable data: no socket, registry or
 * buffer ever sits here (they live in the invoked socket actor, `actors/feed/socket.ts`).
 */
import type { ConnEvent } from '../state/records.ts';

export interface BackoffConfig {
  /** First reconnect's upper bound (ms); doubles per consecutive failure. */
  baseMs: number;
  /** Upper bound of any reconnect delay (ms). */
  maxMs: number;
  /** Lower bound of any reconnect delay (ms): full jitter in [minMs, min(maxMs, baseMs·2^attempt)]. */
  minMs: number;
}

export interface ConnectionTimings {
  /** Give up on a connection attempt (TCP + WS handshake) after this (ms). */
  connectTimeoutMs: number;
  /** Reconnect when the subscriptions are not all acknowledged (or rejected) within this (ms). */
  subscribeTimeoutMs: number;
  /** Send `{"method":"ping"}` after this long without any message from the server (ms). */
  pingAfterMs: number;
  /** Reconnect when the pong is this overdue after a ping (ms). */
  pongTimeoutMs: number;
  /** Reconnect when no frame at all arrived for this long (half-open sockets) (ms). */
  receiveTimeoutMs: number;
  /** A connection that stayed live this long resets the backoff attempt counter (ms). */
  stableAfterMs: number;
  backoff: BackoffConfig;
}

export const DEFAULT_TIMINGS: ConnectionTimings = {
  connectTimeoutMs: 10_000,
  subscribeTimeoutMs: 15_000,
  pingAfterMs: 20_000,
  pongTimeoutMs: 10_000,
  receiveTimeoutMs: 45_000,
  stableAfterMs: 30_000,
  backoff: { baseMs: 500, maxMs: 30_000, minMs: 100 },
};

export interface ConnectionInput {
  url: string;
  timings?: Partial<Omit<ConnectionTimings, 'backoff'>> & { backoff?: Partial<BackoffConfig> };
  /** Seed of the jitter's pseudo-random sequence (deterministic tests and replays). */
  seed?: number;
}

/** Why a session ended. */
export type DropCause =
  | 'closed'
  | 'connectTimeout'
  | 'subscribeTimeout'
  | 'pongOverdue'
  | 'receiveTimeout'
  | 'stopped';

export interface ConnectionContext {
  url: string;
  timings: ConnectionTimings;
  /** Connection epoch: incremented on every (re)connect attempt; 0 before the first. */
  epoch: number;
  /** Consecutive sessions that failed before staying live for `stableAfterMs`. */
  attempt: number;
  /** Delay of the current backoff (ms). */
  backoffMs: number;
  /** State of the jitter's PRNG (mulberry32), a uint32. */
  rng: number;
  /** Sessions ended (each one is followed by a reconnect unless stopped). */
  drops: number;
  pingsSent: number;
  lastCause: DropCause | null;
  lastReason: string | null;
}

/** Outward notifications (`actor.on(...)`). */
export type ConnectionEmitted =
  /** A connection event to journal (kind Conn), stamped with `epoch`. */
  | { type: 'conn'; epoch: number; event: ConnEvent }
  /** Entered `live` (all subscriptions acknowledged or rejected): data is flowing. */
  | { type: 'live'; epoch: number }
  /** Left the session (connection lost or dropped by us): trading must stop until health validates. */
  | { type: 'down'; epoch: number; cause: DropCause; reason: string };
