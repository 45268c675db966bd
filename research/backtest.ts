/**
 * A backtest: a replay of a data dir's journal (across its day folders, `--from/--to`) through the real
 * decision side, with the journal's recorded config changed by `key=value` settings, read as figures.
 *
 * The replay is `replayJournal` (the same pipeline and engine as a live run, execution on the paper
 * venue); the decision log is read by `analyseDecisions` (fills, round trips, fees); the equity curve is the
 * decision side's own marked-to-market equity, sampled every `sampleMs` of journal time at a control tick,
 * with each coin's mid and the gross notional of the open positions. Funding is the paper venue's: it
 * settles every open position on the hour at the venue's hourly rate and mark (`usdc = −szi × mark ×
 * rate`, `actors/venue/paper.ts`), and each payment is an `exec.position` record whose `totals.fundingPaid`
 * moves by it — the backtest reads the payments from those records, it does not compute its own.
 *
 * The config parser is injected (`ConfigResolver`): it lives in `runtime/config.ts`, above this layer.
 * A result is keyed by its config hash (SHA-256 of the parsed config's stable JSON) and its journal range.
 */
import { createHash } from 'node:crypto';
import { dayOf, journalDays } from '../actors/journal/days.ts';
import { type DecisionLine, type EngineConfig, engineConfigFrom } from '../decision/engine.ts';
import { analyseDecisions, type Trade } from '../replay/decision-log.ts';
import { firstRunInfo, replayJournal } from '../replay/replay-journal.ts';
import {
  computeMetrics,
  type EquityPoint,
  type FillFact,
  type FundingFact,
  type Holding,
  type Metrics,
  type TradeFact,
} from './metrics.ts';

/** What a parsed config must hold for the decision side (a `runtime/config.ts` Config is one). */
export type EngineConfigInput = Parameters<typeof engineConfigFrom>[0];

/**
 * The config of a run: the config a journal's run recorded (`run.start`; null when it recorded none) with
 * the overrides merged over it, validated. Throws a clear error on a bad override (unknown key, bad value).
 */
export type ConfigResolver = (
  recorded: Record<string, unknown> | null,
  overrides: Record<string, unknown>,
) => EngineConfigInput;

export interface BacktestOptions {
  /** A data dir, a journal root or one day folder. */
  dataDir: string;
  from?: string;
  to?: string;
  /** `key=value` settings: a dotted config path and a value (JSON when it parses, else a string). */
  set: Readonly<Record<string, string>>;
  resolveConfig: ConfigResolver;
  /** The equity curve's sample step in journal time (default 60 s). */
  sampleMs?: number;
  onProgress?: (records: number, time: number) => void;
}

export interface BacktestTrade extends TradeFact {
  side: 'LONG' | 'SHORT';
  entryPx: number;
  exitPx: number | null;
  size: number;
  /** Gross PnL (fills' cash flows, fees and funding excluded). */
  gross: number;
}

export interface PriceSample {
  time: number;
  mid: number;
}

export interface BacktestRange {
  /** The day folders read (names, oldest first). */
  days: string[];
  firstDay: string | null;
  lastDay: string | null;
  /** Journal time of the first and last record read. */
  firstTime: number | null;
  lastTime: number | null;
}

export interface BacktestResult {
  /** The parsed config the decision side ran with (the first run's; later runs take their own recorded one). */
  config: EngineConfigInput;
  configHash: string;
  /** The settings as given. */
  set: Record<string, string>;
  range: BacktestRange;
  /** The result's key: config hash and journal range (nothing is recomputed for the same key). */
  key: string;
  replay: {
    records: number;
    frames: number;
    ticks: number;
    corrupt: number;
    versionMismatches: number;
    decisionLines: number;
    /** Decision lines that did not read as records (must be 0). */
    invalidLines: number;
  };
  /** Closed round trips (net of fees and of the funding paid while open). */
  trades: BacktestTrade[];
  /** Round trips still open at the end. */
  openTrades: number;
  equity: EquityPoint[];
  prices: Record<string, PriceSample[]>;
  regimes: Record<string, { time: number; regime: string }[]>;
  fills: FillFact[];
  funding: (FundingFact & FundingPayment)[];
  metrics: Metrics;
}

export class BacktestError extends Error {}

/** JSON with object keys sorted at every level: the same value gives the same text. */
export function stableJson(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) out[k] = o[k];
    return out;
  });
}

/** Set `value` at a dotted path of `out`, creating (or replacing non-object) parents on the way. */
export function setPath(out: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let o = out;
  for (const p of path.slice(0, -1)) {
    const next = o[p];
    if (next !== null && typeof next === 'object' && !Array.isArray(next))
      o = next as Record<string, unknown>;
    else {
      const fresh: Record<string, unknown> = {};
      o[p] = fresh;
      o = fresh;
    }
  }
  o[path[path.length - 1]!] = value;
}

