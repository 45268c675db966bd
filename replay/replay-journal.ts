/**
 * Replay a journal through the same ingest pipeline and decision engine as a live run: frames and
 * connection records rebuild the hot state, operator commands are queued, and each control tick runs the
 * decision side with the engine's clock set to the tick's time. The decision log it writes is compared
 * with the live run's (`cmp`) and with another replay (determinism). A run whose `run.start` names the
 * live venue is replayed against a `ReplayVenue`: it answers with the live venue's journaled answers
 * (`RecordKind.Venue`), delivered at the ticks they were delivered live, and checks that the replay asks
 * for the orders the live run asked for (its `exec.order` records).
 */
import { journalDays, NoJournalError, readDays } from '../actors/journal/days.ts';
import { type JournalEntry, type ReadOptions, readJournal } from '../actors/journal/reader.ts';
import { deliverAtTick } from '../actors/venue/journaled.ts';
import { ReplayVenue } from '../actors/venue/replay.ts';
import { ManualClock } from '../state/clock.ts';
import { StateBuilder } from '../state/builder.ts';
import { HotStateReader, HotStateWriter } from '../state/hotstate.ts';
import { IngestPipeline, splitTickItems } from '../state/pipeline.ts';
import { bytesJson, type JournalRecord, RecordKind, type TickRecord } from '../state/records.ts';
import {
  type DecisionLine,
  DecisionEngine,
  type EngineConfig,
  type OperatorCommand,
} from '../decision/engine.ts';

/** A day folder, or several day folders read as one stream, in order (a run may cross midnight). */
export type JournalSource = string | readonly string[];

function readSource(src: JournalSource, opts: ReadOptions): Iterable<JournalEntry> {
  return typeof src === 'string' ? readJournal(src, opts) : readDays(src, opts);
}

export interface ReplayOptions {
  /** The journal: one day folder, or the days of a data dir in order (one stream: one pipeline, one engine). */
  dir: JournalSource;
  config: EngineConfig;
  out: (line: DecisionLine) => void;
  /** Only records up to (and including) this time. */
  toTime?: number;
  onProgress?: (records: number, time: number) => void;
  progressEvery?: number;
  /** Each run's engine config from its `run.start` record (see `DecisionFeed`). */
  configFor?: (run: RunInfo) => EngineConfig;
  /** After each control tick, with the engine as it stands (read-only use: reports, dashboards). */
  onTick?: (engine: DecisionEngine, time: number) => void;
}

export interface ReplayResult {
  records: number;
  frames: number;
  ticks: number;
  /** Ticks whose journaled hot-state version differs from the replayed one (must be 0). */
  versionMismatches: number;
  corrupt: number;
  firstTime: number | null;
  lastTime: number | null;
  engine: DecisionEngine | null;
  pipeline: IngestPipeline;
  /** The replay venue of the last run, when it traded live (null: paper). */
  venue: ReplayVenue | null;
  /** Venue reports in the journal of a run that names no live venue (nothing can apply them). */
  undeliveredReports: number;
}

/** A run's first record: what the process recovered at start-up (a restart) and what it ran with. */
export interface RunStart {
  restore: unknown[];
  /** The coins, venue and (redacted) config the run used (absent in journals written before they were recorded). */
  run?: RunInfo;
}

export interface RunInfo {
  coins: string[];
  /** `live`: the run traded through the live venue — its replay answers from the journaled venue records. */
  venue: 'paper' | 'live';
  network: string;
  /** The account the live venue traded for (live only; absent in journals written before it was recorded). */
  account?: string;
  /** The effective config, secrets redacted. */
  config: Record<string, unknown>;
}

/** The trading state a restart resumes with. */
export interface RecoveredTrading {
  state: 'ACTIVE' | 'REDUCING' | 'HALTED';
  reason: string;
}

