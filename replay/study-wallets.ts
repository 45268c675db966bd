/**
 * Does the manipulator flag carry information? (issue 18: the roadmap's hypothesis, measured.)
 *
 * One pass over a journal (a data dir, or a simulator session made in memory) through the same ingest
 * pipeline and decision side as a replay. At every control tick each coin's hot-state slot is read as
 * the decision side saw it: mid, `isManipulatorActive`, `manipulatorDirection`. A second state builder
 * over the same records (its wallet tracker on, as configured) gives the class facts and the cascades
 * the builder saw (`oiDrop` with one-sided flow). Then, per horizon h (10 s, 1 min, 5 min), on samples
 * one per h per coin (non-overlapping, so the intervals are not made narrow by overlap):
 * - forward mid return ln(mid(t+h) / mid(t)), in bps: all samples, and the flagged ones signed in the
 *   manipulator's direction (+ = the price went its way), with normal 95 % intervals;
 * - cascade incidence: the share of samples with a cascade starting on the coin in (t, t+h], flagged vs
 *   all, with Wilson 95 % intervals;
 * and the strategies' PnL from the same replay's decision log, filter off (as run) and on: the round trips
 * whose entry the filter would have refused (flag active against the entry's side at its open) removed.
 * The filter-on figure holds the rest of the run fixed (a refused entry would have left its lease free
 * for another entry); it is the first-order effect.
 */
import { readDays } from '../actors/journal/days.ts';
import type { DecisionLine, EngineConfig } from '../decision/engine.ts';
import { StateBuilder } from '../state/builder.ts';
import { F } from '../state/hotstate-layout.ts';
import { IngestPipeline } from '../state/pipeline.ts';
import { type JournalRecord, RecordKind } from '../state/records.ts';
import type { WalletClassFact, WalletConfig } from '../state/wallets.ts';
import { walletFilterRefusal } from '../strategies/definition.ts';
import { analyseDecisions } from './decision-log.ts';
import { DecisionFeed, type RunInfo } from './replay-journal.ts';
import { simSession } from './sim-session.ts';

export const HORIZONS_MS = [10_000, 60_000, 300_000] as const;

export interface Interval {
  n: number;
  mean: number | null;
  lo: number | null;
  hi: number | null;
}

export interface HorizonRow {
  horizonMs: number;
  /** Forward return (bps), every sample. */
  returnAll: Interval;
  /** Forward return (bps) in the manipulator's direction, flagged samples. */
  returnFlagged: Interval;
  /** Cascade incidence in (t, t+h]: every sample, flagged samples, unflagged samples. */
  cascadeAll: Interval;
  cascadeFlagged: Interval;
  cascadeUnflagged: Interval;
}

export interface PnlRow {
  strategy: string;
  trades: number;
  pnlOff: number;
  /** Round trips the filter would have refused, and their PnL. */
  refused: number;
  refusedPnl: number;
  pnlOn: number;
}

export interface WalletsStudy {
  source: string;
  coins: string[];
  records: number;
  samples: number;
  flaggedSamples: number;
  cascades: number;
  facts: WalletClassFact[];
  horizons: HorizonRow[];
  pnl: PnlRow[];
  /** The refusals, as the filter would have logged them (the first few). */
  refusals: { coin: string; strategy: string; t: number; reason: string }[];
  ms: number;
}

interface Sample {
  t: number;
  mid: number;
  active: boolean;
  dir: number;
}

/** Mean with a normal 95 % interval. */
export function meanInterval(xs: readonly number[]): Interval {
  const n = xs.length;
  if (n === 0) return { n, mean: null, lo: null, hi: null };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean, lo: null, hi: null };
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  const half = 1.96 * Math.sqrt(v / n);
  return { n, mean, lo: mean - half, hi: mean + half };
}

/** A proportion with its Wilson 95 % interval. */
export function wilson(k: number, n: number): Interval {
  if (n === 0) return { n, mean: null, lo: null, hi: null };
  const z = 1.96;
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return { n, mean: p, lo: Math.max(0, c - h), hi: Math.min(1, c + h) };
}

/** The index of the last sample at or before t (−1: none). */
function atOrBefore(s: readonly Sample[], t: number): number {
  let lo = 0;
  let hi = s.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    if (s[m]!.t <= t) {
      ans = m;
      lo = m + 1;
    } else hi = m - 1;
  }
  return ans;
}

