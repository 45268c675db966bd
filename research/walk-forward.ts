/**
 * Walk-forward selection for a sweep, pure: the journal's days are split into K consecutive folds (by day
 * folder, as equal as the days allow: the first `n mod K` folds take one day more); for each fold after the
 * first, the configs are ranked on the in-sample span before it — anchored: every fold before it — and the
 * top config's figures on the fold itself are its out-of-sample figures. The choice for a fold reads the
 * in-sample results only: nothing of the fold (or of any later day) can move it (`test/research/
 * walk-forward.test.ts` checks this over random result sets).
 *
 * Ranking: the objective (`sharpe`, `return` = total return, `calmar`) highest first; a config whose
 * objective is undefined for the span (no trade: a flat curve has no Sharpe) ranks after every defined one;
 * ties are broken by the smaller max drawdown, then by the config hash (so the order is total and the same
 * anywhere).
 *
 * The figures are `computeMetrics`'s (`research/metrics.ts`), the per-run tearsheet's.
 */
import type { ParamSet } from './grid.ts';
import type { EquityPoint, Metrics } from './metrics.ts';

export const OBJECTIVES = ['sharpe', 'return', 'calmar'] as const;
export type Objective = (typeof OBJECTIVES)[number];

export class WalkForwardError extends Error {}

export function parseObjective(s: string | undefined): Objective {
  if (s === undefined) return 'sharpe';
  const o = OBJECTIVES.find((x) => x === s);
  if (!o) throw new WalkForwardError(`--objective ${s}: expected one of ${OBJECTIVES.join(', ')}`);
  return o;
}

/** K consecutive folds of the days (oldest first); sizes differ by at most one, the earlier folds larger. */
export function splitFolds<T>(days: readonly T[], k: number): T[][] {
  if (!Number.isInteger(k) || k < 2)
    throw new WalkForwardError(
      `--walk-forward ${k}: needs an integer K ≥ 2 (one in-sample fold, then out-of-sample ones)`,
    );
  if (k > days.length)
    throw new WalkForwardError(
      `--walk-forward ${k}: the range has ${days.length} day(s); folds are whole days, so K ≤ ${days.length}`,
    );
  const base = Math.floor(days.length / k);
  const extra = days.length % k;
  const out: T[][] = [];
  let at = 0;
  for (let i = 0; i < k; i++) {
    const n = base + (i < extra ? 1 : 0);
    out.push(days.slice(at, at + n));
    at += n;
  }
  return out;
}

/** The walk-forward steps of K folds: for each fold f ≥ 1, its in-sample span (folds 0 … f − 1) and itself. */
export interface Step<T> {
  fold: number;
  inSample: T[];
  outOfSample: T[];
}

export function walkForwardSteps<T>(folds: readonly (readonly T[])[]): Step<T>[] {
  const steps: Step<T>[] = [];
  for (let f = 1; f < folds.length; f++)
    steps.push({ fold: f, inSample: folds.slice(0, f).flat(), outOfSample: [...folds[f]!] });
  return steps;
}

/** The figures ranking reads. */
export type RankFigures = Pick<Metrics, 'totalReturn' | 'sharpe' | 'calmar' | 'drawdown'>;

/** One config's result over one span. */
export interface Scored<M extends RankFigures = RankFigures> {
  configHash: string;
  set: ParamSet;
  metrics: M;
}

export function objectiveOf(m: RankFigures, o: Objective): number | null {
  const x = o === 'sharpe' ? m.sharpe : o === 'return' ? m.totalReturn : m.calmar;
  return x !== null && Number.isFinite(x) ? x : null;
}

/** Best first: objective (defined before undefined), then smaller max drawdown, then config hash. */
export function rankConfigs<T extends Scored>(rows: readonly T[], o: Objective): T[] {
  return [...rows].sort((a, b) => {
    const x = objectiveOf(a.metrics, o);
    const y = objectiveOf(b.metrics, o);
    if (x !== null && y !== null && x !== y) return y - x;
    if ((x === null) !== (y === null)) return x === null ? 1 : -1;
    const dd = a.metrics.drawdown.max - b.metrics.drawdown.max;
    if (dd !== 0 && Number.isFinite(dd)) return dd;
    return a.configHash < b.configHash ? -1 : a.configHash > b.configHash ? 1 : 0;
  });
}

