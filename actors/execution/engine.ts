/**
 * Execution façade for the decision loop: owns the execution actor (machine + venue actor), runs the
 * risk checks on each entry intent with the actor's current state, keeps the order rate budget, feeds
 * control ticks, and hands out decision records (time-stamped from the clock), strategy replies and
 * alarms. Deterministic given the sequence of calls and clock times.
 */
import { type Actor, createActor } from 'xstate';
import { coinBusy, DAY_MS } from '../../machines/execution.core.ts';
import { coinNotional, netPnl, totalExposure } from '../../machines/execution.ledger.ts';
import { executionMachine } from '../../machines/execution.machine.ts';
import {
  DEFAULT_EXECUTION_CONFIG,
  type DayState,
  type ExecRecord,
  type ExecRecordBody,
  type ExecutionConfig,
  type ExecutionInput,
  type HealthLevel,
  type Intent,
  type Quote,
  type RiskCode,
  type StrategyReply,
  type TradingState,
} from '../../machines/execution.types.ts';
import type { Clock } from '../../state/clock.ts';
import type { MarketView, Venue } from '../venue/types.ts';
import { type LedgerView, ledgerView, restoreLedger } from './positions.ts';
import { type DecisionCtx, evaluateEntry, fullBucket, type RateBucket, takeToken } from './risk.ts';
import { type VenueBridgeCounters, venueActorLogic } from './venue-actor.ts';

export type { DecisionCtx } from './risk.ts';

export interface ExecutionDeps {
  clock: Clock;
  config?: Partial<ExecutionConfig>;
  venue: Venue;
  market: MarketView;
  /**
   * Starting capital (equity = capital + net PnL of the ledger at the market's marks, as for paper
   * trading) or a function returning the account's equity (live).
   */
  equity: number | (() => number);
  /** Decision records of a previous run: the ledger, trading state and day are rebuilt from them. */
  restore?: Iterable<unknown>;
  /**
   * The trading state and its reason to start in (restart recovery by the caller, e.g. from the
   * journal's run.start record). Wins over the state found in `restore`. The reason is kept
   * verbatim; `since` (ms) defaults to the clock's now. ACTIVE starts ACTIVE with this reason.
   */
  restoreTrading?: RestoreTrading;
}

export interface RestoreTrading {
  state: TradingState;
  reason: string;
  since?: number;
}

/** The trading state, why, and since when (ms on the clock; a restored state keeps its own). */
export interface TradingStatusView {
  state: TradingState;
  reason: string;
  since: number;
}

export interface TickCtx {
  health: HealthLevel;
  stale: boolean;
}

export type SubmitResult = { ok: true } | { ok: false; code: RiskCode | 'BAD_INTENT'; detail: string };

export type StrategyListener = (strategy: string, coin: string, event: StrategyReply) => void;
export type AlarmListener = (alarm: {
  coin: string | null;
  message: string;
  attempt: number;
  time: number;
}) => void;

export interface Execution {
  actor: Actor<typeof executionMachine>;
  submitIntent(intent: Intent, ctx: DecisionCtx): SubmitResult;
  onTick(ctx: TickCtx): void;
  kill(reason?: string): void;
  resetHalt(): void;
  reduce(reason?: string): void;
  resume(): void;
  tradingState(): TradingState;
  /** The trading state with its reason and the time it was entered (persist it; restore it with `restoreTrading`). */
  tradingStatus(): TradingStatusView;
  positions(): LedgerView;
  equity(): number;
  /** Drain the decision records produced since the last call. */
  records(): ExecRecord[];
  onStrategyEvent(listener: StrategyListener): () => void;
  onAlarm(listener: AlarmListener): () => void;
  counters(): { badIntents: number; malformedReports: number; errors: number; alarms: number };
  stop(): void;
}

function isIntent(x: unknown): x is Intent {
  if (typeof x !== 'object' || x === null) return false;
  const i = x as Record<string, unknown>;
  return (
    (i.kind === 'entry' || i.kind === 'exit') &&
    typeof i.id === 'string' &&
    typeof i.strategy === 'string' &&
    typeof i.coin === 'string' &&
    (i.kind === 'exit' || i.side === 'LONG' || i.side === 'SHORT')
  );
}

