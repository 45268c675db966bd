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
  /**
   * While not HEALTHY, a `waiting` report (what health waits for) is emitted when the wait starts and
   * then every this many ms on the actor's clock (default 30 000; at least MIN_WAITING_REPORT_MS).
   */
  waitingReportMs?: number;
}

export const DEFAULT_WAITING_REPORT_MS = 30_000;
export const MIN_WAITING_REPORT_MS = 1_000;

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
  /** Each expected channel's last update at the latest tick (null: never received). */
  lastUpdate: Record<string, number | null>;
  /** Start of the current wait (not HEALTHY); null while HEALTHY or before the first report. */
  waitingSince: number | null;
  /** Interval of the periodic `waiting` report (ms). */
  waitingReportMs: number;
  /** `waiting` reports emitted so far. */
  waitingReports: number;
}

/** One channel health is waiting for. */
export interface WaitingChannel {
  /** Channel name, e.g. `activeAssetCtx` (the part of the key before the first ':'). */
  channel: string;
  /** Coin, e.g. `BTC` (the rest of the key; '' when the key has none). */
  coin: string;
  /** Never received at all. */
  never: boolean;
  /** ms since its last update (null: never received). */
  ageMs: number | null;
  /** never: nothing ever; disrupted: nothing since the last gap or reconnect; stale: older than maxAgeMs. */
  why: 'never' | 'disrupted' | 'stale';
  maxAgeMs: number;
}

/** The validation window in progress: every channel fresh since `freshSince`, `validationMs` needed. */
export interface ValidationWindow {
  validationMs: number;
  freshSince: number | null;
  remainingMs: number;
}

/** What health is waiting for at `now` (describeWaiting): for status screens and the `waiting` event. */
export interface WaitingReport {
  status: HealthStatus;
  now: number;
  /** Start of the wait (null: not waiting, i.e. HEALTHY). */
  since: number | null;
  connected: boolean;
  waitingFor: WaitingChannel[];
  /** Pending validation window: set when connected and nothing else is awaited but the window. */
  validation: ValidationWindow | null;
  /** One line for a log or a status screen. */
  summary: string;
}

/** Emitted when health starts waiting (first tick not HEALTHY) and every waitingReportMs after. */
export interface HealthWaiting {
  type: 'waiting';
  status: HealthStatus;
  /** Time of the report (the machine's latest event time). */
  time: number;
  since: number;
  waitingFor: WaitingChannel[];
  connected: boolean;
  validation: ValidationWindow | null;
  summary: string;
  /** 1 for the first report of this machine, then counting. */
  report: number;
}

/** Everything the health machine emits. */
export type HealthEmitted = HealthTransition | HealthWaiting;

/** Emitted on every status change, with its evidence (to log and journal). */
export interface HealthTransition {
  type: 'health';
  from: HealthStatus;
  to: HealthStatus;
  time: number;
  reason: string;
  evidence: Record<string, unknown>;
}
