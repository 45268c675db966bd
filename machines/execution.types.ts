/**
 * Types of the execution side (RULEBOOK "Risk"): orders, venue reports, the position ledger, the
 * execution machine's context and its decision records. Everything is plain, serialisable data; the
 * venue's data types live here (not in actors/venue/) because the machine speaks them and machines/
 * may not import actors/. `actors/venue/types.ts` re-exports them next to the `Venue` interface.
 */
import type { HealthLevel } from './regime.types.ts';
import type { EntryIntent, ExitIntent, ExitReason, Intent } from './strategy.types.ts';

import type { OrderSide, VenueReport } from '../state/venue-report.ts';

export type { OrderSide, VenueReport } from '../state/venue-report.ts';
export type Tif = 'Ioc' | 'Gtc' | 'Alo';

/** What execution asks the venue to do: one order. Prices and sizes already obey the venue rules. */
export interface OrderRequest {
  /** Our id, unique per process run (the live venue maps it to a cloid). */
  clientId: string;
  coin: string;
  side: OrderSide;
  size: number;
  limitPx: number;
  tif: Tif;
  reduceOnly: boolean;
}

export type VenueCommand = { type: 'SUBMIT'; order: OrderRequest } | { type: 'CANCEL'; clientId: string };

export type OrderStatus = 'pending' | 'resting' | 'partial' | 'filled' | 'canceled' | 'rejected' | 'timedOut';
export type OrderPurpose = 'entry' | 'close';

/** One order's lifecycle as tracked by execution. */
export interface OrderState extends OrderRequest {
  purpose: OrderPurpose;
  /** The intent the order serves (null for execution's own emergency closes). */
  intentId: string | null;
  strategy: string;
  status: OrderStatus;
  oid: string | null;
  filled: number;
  /** Volume-weighted average fill price (0 while nothing filled). */
  avgPx: number;
  fees: number;
  cancelRequested: boolean;
  /** For entries: what the strategy was told, so a late fill after a rejection is flattened. */
  answered: 'filled' | 'rejected' | null;
  reason: string | null;
}

/** Best bid/ask and mark of one coin at the last look (NaN = unknown). */
export interface Quote {
  bid: number;
  ask: number;
  mark: number;
}

// ---------------------------------------------------------------- ledger

export interface Position {
  coin: string;
  /** The strategy that holds the coin's position lease (owner of the position). */
  strategy: string;
  /** Signed size: > 0 long, < 0 short. Never 0 (a flat coin has no Position). */
  size: number;
  avgEntry: number;
  /** Realised PnL, fees and funding paid since this position was opened. */
  realised: number;
  fees: number;
  fundingPaid: number;
  openedAt: number;
}

/** Cumulative per-coin figures (kept after the position is closed). */
export interface CoinTotals {
  realised: number;
  fees: number;
  fundingPaid: number;
  /** Traded notional. */
  volume: number;
  fills: number;
}

export interface Ledger {
  positions: Record<string, Position>;
  coins: Record<string, CoinTotals>;
  realised: number;
  fees: number;
  /** Funding paid (> 0) or received (< 0). */
  fundingPaid: number;
}

export interface FillFact {
  coin: string;
  strategy: string;
  side: OrderSide;
  px: number;
  sz: number;
  fee: number;
  time: number;
  clientId: string;
}

export interface FundingFact {
  coin: string;
  /** Cash flow: > 0 received, < 0 paid. */
  usdc: number;
  rate: number;
  markPx: number;
  time: number;
}

// ---------------------------------------------------------------- config

export interface AssetSpec {
  szDecimals: number;
}

