/**
 * Stress: one writer thread publishing flat out (≥ 10 000 updates/s required) and 4 reader threads
 * reading continuously for 10 s of wall time (the one test in this area on real time — that is its
 * point). Zero torn or inconsistent copies may be accepted; the writer never waits on the readers.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { HotStateWriter } from '../../state/hotstate.ts';

const DURATION_MS = 10_000;

function start(file: string, data: Record<string, unknown>): { done: Promise<any>; worker: Worker } {
  const entry = new URL(file, import.meta.url).href;
  const worker = new Worker(new URL('../../actors/worker-boot.mjs', import.meta.url), {
    workerData: { ...data, entry },
  });
  const done = new Promise<any>((res, rej) => {
    worker.once('message', res);
    worker.once('error', rej);
    worker.once('exit', (code) => code !== 0 && rej(new Error(`${file} exited with ${code}`)));
  });
  return { done, worker };
}

describe('hot state under contention', () => {
  it('4 reader threads × 10 s against a writer at ≥ 10 000 updates/s: no torn read accepted', async () => {
    const coins = ['BTC', 'ETH', 'SOL'];
    // the buffer is laid out here; the writer thread re-initialises it on attach
    const layoutOwner = HotStateWriter.create(coins);
    const control = new SharedArrayBuffer(8);
    const { sab, layout } = layoutOwner;
    const readers = Array.from({ length: 4 }, () =>
      start('./workers/stress-reader.ts', { sab, layout, control }),
    );
    const writer = start('./workers/stress-writer.ts', { sab, layout, durationMs: DURATION_MS, control });
    const w = await writer.done;
    const rs = await Promise.all(readers.map((r) => r.done));
    await Promise.all([writer.worker.terminate(), ...readers.map((r) => r.worker.terminate())]);

    const rate = w.published / (w.elapsedMs / 1000);
    const total = rs.reduce(
      (a, r) => ({
        accepted: a.accepted + r.accepted,
        rejected: a.rejected + r.rejected,
        retries: a.retries + r.retries,
        rawCopies: a.rawCopies + r.rawCopies,
        rawTorn: a.rawTorn + r.rawTorn,
      }),
      { accepted: 0, rejected: 0, retries: 0, rawCopies: 0, rawTorn: 0 },
    );
    console.log(
      JSON.stringify({
        writer: {
          published: w.published,
          elapsedMs: Math.round(w.elapsedMs),
          ratePerS: Math.round(rate),
          maxPublishUs: Math.round(w.maxPublishNs / 1000),
        },
        readers: total,
      }),
    );
    expect(w.elapsedMs).toBeGreaterThanOrEqual(DURATION_MS);
    expect(rate).toBeGreaterThanOrEqual(10_000);
    for (const r of rs) {
      expect(r.accepted).toBeGreaterThan(10_000); // each reader really read, all along
      expect(r.published).toBeGreaterThan(0);
      expect(r.tornAccepted).toBe(0);
      expect(r.inconsistentAccepted).toBe(0);
      expect(r.wentBackwards).toBe(0);
    }
  }, 60_000);
});