/** The study's figures from per-coin samples, cascade starts and the decision log (pure). */
export function studyFigures(
  samples: ReadonlyMap<string, readonly Sample[]>,
  cascades: ReadonlyMap<string, readonly number[]>,
  log: readonly DecisionLine[],
): { horizons: HorizonRow[]; pnl: PnlRow[]; refusals: WalletsStudy['refusals'] } {
  const horizons = HORIZONS_MS.map((h) => {
    const all: number[] = [];
    const flagged: number[] = [];
    let cAll = 0;
    let nAll = 0;
    let cFl = 0;
    let nFl = 0;
    for (const [coin, s] of samples) {
      const cs = cascades.get(coin) ?? [];
      let bucket = Number.NaN;
      for (let i = 0; i < s.length; i++) {
        const x = s[i]!;
        const b = Math.floor(x.t / h);
        if (b === bucket) continue;
        bucket = b;
        const j = atOrBefore(s, x.t + h);
        const last = s[s.length - 1]!;
        if (last.t < x.t + h || !(x.mid > 0)) continue;
        const y = s[j]!;
        if (!(y.mid > 0)) continue;
        const r = Math.log(y.mid / x.mid) * 1e4;
        const hit = cs.some((c) => c > x.t && c <= x.t + h);
        all.push(r);
        nAll++;
        if (hit) cAll++;
        if (x.active && x.dir !== 0) {
          flagged.push(x.dir * r);
          nFl++;
          if (hit) cFl++;
        }
      }
    }
    return {
      horizonMs: h,
      returnAll: meanInterval(all),
      returnFlagged: meanInterval(flagged),
      cascadeAll: wilson(cAll, nAll),
      cascadeFlagged: wilson(cFl, nFl),
      cascadeUnflagged: wilson(cAll - cFl, nAll - nFl),
    };
  });
  const read = analyseDecisions(log);
  const rows = new Map<string, PnlRow>();
  const refusals: WalletsStudy['refusals'] = [];
  for (const tr of read.trades) {
    if (tr.pnl === null) continue;
    let row = rows.get(tr.strategy);
    if (!row) {
      row = { strategy: tr.strategy, trades: 0, pnlOff: 0, refused: 0, refusedPnl: 0, pnlOn: 0 };
      rows.set(tr.strategy, row);
    }
    row.trades++;
    row.pnlOff += tr.pnl;
    const s = samples.get(tr.coin) ?? [];
    const k = atOrBefore(s, tr.openTime);
    const x = k >= 0 ? s[k]! : undefined;
    const flags = x ? { isManipulatorActive: x.active ? 1 : 0, manipulatorDirection: x.dir } : undefined;
    const why = walletFilterRefusal(true, tr.side, flags);
    if (why !== null) {
      row.refused++;
      row.refusedPnl += tr.pnl;
      if (refusals.length < 20)
        refusals.push({ coin: tr.coin, strategy: tr.strategy, t: tr.openTime, reason: why });
    } else row.pnlOn += tr.pnl;
  }
  return { horizons, pnl: [...rows.values()].sort((a, b) => (a.strategy < b.strategy ? -1 : 1)), refusals };
}

export interface StudyOptions {
  config: EngineConfig;
  wallets?: Partial<WalletConfig>;
  /** A journal's days, in order, or a simulator scenario played in memory. */
  source: { days: readonly string[] } | { scenario: string; seed: number; durationMs?: number };
  configFor?: (run: RunInfo) => EngineConfig;
  now?: () => number;
  onLine?: (l: DecisionLine) => void;
}