/**
 * The facts the figures are computed from, read from a decision log once: regimes per coin, fills with the
 * regime they traded in, funding payments, closed trades (net of fees and funding) — shared by the backtest
 * and the sweep's runs so both compute the same figures.
 */
export function decisionFacts(
  d: ReturnType<typeof analyseDecisions>,
  lines: readonly DecisionLine[],
): {
  regimes: Record<string, { time: number; regime: string }[]>;
  fills: FillFact[];
  funding: (FundingFact & FundingPayment)[];
  trades: ReturnType<typeof closedTrades>;
} {
  const regimes: Record<string, { time: number; regime: string }[]> = {};
  for (const [coin, list] of d.regimes) regimes[coin] = list;
  const fills: FillFact[] = d.fills.map((f) => ({
    time: f.time,
    coin: f.coin,
    strategy: f.strategy,
    regime: regimeAt(regimes[f.coin], f.time),
    notional: f.px * f.size,
    fee: f.fee,
  }));
  const funding: (FundingFact & FundingPayment)[] = fundingPayments(lines).map((f) => ({
    ...f,
    regime: regimeAt(regimes[f.coin], f.time),
  }));
  return { regimes, fills, funding, trades: closedTrades(d.trades, funding, regimes) };
}

export function configHash(config: unknown): string {
  return createHash('sha256').update(stableJson(config)).digest('hex');
}

/**
 * `{ 'risk.startEquity': '50000', 'strategies.geometry.enabled': 'false' }` →
 * `{ risk: { startEquity: 50000 }, strategies: { geometry: { enabled: false } } }`. A value is JSON when it
 * parses, else the string. An empty path or path part is an error.
 */
export function setOverrides(set: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(set)) {
    const path = key.split('.');
    if (path.some((p) => p.trim() === ''))
      throw new BacktestError(
        `--set ${key}=${raw}: the key must be a dotted config path (e.g. risk.startEquity)`,
      );
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    setPath(out, path, value);
  }
  return out;
}

/** `['risk.startEquity=50000', …]` → `{ 'risk.startEquity': '50000' }` (a later setting of a key wins). */
export function parseSetArgs(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const i = a.indexOf('=');
    if (i <= 0) throw new BacktestError(`--set ${a}: expected key=value (e.g. risk.startEquity=50000)`);
    out[a.slice(0, i).trim()] = a.slice(i + 1);
  }
  return out;
}

/** The decision-log kinds the backtest reads (the rest is not kept in memory). */
const KEPT = new Set([
  'regime',
  'exec.fill',
  'exec.position',
  'exec.day',
  'exec.intent',
  'exec.verdict',
  'strategy',
]);

/** The coin's regime at a time (the last `regime` record at or before it; DISABLED before any). */
function regimeAt(timeline: readonly { time: number; regime: string }[] | undefined, time: number): string {
  let out = 'DISABLED';
  if (!timeline) return out;
  for (const x of timeline) {
    if (x.time > time) break;
    out = x.regime;
  }
  return out;
}

