import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRingBuffer, RingConsumer, RingProducer } from '../../actors/feed/ring.ts';
import { SequenceCounter, Stamper } from '../../actors/feed/stamper.ts';
import { ManualClock } from '../../state/clock.ts';
import { bytesJson, type ConnEvent, type JournalRecord, RecordKind } from '../../state/records.ts';

const enc = new TextEncoder();
const frame = (i: number, pad = 0) => enc.encode(`{"channel":"trades","data":[${i}]}${' '.repeat(pad)}`);

function setup(capacity = 4096, overflowRecords = 1_000_000) {
  const clock = new ManualClock(1_000);
  const sab = createRingBuffer(capacity);
  const producer = new RingProducer(sab);
  const consumer = new RingConsumer(sab);
  const stamper = new Stamper({ clock, sink: producer, overflowRecords });
  const out: JournalRecord[] = [];
  const readAll = () => {
    let r: JournalRecord | null;
    while ((r = consumer.readOne()) !== null) out.push(r);
  };
  return { clock, stamper, consumer, out, readAll };
}

describe('stamper', () => {
  it('stamps seq (monotonic), the clock time and the epoch, and hands the bytes on untouched', () => {
    const h = setup();
    h.stamper.setEpoch(4);
    h.clock.advance(0.25);
    const raw = enc.encode('not json at all \u00e9');
    expect(h.stamper.frame(raw)).toBe('');
    h.stamper.frame(frame(1));
    h.stamper.conn({ type: 'open', url: 'ws://x' });
    h.readAll();
    expect(h.out.map((r) => [r.seq, r.time, r.epoch, r.kind, r.channel])).toEqual([
      [1, 1000.25, 4, RecordKind.Frame, ''],
      [2, 1000.25, 4, RecordKind.Frame, 'trades'],
      [3, 1000.25, 4, RecordKind.Conn, 'open'],
    ]);
    expect(h.out[0]!.data).toEqual(raw);
    expect(bytesJson<ConnEvent>(h.out[2]!.data)).toEqual({ type: 'open', url: 'ws://x' });
  });

  it('a shared SequenceCounter keeps one sequence across producers', () => {
    const seq = new SequenceCounter(100);
    const clock = new ManualClock(0);
    const sab = createRingBuffer(1024);
    const s = new Stamper({ clock, sink: new RingProducer(sab), seq });
    s.frame(frame(1));
    expect(seq.next()).toBe(101);
    s.frame(frame(2));
    const c = new RingConsumer(sab);
    expect([c.readOne()?.seq, c.readOne()?.seq]).toEqual([100, 102]);
  });

  it('when the ring is full, frames wait in the overflow queue and come out in order, none lost', () => {
    const h = setup(1024);
    for (let i = 0; i < 500; i++) h.stamper.frame(frame(i));
    expect(h.stamper.counters.overflowed).toBeGreaterThan(400);
    expect(h.stamper.counters.lost).toBe(0);
    // the consumer drains, the producer refills from the queue (here by explicit drain calls)
    for (let k = 0; k < 1000 && h.out.length < 500; k++) {
      h.readAll();
      h.stamper.drain();
    }
    expect(h.out.map((r) => r.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(h.out.map((r) => new TextDecoder().decode(r.data))).toEqual(
      Array.from({ length: 500 }, (_, i) => `{"channel":"trades","data":[${i}]}`),
    );
    expect(h.stamper.counters).toMatchObject({
      framesReceived: 500,
      framesHandedOn: 500,
      lost: 0,
      queued: 0,
    });
  });

  it('the queue also drains by itself when the consumer frees space (Atomics.waitAsync, no timers)', async () => {
    const h = setup(1024);
    for (let i = 0; i < 100; i++) h.stamper.frame(frame(i));
    expect(h.stamper.counters.queued).toBeGreaterThan(0);
    while (h.out.length < 100) {
      h.readAll();
      await new Promise<void>((r) => queueMicrotask(r));
      await Promise.resolve();
      if (h.out.length < 100 && h.stamper.counters.queued > 0) await new Promise((r) => setImmediate(r));
    }
    expect(h.out.map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('past the overflow bound: the loss is counted and reported in-band as a gap where it happened', () => {
    const h = setup(1024, 10);
    for (let i = 0; i < 100; i++) h.stamper.frame(frame(i));
    const c = h.stamper.counters;
    expect(c.lost).toBeGreaterThan(0);
    const inRing = c.framesHandedOn;
    expect(inRing + 10 + c.lost).toBe(100);
    for (let k = 0; k < 100; k++) {
      h.readAll();
      h.stamper.drain();
    }
    // order: the frames that fit, then the gap record with the count, then nothing else (no frame came after)
    const gap = h.out.find((r) => r.kind === RecordKind.Conn)!;
    expect(bytesJson<ConnEvent>(gap.data)).toEqual({
      type: 'gap',
      key: '*',
      lost: c.lost,
      reason: 'overflow queue full',
    });
    expect(h.out.at(-1)).toBe(gap);
    expect(h.out.filter((r) => r.kind === RecordKind.Frame)).toHaveLength(100 - c.lost);
    // the local sequence shows the hole too: frames 1..n, the lost seqs skipped, then the gap record
    const seqs = h.out.map((r) => r.seq);
    expect(seqs.at(-1)).toBe(100 + 1);
    expect(seqs.length).toBe(100 - c.lost + 1);
  });

  it('a frame that arrives after a loss is preceded by the gap record', () => {
    const h = setup(1024, 5);
    for (let i = 0; i < 60; i++) h.stamper.frame(frame(i));
    const lost = h.stamper.counters.lost;
    expect(lost).toBeGreaterThan(0);
    h.readAll();
    h.stamper.frame(frame(1000)); // drains the queue first, then reports the loss, then this frame
    for (let k = 0; k < 10; k++) {
      h.readAll();
      h.stamper.drain();
    }
    const tail = h.out.slice(-2);
    expect(tail[0]!.kind).toBe(RecordKind.Conn);
    expect(bytesJson<ConnEvent>(tail[0]!.data).lost).toBe(lost);
    expect(new TextDecoder().decode(tail[1]!.data)).toContain('[1000]');
    expect(tail[1]!.seq).toBe(tail[0]!.seq + 1);
  });

  it('a frame larger than the ring can ever hold is counted lost and reported, not retried forever', () => {
    const h = setup(1024);
    h.stamper.frame(frame(1, 2000));
    h.stamper.frame(frame(2));
    h.readAll();
    expect(h.out.map((r) => r.kind)).toEqual([RecordKind.Conn, RecordKind.Frame]);
    expect(bytesJson<ConnEvent>(h.out[0]!.data).reason).toMatch(/exceeds the ring's largest record/);
    expect(h.out.map((r) => r.seq)).toEqual([2, 3]);
  });

  it('fast-check: with any ring size, bound and read pattern, received = handed on + lost, and every loss is reported', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1024, 2048, 4096),
        fc.integer({ min: 0, max: 50 }),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constant(-1)), { maxLength: 400 }),
        (cap, bound, ops) => {
          const h = setup(cap, bound);
          let sent = 0;
          for (const op of ops) {
            if (op < 0) h.readAll();
            else h.stamper.frame(frame(sent++, op));
          }
          for (let k = 0; k < 2000 && (h.stamper.counters.queued > 0 || !h.consumer.isEmpty()); k++) {
            h.readAll();
            h.stamper.drain();
          }
          const c = h.stamper.counters;
          const frames = h.out.filter((r) => r.kind === RecordKind.Frame);
          const reported = h.out
            .filter((r) => r.kind === RecordKind.Conn)
            .reduce((n, r) => n + (bytesJson<ConnEvent>(r.data).lost ?? 0), 0);
          expect(c.framesReceived).toBe(sent);
          expect(frames.length).toBe(c.framesHandedOn);
          expect(c.framesHandedOn + c.lost).toBe(sent);
          expect(reported).toBe(c.lost);
          // seqs strictly increasing; the holes are exactly the lost frames
          const seqs = h.out.map((r) => r.seq);
          for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
          if (seqs.length > 0) expect(seqs.at(-1)! - seqs.length).toBe(c.lost);
        },
      ),
      { numRuns: 200 },
    );
  });
});
