/**
 * Performance figures of a run, pure: from an equity curve (marked to market, sampled at a fixed step)
 * and its closed round trips, fills and funding payments. Every figure is a plain number, or null when it
 * is undefined for the run (no losing trade: no profit factor; a flat curve: no Sharpe) — never NaN or
 * Infinity, so a result is JSON as it stands.
 *
 * Conventions (stated once, used everywhere):
 * - returns are the simple returns between consecutive equity samples; the sample step is the curve's
 *   mean step, and figures are annualised over 365 days (crypto trades every day) with √(periods a year);
 * - volatility and Sharpe use the sample standard deviation (n − 1), risk-free rate 0; Sortino divides the
 *   mean return by the downside deviation √(Σ min(r, 0)² / n) (target 0);
 * - max drawdown is the largest fall from a running peak as a fraction of that peak; its duration runs from
 *   that peak to the first sample back at or above it (or to the end of the curve, `recovered: false`);
 * - Calmar is the annualised return over the max drawdown;
 * - a trade's PnL is net of its fees and of the funding paid while it was open; a winner has PnL > 0;
 *   profit factor = Σ winners / |Σ losers|; expectancy = mean PnL per trade;
 * - exposure is the share of the curve's span with a position open on any coin (the union of the holdings),
 *   leverage the time-weighted mean of the held entry notional over the mean equity; turnover = traded
 *   notional / mean equity;
 * - funding is what the account paid (positive: paid, negative: received);
 * - a split (by strategy, coin or regime) has the trade figures of its own trades, fills and funding, and
 *   the equity figures of its realised curve: the account's start equity plus the net PnL of its trades
 *   closed by each sample time (the account's marked-to-market curve is not split by position).
 */

export const DAY_MS = 86_400_000;
export const YEAR_MS = 365 * DAY_MS;

export interface EquityPoint {
  time: number;
  /** Marked to market: start equity + realised − fees − funding + unrealised. */
  equity: number;
}

/** A position held on a coin from `openTime` to `closeTime` (a round trip, closed or still open at the end). */
export interface Holding {
  coin: string;
  openTime: number;
  closeTime: number;
  /** Entry notional (size × average entry price). */
  notional: number;
}

/** A closed round trip, as the figures read it. */
export interface TradeFact {
  coin: string;
  strategy: string;
  /** The coin's regime when the trade opened. */
  regime: string;
  openTime: number;
  closeTime: number;
  /** Net: gross − fees − funding. */
  pnl: number;
  fees: number;
  funding: number;
}

export interface FillFact {
  time: number;
  coin: string;
  strategy: string;
  regime: string;
  /** px × size. */
  notional: number;
  fee: number;
}

export interface FundingFact {
  time: number;
  coin: string;
  strategy: string;
  regime: string;
  /** Paid by the account (positive: paid, negative: received). */
  usdc: number;
}

export interface MetricsInput {
  equity: readonly EquityPoint[];
  trades: readonly TradeFact[];
  fills: readonly FillFact[];
  funding: readonly FundingFact[];
  /** The positions held (exposure and leverage); a trade open at the end is held to the end. */
  holdings: readonly Holding[];
}

/** Figures that need only trades, fills and funding: the whole run and each split. */
export interface TradeFigures {
  trades: number;
  wins: number;
  losses: number;
  winRate: number | null;
  /** Σ net PnL of the closed trades. */
  pnl: number;
  grossProfit: number;
  grossLoss: number;
  profitFactor: number | null;
  expectancy: number | null;
  avgWinner: number | null;
  avgLoser: number | null;
  maxWinner: number | null;
  maxLoser: number | null;
  fills: number;
  tradedNotional: number;
  /** Fees of every fill (closed trade or not). */
  fees: number;
  /** Funding paid on every position (closed trade or not). */
  funding: number;
}

export interface Drawdown {
  /** Fraction of the peak (0.1 = 10 %). */
  max: number;
  peakTime: number | null;
  troughTime: number | null;
  /** From the peak to recovery (or to the end of the curve when it did not recover). */
  durationMs: number;
  recovered: boolean;
}

/** Figures of an equity curve. */
export interface EquityFigures {
  totalReturn: number | null;
  annualisedReturn: number | null;
  volatility: number | null;
  sharpe: number | null;
  sortino: number | null;
  calmar: number | null;
  drawdown: Drawdown;
  /** The curve's mean sample step (ms) the annualisation used. */
  periodMs: number | null;
}

/**
 * A split's figures: its trades, fills and funding, and the figures of its realised equity curve — the
 * account's start equity plus the net PnL of the split's trades closed by each sample time (a split has no
 * marked-to-market curve of its own: the account's positions are not split).
 */
