import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRingBuffer, RingConsumer, RingProducer, recordBytes } from '../../actors/feed/ring.ts';
import { type JournalRecord, RecordKind } from '../../state/records.ts';
import { makePayload, mix } from './ring-pattern.ts';

const rec = (seq: number, data: Uint8Array, channel = 'trades'): JournalRecord => ({
  seq,
  time: 1_700_000_000_000.25 + seq,
  epoch: 3,
  kind: RecordKind.Frame,
  channel,
  data,
});

describe('SPSC ring: single thread', () => {
  it('round-trips every header field and the payload bytes', () => {
    const sab = createRingBuffer(1024);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    const data = new TextEncoder().encode('{"channel":"trades","data":[]}');
    expect(p.tryWrite({ seq: 42, time: 1.5, epoch: 7, kind: RecordKind.Conn, channel: 'open', data })).toBe(
      true,
    );
    const r = c.readOne();
    expect(r).toEqual({ seq: 42, time: 1.5, epoch: 7, kind: RecordKind.Conn, channel: 'open', data });
    expect(c.readOne()).toBeNull();
    expect(c.isEmpty()).toBe(true);
  });

  it('rejects a bad capacity and a buffer that is not a ring', () => {
    expect(() => createRingBuffer(1000)).toThrow(/power of two/);
    expect(() => new RingConsumer(new SharedArrayBuffer(2048))).toThrow(/magic/);
  });

  it('refuses (returns false, never blocks) when full, and accepts again once the consumer frees space', () => {
    const sab = createRingBuffer(1024);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    const data = new Uint8Array(100);
    let written = 0;
    while (p.tryWrite(rec(written + 1, data))) written++;
    expect(written).toBe(Math.floor(1024 / recordBytes(6, 100)));
    expect(p.tryWrite(rec(99, data))).toBe(false);
    expect(c.readOne()?.seq).toBe(1);
    expect(p.tryWrite(rec(written + 1, data))).toBe(true);
  });

  it('never accepts a record larger than half the ring (it could never be guaranteed to fit)', () => {
    const sab = createRingBuffer(1024);
    const p = new RingProducer(sab);
    expect(p.fits(0, 512 - 32)).toBe(true);
    expect(p.fits(0, 512 - 31)).toBe(false);
    expect(p.tryWrite(rec(1, new Uint8Array(600), ''))).toBe(false);
    expect(p.used()).toBe(0);
  });

  it('wraps around with padding: writes and reads stay in order over many laps', () => {
    const sab = createRingBuffer(1024);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    let next = 1;
    let expect1 = 1;
    for (let lap = 0; lap < 2000; lap++) {
      // write until full, read about half: positions drift across the end of the buffer
      while (p.tryWrite(rec(next, makePayload(next).subarray(0, 150)))) next++;
      const toRead = Math.max(1, (next - expect1) >> 1);
      c.read((r) => {
        expect(r.seq).toBe(expect1);
        expect(r.data).toEqual(makePayload(expect1).subarray(0, 150));
        expect1++;
      }, toRead);
    }
    c.read((r) => {
      expect(r.seq).toBe(expect1++);
    });
    expect(expect1).toBe(next);
    expect(next).toBeGreaterThan(5000);
  });

  it('handles free-running positions across the 2^32 boundary', () => {
    const sab = createRingBuffer(1024);
    // start both positions just below 2^32 (as if 4 GiB had already passed through)
    const ctl = new Int32Array(sab, 0, 32);
    const start = (2 ** 32 - 300) | 0;
    ctl[0] = start;
    ctl[16] = start;
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    for (let i = 1; i <= 100; i++) {
      expect(p.tryWrite(rec(i, makePayload(i).subarray(0, 90)))).toBe(true);
      const r = c.readOne();
      expect(r?.seq).toBe(i);
      expect(r?.data).toEqual(makePayload(i).subarray(0, 90));
    }
    expect(p.used()).toBe(0);
  });

  it('fast-check: any interleaving of writes (random sizes, channels) and reads preserves order and bytes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 10, max: 13 }).map((e) => 2 ** e),
        fc.array(
          fc.oneof(
            fc.record({ w: fc.integer({ min: 0, max: 700 }), ch: fc.string({ maxLength: 20 }) }),
            fc.record({ r: fc.integer({ min: 1, max: 5 }) }),
          ),
          { maxLength: 300 },
        ),
        (capacity, ops) => {
          const sab = createRingBuffer(capacity);
          const p = new RingProducer(sab);
          const c = new RingConsumer(sab);
          const model: JournalRecord[] = [];
          let seq = 0;
          let usedModel = 0;
          for (const op of ops) {
            if ('w' in op) {
              const ch = op.ch.replace(/[^\x20-\x7e]/g, '?');
              const r = rec(
                ++seq,
                new Uint8Array(op.w).map((_, i) => (seq * 7 + i) & 0xff),
                ch,
              );
              const size = recordBytes(ch.length, op.w);
              const ok = p.tryWrite(r);
              if (size > capacity / 2) expect(ok).toBe(false);
              // it must fit whenever a contiguous span is certainly available
              if (size <= capacity / 2 && usedModel + 2 * size <= capacity) expect(ok).toBe(true);
              if (ok) {
                model.push(r);
                usedModel = p.used();
              }
            } else {
              c.read((got) => {
                const want = model.shift();
                expect(want).toBeDefined();
                expect(got.seq).toBe(want!.seq);
                expect(got.time).toBe(want!.time);
                expect(got.epoch).toBe(want!.epoch);
                expect(got.channel).toBe(want!.channel);
                expect(got.data).toEqual(want!.data);
              }, op.r);
              usedModel = p.used();
            }
          }
          const rest: number[] = [];
          c.read((got) => rest.push(got.seq));
          expect(rest).toEqual(model.map((m) => m.seq));
          expect(p.used()).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('waitAsync resolves when the producer writes (the producer notifies only a sleeping consumer)', async () => {
    const sab = createRingBuffer(1024);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    p.tryWrite(rec(1, new Uint8Array(3)));
    expect(p.wakeups()).toBe(0);
    expect(await c.waitAsync()).toBe('not-equal'); // not empty: returns at once
    c.readOne();
    const waiting = c.waitAsync();
    p.tryWrite(rec(2, new Uint8Array(3)));
    expect(await waiting).toBe('ok');
    expect(p.wakeups()).toBe(1);
    expect(c.readOne()?.seq).toBe(2);
  });

  it('waitForSpace resolves when the consumer frees space', async () => {
    const sab = createRingBuffer(1024);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    let n = 0;
    while (p.tryWrite(rec(++n, new Uint8Array(200)))) {}
    const space = p.waitForSpace();
    c.readOne();
    expect(await space).toBe('ok');
    expect(p.tryWrite(rec(n, new Uint8Array(200)))).toBe(true);
  });
});

async function crossThread(count: number, capacity: number, useAsync: boolean) {
  const buffer = createRingBuffer(capacity);
  const producer = new RingProducer(buffer);
  const worker = new Worker(new URL('../../actors/worker-boot.mjs', import.meta.url), {
    workerData: {
      entry: new URL('./ring-consumer.worker.ts', import.meta.url).href,
      buffer,
      count,
      useAsync,
    },
  });
  const result = new Promise<{
    seen: number;
    checksum: number;
    errors: number;
    firstError: string;
    sleeps: number;
  }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  let checksum = 0;
  let full = 0;
  for (let seq = 1; seq <= count; seq++) {
    const data = makePayload(seq);
    const kind = seq % 2 === 0 ? RecordKind.Frame : RecordKind.Conn;
    const channel = seq % 3 === 0 ? '' : 'l2Book';
    while (!producer.tryWriteParts(seq, seq * 0.5, (seq >>> 16) + 1, kind, channel, data)) {
      full++;
      await producer.waitForSpace(1000);
    }
    checksum = mix(checksum, seq, data);
  }
  const r = await result;
  await worker.terminate();
  return { ...r, expected: checksum, full, wakeups: producer.wakeups() };
}

describe('SPSC ring: producer and consumer in two threads', () => {
  it('1e6 records through a 64 KiB ring, consumer sleeping on Atomics.wait: all in order, checksum equal', async () => {
    const r = await crossThread(1_000_000, 64 * 1024, false);
    expect(r.errors, r.firstError).toBe(0);
    expect(r.seen).toBe(1_000_000);
    expect(r.checksum).toBe(r.expected);
    expect(r.full).toBeGreaterThan(0); // the ring really filled up and wrapped many times
  });

  it('2e5 records, consumer sleeping on Atomics.waitAsync', async () => {
    const r = await crossThread(200_000, 16 * 1024, true);
    expect(r.errors, r.firstError).toBe(0);
    expect(r.seen).toBe(200_000);
    expect(r.checksum).toBe(r.expected);
  });
});