export function studyWallets(opts: StudyOptions): WalletsStudy {
  const now = opts.now ?? (() => 0);
  const started = now();
  const coins = [...opts.config.coins];
  const log: DecisionLine[] = [];
  const feed = new DecisionFeed(
    opts.config,
    (l) => {
      log.push(l);
      opts.onLine?.(l);
    },
    opts.configFor ?? null,
  );
  const samples = new Map<string, Sample[]>(coins.map((c) => [c, []]));
  const buf = feed.reader.newSlotBuffer();
  feed.onTick = (_engine, t) => {
    const lc = feed.hot.layout.coins;
    for (let i = 0; i < lc.length; i++) {
      if (!feed.reader.read(i, buf)) continue;
      let s = samples.get(lc[i]!);
      if (!s) {
        s = [];
        samples.set(lc[i]!, s);
      }
      s.push({
        t,
        mid: buf[F.mid]!,
        active: buf[F.isManipulatorActive] === 1,
        dir: buf[F.manipulatorDirection]!,
      });
    }
  };
  // the second builder: class facts and the cascades it saw
  const builder = new StateBuilder({ coins, wallets: opts.wallets ?? {} });
  const facts: WalletClassFact[] = [];
  if (builder.wallets) builder.wallets.onFact = (f) => facts.push(f);
  const cascades = new Map<string, number[]>();
  const pipeline = new IngestPipeline({
    builder,
    onDerived: (e) => {
      if (e.type !== 'oiDrop') return;
      const l = cascades.get(e.coin) ?? [];
      l.push(e.time);
      cascades.set(e.coin, l);
    },
  });
  let records = 0;
  const take = (rec: JournalRecord) => {
    records++;
    feed.record(rec);
    pipeline.process(rec);
    if (rec.kind === RecordKind.Tick) {
      pipeline.drainEvents();
      pipeline.drainCommands();
    }
  };
  let source: string;
  if ('days' in opts.source) {
    source = opts.source.days.length === 1 ? opts.source.days[0]! : `${opts.source.days.length} days`;
    for (const { record } of readDays(opts.source.days, {})) take(record);
  } else {
    const s = opts.source;
    source = `scenario ${s.scenario}, seed ${s.seed}`;
    const so: Parameters<typeof simSession>[0] = {
      seed: s.seed,
      scenario: s.scenario,
      coins,
      tickMs: opts.config.tickMs,
      fast: opts.config.health.fastBook,
      onRecord: take,
    };
    if (s.durationMs !== undefined) so.durationMs = s.durationMs;
    simSession(so);
  }
  feed.engine?.stop();
  const fig = studyFigures(samples, cascades, log);
  let n = 0;
  let fl = 0;
  for (const s of samples.values()) {
    n += s.length;
    for (const x of s) if (x.active) fl++;
  }
  return {
    source,
    coins,
    records,
    samples: n,
    flaggedSamples: fl,
    cascades: [...cascades.values()].reduce((a, l) => a + l.length, 0),
    facts,
    ...fig,
    ms: now() - started,
  };
}

const f2 = (x: number | null, d = 2) => (x === null ? '—' : x.toFixed(d));
const ci = (i: Interval, d = 2) =>
  i.mean === null ? '— (n 0)' : `${f2(i.mean, d)} [${f2(i.lo, d)}, ${f2(i.hi, d)}] (n ${i.n})`;
const pctI = (i: Interval) =>
  i.mean === null
    ? '— (n 0)'
    : `${(i.mean * 100).toFixed(1)} % [${((i.lo ?? 0) * 100).toFixed(1)}, ${((i.hi ?? 0) * 100).toFixed(1)}] (n ${i.n})`;

export function formatWalletsStudy(s: WalletsStudy): string {
  const lines = [
    `wallet study: ${s.source}, coins ${s.coins.join(',')} — ${s.records} records, ${s.samples} tick samples ` +
      `(${s.flaggedSamples} with a manipulator active), ${s.cascades} cascades seen, ${s.facts.length} class facts`,
    'forward mid return (bps, mean [95 % CI] (n)): all samples | flagged, in the manipulator’s direction',
  ];
  for (const h of s.horizons)
    lines.push(
      `  ${String(h.horizonMs / 1000).padStart(4)} s   ${ci(h.returnAll)}   |   ${ci(h.returnFlagged)}`,
    );
  lines.push('cascade starting within the horizon (share [95 % Wilson CI] (n)): all | flagged | unflagged');
  for (const h of s.horizons)
    lines.push(
      `  ${String(h.horizonMs / 1000).padStart(4)} s   ${pctI(h.cascadeAll)}   |   ${pctI(h.cascadeFlagged)}   |   ${pctI(h.cascadeUnflagged)}`,
    );
  lines.push(
    'strategies’ PnL in this replay, wallet filter off (as run) vs on (entries against the flag refused):',
  );
  if (s.pnl.length === 0) lines.push('  no closed round trips');
  for (const p of s.pnl)
    lines.push(
      `  ${p.strategy.padEnd(11)} trades ${String(p.trades).padStart(4)}  off ${p.pnlOff.toFixed(2).padStart(9)}  ` +
        `on ${p.pnlOn.toFixed(2).padStart(9)}  (refused ${p.refused}, their PnL ${p.refusedPnl.toFixed(2)})`,
    );
  for (const r of s.refusals.slice(0, 5))
    lines.push(`  refused: ${r.strategy} ${r.coin} ${new Date(r.t).toISOString()} — ${r.reason}`);
  return `${lines.join('\n')}\n`;
}