export interface RestoredState {
  input: Partial<ExecutionInput>;
  trading: TradingState;
  /** The last trading record's state, reason and time (null: none in the records). */
  tradingStatus: TradingStatusView | null;
  applied: number;
  mismatches: number;
  skipped: number;
}

/** Ledger, trading state and day from a previous run's decision records. */
export function restoreState(records: Iterable<unknown>): RestoredState {
  const list = [...records];
  const { ledger, applied, mismatches, skipped } = restoreLedger(list);
  let trading: TradingState = 'ACTIVE';
  let tradingStatus: TradingStatusView | null = null;
  let day: DayState | undefined;
  for (const r of list) {
    if (typeof r !== 'object' || r === null) continue;
    const rec = r as Record<string, unknown>;
    if (
      rec.kind === 'trading' &&
      (rec.state === 'ACTIVE' || rec.state === 'REDUCING' || rec.state === 'HALTED')
    ) {
      const changed: boolean = rec.state !== trading || tradingStatus === null;
      trading = rec.state;
      const since = typeof rec.time === 'number' && Number.isFinite(rec.time) ? rec.time : Number.NaN;
      tradingStatus = {
        state: rec.state,
        reason: typeof rec.reason === 'string' ? rec.reason : 'restored from the records of the previous run',
        since: changed || tradingStatus === null ? since : tradingStatus.since,
      };
    }
    if (rec.kind === 'day' && typeof rec.day === 'object' && rec.day !== null) day = rec.day as DayState;
  }
  const input: Partial<ExecutionInput> = { ledger };
  if (day) input.day = day;
  return { input, trading, tradingStatus, applied, mismatches, skipped };
}