/** A result over a span of days (the day names it read, oldest first). */
export interface SpanResult<M extends RankFigures = RankFigures> extends Scored<M> {
  days: readonly string[];
}

export interface StepOutcome<M extends RankFigures = RankFigures> {
  fold: number;
  inSampleDays: string[];
  outOfSampleDays: string[];
  /** Configs ranked on the in-sample span. */
  ranked: number;
  /** The top config on the in-sample span, with its in-sample figures (null: no result for the span). */
  chosen: Scored<M> | null;
  /** The chosen config's figures on the fold (null: no result of it for the fold). */
  outOfSample: M | null;
}

const spanKey = (days: readonly string[]): string => days.join(',');

/** Group results by span (day list) and config. */
export function indexResults<T extends SpanResult>(results: readonly T[]): Map<string, Map<string, T>> {
  const out = new Map<string, Map<string, T>>();
  for (const r of results) {
    const k = spanKey(r.days);
    let m = out.get(k);
    if (!m) out.set(k, (m = new Map()));
    m.set(r.configHash, r);
  }
  return out;
}

/**
 * The walk-forward over folds of day names: each step's choice from the in-sample span's results alone,
 * then the chosen config's result on the fold.
 */
export function walkForward<M extends RankFigures>(
  folds: readonly (readonly string[])[],
  results: readonly SpanResult<M>[],
  o: Objective,
): StepOutcome<M>[] {
  const bySpan = indexResults(results);
  return walkForwardSteps(folds).map((s) => {
    const inSample = [...(bySpan.get(spanKey(s.inSample))?.values() ?? [])];
    const top = rankConfigs(inSample, o)[0] ?? null;
    const chosen = top ? { configHash: top.configHash, set: top.set, metrics: top.metrics } : null;
    const oos = chosen ? (bySpan.get(spanKey(s.outOfSample))?.get(chosen.configHash) ?? null) : null;
    return {
      fold: s.fold,
      inSampleDays: s.inSample,
      outOfSampleDays: s.outOfSample,
      ranked: inSample.length,
      chosen,
      outOfSample: oos ? oos.metrics : null,
    };
  });
}

// ------------------------------------------------------------------ the report (JSON and page)

/** The figures a report shows for a span (a subset of `Metrics`, the same numbers). */
export interface ShownFigures {
  totalReturn: number | null;
  sharpe: number | null;
  calmar: number | null;
  maxDrawdown: number;
  trades: number;
  winRate: number | null;
  pnl: number;
  fees: number;
  funding: number;
}

export const SHOWN: readonly (keyof ShownFigures)[] = [
  'totalReturn',
  'sharpe',
  'calmar',
  'maxDrawdown',
  'trades',
  'winRate',
  'pnl',
  'fees',
  'funding',
];

export function shown(m: Metrics): ShownFigures {
  return {
    totalReturn: m.totalReturn,
    sharpe: m.sharpe,
    calmar: m.calmar,
    maxDrawdown: m.drawdown.max,
    trades: m.trades,
    winRate: m.winRate,
    pnl: m.pnl,
    fees: m.fees,
    funding: m.funding,
  };
}

export interface FoldReport {
  fold: number;
  inSampleDays: string[];
  outOfSampleDays: string[];
  ranked: number;
  chosen: { configHash: string; set: ParamSet; objective: number | null; inSample: ShownFigures } | null;
  outOfSample: ShownFigures | null;
}

export interface TopConfig {
  rank: number;
  configHash: string;
  set: ParamSet;
  objective: number | null;
  inSample: ShownFigures;
  outOfSample: ShownFigures | null;
  /** Equity curves: the in-sample span's run, then the last fold's run. */
  inSampleEquity: EquityPoint[];
  outOfSampleEquity: EquityPoint[];
}