export interface ExecutionConfig {
  /** Per coin venue metadata; coins not listed cannot be traded. */
  assets: Record<string, AssetSpec>;
  /** Fraction of equity risked per trade: (entry − stop) × size = riskPerTrade × equity. */
  riskPerTrade: number;
  /** Max position notional per coin as a fraction of equity. */
  maxCoinNotionalFraction: number;
  /** Max total exposure (sum of |notional|) as a multiple of equity. */
  maxTotalExposure: number;
  /** Cap the risk size by the exposure limits (true) or deny when it exceeds them (false). */
  capSizeToLimits: boolean;
  minNotionalUsd: number;
  /** Daily loss beyond this fraction of start-of-day equity → HALTED. */
  dailyLossHalt: number;
  /** Close everything when the daily-loss halt trips. */
  flattenOnDailyLoss: boolean;
  /** Emergency / exit IOC limit through the book by this much. */
  exitSlippageBps: number;
  /** Entry IOC limit through the book by this much. */
  entrySlippageBps: number;
  entryTif: Tif;
  /** Token bucket: sustained orders per minute and burst size. */
  ordersPerMinute: number;
  rateBurst: number;
  /** No venue answer within this → the order is timed out (cancel sent, alarm). */
  orderTimeoutMs: number;
  /** A resting (Gtc/Alo) entry is canceled after this. */
  restTimeoutMs: number;
  /**
   * A close that could not be priced or did not (fully) fill is retried after this (the minimum
   * interval between two attempts of one close; at least MIN_CLOSE_RETRY_MS).
   */
  exitRetryMs: number;
  /** Each further retry of the same close waits this many times longer (1: a fixed interval). */
  closeRetryBackoff: number;
  /** Cap of the retry interval under backoff. */
  closeRetryMaxMs: number;
  /**
   * A close in trouble alarms once per change of its condition (cannot price, did not fill, timed out)
   * and then reminds every this many ms while it is still not done (at least MIN_CLOSE_REMINDER_MS).
   */
  closeAlarmReminderMs: number;
  /** Prefix of client order ids (make it unique per process run). */
  clientIdPrefix: string;
}

export const DEFAULT_EXECUTION_CONFIG: ExecutionConfig = {
  assets: {},
  riskPerTrade: 0.005,
  maxCoinNotionalFraction: 0.2,
  maxTotalExposure: 1,
  capSizeToLimits: true,
  minNotionalUsd: 10,
  dailyLossHalt: 0.02,
  flattenOnDailyLoss: true,
  exitSlippageBps: 50,
  entrySlippageBps: 10,
  entryTif: 'Ioc',
  ordersPerMinute: 60,
  rateBurst: 10,
  orderTimeoutMs: 5_000,
  restTimeoutMs: 30_000,
  exitRetryMs: 2_000,
  closeRetryBackoff: 1,
  closeRetryMaxMs: 60_000,
  closeAlarmReminderMs: 60_000,
  clientIdPrefix: 'x',
};

// ---------------------------------------------------------------- machine

export type TradingState = 'ACTIVE' | 'REDUCING' | 'HALTED';

/** Floors of the close timers, whatever the config says (a zero interval would spin). */
export const MIN_CLOSE_RETRY_MS = 100;
export const MIN_CLOSE_REMINDER_MS = 1_000;

/** Why a close has not completed yet: alarmed once per change, then reminded periodically. */
export type CloseCondition = 'unpriced' | 'unfilled' | 'timedOut';

/**
 * A coin being flattened: what asked for it, how often the close has been tried, and its timers. A
 * close has at most ONE pending retry timer and ONE pending reminder timer (ids in `retryTimer` /
 * `reminderTimer`); a timer event whose id is not the current one is stale and ignored. While a retry
 * is scheduled nothing else (ticks, re-sent exits, reports) starts another attempt.
 */
export interface Closing {
  coin: string;
  /** The exit intent to answer with EXIT_FILLED when flat (null: execution's own emergency close). */
  intentId: string | null;
  strategy: string | null;
  reason: string;
  /** Attempts so far: close orders sent plus tries that could not be priced. */
  attempts: number;
  /** Of those, the tries that could not be priced (no order sent). */
  unpriced: number;
  /** The pending CLOSE_RETRY timer (null: none scheduled). */
  retryTimer: number | null;
  /** The pending CLOSE_REMINDER timer (null: none scheduled). */
  reminderTimer: number | null;
  /** What is wrong with the close (null: nothing so far). */
  condition: CloseCondition | null;
  /** Reminders sent for the current trouble. */
  reminders: number;
}

export interface DayState {
  /** UTC day index (floor(time / 86 400 000)); -1 before the first tick. */
  index: number;
  startEquity: number;
  /** Net PnL of the ledger at the start of the day (the day's PnL is measured from here). */
  startPnl: number;
}

/** The trading state with its reason (restart recovery restores both). */
export interface TradingStatus {
  state: TradingState;
  reason: string;
}

export interface ExecutionInput {
  config: ExecutionConfig;
  /** Restored ledger (restart recovery); empty when omitted. */
  ledger?: Ledger;
  day?: DayState;
}

export interface ExecutionContext {
  config: ExecutionConfig;
  ledger: Ledger;
  /** Live and unresolved orders by client id (final orders leave; their history is in the records). */
  orders: Record<string, OrderState>;
  orderSeq: number;
  closing: Record<string, Closing>;
  quotes: Record<string, Quote>;
  /** From the last tick: health HEALTHY and state fresh. */
  healthy: boolean;
  equity: number;
  day: DayState;
  trading: TradingState;
  /** Why the trading state is what it is (kept verbatim across restarts). */
  tradingReason: string;
  /** Last id handed to a close timer (retry / reminder). */
  timerSeq: number;
  alarms: number;
  /** Reports that could not be applied (unknown order, report after final, bad numbers), counted. */
  errors: number;
}

