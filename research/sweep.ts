/**
 * Parameter sweeps: many configs over one journal range, each run a replay through the real decision side,
 * each result stored under (config hash, journal range) so nothing is recomputed.
 *
 * A run is a `RunJob` (plain data: it crosses thread and machine boundaries) answered by `runJob` with a
 * `RunResult`. The job carries the decision side's config itself (resolved and validated by the caller
 * against the config schema, which lives above this layer), so a worker needs nothing but the job and the
 * shared data. `path: 'full'` replays the journal (`replayJournal`: pipeline, hot state, decision side);
 * `path: 'fast'` replays the decision side from the range's tick tape (`tape.ts`) — the same decision log,
 * without re-parsing the market. The result names neither the path's timing nor the host: the same job
 * gives the same result on any core or machine, which the tests compare whole.
 *
 * `runSweep` takes the jobs, answers those the cache holds, hands the rest to an executor (in-process, the
 * worker pool of `pool.ts`, or the BullMQ queue of `queue.ts`) and stores each result as it comes back.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { DecisionLine, EngineConfig } from '../decision/engine.ts';
import { analyseDecisions } from '../replay/decision-log.ts';
import { replayJournal } from '../replay/replay-journal.ts';
import { decisionFacts, holdingsOf } from './backtest.ts';
import { configHash, type JournalRange, type ResultCache, resultKey } from './cache.ts';
import type { ParamSet } from './grid.ts';
import { computeMetrics, type EquityPoint, type Metrics } from './metrics.ts';
import { loadTape, recordTape, replayTape, saveTape, type Tape } from './tape.ts';

export interface RunJob {
  /** The result key: config hash and range key. */
  key: string;
  configHash: string;
  range: JournalRange;
  /** The day folders to read, in order (paths as the workers see them: shared data). */
  dayDirs: string[];
  /** The decision side's config for every run of the range. */
  config: EngineConfig;
  /** The swept parameters as given (dotted keys). */
  set: ParamSet;
  path: 'full' | 'fast';
  /** The range's tick tape (fast path). */
  tapePath?: string;
  /**
   * Read the run as a backtest does too: the equity curve sampled every `sampleMs` of journal time and
   * `computeMetrics` over it (the figures of the per-run tearsheet). Full path only (the tape replay has
   * no tick hook to sample the engine at).
   */
  figures?: { sampleMs: number };
}

/** A run's backtest figures (`RunJob.figures`): the same `computeMetrics` as `runtime backtest`. */
export interface RunFigures {
  sampleMs: number;
  firstTime: number | null;
  lastTime: number | null;
  equity: EquityPoint[];
  metrics: Metrics;
}

export interface RunStrategyFigures {
  strategy: string;
  entries: number;
  trades: number;
  wins: number;
  pnl: number;
  fees: number;
}

export interface RunResult {
  key: string;
  configHash: string;
  range: JournalRange;
  set: ParamSet;
  /** Journal records read (the fast path: as many as the tape was recorded from). */
  records: number;
  ticks: number;
  versionMismatches: number;
  /** Lines of the decision log, and SHA-256 of the log (one JSON text a line): equal logs, equal digests. */
  decisionLines: number;
  digest: string;
  entries: number;
  fills: number;
  intents: number;
  regimeChanges: number;
  alarms: number;
  tradingState: string;
  equity: number;
  realisedPnl: number;
  /** Closed round trips, won, their net PnL and every fill's fees (from the decision log). */
  trades: number;
  wins: number;
  pnl: number;
  fees: number;
  strategies: RunStrategyFigures[];
  /** With `RunJob.figures`: the equity curve and figures. */
  figures?: RunFigures;
}

export type RunJobFn = (job: RunJob) => RunResult | Promise<RunResult>;

/** Tapes loaded by this process, by path (a worker keeps the range's tape for its next jobs). */
const tapes = new Map<string, Tape>();

/**
 * The range's tape: kept by this process, else read from the file, else (a worker that finds no tape at the
 * path: another machine's sweep folder not shared yet) recorded from the job's days and saved there.
 */
function tapeFor(path: string, job: RunJob): Tape {
  let t = tapes.get(path);
  if (!t) {
    if (existsSync(path)) t = loadTape(path);
    else {
      const o: Parameters<typeof recordTape>[0] = { days: job.dayDirs, config: job.config };
      if (job.range.toTime !== null) o.toTime = job.range.toTime;
      t = recordTape(o);
      saveTape(path, t);
    }
    tapes.clear(); // one range at a time is enough; a sweep is over one range
    tapes.set(path, t);
  }
  return t;
}