/**
 * What a restart recovers from the decision lines of earlier runs, as execution records: the position ledger
 * (`exec.position`), the trading day (`exec.day`) and the trading state with its reason (`exec.trading`) —
 * a halt, whoever set it, survives restarts until an operator resets it. A run's own shutdown (the
 * `SHUTDOWN` command: flatten and halt, or keep positions and reduce) is not a trading decision: trading
 * changes after it are not carried over. A `run.start` record carries everything its process recovered, so
 * a later run resumes the chain from there, across days.
 */
export class RestoreBuilder {
  private out: unknown[] = [];
  private shutdown = false;
  runs = 0;

  /** The current run ended with its own shutdown (not a crash). */
  get ended(): boolean {
    return this.shutdown;
  }

  /** A `run.start` record: everything before it is summed up in its `restore`. */
  runStart(restore: readonly unknown[]): void {
    this.out = [...restore];
    this.shutdown = false;
    this.runs++;
  }

  line(l: { kind?: unknown; command?: unknown }): void {
    if (l.kind === 'operator.applied' && l.command === 'SHUTDOWN') this.shutdown = true;
    else if (l.kind === 'exec.position' || l.kind === 'exec.day')
      this.out.push({ ...l, kind: (l.kind as string).slice(5) });
    else if (l.kind === 'exec.trading' && !this.shutdown) this.out.push({ ...l, kind: 'trading' });
  }

  records(): unknown[] {
    return [...this.out];
  }

  /** The last trading state among the records (null: none, i.e. ACTIVE). */
  trading(): RecoveredTrading | null {
    return tradingOfRecords(this.out);
  }
}

/** The last trading state among restore records (null: none, i.e. ACTIVE). */
export function tradingOfRecords(records: readonly unknown[]): RecoveredTrading | null {
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i] as { kind?: unknown; state?: unknown; reason?: unknown } | null;
    if (r?.kind === 'trading' && (r.state === 'ACTIVE' || r.state === 'REDUCING' || r.state === 'HALTED'))
      return { state: r.state, reason: typeof r.reason === 'string' ? r.reason : '' };
  }
  return null;
}

export function restoreRecordsFromLines(lines: Iterable<{ kind?: unknown }>): unknown[] {
  const b = new RestoreBuilder();
  for (const l of lines) b.line(l);
  return b.records();
}

const RESTORE_CHANNELS = new Set(['exec.position', 'exec.day', 'exec.trading', 'operator.applied']);

/** The engine config of a run from what it recorded (null: a journal that recorded none). */
export type RunConfigFor = (run: RunInfo | null) => EngineConfig;

/**
 * Recover from one journal directory (a day): its runs' chain of restore records. A run that ended without
 * its own shutdown (a crash, SIGKILL) is replayed from its `run.start` when `configFor` is given: the journal
 * holds every tick that run acted on (ticks are durable before they are handed on), but the decision records
 * of its last tick may not have reached the disk — a position it opened there is still recovered.
 */
export function recoverFromJournal(dir: JournalSource, configFor?: RunConfigFor): RestoreBuilder {
  const b = new RestoreBuilder();
  let last: { seq: number; restore: unknown[]; run: RunInfo | null } | null = null;
  for (const { record } of readSource(dir, { onCorrupt: () => {} })) {
    if (record.kind !== RecordKind.Decision) continue;
    if (record.channel === 'run.start') {
      let r: Partial<RunStart> = {};
      try {
        r = bytesJson<Partial<RunStart>>(record.data);
      } catch {
        /* a malformed run.start: an empty one */
      }
      const restore = Array.isArray(r.restore) ? r.restore : [];
      b.runStart(restore);
      last = { seq: record.seq, restore, run: r.run ?? null };
      continue;
    }
    if (!RESTORE_CHANNELS.has(record.channel)) continue;
    try {
      b.line(bytesJson<{ kind?: unknown }>(record.data));
    } catch {
      /* a malformed record is skipped (journal verify reports it) */
    }
  }
  if (!configFor || !last || b.ended) return b;
  const replayed = new RestoreBuilder();
  replayed.runStart(last.restore);
  replayed.runs = b.runs;
  const feed = new DecisionFeed(
    configFor(last.run),
    (l) => replayed.line(l),
    (run) => configFor(run),
  );
  for (const { record } of readSource(dir, { fromSeq: last.seq, onCorrupt: () => {} })) feed.record(record);
  feed.engine?.stop();
  return replayed;
}

