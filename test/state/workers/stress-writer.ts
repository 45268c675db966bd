/** Stress-test writer thread: publishes flat out for `durationMs`, then raises the stop flag. */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { F, type HotStateLayout, SLOT_FLOATS } from '../../../state/hotstate-layout.ts';
import { HotStateWriter } from '../../../state/hotstate.ts';

const { sab, layout, durationMs, control } = workerData as {
  sab: SharedArrayBuffer;
  layout: HotStateLayout;
  durationMs: number;
  control: SharedArrayBuffer;
};
const ctl = new Int32Array(control); // [0] start gate (readers ready count), [1] stop flag
const w = new HotStateWriter(sab, layout);
const n = layout.coins.length;
const stamped = new Set<number>([F.version, F.slotVersion, F.publishTime, F.coinIndex, F.checksum]);
const staging = new Float64Array(SLOT_FLOATS);

// wait (bounded) for the readers to be running so the whole duration is contended
const gateStart = performance.now();
while (Atomics.load(ctl, 0) < 4 && performance.now() - gateStart < 20_000)
  Atomics.wait(ctl, 0, Atomics.load(ctl, 0), 50);

let k = 0;
let maxPublishNs = 0;
const t0 = performance.now();
let now = t0;
while (now - t0 < durationMs) {
  for (let j = 0; j < 256; j++) {
    k++;
    // every field a function of k: a copy mixing two publishes is inconsistent wherever they differ
    for (let i = 0; i < SLOT_FLOATS; i++)
      if (!stamped.has(i)) staging[i] = i !== 0 && (i + k) % 17 === 0 ? Number.NaN : k + i / 1024;
    const a = performance.now();
    w.publish(k % n, staging, a);
    const d = (performance.now() - a) * 1e6;
    if (d > maxPublishNs) maxPublishNs = d;
  }
  now = performance.now();
}
Atomics.store(ctl, 1, 1);
parentPort!.postMessage({ published: k, elapsedMs: now - t0, maxPublishNs });