// ---------------------------------------------------------------- events

export interface TickFacts {
  time: number;
  health: HealthLevel;
  stale: boolean;
  quotes: Record<string, Quote>;
  /** Current account equity. */
  equity: number;
}

export type ExecutionEvent =
  /** An entry intent that passed the risk checks, with its order (client id assigned by the machine). */
  | {
      type: 'ENTRY';
      intent: EntryIntent;
      order: Omit<OrderRequest, 'clientId'>;
      quote: Quote;
      /** The risk checks' account of the size (recorded with the verdict). */
      detail: string;
    }
  /** An intent denied by the risk checks (recorded; the strategy gets ENTRY_REJECTED). */
  | { type: 'DENY'; intent: Intent; code: RiskCode; detail: string }
  | { type: 'EXIT'; intent: ExitIntent; quote: Quote | null }
  | ({ type: 'TICK' } & TickFacts)
  | { type: 'VENUE'; report: VenueReport }
  /** Scheduled by the machine (delayed raise on the actor clock). */
  | { type: 'ORDER_TIMEOUT'; clientId: string }
  | { type: 'REST_TIMEOUT'; clientId: string }
  | { type: 'CLOSE_RETRY'; coin: string; timer: number }
  | { type: 'CLOSE_REMINDER'; coin: string; timer: number }
  /** Kill switch: HALTED and flatten everything. */
  | { type: 'KILL'; reason?: string; quotes?: Record<string, Quote> }
  | { type: 'RESET_HALT' }
  | { type: 'REDUCE'; reason?: string }
  | { type: 'RESUME' }
  /**
   * Restart recovery: the previous run's trading state and its reason (kept verbatim; a default
   * reason when absent). Taken only in ACTIVE right after start; RESTORE of ACTIVE changes nothing.
   */
  | { type: 'RESTORE'; trading: TradingState; reason?: string };

/** What execution tells a strategy actor (addressed by strategy and coin). */
export type StrategyReply =
  | { type: 'ENTRY_FILLED'; intentId: string }
  | { type: 'ENTRY_REJECTED'; intentId: string; reason: string }
  | { type: 'EXIT_FILLED'; intentId: string };

// ---------------------------------------------------------------- decision records

export type RiskCode =
  | 'HEALTH'
  | 'STALE'
  | 'TRADING_STATE'
  | 'NO_LEASE'
  | 'COIN_BUSY'
  | 'COIN_EXPOSURE'
  | 'TOTAL_EXPOSURE'
  | 'SIZING'
  | 'VENUE_RULES'
  | 'RATE'
  | 'NO_PRICE';

export interface PositionView {
  coin: string;
  strategy: string;
  size: number;
  avgEntry: number;
}

/** Decision records (without the time; the engine stamps it from the clock when it drains them). */
export type ExecRecordBody =
  | { kind: 'intent'; intent: Intent }
  | {
      kind: 'verdict';
      intentId: string;
      strategy: string;
      coin: string;
      ok: boolean;
      code: RiskCode | null;
      detail: string;
    }
  | { kind: 'order'; event: string; order: OrderState }
  | { kind: 'fill'; fill: FillFact; liquidity: 'taker' | 'maker' }
  | {
      kind: 'position';
      coin: string;
      cause: { type: 'fill'; fill: FillFact } | { type: 'funding'; funding: FundingFact };
      position: Position | null;
      totals: { realised: number; fees: number; fundingPaid: number };
    }
  | { kind: 'trading'; state: TradingState; reason: string }
  | { kind: 'day'; day: DayState }
  | { kind: 'closing'; coin: string; action: 'start' | 'done' | 'retry'; closing: Closing }
  | { kind: 'strategy'; strategy: string; coin: string; event: StrategyReply }
  | { kind: 'alarm'; coin: string | null; message: string; attempt: number }
  | { kind: 'error'; message: string };

export type ExecRecord = ExecRecordBody & { time: number };

export type ExecutionEmitted =
  | { type: 'record'; record: ExecRecordBody }
  | { type: 'strategy'; strategy: string; coin: string; event: StrategyReply }
  | { type: 'alarm'; coin: string | null; message: string; attempt: number };

export type { EntryIntent, ExitIntent, ExitReason, HealthLevel, Intent };