export interface Recovered {
  /** The day folder recovered from (null: no earlier run). */
  dir: string | null;
  records: unknown[];
  trading: RecoveredTrading | null;
}

/**
 * What a process starting at `now` recovers from a data dir's journal (`<dataDir>/journal`): from the latest day
 * folder up to today that holds a run (today's, or the last trading day's when this is the day's first run),
 * read together with the days after it — a run that crossed midnight went on journaling into the next day.
 */
export function restoreFromDataDir(journalRoot: string, now: number, configFor?: RunConfigFor): Recovered {
  let days: string[] = [];
  try {
    days = journalDays(journalRoot, { to: new Date(now).toISOString().slice(0, 10) });
  } catch (e) {
    if (!(e instanceof NoJournalError)) throw e; // nothing journaled yet: a first start
  }
  for (let i = days.length - 1; i >= 0; i--) {
    const b = recoverFromJournal(i === days.length - 1 ? days[i]! : days.slice(i), configFor);
    if (b.runs > 0) return { dir: days[i]!, records: b.records(), trading: b.trading() };
  }
  return { dir: null, records: [], trading: null };
}

export class DecisionFeed {
  hot!: HotStateWriter;
  reader!: HotStateReader;
  pipeline!: IngestPipeline;
  engine: DecisionEngine | null = null;
  /** The run's venue when it traded live (its `run.start` names the live venue); null: the paper venue. */
  venue: ReplayVenue | null = null;
  private restore: unknown[] = [];
  ticks = 0;
  versionMismatches = 0;
  /** Venue reports of a run with no live venue: nothing places orders there, nothing can apply them. */
  undeliveredReports = 0;
  /** Tick inputs that were neither an operator command nor a venue report. */
  badTickItems = 0;

  onTick: ((engine: DecisionEngine, time: number) => void) | null = null;

  /** The run the feed is in (from its `run.start` record), when the journal recorded it. */
  run: RunInfo | null = null;

  /**
   * @param configFor the engine config of a run, from what its `run.start` recorded (replay takes each run's
   *   own coins and config); without it, or for a run that recorded none, `config` applies.
   */
  constructor(
    private config: EngineConfig,
    private readonly out: (line: DecisionLine) => void,
    private readonly configFor: ((run: RunInfo) => EngineConfig) | null = null,
  ) {
    this.fresh();
  }

  /** A new process's ingest state: empty hot state and pipeline (as a restarted ingest worker has). */
  private fresh(): void {
    this.hot = HotStateWriter.create(this.config.coins);
    this.reader = HotStateReader.attach(this.hot.sab, this.hot.layout);
    this.pipeline = new IngestPipeline({
      builder: new StateBuilder({ coins: this.config.coins, hot: this.hot }),
    });
  }

  /** A `run.start` record: the live process restarted here. */
  startRun(run: RunStart): void {
    this.engine?.stop();
    this.engine = null;
    this.run = run.run ?? null;
    if (this.run && this.configFor) this.config = this.configFor(this.run);
    // a new process: a new venue connection; a live one is answered from the journal
    this.venue = this.run?.venue === 'live' ? new ReplayVenue() : null;
    this.fresh();
    this.restore = Array.isArray(run.restore) ? run.restore : [];
  }