export interface SplitFigures extends TradeFigures, EquityFigures {
  tradesPerDay: number | null;
}

export interface Metrics extends TradeFigures, EquityFigures {
  startTime: number | null;
  endTime: number | null;
  days: number;
  startEquity: number | null;
  endEquity: number | null;
  tradesPerDay: number | null;
  exposure: number | null;
  leverage: number | null;
  turnover: number | null;
  split: {
    strategy: Record<string, SplitFigures>;
    coin: Record<string, SplitFigures>;
    regime: Record<string, SplitFigures>;
  };
}

/** A finite number or null. */
const fin = (x: number): number | null => (Number.isFinite(x) ? x : null);

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

export function tradeFigures(
  trades: readonly TradeFact[],
  fills: readonly FillFact[],
  funding: readonly FundingFact[],
): TradeFigures {
  const pnls = trades.map((t) => t.pnl).filter(Number.isFinite);
  const winners = pnls.filter((p) => p > 0);
  const losers = pnls.filter((p) => p <= 0);
  const grossProfit = sum(winners);
  const grossLoss = sum(losers);
  const n = pnls.length;
  return {
    trades: n,
    wins: winners.length,
    losses: losers.length,
    winRate: n > 0 ? winners.length / n : null,
    pnl: sum(pnls),
    grossProfit,
    grossLoss,
    profitFactor: grossLoss < 0 ? grossProfit / -grossLoss : null,
    expectancy: n > 0 ? sum(pnls) / n : null,
    avgWinner: winners.length > 0 ? grossProfit / winners.length : null,
    avgLoser: losers.length > 0 ? grossLoss / losers.length : null,
    maxWinner: winners.length > 0 ? Math.max(...winners) : null,
    maxLoser: losers.length > 0 ? Math.min(...losers) : null,
    fills: fills.length,
    tradedNotional: sum(fills.map((f) => Math.abs(f.notional)).filter(Number.isFinite)),
    fees: sum(fills.map((f) => f.fee).filter(Number.isFinite)),
    funding: sum(funding.map((f) => f.usdc).filter(Number.isFinite)),
  };
}

/** The largest fall from a running peak, and how long from that peak until the curve was back. */
export function maxDrawdown(equity: readonly EquityPoint[]): Drawdown {
  const out: Drawdown = { max: 0, peakTime: null, troughTime: null, durationMs: 0, recovered: true };
  if (equity.length === 0) return out;
  let peak = equity[0]!;
  let worstPeak: EquityPoint | null = null;
  for (const p of equity) {
    if (p.equity > peak.equity) peak = p;
    if (!(peak.equity > 0)) continue;
    const dd = (peak.equity - p.equity) / peak.equity;
    if (dd > out.max) {
      out.max = dd;
      out.peakTime = peak.time;
      out.troughTime = p.time;
      worstPeak = peak;
    }
  }
  if (worstPeak === null || out.troughTime === null) return out;
  const trough = out.troughTime;
  const back = equity.find((p) => p.time > trough && p.equity >= worstPeak.equity);
  out.recovered = back !== undefined;
  const end = back ? back.time : equity[equity.length - 1]!.time;
  out.durationMs = end - worstPeak.time;
  return out;
}

/** Simple returns between consecutive samples (a sample at non-positive equity ends the series). */
export function returnsOf(equity: readonly EquityPoint[]): number[] {
  const r: number[] = [];
  for (let i = 1; i < equity.length; i++) {
    const a = equity[i - 1]!.equity;
    if (!(a > 0)) break;
    r.push(equity[i]!.equity / a - 1);
  }
  return r;
}

function mean(xs: readonly number[]): number {
  return xs.length > 0 ? sum(xs) / xs.length : Number.NaN;
}

/** Sample standard deviation (n − 1). */
function stdev(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  const m = mean(xs);
  return Math.sqrt(sum(xs.map((x) => (x - m) ** 2)) / (xs.length - 1));
}

/**
 * Within [from, to]: the time any holding was open (the union of their intervals), and Σ notional × time
 * held.
 */
export function heldTime(
  holdings: readonly Holding[],
  from: number,
  to: number,
): { any: number; notionalTime: number } {
  const spans = holdings
    .map((h) => ({ a: Math.max(h.openTime, from), b: Math.min(h.closeTime, to), n: Math.abs(h.notional) }))
    .filter((s) => s.b > s.a && Number.isFinite(s.a) && Number.isFinite(s.b))
    .sort((x, y) => x.a - y.a);
  let any = 0;
  let notionalTime = 0;
  let curA = Number.NaN;
  let curB = Number.NaN;
  for (const s of spans) {
    if (Number.isFinite(s.n)) notionalTime += s.n * (s.b - s.a);
    if (!(s.a <= curB)) {
      if (curB > curA) any += curB - curA;
      curA = s.a;
      curB = s.b;
    } else if (s.b > curB) curB = s.b;
  }
  if (curB > curA) any += curB - curA;
  return { any, notionalTime };
}

