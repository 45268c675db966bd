/** Stress-test reader thread: reads slots continuously until the stop flag, verifying every accepted copy. */
import { parentPort, workerData } from 'node:worker_threads';
import { F, type HotStateLayout, SLOT_FLOATS, slotChecksum } from '../../../state/hotstate-layout.ts';
import { HotStateReader } from '../../../state/hotstate.ts';

const { sab, layout, control } = workerData as {
  sab: SharedArrayBuffer;
  layout: HotStateLayout;
  control: SharedArrayBuffer;
};
const ctl = new Int32Array(control);
const r = HotStateReader.attach(sab, layout);
const n = layout.coins.length;
const out = new Float64Array(SLOT_FLOATS);
const raw = new Float64Array(SLOT_FLOATS);
const views = layout.coins.map(
  (_, i) => new Float64Array(sab, layout.dataOffset + i * SLOT_FLOATS * 8, SLOT_FLOATS),
);
const stamped = new Set<number>([F.version, F.slotVersion, F.publishTime, F.coinIndex, F.checksum]);
const lastSlotVersion = new Float64Array(n);

let accepted = 0;
let rejected = 0;
let tornAccepted = 0;
let inconsistentAccepted = 0;
let wentBackwards = 0;
let rawCopies = 0;
let rawTorn = 0;
let published = 0;

Atomics.add(ctl, 0, 1);
Atomics.notify(ctl, 0);
let c = 0;
while (Atomics.load(ctl, 1) === 0) {
  c = c + 1 === n ? 0 : c + 1;
  if (!r.read(c, out)) {
    rejected++;
    continue;
  }
  accepted++;
  if (slotChecksum(out) !== out[F.checksum]) tornAccepted++;
  const sv = out[F.slotVersion]!;
  if (sv < lastSlotVersion[c]!) wentBackwards++;
  lastSlotVersion[c] = sv;
  if (sv > 0) {
    published++;
    const k = out[F.nodeTime]!; // field 0 (nodeTime) = k, never NaN
    for (let i = 0; i < SLOT_FLOATS; i++) {
      if (stamped.has(i)) continue;
      const x = out[i]!;
      const want = i !== 0 && (i + k) % 17 === 0 ? Number.NaN : k + i / 1024;
      if (!(x === want || (Number.isNaN(x) && Number.isNaN(want)))) {
        inconsistentAccepted++;
        break;
      }
    }
  }
  // control: an unsynchronised copy of the same slot, to show the checksum does see tearing
  if ((accepted & 7) === 0) {
    raw.set(views[c]!);
    rawCopies++;
    if (raw[F.slotVersion]! > 0 && slotChecksum(raw) !== raw[F.checksum]) rawTorn++;
  }
}
parentPort!.postMessage({
  accepted,
  rejected,
  retries: r.retries,
  failures: r.failures,
  tornAccepted,
  inconsistentAccepted,
  wentBackwards,
  published,
  rawCopies,
  rawTorn,
});