export function createExecution(deps: ExecutionDeps): Execution {
  const { clock, venue, market } = deps;
  const config: ExecutionConfig = { ...DEFAULT_EXECUTION_CONFIG, ...deps.config };
  const out: ExecRecord[] = [];
  const strategyListeners = new Set<StrategyListener>();
  const alarmListeners = new Set<AlarmListener>();
  const bridge: VenueBridgeCounters = { malformed: 0 };
  let badIntents = 0;
  let bucket: RateBucket = fullBucket(clock.now(), config);

  const push = (body: ExecRecordBody) => out.push({ ...body, time: clock.now() } as ExecRecord);
  const markOf = (coin: string) => market.read(coin)?.mark ?? Number.NaN;

  const input: ExecutionInput = { config };
  let restoredTrading: RestoreTrading | null = null;
  if (deps.restore) {
    const r = restoreState(deps.restore);
    Object.assign(input, r.input);
    if (r.tradingStatus) {
      const { state, reason, since } = r.tradingStatus;
      restoredTrading = Number.isFinite(since) ? { state, reason, since } : { state, reason };
    }
    if (r.mismatches > 0 || r.skipped > 0)
      push({
        kind: 'error',
        message: `restore: ${r.mismatches} mismatching and ${r.skipped} malformed position records`,
      });
  }

  if (deps.restoreTrading) restoredTrading = deps.restoreTrading;

  const machine = executionMachine.provide({ actors: { venue: venueActorLogic(venue, bridge) } });
  const actor = createActor(machine, { clock, input });
  let since = clock.now();
  let lastState: TradingState = 'ACTIVE';
  actor.on('record', (e) => {
    if (e.record.kind === 'order' && e.record.event === 'submit')
      bucket = takeToken(bucket, clock.now(), config);
    if (e.record.kind === 'trading' && e.record.state !== lastState) {
      lastState = e.record.state;
      since = clock.now();
    }
    push(e.record);
  });
  actor.on('strategy', (e) => {
    for (const l of [...strategyListeners]) l(e.strategy, e.coin, e.event);
  });
  actor.on('alarm', (e) => {
    for (const l of [...alarmListeners])
      l({ coin: e.coin, message: e.message, attempt: e.attempt, time: clock.now() });
  });
  actor.start();
  if (restoredTrading) {
    actor.send({ type: 'RESTORE', trading: restoredTrading.state, reason: restoredTrading.reason });
    if (restoredTrading.since !== undefined && Number.isFinite(restoredTrading.since))
      since = restoredTrading.since;
  }

  const ctx = () => actor.getSnapshot().context;

  const equity = (): number => {
    if (typeof deps.equity === 'function') return deps.equity();
    return deps.equity + netPnl(ctx().ledger, markOf);
  };

  const quoteOf = (coin: string): Quote | null => {
    const m = market.read(coin);
    if (!m) return null;
    return { bid: m.bids[0]?.px ?? Number.NaN, ask: m.asks[0]?.px ?? Number.NaN, mark: m.mark };
  };

  const allQuotes = (): Record<string, Quote> => {
    const coins = new Set([...Object.keys(config.assets), ...Object.keys(ctx().ledger.positions)]);
    const quotes: Record<string, Quote> = {};
    for (const coin of [...coins].sort()) {
      const q = quoteOf(coin);
      if (q) quotes[coin] = q;
    }
    return quotes;
  };

  return {
    actor,

    submitIntent(intent, dctx) {
      if (!isIntent(intent)) {
        badIntents++;
        push({ kind: 'error', message: `malformed intent ${JSON.stringify(intent)?.slice(0, 200)}` });
        return { ok: false, code: 'BAD_INTENT', detail: 'malformed intent' };
      }
      push({ kind: 'intent', intent });
      if (intent.kind === 'exit') {
        actor.send({ type: 'EXIT', intent, quote: quoteOf(intent.coin) });
        return { ok: true };
      }
      const c = ctx();
      const v = evaluateEntry({
        intent,
        ctx: dctx,
        trading: c.trading,
        busy: coinBusy(c, intent.coin),
        market: market.read(intent.coin),
        equity: equity(),
        coinNotional: coinNotional(c.ledger, intent.coin, markOf),
        totalExposure: totalExposure(c.ledger, markOf),
        bucket,
        now: clock.now(),
        cfg: config,
      });
      if (!v.ok) {
        push({
          kind: 'verdict',
          intentId: intent.id,
          strategy: intent.strategy,
          coin: intent.coin,
          ok: false,
          code: v.code,
          detail: v.detail,
        });
        actor.send({ type: 'DENY', intent, code: v.code, detail: v.detail });
        return { ok: false, code: v.code, detail: v.detail };
      }
      actor.send({ type: 'ENTRY', intent, order: v.order, quote: v.quote, detail: v.detail });
      return { ok: true };
    },

    onTick(t) {
      venue.poll?.();
      actor.send({
        type: 'TICK',
        time: clock.now(),
        health: t.health,
        stale: t.stale,
        quotes: allQuotes(),
        equity: equity(),
      });
    },

    kill(reason) {
      actor.send({ type: 'KILL', quotes: allQuotes(), ...(reason === undefined ? {} : { reason }) });
    },
    resetHalt() {
      actor.send({ type: 'RESET_HALT' });
    },
    reduce(reason) {
      actor.send(reason === undefined ? { type: 'REDUCE' } : { type: 'REDUCE', reason });
    },
    resume() {
      actor.send({ type: 'RESUME' });
    },
    tradingState: () => ctx().trading,
    tradingStatus: () => ({ state: ctx().trading, reason: ctx().tradingReason, since }),
    positions: () => ledgerView(ctx().ledger, markOf),
    equity,
    records() {
      return out.splice(0, out.length);
    },
    onStrategyEvent(l) {
      strategyListeners.add(l);
      return () => strategyListeners.delete(l);
    },
    onAlarm(l) {
      alarmListeners.add(l);
      return () => alarmListeners.delete(l);
    },
    counters: () => ({
      badIntents,
      malformedReports: bridge.malformed,
      errors: ctx().errors,
      alarms: ctx().alarms,
    }),
    stop() {
      actor.stop();
    },
  };
}

export { DAY_MS };