/** The equity curve's figures (see the file header for the conventions). */
export function equityFigures(curve: readonly EquityPoint[]): EquityFigures {
  const eq = curve.filter((p) => Number.isFinite(p.time) && Number.isFinite(p.equity));
  const first = eq[0];
  const last = eq[eq.length - 1];
  const span = first && last ? last.time - first.time : 0;
  const totalReturn = first && last && first.equity > 0 ? last.equity / first.equity - 1 : null;
  const annualisedReturn =
    totalReturn !== null && span > 0 && 1 + totalReturn >= 0
      ? fin((1 + totalReturn) ** (YEAR_MS / span) - 1)
      : null;
  const r = returnsOf(eq);
  const periodMs = eq.length > 1 ? span / (eq.length - 1) : null;
  const perYear = periodMs !== null && periodMs > 0 ? YEAR_MS / periodMs : Number.NaN;
  const sd = stdev(r);
  const m = mean(r);
  const downside = r.length > 0 ? Math.sqrt(sum(r.map((x) => Math.min(x, 0) ** 2)) / r.length) : Number.NaN;
  const drawdown = maxDrawdown(eq);
  return {
    totalReturn,
    annualisedReturn,
    volatility: fin(sd * Math.sqrt(perYear)),
    sharpe: sd > 0 ? fin((m / sd) * Math.sqrt(perYear)) : null,
    sortino: downside > 0 ? fin((m / downside) * Math.sqrt(perYear)) : null,
    calmar: annualisedReturn !== null && drawdown.max > 0 ? fin(annualisedReturn / drawdown.max) : null,
    drawdown,
    periodMs,
  };
}

/** At each of the curve's sample times: its start equity plus the net PnL of the trades closed by then. */
export function realisedCurve(curve: readonly EquityPoint[], trades: readonly TradeFact[]): EquityPoint[] {
  const start = curve[0]?.equity ?? 0;
  const closes = trades.filter((t) => Number.isFinite(t.pnl)).sort((a, b) => a.closeTime - b.closeTime);
  let k = 0;
  let pnl = 0;
  return curve.map((p) => {
    while (k < closes.length && closes[k]!.closeTime <= p.time) pnl += closes[k++]!.pnl;
    return { time: p.time, equity: start + pnl };
  });
}

/** Group facts by a key and compute each group's figures (keys sorted). */
function splitBy(
  input: MetricsInput,
  curve: readonly EquityPoint[],
  days: number,
  key: (x: { coin: string; strategy: string; regime: string }) => string,
): Record<string, SplitFigures> {
  const keys = new Set<string>();
  for (const x of [...input.trades, ...input.fills, ...input.funding]) keys.add(key(x));
  const out: Record<string, SplitFigures> = {};
  for (const k of [...keys].sort()) {
    const trades = input.trades.filter((t) => key(t) === k);
    const f = tradeFigures(
      trades,
      input.fills.filter((x) => key(x) === k),
      input.funding.filter((x) => key(x) === k),
    );
    out[k] = {
      ...f,
      ...equityFigures(realisedCurve(curve, trades)),
      tradesPerDay: days > 0 ? f.trades / days : null,
    };
  }
  return out;
}

export function computeMetrics(input: MetricsInput): Metrics {
  const eq = input.equity.filter((p) => Number.isFinite(p.time) && Number.isFinite(p.equity));
  const first = eq[0];
  const last = eq[eq.length - 1];
  const span = first && last ? last.time - first.time : 0;
  const days = span / DAY_MS;
  const trades = tradeFigures(input.trades, input.fills, input.funding);
  const meanEquity = mean(eq.map((p) => p.equity));
  const held = first && last ? heldTime(input.holdings, first.time, last.time) : { any: 0, notionalTime: 0 };
  return {
    ...trades,
    ...equityFigures(eq),
    startTime: first?.time ?? null,
    endTime: last?.time ?? null,
    days,
    startEquity: first?.equity ?? null,
    endEquity: last?.equity ?? null,
    tradesPerDay: days > 0 ? trades.trades / days : null,
    exposure: span > 0 ? held.any / span : null,
    leverage: span > 0 && meanEquity > 0 ? held.notionalTime / span / meanEquity : null,
    turnover: meanEquity > 0 ? fin(trades.tradedNotional / meanEquity) : null,
    split: {
      strategy: splitBy(input, eq, days, (x) => x.strategy),
      coin: splitBy(input, eq, days, (x) => x.coin),
      regime: splitBy(input, eq, days, (x) => x.regime),
    },
  };
}