/** One point of the parameter surface: a config's parameters and its objective over the final in-sample span. */
export interface SurfacePoint {
  configHash: string;
  set: ParamSet;
  objective: number | null;
}

export interface WalkForwardReport {
  objective: Objective;
  /** How the range was split, in words (printed and on the page). */
  split: string;
  folds: string[][];
  steps: FoldReport[];
  /** The out-of-sample folds chained: Π(1 + return) − 1 and Σ net PnL of the chosen configs. */
  outOfSample: { folds: number; compoundedReturn: number | null; pnl: number };
  /** The final in-sample span (every fold but the last) and the last fold. */
  finalInSampleDays: string[];
  finalOutOfSampleDays: string[];
  top: TopConfig[];
  surface: SurfacePoint[];
}

/** A span result with its curve, as the report reads it. */
export interface CurveResult extends SpanResult<Metrics> {
  equity: EquityPoint[];
}

export function splitStatement(folds: readonly (readonly string[])[]): string {
  const f = folds.map((d, i) => `fold ${i} ${d[0]}${d.length > 1 ? ` … ${d[d.length - 1]}` : ''}`);
  return `${folds.length} consecutive folds of whole days (${f.join('; ')}); each fold after the first is out of sample for the config ranked best on every fold before it (anchored in-sample span)`;
}

/** The walk-forward report: the steps, the top configs of the final in-sample span, and the surface. */
export function walkForwardReport(
  folds: readonly (readonly string[])[],
  results: readonly CurveResult[],
  o: Objective,
  top: number,
): WalkForwardReport {
  const outcomes = walkForward(folds, results, o);
  const steps: FoldReport[] = outcomes.map((s) => ({
    fold: s.fold,
    inSampleDays: s.inSampleDays,
    outOfSampleDays: s.outOfSampleDays,
    ranked: s.ranked,
    chosen: s.chosen
      ? {
          configHash: s.chosen.configHash,
          set: s.chosen.set,
          objective: objectiveOf(s.chosen.metrics, o),
          inSample: shown(s.chosen.metrics),
        }
      : null,
    outOfSample: s.outOfSample ? shown(s.outOfSample) : null,
  }));
  let compounded: number | null = 1;
  let pnl = 0;
  let n = 0;
  for (const s of steps) {
    if (!s.outOfSample) continue;
    n++;
    pnl += s.outOfSample.pnl;
    const r = s.outOfSample.totalReturn;
    compounded = compounded !== null && r !== null ? compounded * (1 + r) : null;
  }
  const last = walkForwardSteps(folds).at(-1)!;
  const bySpan = indexResults(results);
  const finalIs = [...(bySpan.get(spanKey(last.inSample))?.values() ?? [])];
  const finalOos = bySpan.get(spanKey(last.outOfSample));
  const ranked = rankConfigs(finalIs, o);
  return {
    objective: o,
    split: splitStatement(folds),
    folds: folds.map((f) => [...f]),
    steps,
    outOfSample: { folds: n, compoundedReturn: n > 0 && compounded !== null ? compounded - 1 : null, pnl },
    finalInSampleDays: last.inSample,
    finalOutOfSampleDays: last.outOfSample,
    top: ranked.slice(0, top).map((r, i) => {
      const oos = finalOos?.get(r.configHash) ?? null;
      return {
        rank: i + 1,
        configHash: r.configHash,
        set: r.set,
        objective: objectiveOf(r.metrics, o),
        inSample: shown(r.metrics),
        outOfSample: oos ? shown(oos.metrics) : null,
        inSampleEquity: r.equity,
        outOfSampleEquity: oos ? oos.equity : [],
      };
    }),
    surface: ranked.map((r) => ({
      configHash: r.configHash,
      set: r.set,
      objective: objectiveOf(r.metrics, o),
    })),
  };
}
