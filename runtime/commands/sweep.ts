/**
 * `runtime sweep <data dir> --grid sweep.json [--from --to] [--random N --seed S] [--json] [--out DIR]`:
 * many configs over one journal range, on every core here (a worker pool) or through Redis to
 * `runtime worker` processes (`--redis URL`), each result kept under (config hash, journal range).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { isDayName, journalDays, NoJournalError } from '../../actors/journal/days.ts';
import { type EngineConfig, engineConfigFrom } from '../../decision/engine.ts';
import { firstRunInfo } from '../../replay/replay-journal.ts';
import { journalRange, ResultCache } from '../../research/cache.ts';
import {
  gridSets,
  nestSet,
  type ParamSet,
  parseSweepSpec,
  randomSets,
  SweepSpecError,
} from '../../research/grid.ts';
import { poolExecutor } from '../../research/pool.ts';
import { checkRedisUrl, QueueConfigError, queueExecutor } from '../../research/queue.ts';
import { renderSweepTearsheet } from '../../research/sweep-tearsheet.ts';
import {
  type CurveResult,
  parseObjective,
  splitFolds,
  splitStatement,
  WalkForwardError,
  type WalkForwardReport,
  walkForwardReport,
  walkForwardSteps,
} from '../../research/walk-forward.ts';
import {
  type Executor,
  type RunJob,
  planJobs,
  prepareTape,
  type RunResult,
  runSweep,
  type SweepPlan,
} from '../../research/sweep.ts';
import { type Config, ConfigError, parseConfig } from '../config.ts';
import { backtestConfigResolver } from './backtest.ts';
import { COMMON_OPTIONS, configFrom, guarded, type Io, num, parse, UsageError } from './common.ts';

export const SWEEP_USAGE = `usage: runtime sweep <data dir | journal day folder> --grid sweep.json [options]

Runs many configs of the decision side over one journal range — each a replay through the real decision
side (paper execution) with the journal run's recorded config changed by one point of the sweep — and
prints them best first. Every result is stored under its config hash and the journal range, so a config
already run over the same range is read back, never recomputed.

sweep.json: {"grid": {"risk.riskPerTrade": [0.0025, 0.005], "regime.confirmTicks": [2, 3]},
             "random": {"risk.riskPerTrade": {"min": 0.001, "max": 0.01, "log": true},
                        "regime.confirmTicks": {"min": 1, "max": 6, "int": true},
                        "strategies.geometry.enabled": [true, false]},
             "fixed": {"risk.startEquity": 50000}}
  keys are dotted config paths in strategy, strategies, regime, risk, paper or health (parameters that do
  not change the market state); every config is validated by the config schema

options:
  --grid FILE         the sweep spec (required)
  --random N          N configs drawn from "random" (or from the grid's values) instead of the whole grid
  --seed S            the draw's seed (default 1): the same seed draws the same configs anywhere
  --from DAY --to DAY of a data dir, only these days (YYYY-MM-DD)
  --to-time MS        the range ends at this journal time
  --out DIR           the result cache and tick tapes (default <data dir>/sweep)
  --threads N         worker threads here (default: every core)
  --redis URL         run through BullMQ on Redis (redis://host:port[/db]) by \`runtime worker\` processes
  --queue NAME        the BullMQ queue (default hlt-sweep)
  --full              replay the journal for every config (default: the fast path — the range's tick tape,
                      recorded once, replayed per config; the same decision logs)
  --top N             configs listed (default 20; --json lists all; with --walk-forward: the top configs
                      on the page and in walkForward.top, default 10)
  --json              print the whole sweep (range, configs, every result) as one JSON object
  --walk-forward K    split the days into K consecutive folds (whole days); for each fold after the first,
                      rank the configs on every fold before it and report the top one's figures on the fold
                      (out of sample); writes the sweep tearsheet <sweep folder>/sweep.html (parameter
                      surface, top configs in and out of sample, folds, equity curves). Runs replay in full,
                      each (config, span) a cached run with its backtest figures
  --objective O       the walk-forward ranking: sharpe (default), return or calmar; ties: smaller drawdown
  --config FILE       the config for a journal that recorded none
`;

/**
 * The config of one point, as `runtime backtest --set` resolves it: the journal's first run's recorded
 * config (or `fallback` for a journal that recorded none) with the point's parameters, validated by the
 * config schema; an error names the point. The range's every run is replayed with it.
 */
