/** `runtime backtest <data dir> [--from --to] [--set key=value …] [--json] [--out tearsheet.html]`. */
import { writeFileSync } from 'node:fs';
import { NoJournalError } from '../../actors/journal/days.ts';
import {
  BacktestError,
  type BacktestResult,
  backtest,
  type ConfigResolver,
  parseSetArgs,
} from '../../research/backtest.ts';
import type { Metrics } from '../../research/metrics.ts';
import { renderTearsheet } from '../../research/tearsheet.ts';
import { type Config, mergeDeep, parseConfig } from '../config.ts';
import { createProgress } from '../progress.ts';
import {
  COMMON_OPTIONS,
  configFrom,
  guarded,
  type Io,
  parse,
  UsageError,
  upgradeRecordedConfig,
} from './common.ts';

export const BACKTEST_USAGE = `usage: runtime backtest <data dir | journal day folder> [options]

Replays a journal through the real decision side (paper execution: fees and hourly funding at the venue's
rate on open positions) with the config its run recorded, changed by --set, and prints the figures:
total / annualised return, volatility, Sharpe, Sortino, Calmar, max drawdown and its duration, trades per
day, win rate, profit factor, expectancy, winners / losers, exposure, turnover, fees and funding — each
trade figure also split by strategy, coin and regime. The result is keyed by the config's hash and the
journal range.

options:
  --from DAY --to DAY   of a data dir, only the days from / to these (YYYY-MM-DD)
  --set KEY=VALUE       change a config value (dotted path, JSON value), e.g. --set risk.startEquity=50000
                        --set strategies.geometry.enabled=false (repeatable)
  --config FILE         the config for a journal that recorded none (default: the built-in defaults)
  --json                print the whole result (config, hash, range, trades, equity, metrics) as JSON
  --out FILE            write the tearsheet (static HTML: equity, drawdown, figures, regimes over price)
  --sample-ms MS        the equity curve's sample step in journal time (default 60000)
`;

const isPlain = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === 'object' && !Array.isArray(x);

/**
 * The config a backtest (or a sweep's run) uses: the journal run's recorded config (upgraded to today's
 * shape), or `fallback` for a journal that recorded none, with the `--set` overrides merged over it and
 * validated by the config schema (an unknown key or a bad value is a ConfigError naming it).
 */
export function backtestConfigResolver(fallback: Config = parseConfig({})): ConfigResolver {
  return (recorded, overrides) => {
    const upgraded = recorded ? upgradeRecordedConfig(recorded) : fallback;
    const base = isPlain(upgraded) ? upgraded : {};
    return parseConfig(mergeDeep(base, overrides), 'backtest config (the recorded run + --set)');
  };
}

const pct = (x: number | null): string => (x === null ? '—' : `${(x * 100).toFixed(2)} %`);
const fix = (x: number | null, d = 2): string => (x === null ? '—' : x.toFixed(d));

/** The figures in a few lines for the terminal. */
export function summaryText(r: BacktestResult): string {
  const m: Metrics = r.metrics;
  return [
    `backtest ${r.range.firstDay ?? '?'} … ${r.range.lastDay ?? '?'} (${r.range.days.length} days, ${r.replay.records} records), config ${r.configHash.slice(0, 12)}`,
    `return ${pct(m.totalReturn)} (annualised ${pct(m.annualisedReturn)}), volatility ${pct(m.volatility)}, Sharpe ${fix(m.sharpe)}, Sortino ${fix(m.sortino)}, Calmar ${fix(m.calmar)}`,
    `max drawdown ${pct(m.drawdown.max)} over ${(m.drawdown.durationMs / 3_600_000).toFixed(2)} h${m.drawdown.recovered ? '' : ' (not recovered)'}`,
    `trades ${m.trades} (${fix(m.tradesPerDay)} a day), win rate ${pct(m.winRate)}, profit factor ${fix(m.profitFactor)}, expectancy ${fix(m.expectancy)}`,
    `exposure ${pct(m.exposure)}, turnover ${fix(m.turnover)}, fees ${fix(m.fees)}, funding ${fix(m.funding, 4)}`,
  ].join('\n');
}

export async function backtestCommand(argv: string[], io: Io): Promise<number> {
  return guarded(io, BACKTEST_USAGE, async () => {
    const { values, positionals } = parse(argv, {
      ...COMMON_OPTIONS,
      from: { type: 'string' },
      to: { type: 'string' },
      set: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      out: { type: 'string' },
      'sample-ms': { type: 'string' },
    });
    if (values.help) {
      io.stdout(BACKTEST_USAGE);
      return 0;
    }
    const dir = positionals[0];
    if (!dir) throw new UsageError('missing <data dir>');
    const sampleMs = values['sample-ms'] === undefined ? 60_000 : Number(values['sample-ms']);
    if (!(Number.isFinite(sampleMs) && sampleMs > 0))
      throw new UsageError(`--sample-ms must be a positive number, got '${values['sample-ms']}'`);
    const progress = createProgress({ total: 0, label: 'backtest', stream: process.stderr, unit: 'records' });
    let result: BacktestResult;
    try {
      const fallback = typeof values.config === 'string' ? configFrom(values) : parseConfig({});
      const opts: Parameters<typeof backtest>[0] = {
        dataDir: dir,
        set: parseSetArgs(values.set ?? []),
        resolveConfig: backtestConfigResolver(fallback),
        sampleMs,
        onProgress: (records) => progress.update(records),
      };
      if (values.from !== undefined) opts.from = values.from;
      if (values.to !== undefined) opts.to = values.to;
      result = backtest(opts);
    } catch (e) {
      if (e instanceof NoJournalError || e instanceof BacktestError) throw new UsageError(e.message);
      throw e;
    } finally {
      progress.finish();
    }
    if (values.out) writeFileSync(values.out, renderTearsheet(result));
    io.stdout(values.json ? JSON.stringify(result) : summaryText(result));
    return result.replay.versionMismatches > 0 ? 1 : 0;
  });
}
