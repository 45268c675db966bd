/**
 * Hot-state read of one coin's full slot (seqlock copy into a caller-owned buffer):
 *  - `hotstate.read`: ns per read, p50 (median) and p99 over batches of 100 reads timed with hrtime,
 *    medians over runs of 10 M reads (1 M with --quick);
 *  - `hotstate.read.single`: each read timed on its own (includes ~hrtime overhead): p50/p99 upper bounds;
 *  - `hotstate.read.alloc`: bytes of heap allocated per read over 10 M reads, with the GC count.
 * The slot holds a real state-builder image (a generated stream replayed through the builder).
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { setImmediate as tick } from 'node:timers/promises';
import { StateBuilder } from '../state/builder.ts';
import { SLOT_FLOATS } from '../state/hotstate-layout.ts';
import { HotStateReader, HotStateWriter } from '../state/hotstate.ts';
import { dispatch, generateFrames } from '../test/state/frames.ts';
import { type BenchFigure, figure, hrNowNs, median, percentileSorted, round } from './lib.ts';

const BATCH = 100;

export default async ({ quick }: { quick: boolean }): Promise<BenchFigure[]> => {
  const runs = 5;
  const reads = quick ? 1_000_000 : 10_000_000;
  const coins = ['BTC', 'ETH', 'SOL'];
  const hot = HotStateWriter.create(coins);
  const b = new StateBuilder({ coins, hot });
  const frames = generateFrames({ seed: 11, durationMs: 60_000, rate: 100 });
  for (const [i, f] of frames.entries()) dispatch(b, f.channel, JSON.parse(f.text).data, f.recvTime, i);
  const r = HotStateReader.attach(hot.sab, hot.layout);
  const out = new Float64Array(SLOT_FLOATS);
  const coin = 0;
  if (!r.read(coin, out)) throw new Error('hot state: cannot read the slot');

  // warm up the JIT
  for (let i = 0; i < 2_000_000; i++) r.read(coin, out);

  // batched timing
  const p50s: number[] = [];
  const p99s: number[] = [];
  const batches = new Float64Array(reads / BATCH);
  for (let run = 0; run < runs; run++) {
    for (let k = 0; k < batches.length; k++) {
      const t0 = hrNowNs();
      for (let i = 0; i < BATCH; i++) r.read(coin, out);
      batches[k] = Number(hrNowNs() - t0) / BATCH;
    }
    batches.sort();
    p50s.push(percentileSorted(batches, 50));
    p99s.push(percentileSorted(batches, 99));
  }

  // single-read timing (timer overhead included)
  const singles = new Float64Array(quick ? 200_000 : 1_000_000);
  const s50: number[] = [];
  const s99: number[] = [];
  for (let run = 0; run < runs; run++) {
    for (let k = 0; k < singles.length; k++) {
      const t0 = hrNowNs();
      r.read(coin, out);
      singles[k] = Number(hrNowNs() - t0);
    }
    singles.sort();
    s50.push(percentileSorted(singles, 50));
    s99.push(percentileSorted(singles, 99));
  }

  // allocation: heap delta and GC count over `reads` untimed reads
  const gcfn = (globalThis as { gc?: () => void }).gc;
  let gcs = 0;
  const obs = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  const perRead: number[] = [];
  const gcPerRun: number[] = [];
  let ok = 0;
  for (let run = 0; run < runs; run++) {
    gcfn?.();
    // let the forced GC's observer entry arrive before taking the count
    for (let w = 0; w < 5; w++) await tick();
    const g0 = gcs;
    const h0 = process.memoryUsage().heapUsed;
    for (let i = 0; i < reads; i++) if (r.read(coin, out)) ok++;
    const h1 = process.memoryUsage().heapUsed;
    for (let w = 0; w < 5; w++) await tick();
    gcPerRun.push(gcs - g0);
    perRead.push(Math.max(0, h1 - h0) / reads);
  }
  obs.disconnect();
  if (ok !== runs * reads) throw new Error(`hot state: ${runs * reads - ok} reads failed`);

  return [
    {
      ...figure('hotstate.read', 'ns', p50s, {
        p99: round(median(p99s)),
        readsPerRun: reads,
        slotBytes: SLOT_FLOATS * 8,
        method: `p50/p99 over batches of ${BATCH} reads (hrtime per batch), median over runs`,
        target: 'p99 <= 1000 ns',
      }),
    },
    figure('hotstate.read.single', 'ns', s50, {
      p99: round(median(s99)),
      readsPerRun: singles.length,
      method: 'each read timed alone; includes the hrtime call overhead (upper bound)',
    }),
    figure('hotstate.read.alloc', 'bytes/read', perRead, {
      readsPerRun: reads,
      gcCount: gcPerRun.reduce((a, x) => a + x, 0),
      gcPerRun,
      exposeGc: gcfn !== undefined,
      method: 'heapUsed delta after a forced GC, over untimed reads; GC count from PerformanceObserver("gc")',
      target: 0,
    }),
  ];
};
