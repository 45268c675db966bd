/**
 * `runtime sweep <data dir> --grid sweep.json [--from --to] [--random N --seed S] [--json] [--out DIR]`:
 * many configs over one journal range, on every core here (a worker pool) or through Redis to
 * `runtime worker` processes (`--redis URL`), each result kept under (config hash, journal range).
 */
import { readFileSync } from 'node:fs';
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
import {
  type Executor,
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
  --top N             configs listed (default 20; --json lists all)
  --json              print the whole sweep (range, configs, every result) as one JSON object
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
    let tapePath: string | undefined;
    if (plan.path === 'fast') {
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
    const jobs = planJobs(plan, tapePath);
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
        }),
      );
    } else {
      io.stdout(sweepTable(outcome.results, num(values.top, 'top', 20)));
      io.stderr(`sweep: ${outcome.ran} ran, ${outcome.cached} from the cache (${cache.dir})`);
    }
    return 0;
  });
}