/** Run one job: the decision side over the range with the job's config, read as figures. */
export function runJob(job: RunJob): RunResult {
  const h = sha256Stream();
  const kept: DecisionLine[] = [];
  const out = (l: DecisionLine): void => {
    h.line(JSON.stringify(l));
    if (KEPT.has(l.kind)) kept.push(l);
  };
  let records: number;
  let ticks: number;
  let versionMismatches: number;
  let engine: ReturnType<typeof replayJournal>['engine'];
  const sampler = job.figures ? equitySampler(job.figures.sampleMs) : null;
  let firstTime: number | null = null;
  let lastTime: number | null = null;
  if (job.path === 'fast') {
    if (sampler)
      throw new Error(`job ${job.key}: figures need the full path (the tape replay has no tick hook)`);
    if (!job.tapePath) throw new Error(`job ${job.key}: the fast path needs the range's tape`);
    const tape = tapeFor(job.tapePath, job);
    const r = replayTape(tape, job.config, out);
    records = tape.records;
    ticks = r.ticks;
    versionMismatches = r.versionMismatches;
    engine = r.engine;
  } else {
    const opts: Parameters<typeof replayJournal>[0] = {
      dir: job.dayDirs.length === 1 ? job.dayDirs[0]! : job.dayDirs,
      config: job.config,
      configFor: () => job.config,
      out,
    };
    if (job.range.toTime !== null) opts.toTime = job.range.toTime;
    if (sampler) opts.onTick = sampler.onTick;
    const r = replayJournal(opts);
    firstTime = r.firstTime;
    lastTime = r.lastTime;
    // the last state: what was open at the end is marked at the last tick (as a backtest does)
    if (sampler && r.engine && r.lastTime !== null) sampler.last(r.engine, r.lastTime);
    records = r.records;
    ticks = r.ticks;
    versionMismatches = r.versionMismatches;
    engine = r.engine;
  }
  engine?.stop();
  const s = engine?.summary;
  const d = analyseDecisions(kept);
  const strategies: RunStrategyFigures[] = [...d.strategies.values()].map((r) => ({
    strategy: r.strategy,
    entries: r.entries,
    trades: r.trades,
    wins: r.wins,
    pnl: r.pnl,
    fees: r.fees,
  }));
  const sum = (f: (r: RunStrategyFigures) => number) => strategies.reduce((a, r) => a + f(r), 0);
  const result: RunResult = {
    key: job.key,
    configHash: job.configHash,
    range: job.range,
    set: job.set,
    records,
    ticks,
    versionMismatches,
    decisionLines: h.lines,
    digest: h.digest(),
    entries: s?.entries ?? 0,
    fills: s?.fills ?? 0,
    intents: s?.intents ?? 0,
    regimeChanges: s?.regimeChanges ?? 0,
    alarms: s?.alarms ?? 0,
    tradingState: s?.tradingState ?? 'ACTIVE',
    equity: s?.equity ?? job.config.risk.startEquity,
    realisedPnl: s?.realisedPnl ?? 0,
    trades: sum((r) => r.trades),
    wins: sum((r) => r.wins),
    pnl: sum((r) => r.pnl),
    fees: sum((r) => r.fees),
    strategies,
  };
  if (sampler && job.figures) {
    const { fills, funding, trades } = decisionFacts(d, kept);
    result.figures = {
      sampleMs: job.figures.sampleMs,
      firstTime,
      lastTime,
      equity: sampler.equity,
      metrics: computeMetrics({
        equity: sampler.equity,
        trades,
        fills,
        funding,
        holdings: holdingsOf(d.trades, lastTime),
      }),
    };
  }
  return result;
}

/** The equity curve as `backtest` samples it: at the first control tick of every `sampleMs` bucket, and the end. */
function equitySampler(sampleMs: number) {
  const equity: EquityPoint[] = [];
  let lastBucket = Number.NEGATIVE_INFINITY;
  let lastSample = Number.NEGATIVE_INFINITY;
  type Engine = NonNullable<ReturnType<typeof replayJournal>['engine']>;
  const sample = (engine: Engine, t: number): void => {
    const e = engine.snapshot(t).equity;
    if (Number.isFinite(e)) equity.push({ time: t, equity: e });
    lastSample = t;
  };
  return {
    equity,
    onTick(engine: Engine, t: number): void {
      const bucket = Math.floor(t / sampleMs);
      if (bucket === lastBucket) return;
      lastBucket = bucket;
      sample(engine, t);
    },
    last(engine: Engine, t: number): void {
      if (t > lastSample) sample(engine, t);
    },
  };
}

/** The decision-log kinds the figures read (the rest is hashed, not kept). */
const KEPT = new Set([
  'exec.fill',
  'exec.position',
  'exec.day',
  'exec.intent',
  'exec.verdict',
  'strategy',
  'regime',
]);

