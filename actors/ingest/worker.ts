/**
 * The ingest worker (hot path, outside every actor mailbox): drains the SPSC ring in order and, for each
 * record, journals it first, then runs it through the ingest pipeline (parse → gaps → state builder →
 * hot state). A control tick is journaled with the hot-state version it stands at and handed to the main
 * thread, and the worker waits for the decision side to finish reading before it applies anything else,
 * so live decisions see exactly the state a replay of the journal reproduces.
 *
 * Between bursts the worker busy-polls the ring for `spinUs` after the last record (in slices, letting
 * its event loop turn in between), then sleeps on `Atomics.waitAsync` until the producer notifies it.
 */
import { basename } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { StateBuilder } from '../../state/builder.ts';
import { HotStateWriter } from '../../state/hotstate.ts';
import { IngestPipeline } from '../../state/pipeline.ts';
import {
  bytesJson,
  type JournalRecord,
  jsonBytes,
  RecordKind,
  type TickRecord,
} from '../../state/records.ts';
import { RingConsumer } from '../feed/ring.ts';
import { isDayName } from '../journal/days.ts';
import { SystemClock } from '../journal/system-clock.ts';
import { JournalWriter } from '../journal/writer.ts';
import { LatencyHistogram } from './histogram.ts';
import {
  CTRL_ACK,
  type IngestWorkerData,
  type TickMessage,
  type WorkerMessage,
  type WorkerStats,
} from './protocol.ts';

const data = workerData as IngestWorkerData;
const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);

const clock = new SystemClock();
const ctrl = new Int32Array(data.control);
const consumer = new RingConsumer(data.ring);
const hot = HotStateWriter.create(data.coins);
const builder = new StateBuilder({ coins: data.coins, hot });
const pipeline = new IngestPipeline({ builder });
let journalErrors = 0;
const journal = new JournalWriter({
  dir: data.journal.dir,
  // a data dir's day folder (`<data>/journal/<YYYY-MM-DD>`): one sequence across its days, and a run that
  // crosses midnight (record time) goes on in the next day's folder
  rollDaily: isDayName(basename(data.journal.dir)),
  clock,
  mode: data.journal.mode,
  fsyncIntervalMs: data.journal.fsyncIntervalMs,
  segmentBytes: data.journal.segmentBytes,
  segmentMs: data.journal.segmentMs,
  lagBytes: data.journal.lagBytes,
  onLag: (lagging, evidence) => post({ type: 'lag', lagging, evidence }),
  onError: (e) => {
    journalErrors++;
    post({ type: 'error', message: `journal: ${e.message}` });
  },
});

let records = 0;
let frames = 0;
let tickAckTimeouts = 0;
let eventTickAsked = false;
const byChannel: Record<string, number> = {};
let samples: number[] = [];
const hist = new LatencyHistogram();

function latencyStats(): WorkerStats['latencyUs'] {
  const out = {
    count: hist.total,
    p50: hist.quantile(0.5),
    p99: hist.quantile(0.99),
    max: hist.max,
    hist: hist.snapshot(),
  };
  hist.reset();
  return out;
}

function takeSamples(): number[] {
  const out = samples;
  samples = [];
  return out;
}

function stats(): WorkerStats {
  return {
    records,
    frames,
    pipeline: { ...pipeline.counters, rejectedByCode: { ...pipeline.counters.rejectedByCode } },
    journal: {
      persistedSeq: journal.persistedSeq,
      lastSeq: journal.lastSeq,
      lagging: journal.lagging,
      pendingRecords: journal.stats.appended - journal.stats.persisted,
      errors: journalErrors,
    },
    latencyUs: latencyStats(),
    ringUsed: consumer.used(),
    tickAckTimeouts,
    undurableTicks,
    byChannel: { ...byChannel },
    latencySamplesUs: takeSamples(),
    ...nodeBooksStats(),
    gc: { ...gcStats },
  };
}

/** The worker's garbage collections (PerformanceObserver `gc` entries): how often and how long the frame path stopped. */
const gcStats: WorkerStats['gc'] = { minor: 0, major: 0, other: 0, pauseMs: 0, maxPauseMs: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const detail: unknown = Reflect.get(e, 'detail');
    const kind = typeof detail === 'object' && detail !== null ? Reflect.get(detail, 'kind') : undefined;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gcStats.minor++;
    else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcStats.major++;
    else gcStats.other++;
    gcStats.pauseMs += e.duration;
    if (e.duration > gcStats.maxPauseMs) gcStats.maxPauseMs = e.duration;
  }
}).observe({ entryTypes: ['gc'] });

/** Where the node's L4 books drive the hot-state book: for the system's per-source status. */
function nodeBooksStats(): Pick<WorkerStats, 'nodeBooks'> {
  const nb = pipeline.nodeBooks;
  if (nb === null) return {};
  return {
    nodeBooks: {
      from: nb.from,
      driving: data.coins.filter((c) => nb.drives(c)),
      snapshots: nb.counters.snapshots,
      broken: nb.counters.broken,
      lastProblem: nb.counters.lastProblem,
    },
  };
}