function isObj(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** A funding payment: what the account paid, and the venue's rate, mark and position size it was settled on. */
export interface FundingPayment {
  time: number;
  coin: string;
  strategy: string;
  /** Paid (positive) or received (negative), from the move of `totals.fundingPaid`. */
  usdc: number;
  /** The venue's hourly rate and the mark price the payment was settled on (null: not recorded). */
  rate: number | null;
  markPx: number | null;
}

const numOrNull = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** Funding payments from the `exec.position` records: each moves `totals.fundingPaid` by the payment. */
export function fundingPayments(lines: readonly DecisionLine[]): FundingPayment[] {
  const out: FundingPayment[] = [];
  let paid = 0;
  for (const l of lines) {
    if (l.kind !== 'exec.position' || !isObj(l.totals)) continue;
    const total = l.totals.fundingPaid;
    if (typeof total !== 'number' || !Number.isFinite(total)) continue;
    const delta = total - paid;
    paid = total;
    if (!isObj(l.cause) || l.cause.type !== 'funding' || delta === 0) continue;
    const strategy =
      isObj(l.position) && typeof l.position.strategy === 'string' ? l.position.strategy : '(none)';
    const f = isObj(l.cause.funding) ? l.cause.funding : {};
    out.push({
      time: l.t,
      coin: typeof l.coin === 'string' ? l.coin : '',
      strategy,
      usdc: delta,
      rate: numOrNull(f.rate),
      markPx: numOrNull(f.markPx),
    });
  }
  return out;
}

export function backtest(opts: BacktestOptions): BacktestResult {
  const days = journalDays(opts.dataDir, { from: opts.from, to: opts.to });
  const overrides = setOverrides(opts.set);
  const run = firstRunInfo(days[0]!);
  const config = opts.resolveConfig(run?.config ?? null, overrides);
  const engineConfig: EngineConfig = engineConfigFrom(config);
  const sampleMs = opts.sampleMs ?? 60_000;

  const lines: DecisionLine[] = [];
  let decisionLines = 0;
  const equity: EquityPoint[] = [];
  const prices: Record<string, PriceSample[]> = {};
  for (const c of engineConfig.coins) prices[c] = [];
  let lastBucket = Number.NEGATIVE_INFINITY;
  let lastSample = Number.NEGATIVE_INFINITY;
  const sample = (engine: NonNullable<ReturnType<typeof replayJournal>['engine']>, t: number): void => {
    const s = engine.snapshot(t);
    for (const c of s.coins) if (c.mid !== null) (prices[c.coin] ??= []).push({ time: t, mid: c.mid });
    if (Number.isFinite(s.equity)) equity.push({ time: t, equity: s.equity });
    lastSample = t;
  };
  const replayOpts: Parameters<typeof replayJournal>[0] = {
    dir: days.length === 1 ? days[0]! : days,
    config: engineConfig,
    configFor: (r) => engineConfigFrom(opts.resolveConfig(r.config, overrides)),
    out: (l) => {
      decisionLines++;
      if (KEPT.has(l.kind)) lines.push(l);
    },
    onTick: (engine, t) => {
      const bucket = Math.floor(t / sampleMs);
      if (bucket === lastBucket) return;
      lastBucket = bucket;
      sample(engine, t);
    },
  };
  if (opts.onProgress) replayOpts.onProgress = opts.onProgress;
  const r = replayJournal(replayOpts);
  // the last state: what was open at the end is marked at the last tick
  if (r.engine && r.lastTime !== null && r.lastTime > lastSample) sample(r.engine, r.lastTime);
  r.engine?.stop();

  const d = analyseDecisions(lines);
  const { regimes, fills, funding, trades } = decisionFacts(d, lines);

  const names = days.map((p) => dayName(p, r.firstTime));
  const range: BacktestRange = {
    days: names,
    firstDay: names[0] ?? null,
    lastDay: names[names.length - 1] ?? null,
    firstTime: r.firstTime,
    lastTime: r.lastTime,
  };
  const hash = configHash(config);
  return {
    config,
    configHash: hash,
    set: { ...opts.set },
    range,
    key: `${hash}:${r.firstTime ?? ''}-${r.lastTime ?? ''}`,
    replay: {
      records: r.records,
      frames: r.frames,
      ticks: r.ticks,
      corrupt: r.corrupt,
      versionMismatches: r.versionMismatches,
      decisionLines,
      invalidLines: d.invalid,
    },
    trades,
    openTrades: d.trades.filter((t) => t.closeTime === null).length,
    equity,
    prices,
    regimes,
    fills,
    funding,
    metrics: computeMetrics({ equity, trades, fills, funding, holdings: holdingsOf(d.trades, r.lastTime) }),
  };
}

/** Each round trip's holding: open to close, or to the end of the journal when still open. */
export function holdingsOf(trades: readonly Trade[], end: number | null): Holding[] {
  return trades.map((t) => ({
    coin: t.coin,
    openTime: t.openTime,
    closeTime: t.closeTime ?? end ?? t.openTime,
    notional: t.size * t.entryPx,
  }));
}

/** A day folder's name (its last path part when it is a day), else the day of a record time. */
function dayName(path: string, time: number | null): string {
  const base = path.split(/[\\/]/).filter(Boolean).pop() ?? path;
  if (/^\d{4}-\d{2}-\d{2}$/.test(base)) return base;
  return time !== null ? dayOf(time) : base;
}

/** The decision log's closed round trips, each with the funding paid on its coin while it was open. */
export function closedTrades(
  trades: readonly Trade[],
  funding: readonly { time: number; coin: string; usdc: number }[],
  regimes: Readonly<Record<string, { time: number; regime: string }[]>>,
): BacktestTrade[] {
  const out: BacktestTrade[] = [];
  for (const t of trades) {
    if (t.closeTime === null || t.pnl === null || t.gross === null) continue;
    const close = t.closeTime;
    const paid = funding
      .filter((f) => f.coin === t.coin && f.time >= t.openTime && f.time <= close)
      .reduce((a, f) => a + f.usdc, 0);
    out.push({
      coin: t.coin,
      strategy: t.strategy,
      regime: regimeAt(regimes[t.coin], t.openTime),
      openTime: t.openTime,
      closeTime: close,
      side: t.side,
      entryPx: t.entryPx,
      exitPx: t.exitPx,
      size: t.size,
      gross: t.gross,
      fees: t.fees,
      funding: paid,
      pnl: t.pnl - paid,
    });
  }
  return out;
}