export function pointConfig(
  recorded: Record<string, unknown> | null,
  fallback: Config,
  set: ParamSet,
): EngineConfig {
  try {
    return engineConfigFrom(backtestConfigResolver(fallback)(recorded, nestSet(set)));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new ConfigError(`sweep point ${JSON.stringify(set)}: ${e.message}`, e.issues);
  }
}

/** The sweep's folder: `--out`, else `sweep/` beside the journal root of the days read. */
export function sweepDir(days: readonly string[], out: string | undefined): string {
  if (out) return resolve(out);
  const first = days[0]!;
  // <data>/journal/<day> → <data>/sweep; a lone day folder → <its parent>/sweep
  return isDayName(basename(first)) ? join(dirname(dirname(first)), 'sweep') : join(dirname(first), 'sweep');
}

const fix = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '—');

export function sweepTable(results: readonly RunResult[], top: number): string {
  const rows = [...results]
    .sort((a, b) => b.pnl - a.pnl || a.configHash.localeCompare(b.configHash))
    .slice(0, top);
  const lines = ['rank  net pnl      trades  wins  fees      fills  config      parameters'];
  rows.forEach((r, i) => {
    lines.push(
      `${String(i + 1).padStart(4)}  ${fix(r.pnl).padStart(11)}  ${String(r.trades).padStart(6)}  ${String(r.wins).padStart(4)}  ${fix(r.fees).padStart(8)}  ${String(r.fills).padStart(5)}  ${r.configHash.slice(0, 10)}  ${JSON.stringify(r.set)}`,
    );
  });
  return lines.join('\n');
}

