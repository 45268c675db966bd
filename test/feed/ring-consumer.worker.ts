/**
 * Worker body for the cross-thread ring test: consumes `count` records, sleeping on the ring when it is
 * empty, and checks every record (sequence continuity, header fields, payload bytes) while folding them
 * into a checksum the producer computes independently.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RingConsumer } from '../../actors/feed/ring.ts';
import { expectedByte, mix } from './ring-pattern.ts';

const { buffer, count, useAsync } = workerData as {
  buffer: SharedArrayBuffer;
  count: number;
  useAsync: boolean;
};
const consumer = new RingConsumer(buffer);
let seen = 0;
let checksum = 0;
let errors = 0;
let firstError = '';
let sleeps = 0;
const fail = (msg: string) => {
  errors++;
  if (firstError === '') firstError = msg;
};
const onRecord = (r: {
  seq: number;
  time: number;
  epoch: number;
  kind: number;
  channel: string;
  data: Uint8Array;
}) => {
  const expectSeq = seen + 1;
  if (r.seq !== expectSeq) fail(`seq ${r.seq} != ${expectSeq}`);
  if (r.time !== r.seq * 0.5) fail(`time of ${r.seq}`);
  if (r.epoch !== (r.seq >>> 16) + 1) fail(`epoch of ${r.seq}`);
  if (r.kind !== (r.seq % 2 === 0 ? 1 : 2)) fail(`kind of ${r.seq}`);
  if (r.channel !== (r.seq % 3 === 0 ? '' : 'l2Book')) fail(`channel of ${r.seq}: '${r.channel}'`);
  const d = r.data;
  for (let i = 0; i < d.length; i++) {
    if (d[i] !== expectedByte(r.seq, i)) {
      fail(`byte ${i} of ${r.seq}`);
      break;
    }
  }
  checksum = mix(checksum, r.seq, d);
  seen++;
};

async function main() {
  // a pending Atomics.waitAsync does not keep a thread's event loop alive: hold the port open meanwhile
  parentPort!.on('message', () => {});
  while (seen < count) {
    const n = consumer.read(onRecord);
    if (n === 0) {
      sleeps++;
      if (useAsync) await consumer.waitAsync(1000);
      else consumer.wait(1000);
    }
  }
  parentPort!.postMessage({ seen, checksum, errors, firstError, sleeps });
}
void main();