/** SHA-256 of the log as a file holds it (each line followed by a newline), fed line by line. */
function sha256Stream(): { line: (s: string) => void; digest: () => string; lines: number } {
  const h = createHash('sha256');
  const o = {
    lines: 0,
    line(s: string) {
      h.update(s);
      h.update('\n');
      o.lines++;
    },
    digest: () => h.digest('hex'),
  };
  return o;
}

// ------------------------------------------------------------------ the sweep

export interface SweepPlan {
  range: JournalRange;
  dayDirs: string[];
  /** Each config with the parameters that made it. */
  configs: { set: ParamSet; config: EngineConfig }[];
  path: 'full' | 'fast';
}

/** The jobs of a plan (the fast path's tape path is filled in by `prepareTape`). */
export function planJobs(plan: SweepPlan, tapePath?: string, figures?: { sampleMs: number }): RunJob[] {
  const seen = new Set<string>();
  const jobs: RunJob[] = [];
  for (const c of plan.configs) {
    const hash = configHash(c.config);
    const key = resultKey(hash, plan.range.key);
    if (seen.has(key)) continue; // two sets that resolve to the same config: one run
    seen.add(key);
    const job: RunJob = {
      key,
      configHash: hash,
      range: plan.range,
      dayDirs: plan.dayDirs,
      config: c.config,
      set: c.set,
      path: plan.path,
    };
    if (plan.path === 'fast' && tapePath) job.tapePath = tapePath;
    if (figures) job.figures = { ...figures };
    jobs.push(job);
  }
  return jobs;
}

/**
 * The range's tick tape, recorded once and kept in the cache (a later sweep over the same range reads it).
 * Returns null when the range cannot be taped (a live-trading run: the sweep replays it in full).
 */
export function prepareTape(
  cache: ResultCache,
  plan: SweepPlan,
): { path: string; recorded: boolean; tape: Tape } | null {
  const path = cache.tapePath(plan.range.key);
  if (existsSync(path)) {
    try {
      const tape = loadTape(path);
      return tape.liveRuns > 0 ? null : { path, recorded: false, tape };
    } catch {
      /* a damaged tape: recorded again */
    }
  }
  const first = plan.configs[0];
  if (!first) return null;
  const o: Parameters<typeof recordTape>[0] = { days: plan.dayDirs, config: first.config };
  if (plan.range.toTime !== null) o.toTime = plan.range.toTime;
  const tape = recordTape(o);
  if (tape.liveRuns > 0) return null;
  saveTape(path, tape);
  return { path, recorded: true, tape };
}

/** Runs jobs somewhere (this thread, a worker pool, a queue), calling `onResult` as each one finishes. */
export interface Executor {
  run(jobs: readonly RunJob[], onResult: (r: RunResult) => void): Promise<void>;
  close(): Promise<void>;
}

/** Every job in this thread, one after another. */
export function inProcessExecutor(fn: RunJobFn = runJob): Executor {
  return {
    async run(jobs, onResult) {
      for (const j of jobs) onResult(await fn(j));
    },
    async close() {},
  };
}

export interface SweepOutcome {
  /** One result per job, in the jobs' order. */
  results: RunResult[];
  /** Answered from the cache, and run now. */
  cached: number;
  ran: number;
}

/** Answer the jobs from the cache where it can, run the rest on `executor`, store each new result. */
export async function runSweep(
  jobs: readonly RunJob[],
  cache: ResultCache<RunResult>,
  executor: Executor,
  onResult?: (r: RunResult, fromCache: boolean) => void,
): Promise<SweepOutcome> {
  const byKey = new Map<string, RunResult>();
  const todo: RunJob[] = [];
  for (const j of jobs) {
    const hit = cache.get(j.key);
    // a result stored without figures (a plain sweep's) does not answer a job that asks for them
    if (hit && (!j.figures || hit.figures?.sampleMs === j.figures.sampleMs)) {
      byKey.set(j.key, hit);
      onResult?.(hit, true);
    } else todo.push(j);
  }
  const cached = byKey.size;
  const wanted = new Set(todo.map((j) => j.key));
  await executor.run(todo, (r) => {
    if (!wanted.has(r.key) || byKey.has(r.key)) return; // a retried job answering twice: the first stands
    cache.put(r);
    byKey.set(r.key, r);
    onResult?.(r, false);
  });
  const missing = jobs.filter((j) => !byKey.has(j.key));
  if (missing.length)
    throw new Error(`sweep: ${missing.length} run(s) came back without a result (first ${missing[0]!.key})`);
  return { results: jobs.map((j) => byKey.get(j.key)!), cached, ran: todo.length };
}