export async function sweepCommand(argv: string[], io: Io): Promise<number> {
  return guarded(io, SWEEP_USAGE, async () => {
    const { values, positionals } = parse(argv, {
      ...COMMON_OPTIONS,
      grid: { type: 'string' },
      random: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'to-time': { type: 'string' },
      out: { type: 'string' },
      threads: { type: 'string' },
      redis: { type: 'string' },
      queue: { type: 'string' },
      full: { type: 'boolean' },
      top: { type: 'string' },
      json: { type: 'boolean' },
      'walk-forward': { type: 'string' },
      objective: { type: 'string' },
    });
    if (values.help) {
      io.stdout(SWEEP_USAGE);
      return 0;
    }
    const dir = positionals[0];
    if (!dir) throw new UsageError('missing <data dir>');
    if (!values.grid) throw new UsageError('missing --grid sweep.json');
    if (values.redis !== undefined) {
      try {
        checkRedisUrl(values.redis);
      } catch (e) {
        if (e instanceof QueueConfigError) throw new UsageError(e.message);
        throw e;
      }
    }
    let days: string[];
    try {
      // absolute paths: the jobs name them to workers in other processes (and on other machines)
      days = journalDays(resolve(dir), { from: values.from, to: values.to });
    } catch (e) {
      if (e instanceof NoJournalError) throw new UsageError(e.message);
      throw e;
    }
    let specText: string;
    try {
      specText = readFileSync(values.grid, 'utf8');
    } catch (e) {
      throw new UsageError(`--grid ${values.grid}: cannot read it: ${(e as Error).message}`);
    }
    let sets: ParamSet[];
    try {
      const spec = parseSweepSpec(specText, `sweep spec ${values.grid}`);
      sets =
        values.random !== undefined
          ? randomSets(spec, num(values.random, 'random', 0), num(values.seed, 'seed', 1))
          : gridSets(spec);
    } catch (e) {
      if (e instanceof SweepSpecError) throw new ConfigError(e.message, []);
      throw e;
    }
    const fallback = typeof values.config === 'string' ? configFrom(values) : parseConfig({});
    const recorded = firstRunInfo(days[0]!)?.config ?? null;
    const configs = sets.map((set) => ({ set, config: pointConfig(recorded, fallback, set) }));
    const toTime = values['to-time'] !== undefined ? num(values['to-time'], 'to-time', 0) : undefined;
    const range = journalRange(days, toTime);
    const cache = new ResultCache<RunResult>(sweepDir(days, values.out));
    const plan: SweepPlan = { range, dayDirs: days, configs, path: values.full ? 'full' : 'fast' };
    const wf = values['walk-forward'] !== undefined ? walkForwardPlan(values, days, toTime, plan) : null;
    let tapePath: string | undefined;
    if (wf) {
      plan.path = 'full';
      io.stderr(`sweep: walk-forward: ${wf.split}`);
    } else if (plan.path === 'fast') {
      const tape = prepareTape(cache, plan);
      if (tape === null) {
        io.stderr(
          'sweep: the range has a live-trading run (answered from its venue records): replaying in full',
        );
        plan.path = 'full';
      } else {
        tapePath = tape.path;
        io.stderr(
          `sweep: tick tape ${tape.recorded ? 'recorded' : 'read back'} (${tape.tape.ticks} ticks, ${tape.tape.records} records): ${tape.path}`,
        );
      }
    }
    const jobs = wf ? wf.jobs : planJobs(plan, tapePath);
    let executor: Executor;
    let where: string;
    /** Runs per worker thread (the local pool): every core took its share. */
    let perThread: Map<number, number> | null = null;
    if (values.redis) {
      try {
        executor = queueExecutor(
          values.queue ? { redis: values.redis, queue: values.queue } : { redis: values.redis },
        );
      } catch (e) {
        if (e instanceof QueueConfigError) throw new UsageError(e.message);
        throw e;
      }
      where = `queue ${values.queue ?? 'hlt-sweep'} on ${values.redis}`;
    } else {
      const pool = poolExecutor(
        values.threads !== undefined ? { threads: num(values.threads, 'threads', 1) } : {},
      );
      perThread = pool.perThread;
      executor = pool;
      where = `${pool.threads} worker threads`;
    }
    io.stderr(
      `sweep: ${sets.length} point(s), ${jobs.length} distinct config(s), days ${range.days[0]} … ${range.days.at(-1)}, ${plan.path} path, ${where}`,
    );
    let done = 0;
    let outcome: Awaited<ReturnType<typeof runSweep>>;
    try {
      outcome = await runSweep(jobs, cache, executor, (r, cached) => {
        done++;
        if (!values.json)
          io.stderr(
            `sweep: ${done}/${jobs.length} ${cached ? 'cached' : 'ran'} ${r.configHash.slice(0, 10)} pnl ${fix(r.pnl)}`,
          );
      });
    } finally {
      await executor.close();
    }
    let report: WalkForwardReport | null = null;
    let page: string | null = null;
    if (wf) {
      const curves: CurveResult[] = [];
      for (const r of outcome.results)
        if (r.figures)
          curves.push({
            configHash: r.configHash,
            set: r.set,
            days: r.range.days,
            metrics: r.figures.metrics,
            equity: r.figures.equity,
          });
      report = walkForwardReport(wf.folds, curves, wf.objective, num(values.top, 'top', 10));
      mkdirSync(cache.dir, { recursive: true });
      page = join(cache.dir, 'sweep.html');
      writeFileSync(
        page,
        renderSweepTearsheet(report, {
          configs: configs.length,
          days: range.days,
          runs: jobs.length,
          cached: outcome.cached,
        }),
      );
      io.stderr(`sweep: tearsheet ${page}`);
    }
    if (values.json) {
      io.stdout(
        JSON.stringify({
          where,
          perThread: perThread ? [...perThread.values()] : null,
          range,
          path: plan.path,
          cacheDir: cache.dir,
          points: sets.length,
          configs: jobs.length,
          cached: outcome.cached,
          ran: outcome.ran,
          results: outcome.results,
          ...(report ? { walkForward: { ...report, tearsheet: page } } : {}),
        }),
      );
    } else if (report) {
      io.stdout(walkForwardTable(report));
    } else {
      io.stdout(sweepTable(outcome.results, num(values.top, 'top', 20)));
      io.stderr(`sweep: ${outcome.ran} ran, ${outcome.cached} from the cache (${cache.dir})`);
    }
    return 0;
  });
}

