/**
 * Replay a journal through the same ingest pipeline and decision engine as a live run: frames and
 * connection records rebuild the hot state, operator commands are queued, and each control tick runs the
 * decision side with the engine's clock set to the tick's time. The decision log it writes is compared
 * with the live run's (`cmp`) and with another replay (determinism).
 */
import { readJournal } from '../actors/journal/reader.ts';
import { ManualClock } from '../state/clock.ts';
import { StateBuilder } from '../state/builder.ts';
import { HotStateReader, HotStateWriter } from '../state/hotstate.ts';
import { IngestPipeline } from '../state/pipeline.ts';
import { bytesJson, type JournalRecord, RecordKind, type TickRecord } from '../state/records.ts';
import {
  type DecisionLine,
  DecisionEngine,
  type EngineConfig,
  type OperatorCommand,
} from './decision-engine.ts';

export interface ReplayOptions {
  dir: string;
  config: EngineConfig;
  out: (line: DecisionLine) => void;
  /** Only records up to (and including) this time. */
  toTime?: number;
  onProgress?: (records: number, time: number) => void;
  progressEvery?: number;
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
}

/** A decision side fed from journal records, live or replayed: the engine starts at the first tick. */
/** A run's first record: the execution records recovered from the journal at start-up (a restart). */
export interface RunStart {
  restore: unknown[];
}

/**
 * What a restart recovers from the decision lines of earlier runs: the position ledger and the trading day
 * (`exec.position`, `exec.day`), as execution records. The trading state is not carried over (a shutdown
 * halts by design); the daily-loss halt re-arms itself from the day's figures at the first tick.
 */
export function restoreRecordsFromLines(lines: Iterable<{ kind?: unknown }>): unknown[] {
  const out: unknown[] = [];
  for (const l of lines) {
    if (l.kind === 'exec.position' || l.kind === 'exec.day')
      out.push({ ...l, kind: (l.kind as string).slice(5) });
  }
  return out;
}

/** The restore records of a journal directory's earlier runs (empty when there is none). */
export function restoreFromJournal(dir: string): unknown[] {
  const lines: Array<{ kind?: unknown }> = [];
  for (const { record } of readJournal(dir, { onCorrupt: () => {} })) {
    if (record.kind !== RecordKind.Decision) continue;
    if (record.channel !== 'exec.position' && record.channel !== 'exec.day') continue;
    try {
      lines.push(bytesJson<{ kind?: unknown }>(record.data));
    } catch {
      /* a malformed record is skipped (journal verify reports it) */
    }
  }
  return restoreRecordsFromLines(lines);
}

export class DecisionFeed {
  hot!: HotStateWriter;
  reader!: HotStateReader;
  pipeline!: IngestPipeline;
  engine: DecisionEngine | null = null;
  private restore: unknown[] = [];
  ticks = 0;
  versionMismatches = 0;

  onTick: ((engine: DecisionEngine, time: number) => void) | null = null;

  constructor(
    private readonly config: EngineConfig,
    private readonly out: (line: DecisionLine) => void,
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
    this.fresh();
    this.restore = Array.isArray(run.restore) ? run.restore : [];
  }

  record(rec: JournalRecord): void {
    if (rec.kind === RecordKind.Tick || rec.kind === RecordKind.Decision) this.pipeline.process(rec);
    switch (rec.kind) {
      case RecordKind.Frame:
      case RecordKind.Conn:
        this.pipeline.process(rec);
        return;
      case RecordKind.Decision:
        if (rec.channel === 'run.start') {
          try {
            this.startRun(bytesJson<RunStart>(rec.data));
          } catch {
            this.startRun({ restore: [] });
          }
          return;
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
      this.engine = new DecisionEngine(eo);
    }
    this.ticks++;
    const commands = this.pipeline.drainCommands() as OperatorCommand[];
    this.engine.onTick({ time, version, events, commands });
    this.onTick?.(this.engine, time);
  }
}

export function replayJournal(opts: ReplayOptions): ReplayResult {
  const feed = new DecisionFeed(opts.config, opts.out);
  if (opts.onTick) feed.onTick = opts.onTick;
  let records = 0;
  let frames = 0;
  let corrupt = 0;
  let firstTime: number | null = null;
  let lastTime: number | null = null;
  const every = opts.progressEvery ?? 50_000;
  const range: { toTime?: number; onCorrupt: () => void } = { onCorrupt: () => corrupt++ };
  if (opts.toTime !== undefined) range.toTime = opts.toTime;
  for (const { record } of readJournal(opts.dir, range)) {
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
  };
}
