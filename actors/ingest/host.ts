/**
 * Main-thread side of the ingest worker: creates the SPSC ring and the control block, starts the worker,
 * and runs the decision side's tick handler inside the handshake (the worker waits for the ack).
 */
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { HotStateReader } from '../../state/hotstate.ts';
import { createRingBuffer, RingProducer } from '../feed/ring.ts';
import {
  CTRL_ACK,
  INGEST_SPIN_US,
  INGEST_OLD_SPACE_MB,
  INGEST_YOUNG_GENERATION_MB,
  type IngestWorkerData,
  type TickMessage,
  type WorkerMessage,
  type WorkerStats,
} from './protocol.ts';

export interface IngestOptions {
  coins: string[];
  journal: IngestWorkerData['journal'];
  ringBytes: number;
  tickAckTimeoutMs?: number;
  statsEveryMs?: number;
  /** Busy-poll the ring this long (µs) after the last record before sleeping (default `INGEST_SPIN_US`). */
  spinUs?: number;
  /** The worker's young-generation cap in MB (default `INGEST_YOUNG_GENERATION_MB`). */
  youngGenerationMb?: number;
  /** The worker's initial old generation in MB (default `INGEST_OLD_SPACE_MB`; 0 = V8's own sizing). */
  oldSpaceMb?: number;
  /** Runs on the main thread while the worker waits: read the hot state, decide, then return. */
  onTick: (tick: TickMessage) => void;
  /** The worker saw derived events: ask for an event tick. */
  onEventTick?: (time: number) => void;
  onStats?: (s: WorkerStats) => void;
  onLag?: (lagging: boolean, evidence: unknown) => void;
  onError?: (message: string) => void;
}

export interface IngestHost {
  readonly producer: RingProducer;
  readonly reader: HotStateReader;
  /** First sequence number the producer must use (the journal continues across restarts). */
  readonly nextSeq: number;
  readonly recovery: unknown;
  lastStats(): WorkerStats | null;
  /** Drain the ring, flush and fsync the journal, stop the worker. */
  stop(): Promise<WorkerStats | null>;
}

export async function startIngest(opts: IngestOptions): Promise<IngestHost> {
  const ring = createRingBuffer(opts.ringBytes);
  const control = new SharedArrayBuffer(16);
  const ctrl = new Int32Array(control);
  // Compiled (dist/, plain JavaScript) the worker starts straight from worker.js; from the sources
  // (vitest, tsx) through the bootstrap that registers tsx in the worker thread.
  const fromSources = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSources ? './worker.ts' : './worker.js', import.meta.url);
  const data: IngestWorkerData = {
    entry: entry.href,
    ring,
    control,
    coins: opts.coins,
    journal: opts.journal,
    tickAckTimeoutMs: opts.tickAckTimeoutMs ?? 5_000,
    statsEveryMs: opts.statsEveryMs ?? 1_000,
    spinUs: opts.spinUs ?? INGEST_SPIN_US,
  };
  // A worker's heap is configured from the process-wide V8 flags when its isolate starts (a Worker's
  // resourceLimits have no initial old-generation size, and its execArgv takes no V8 options): set the flag
  // for the worker's start only, and put V8's default (0: its own sizing) back once the worker is up.
  const oldSpaceMb = opts.oldSpaceMb ?? INGEST_OLD_SPACE_MB;
  if (oldSpaceMb > 0) setFlagsFromString(`--initial-old-space-size=${Math.round(oldSpaceMb)}`);
  const worker = new Worker(fromSources ? new URL('../worker-boot.mjs', import.meta.url) : entry, {
    workerData: data,
    resourceLimits: { maxYoungGenerationSizeMb: opts.youngGenerationMb ?? INGEST_YOUNG_GENERATION_MB },
  });
  let stats: WorkerStats | null = null;
  let closed: ((s: WorkerStats | null) => void) | null = null;
  const ready = new Promise<Extract<WorkerMessage, { type: 'ready' }>>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: WorkerMessage) => {
      switch (m.type) {
        case 'ready':
          resolve(m);
          break;
        case 'tick':
          try {
            opts.onTick(m);
          } catch (e) {
            opts.onError?.(`decision side failed at tick ${m.seq}: ${(e as Error)?.stack ?? String(e)}`);
          } finally {
            Atomics.store(ctrl, CTRL_ACK, 1);
            Atomics.notify(ctrl, CTRL_ACK);
          }
          break;
        case 'eventTick':
          opts.onEventTick?.(m.time);
          break;
        case 'stats':
          stats = m.stats;
          opts.onStats?.(m.stats);
          break;
        case 'lag':
          opts.onLag?.(m.lagging, m.evidence);
          break;
        case 'error':
          opts.onError?.(m.message);
          break;
        case 'closed':
          stats = m.stats;
          closed?.(m.stats);
          break;
      }
    });
  });
  const r = await ready.finally(() => {
    if (oldSpaceMb > 0) setFlagsFromString('--initial-old-space-size=0');
  });
  worker.on('error', (e) => opts.onError?.(`ingest worker error: ${e.stack ?? e.message}`));
  const reader = HotStateReader.attach(r.hot, r.layout);
  return {
    producer: new RingProducer(ring),
    reader,
    nextSeq: Math.max(1, r.nextSeq),
    recovery: r.recovery,
    lastStats: () => stats,
    stop: () =>
      new Promise<WorkerStats | null>((resolve) => {
        const timer = setTimeout(() => {
          void worker.terminate();
          resolve(stats);
        }, 30_000);
        closed = (s) => {
          clearTimeout(timer);
          void worker.terminate().then(() => resolve(s));
        };
        worker.postMessage({ type: 'stop' });
      }),
  };
}
