/** Messages between the main thread and the ingest worker (structured-clone data only). */
import type { HistogramSnapshot } from './histogram.ts';
import type { HotStateLayout } from '../../state/hotstate-layout.ts';
import type { PipelineCounters, TickEvent } from '../../state/pipeline.ts';

export interface IngestWorkerData {
  entry: string;
  ring: SharedArrayBuffer;
  /** Int32Array[4] over this: [0] tick ack flag, [1] stop flag. */
  control: SharedArrayBuffer;
  coins: string[];
  journal: {
    dir: string;
    mode: 'group' | 'every-record';
    fsyncIntervalMs: number;
    segmentBytes: number;
    segmentMs: number;
    lagBytes: number;
  };
  /** How long the worker waits for the main thread to finish a tick before going on (ms). */
  tickAckTimeoutMs: number;
  statsEveryMs: number;
  /** Busy-poll the ring for this long (µs) after the last record before sleeping; 0 = always sleep. */
  spinUs: number;
}

export interface TickMessage {
  type: 'tick';
  seq: number;
  time: number;
  version: number;
  cause: 'timer' | 'event';
  events: TickEvent[];
  commands: unknown[];
}

export interface WorkerStats {
  records: number;
  frames: number;
  pipeline: PipelineCounters;
  journal: {
    persistedSeq: number;
    lastSeq: number;
    lagging: boolean;
    pendingRecords: number;
    errors: number;
  };
  /**
   * Frame receive → hot-state publish latency over the last interval, µs: percentiles from the
   * interval's histogram (2 % buckets), and the histogram itself so intervals can be summed exactly.
   */
  latencyUs: { count: number; p50: number; p99: number; max: number; hist: HistogramSnapshot };
  ringUsed: number;
  tickAckTimeouts: number;
  /** Ticks not handed to the decision side because the journal could not make them durable. */
  undurableTicks: number;
  /** Frames per channel since start (cumulative). */
  byChannel: Record<string, number>;
  /** A sample of this interval's latencies (µs), for histograms. */
  latencySamplesUs: number[];
  /**
   * The node's L4 books (state/node-books.ts), where the run has one drive the hot-state book: which input,
   * the coins it drives now (the others take the public l2Book), its losses and the last one's reason.
   */
  nodeBooks?: { from: string; driving: string[]; snapshots: number; broken: number; lastProblem: string };
  /** The worker's garbage collections since start: each a stop on the frame path (cumulative; ms of pause). */
  gc: { minor: number; major: number; other: number; pauseMs: number; maxPauseMs: number };
}

export type WorkerMessage =
  | { type: 'ready'; hot: SharedArrayBuffer; layout: HotStateLayout; nextSeq: number; recovery: unknown }
  | TickMessage
  | { type: 'eventTick'; time: number; derived: unknown[] }
  | { type: 'stats'; stats: WorkerStats }
  | { type: 'lag'; lagging: boolean; evidence: unknown }
  | { type: 'error'; message: string }
  | { type: 'closed'; stats: WorkerStats };

export type HostMessage = { type: 'stop' };

/**
 * How long (µs) the ingest worker busy-polls the ring after the last record before it sleeps. A sleeping
 * worker must be woken by the OS, and on a virtual machine whose idle vCPUs halt that takes milliseconds
 * (2.5–5 ms measured with `perf sched` on the 2-vCPU guest of BENCHMARKS.md); polling costs CPU only while
 * records keep arriving within the window.
 */
export const INGEST_SPIN_US = 1_000;

/**
 * The ingest worker's V8 young generation, capped (MB). Its live heap is small (~15 MB) and V8 sizes a
 * worker's new space from the machine's memory (up to 3 × 16 MB here); with more new space than old-
 * generation headroom, V8 starts a full incremental mark-compact every ~200 ms instead of scavenging
 * (measured: 27 mark-compacts in 9 s, pauses up to 8.6 ms, all on the frame path). A small new space
 * keeps collections to cheap scavenges of the short-lived per-frame garbage.
 */
export const INGEST_YOUNG_GENERATION_MB = 8;

/**
 * The ingest worker's initial old generation (MB). V8 sizes a new isolate's old generation from its live heap
 * (~16 MB here), and what the worker keeps long enough to be promoted and then drops (~4 MB/s at 10 % of
 * builder throughput) brought a full mark-compact about every second, each a 1.3–5.7 ms stop on the frame
 * path (8–9 in 11 s; `node --trace-gc`, 2026-12-01; `gc` in the worker's stats counts them). Starting the old generation at 64 MB leaves about one in
 * the same span and halved ingest.latency's p99 in alternating runs (471–575 µs against 611–1 043 µs). It
 * costs up to this much more resident memory. 0 leaves V8's own sizing.
 */
export const INGEST_OLD_SPACE_MB = 64;

export const CTRL_ACK = 0;
export const CTRL_STOP = 1;
