/**
 * The dashboard's read-only replica of the system (barter-rs's audit → monitor pattern): the runtime
 * assembles one `DashboardSnapshot` from the hot state and the actor system; the page only ever sees
 * this JSON. Numbers that are not known yet are `null` (NaN is serialised as null too).
 */
import { z } from 'zod';
import type { Regime, HealthLevel } from '../../machines/regime.types.ts';
import type { TradingState } from '../../machines/execution.types.ts';

export type { Regime, HealthLevel, TradingState };

/** [price, size] */
export type BookLevel = [number, number];

export interface ChannelHealth {
  /** Subscription key, e.g. `l2Book:BTC`. */
  key: string;
  /** Milliseconds since the channel's last frame (null: never seen). */
  ageMs: number | null;
  stale: boolean;
  /** Expected maximum gap between frames for this channel. */
  expectedMs: number;
}

export interface RegimeInputsView {
  /** null = still warming up. */
  oiRange15m: number | null;
  oiBuild1h: number | null;
  fundingDev: number | null;
  depthAsym5s: number | null;
}

export interface StrategyView {
  name: string;
  /** Top-level lifecycle state (DISABLED, SCANNING, ARMED, ENTERED, EXITED, COOLDOWN). */
  state: string;
  /** Child state when compound, e.g. `watching` inside ARMED. */
  substate?: string;
}

export interface PositionSnapshot {
  side: 'LONG' | 'SHORT';
  size: number;
  entry: number;
  unrealised: number;
}

export interface CoinSnapshot {
  coin: string;
  mid: number | null;
  bestBid: number | null;
  bestAsk: number | null;
  /** Top levels, best first. */
  bids: BookLevel[];
  asks: BookLevel[];
  /** Recent mids [time ms, mid] (optional; the page keeps its own history from the stream too). */
  mids?: [number, number][];
  regime: Regime | string;
  inputs: RegimeInputsView;
  strategies: StrategyView[];
  position: PositionSnapshot | null;
}

/** One source of the journal (the market feed, the live venue, the process itself) as the system tracks it. */
export interface SourceView {
  records: number;
  /** Its connection state, where it has one. */
  connection?: string;
  reconnects?: number;
  gaps?: number;
  lost?: number;
  /** The live venue's answers: journaled, lost before the journal, delivered to execution at ticks. */
  journaled?: number;
  unjournaled?: number;
  delivered?: number;
}

export interface DashboardSnapshot {
  /** Clock time of the snapshot, ms since epoch. */
  time: number;
  /** Journal time of the decision side's last control tick (null before the first): its age says it is alive. */
  lastTickTime?: number | null;
  tradingState: TradingState;
  equity: number | null;
  realisedPnl: number | null;
  unrealisedPnl: number | null;
  dailyPnl: number | null;
  health: { level: HealthLevel | string; reason: string; channels: ChannelHealth[] };
  coins: CoinSnapshot[];
  /** The last N decision log lines, oldest first. */
  decisions: string[];
  counters: { frames: number; reconnects: number; gaps: number; journalLagBytes: number };
  /** Health per source of the journal (absent: not known to the provider). */
  sources?: Record<string, SourceView>;
}

/**
 * What the page draws from the decision log, beside the per-tick snapshot: the history view as cached
 * JSON with its version (sent to a client only when its version changed) and the decision lines by
 * sequence number (each client is sent the ones it has not had). `runtime/dashboard/history.ts`.
 */
export interface DashboardStream {
  history(): { version: number; json: string };
  feedSince(seq: number): { from: number; next: number; lines: string[] };
  counts(): { lines: number; invalid: number; dropped: number };
  /** Sent once to a client as it connects: each coin's recent quotes, `{coin: [[t, bid, ask, regime], …]}`. */
  backlog?(): string;
}

// ---------------------------------------------------------------- commands

export const DashboardCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('KILL'), reason: z.string().max(200).optional() }),
  z.object({ type: z.literal('RESET_HALT') }),
  z.object({ type: z.literal('SET_TRADING'), state: z.enum(['ACTIVE', 'REDUCING', 'HALTED']) }),
]);

/** Operator commands the page (or any loopback client) may send. */
export type DashboardCommand = z.infer<typeof DashboardCommandSchema>;

export interface CommandResult {
  ok: boolean;
  /** The trading state after the command. */
  tradingState: TradingState;
  message?: string;
}

/** Parse an untrusted command; a clear message naming the problem instead of a throw. */
export function parseCommand(
  input: unknown,
): { ok: true; command: DashboardCommand } | { ok: false; error: string } {
  const r = DashboardCommandSchema.safeParse(input);
  if (r.success) return { ok: true, command: r.data };
  const issue = r.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'command';
  return { ok: false, error: `bad command: ${where}: ${issue?.message ?? 'invalid'}` };
}

// ---------------------------------------------------------------- statechart

/** The subset of XState's machine JSON (`diagrams/strategy.json`) the dashboard draws. */
export interface StatechartNodeJson {
  id?: string;
  key?: string;
  type?: string;
  initial?: { target?: string[] } | string;
  states?: Record<string, StatechartNodeJson>;
  transitions?: { target?: string[]; eventType?: string; guard?: unknown }[];
}