  record(rec: JournalRecord): void {
    // a run.start goes to the pipeline of the run it starts (below, after `startRun` made it), as the live worker's
    if (rec.kind === RecordKind.Tick || (rec.kind === RecordKind.Decision && rec.channel !== 'run.start'))
      this.pipeline.process(rec);
    switch (rec.kind) {
      case RecordKind.Frame:
      case RecordKind.Conn:
      case RecordKind.Venue:
        this.pipeline.process(rec);
        return;
      case RecordKind.Decision:
        if (rec.channel === 'run.start') {
          try {
            this.startRun(bytesJson<RunStart>(rec.data));
          } catch {
            this.startRun({ restore: [] });
          }
          this.pipeline.process(rec);
          return;
        }
        // the live run's own orders: what the replay must ask the venue for
        if (this.venue !== null && rec.channel === 'exec.order') {
          try {
            this.venue.expectLine(bytesJson(rec.data));
          } catch {
            /* a malformed record is skipped (journal verify reports it) */
          }
        }
        return; // operator commands were queued by the pipeline
      case RecordKind.Tick: {
        const version = this.hot.version();
        try {
          const t = bytesJson<Partial<TickRecord>>(rec.data);
          if (typeof t.version === 'number' && t.version !== version) this.versionMismatches++;
        } catch {
          /* tick without payload */
        }
        this.tick(rec.time, version);
        return;
      }
    }
  }

  tick(time: number, version: number, events = this.pipeline.drainEvents()): void {
    if (!this.engine) {
      const eo: ConstructorParameters<typeof DecisionEngine>[0] = {
        config: this.config,
        clock: new ManualClock(time),
        reader: this.reader,
        out: this.out,
      };
      // a restarted run: the position ledger recovered from earlier runs (its run.start record)
      if (this.restore.length > 0) eo.restore = this.restore;
      if (this.venue !== null) eo.venue = this.venue;
      this.engine = new DecisionEngine(eo);
    }
    this.ticks++;
    const items = splitTickItems(this.pipeline.drainCommands());
    this.badTickItems += items.bad;
    if (this.venue === null) this.undeliveredReports += items.reports.length;
    deliverAtTick(this.engine, this.venue, time, items.reports);
    this.engine.onTick({ time, version, events, commands: items.commands as OperatorCommand[] });
    this.onTick?.(this.engine, time);
  }
}

/** The run information of the journal's first run (null: none recorded, e.g. an older journal). */
export function firstRunInfo(dir: string): RunInfo | null {
  for (const { record } of readJournal(dir, { onCorrupt: () => {} })) {
    if (record.kind !== RecordKind.Decision || record.channel !== 'run.start') continue;
    try {
      return bytesJson<Partial<RunStart>>(record.data).run ?? null;
    } catch {
      return null;
    }
  }
  return null;
}

export function replayJournal(opts: ReplayOptions): ReplayResult {
  const feed = new DecisionFeed(opts.config, opts.out, opts.configFor ?? null);
  if (opts.onTick) feed.onTick = opts.onTick;
  let records = 0;
  let frames = 0;
  let corrupt = 0;
  let firstTime: number | null = null;
  let lastTime: number | null = null;
  const every = opts.progressEvery ?? 50_000;
  const range: { toTime?: number; onCorrupt: () => void } = { onCorrupt: () => corrupt++ };
  if (opts.toTime !== undefined) range.toTime = opts.toTime;
  for (const { record } of readSource(opts.dir, range)) {
    records++;
    if (record.kind === RecordKind.Frame) frames++;
    firstTime ??= record.time;
    lastTime = record.time;
    feed.record(record);
    if (opts.onProgress && records % every === 0) opts.onProgress(records, record.time);
  }
  // the journal was cut at `toTime`: what was due by then (e.g. a fill after the venue's latency) happens
  if (opts.toTime !== undefined) feed.engine?.advanceTo(opts.toTime);
  return {
    records,
    frames,
    ticks: feed.ticks,
    versionMismatches: feed.versionMismatches,
    corrupt,
    firstTime,
    lastTime,
    engine: feed.engine,
    pipeline: feed.pipeline,
    venue: feed.venue,
    undeliveredReports: feed.undeliveredReports,
  };
}