/** A tick journaled but not yet durable: the read loop stops at it and hands it on once fsynced. */
let pendingTick: TickMessage | null = null;
let undurableTicks = 0;

function onTick(rec: JournalRecord): void {
  let cause: TickRecord['cause'] = 'timer';
  try {
    cause = bytesJson<Partial<TickRecord>>(rec.data).cause === 'event' ? 'event' : 'timer';
  } catch {
    /* a tick without a payload is a timer tick */
  }
  const version = hot.version();
  const tick: TickRecord = { version, cause };
  journal.append({ ...rec, data: jsonBytes(tick) });
  if (cause === 'event') eventTickAsked = false;
  pendingTick = {
    type: 'tick',
    seq: rec.seq,
    time: rec.time,
    version,
    cause,
    events: pipeline.drainEvents(),
    commands: pipeline.drainCommands(),
  };
}

/**
 * Hand the pending tick to the decision side once the journal holds it (and everything before it) on disk:
 * a decision is only ever made on records a replay after any crash will see. Nothing else is applied
 * until the decision side has read the hot state at this version.
 */
async function handOnTick(tick: TickMessage): Promise<void> {
  try {
    await journal.flush();
  } catch (e) {
    // not durable: the decision side does not act on it (it keeps its last state; health sees no ticks)
    undurableTicks++;
    post({
      type: 'error',
      message: `tick ${tick.seq} not handed on: journal not durable: ${(e as Error).message}`,
    });
    return;
  }
  Atomics.store(ctrl, CTRL_ACK, 0);
  post(tick);
  if (Atomics.wait(ctrl, CTRL_ACK, 0, data.tickAckTimeoutMs) === 'timed-out') tickAckTimeouts++;
}

function onRecord(rec: JournalRecord): void {
  records++;
  if (rec.kind === RecordKind.Tick) {
    pipeline.process(rec); // sequence continuity only
    onTick(rec);
    consumer.endRead(); // nothing more is applied before the decision side has read this tick
    return;
  }
  journal.append(rec); // journal first: nothing is parsed before it is kept
  if (rec.kind === RecordKind.Decision) {
    pipeline.process(rec); // sequence continuity; operator commands are queued for the next tick
    return;
  }
  if (rec.kind === RecordKind.Frame) {
    frames++;
    const ch = rec.channel || '(none)';
    byChannel[ch] = (byChannel[ch] ?? 0) + 1;
  }
  pipeline.process(rec);
  if (rec.kind === RecordKind.Frame) {
    const us = (clock.now() - rec.time) * 1000;
    hist.record(us);
    if ((hist.total & 15) === 0 && samples.length < 512) samples.push(us);
  }
  if (!eventTickAsked && pipeline.derivedPending > 0) {
    eventTickAsked = true;
    post({ type: 'eventTick', time: rec.time, derived: [] });
  }
}

let stopping = false;
port.on('message', (m: { type: string }) => {
  if (m.type === 'stop') stopping = true;
});

post({
  type: 'ready',
  hot: hot.sab,
  layout: hot.layout,
  nextSeq: journal.nextSeq,
  recovery: journal.recovery,
});

/** Longest stretch (ms) the worker busy-polls before it lets its event loop turn (journal callbacks). */
const SPIN_SLICE_MS = 0.5;
const spinMs = data.spinUs / 1000;
const turn = () => new Promise<void>((r) => setImmediate(r));

/** Busy-poll the ring until a record is there (true) or `deadline` passes (false). Allocates nothing. */
function spinUntil(deadline: number): boolean {
  for (let k = 1; ; k++) {
    if (!consumer.isEmpty()) return true;
    if ((k & 255) === 0 && clock.now() >= deadline) return false;
  }
}

let lastStats = clock.now();
let lastRecordAt = Number.NEGATIVE_INFINITY;
async function loop(): Promise<void> {
  for (;;) {
    const n = consumer.read(onRecord, 4096);
    if (pendingTick !== null) {
      const tick = pendingTick;
      pendingTick = null;
      await handOnTick(tick);
    }
    const now = clock.now();
    if (now - lastStats >= data.statsEveryMs) {
      lastStats = now;
      post({ type: 'stats', stats: stats() });
    }
    if (n > 0) {
      lastRecordAt = now;
      // let the journal's group-commit callbacks run between batches
      await turn();
      continue;
    }
    if (stopping) break;
    // records came recently: poll instead of sleeping, so the next burst does not wait for a wake-up
    if (now - lastRecordAt < spinMs) {
      if (!spinUntil(Math.min(lastRecordAt + spinMs, now + SPIN_SLICE_MS))) await turn();
      continue;
    }
    await consumer.waitAsync(20);
  }
  await journal.close();
  post({ type: 'closed', stats: stats() });
}

loop().catch((e: unknown) => {
  post({ type: 'error', message: `ingest worker failed: ${(e as Error)?.stack ?? String(e)}` });
});