/** The walk-forward's folds and runs: each (config, span) a job with figures, over every span the steps read. */
function walkForwardPlan(
  values: { 'walk-forward'?: string | undefined; objective?: string | undefined },
  days: readonly string[],
  toTime: number | undefined,
  plan: SweepPlan,
): { folds: string[][]; split: string; objective: ReturnType<typeof parseObjective>; jobs: RunJob[] } {
  if (toTime !== undefined)
    throw new UsageError('--walk-forward splits whole days: it cannot take --to-time');
  try {
    const objective = parseObjective(values.objective);
    const k = num(values['walk-forward'], 'walk-forward', 2);
    const dirFolds = splitFolds(days, k);
    const folds = dirFolds.map((f) => f.map((d) => basename(d)));
    const spans = new Map<string, string[]>();
    for (const s of walkForwardSteps(dirFolds))
      for (const span of [s.inSample, s.outOfSample]) spans.set(span.join('\n'), span);
    const jobs: RunJob[] = [];
    for (const span of spans.values())
      jobs.push(
        ...planJobs({ ...plan, range: journalRange(span), dayDirs: span, path: 'full' }, undefined, {
          sampleMs: WALK_FORWARD_SAMPLE_MS,
        }),
      );
    return { folds, split: splitStatement(folds), objective, jobs };
  } catch (e) {
    if (e instanceof WalkForwardError) throw new UsageError(e.message);
    throw e;
  }
}

/** The equity sample step of the walk-forward's runs (as `runtime backtest`'s default). */
export const WALK_FORWARD_SAMPLE_MS = 60_000;

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(2)}%`);

/** The walk-forward as text: the split, each fold's choice and out-of-sample figures, the top configs. */
export function walkForwardTable(r: WalkForwardReport): string {
  const lines = [`walk-forward (${r.objective}): ${r.split}`, ''];
  lines.push(
    'fold  in sample                 out of sample             config      IS obj   OOS return  OOS sharpe  OOS pnl',
  );
  for (const s of r.steps) {
    const span = (d: readonly string[]) => (d.length > 1 ? `${d[0]}…${d.at(-1)}` : (d[0] ?? '—'));
    lines.push(
      `${String(s.fold).padStart(4)}  ${span(s.inSampleDays).padEnd(24)}  ${span(s.outOfSampleDays).padEnd(24)}  ${(s.chosen?.configHash.slice(0, 10) ?? 'none').padEnd(10)}  ${fix(s.chosen?.objective ?? Number.NaN, 3).padStart(7)}  ${pct(s.outOfSample?.totalReturn ?? null).padStart(10)}  ${fix(s.outOfSample?.sharpe ?? Number.NaN, 3).padStart(10)}  ${fix(s.outOfSample?.pnl ?? Number.NaN).padStart(8)}`,
    );
  }
  lines.push(
    `out of sample over ${r.outOfSample.folds} fold(s): compounded return ${pct(r.outOfSample.compoundedReturn)}, net pnl ${fix(r.outOfSample.pnl)}`,
    '',
    'rank  config      IS obj   IS return  IS maxDD  OOS return  OOS sharpe  OOS maxDD  parameters',
  );
  for (const t of r.top)
    lines.push(
      `${String(t.rank).padStart(4)}  ${t.configHash.slice(0, 10)}  ${fix(t.objective ?? Number.NaN, 3).padStart(7)}  ${pct(t.inSample.totalReturn).padStart(9)}  ${pct(t.inSample.maxDrawdown).padStart(8)}  ${pct(t.outOfSample?.totalReturn ?? null).padStart(10)}  ${fix(t.outOfSample?.sharpe ?? Number.NaN, 3).padStart(10)}  ${pct(t.outOfSample?.maxDrawdown ?? null).padStart(9)}  ${JSON.stringify(t.set)}`,
    );
  return lines.join('\n');
}
