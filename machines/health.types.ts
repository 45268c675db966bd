/**
 * Types of the data-health machine. Plain serialisable data only.
 */

/** What a channel's freshness is judged against. */
export interface ChannelExpectation {
  /** Expected time between updates (ms), e.g. fast l2Book 500, slow l2Book 5000. */
  cadenceMs: number;
  /** Stale after `staleFactor × cadenceMs` without an update (default 3). */
  staleFactor?: number;
}

export const FAST_BOOK: ChannelExpectation = { cadenceMs: 500 };
export const SLOW_BOOK: ChannelExpectation = { cadenceMs: 5_000 };

export interface HealthInput {
  /** Every channel that must be fresh to trade, keyed like `l2Book:BTC` (keys of TICK.lastUpdate). */
  channels: Record<string, ChannelExpectation>;
  /** Fresh data on every channel for this long (ms) before HEALTHY again. */
  validationMs: number;
}

export type HealthStatus = 'WARMING' | 'HEALTHY' | 'DEGRADED' | 'HALTED';

export interface StaleChannel {
  channel: string;
  /** ms since its last update at the tick; null: no update since the last disruption (or ever). */
  ageMs: number | null;
  maxAgeMs: number;
}

export interface HealthContext {
  /** Max age per channel (ms): staleFactor × cadence. */
  maxAge: Record<string, number>;
  validationMs: number;
  /** The feed connection is live (subscriptions settled). */
  connected: boolean;
  /** Updates older than this (the last disruption: gap, reconnect) do not count as fresh; null: none yet. */
  validFrom: number | null;
  /** First tick time of the current unbroken run of ticks with every channel fresh. */
  freshSince: number | null;
  /** Time of the latest event seen. */
  now: number;
  status: HealthStatus;
  reason: string;
  evidence: Record<string, unknown>;
  /** Transitions so far. */
  transitions: number;
}

/** Emitted on every status change, with its evidence (to log and journal). */
export interface HealthTransition {
  type: 'health';
  from: HealthStatus;
  to: HealthStatus;
  time: number;
  reason: string;
  evidence: Record<string, unknown>;
}
