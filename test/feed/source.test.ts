/** The journal inlet stamps a source on every record (issue 16): through the stamper and the SPSC ring. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRingBuffer, RingConsumer, RingProducer, recordBytes } from '../../actors/feed/ring.ts';
import { Stamper } from '../../actors/feed/stamper.ts';
import { ManualClock } from '../../state/clock.ts';
import { defaultSource, type JournalRecord, jsonBytes, RecordKind } from '../../state/records.ts';

const enc = new TextEncoder();
const frame = (i: number) => enc.encode(`{"channel":"trades","data":[${i}]}`);

function setup(opts: { source?: string; capacity?: number } = {}) {
  const clock = new ManualClock(1_000);
  const sab = createRingBuffer(opts.capacity ?? 4096);
  const producer = new RingProducer(sab);
  const consumer = new RingConsumer(sab);
  const so: ConstructorParameters<typeof Stamper>[0] = { clock, sink: producer };
  if (opts.source !== undefined) so.source = opts.source;
  const stamper = new Stamper(so);
  const out: JournalRecord[] = [];
  const readAll = () => {
    let r: JournalRecord | null;
    while ((r = consumer.readOne()) !== null) out.push(r);
  };
  return { clock, stamper, producer, consumer, out, readAll };
}

describe('ring: source', () => {
  it('carries a named source between the channel and the payload; none = the kind default (unset)', () => {
    const sab = createRingBuffer(1024);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    const data = enc.encode('{"x":1}');
    expect(p.tryWriteParts(1, 5, 0, RecordKind.Frame, 'l2Book', data, 'node')).toBe(true);
    expect(p.tryWriteParts(2, 6, 0, RecordKind.Frame, 'l2Book', data)).toBe(true);
    expect(p.tryWrite({ seq: 3, time: 7, epoch: 0, kind: RecordKind.Venue, channel: 'fill', data })).toBe(
      true,
    );
    const a = c.readOne()!;
    const b = c.readOne()!;
    const v = c.readOne()!;
    expect([a.seq, a.channel, a.source, Buffer.from(a.data).toString()]).toEqual([
      1,
      'l2Book',
      'node',
      '{"x":1}',
    ]);
    expect(b.source).toBeUndefined();
    expect(Buffer.from(b.data).toString()).toBe('{"x":1}');
    expect([v.kind, v.channel, v.source]).toEqual([RecordKind.Venue, 'fill', undefined]);
  });

  it('a source takes room: recordBytes and fits count it', () => {
    expect(recordBytes(6, 10, 4)).toBe(recordBytes(6, 10) + 8);
    const p = new RingProducer(createRingBuffer(1024));
    expect(p.fits(0, 512 - 32)).toBe(true);
    expect(p.fits(0, 512 - 32, 8)).toBe(false);
  });

  it('in place reads reuse the record object: a record without a source after one with it has none', () => {
    const sab = createRingBuffer(1024);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    p.tryWriteParts(1, 1, 0, RecordKind.Frame, 'bbo', enc.encode('a'), 'node');
    p.tryWriteParts(2, 2, 0, RecordKind.Frame, 'bbo', enc.encode('b'));
    const seen: Array<string | undefined> = [];
    c.read((r) => seen.push(r.source));
    expect(seen).toEqual(['node', undefined]);
  });
});

describe('stamper: the inlet stamps the source', () => {
  it('defaults from the kind: frames and conns feed, ticks and decisions local, venue answers venue', () => {
    const h = setup();
    h.stamper.frame(frame(1));
    h.stamper.conn({ type: 'open' });
    h.stamper.control(RecordKind.Tick, 'tick', jsonBytes({ cause: 'timer' }));
    h.stamper.control(RecordKind.Decision, 'operator', jsonBytes({ type: 'HALT' }));
    h.stamper.control(RecordKind.Venue, 'orderUpdates', jsonBytes({ oid: 1 }));
    h.readAll();
    // nothing travels for a default: the records read back with no source, i.e. their kind's default
    expect(h.out.map((r) => r.source)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(h.out.map((r) => [r.seq, r.kind])).toEqual([
      [1, RecordKind.Frame],
      [2, RecordKind.Conn],
      [3, RecordKind.Tick],
      [4, RecordKind.Decision],
      [5, RecordKind.Venue],
    ]);
    expect(h.stamper.counters.bySource).toEqual({ feed: 2, local: 2, venue: 1 });
  });

  it('a stamper of a named source stamps its frames, conns and loss gaps with it', () => {
    const h = setup({ source: 'node', capacity: 1024 });
    h.stamper.frame(frame(1));
    h.stamper.conn({ type: 'open' });
    h.readAll();
    expect(h.out.map((r) => [r.kind, r.source])).toEqual([
      [RecordKind.Frame, 'node'],
      [RecordKind.Conn, 'node'],
    ]);
    // a frame too big for the ring is lost and reported by a gap record of the same source
    h.stamper.frame(new Uint8Array(2000));
    h.readAll();
    expect(h.out.at(-1)).toMatchObject({ kind: RecordKind.Conn, channel: 'gap', source: 'node' });
    expect(h.stamper.counters.bySource).toEqual({ node: 3 });
  });

  it('control() takes a named source; the kind default given by name is not carried', () => {
    const h = setup();
    h.stamper.control(RecordKind.Venue, 'post', jsonBytes({ status: 'ok' }), 'venue');
    h.stamper.control(RecordKind.Venue, 'post', jsonBytes({ status: 'ok' }), 'testnet-venue');
    h.stamper.control(RecordKind.Decision, 'operator', jsonBytes({ type: 'DISK' }), 'disk-guard');
    h.readAll();
    expect(h.out.map((r) => r.source)).toEqual([undefined, 'testnet-venue', 'disk-guard']);
    expect(defaultSource(h.out[0]!.kind)).toBe('venue');
  });

  it('records queued in the overflow keep their source and come out in order', () => {
    const h = setup({ capacity: 1024 });
    for (let i = 0; i < 40; i++)
      h.stamper.control(RecordKind.Venue, 'fill', jsonBytes({ i, pad: 'x'.repeat(40) }), `v${i % 3}`);
    expect(h.stamper.counters.overflowed).toBeGreaterThan(0);
    for (let k = 0; k < 100 && h.out.length < 40; k++) {
      h.readAll();
      h.stamper.drain();
    }
    expect(h.out.map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(h.out.map((r) => r.source)).toEqual(Array.from({ length: 40 }, (_, i) => `v${i % 3}`));
  });

  it('a source name that is empty, too long or not printable ASCII is refused at once', () => {
    const h = setup();
    for (const bad of ['', 'x'.repeat(65), 'n\u00e9', 'a b']) {
      expect(() => h.stamper.control(RecordKind.Venue, 'x', new Uint8Array(0), bad)).toThrow(RangeError);
      expect(() => new Stamper({ clock: h.clock, sink: h.producer, source: bad })).toThrow(/source name/);
    }
    h.readAll();
    expect(h.out).toHaveLength(0);
  });
});

describe('ring: sources through wrap-around (fixed-seed property)', () => {
  it('any mix of sources, channels and payload sizes comes out exactly as written, in order', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            kind: fc.constantFrom(RecordKind.Frame, RecordKind.Conn, RecordKind.Venue, RecordKind.Decision),
            channel: fc.stringMatching(/^[a-zA-Z.]{0,12}$/),
            source: fc.option(fc.stringMatching(/^[\x21-\x7e]{1,64}$/), { nil: undefined }),
            size: fc.integer({ min: 0, max: 300 }),
          }),
          { minLength: 50, maxLength: 200 },
        ),
        (items) => {
          const sab = createRingBuffer(2048);
          const p = new RingProducer(sab);
          const c = new RingConsumer(sab);
          const out: JournalRecord[] = [];
          let seq = 0;
          for (const it of items) {
            seq++;
            const data = new Uint8Array(it.size).fill(seq & 0xff);
            // read until it fits: the ring wraps (and pads) many times over a run
            while (!p.tryWriteParts(seq, seq, 0, it.kind, it.channel, data, it.source)) {
              const r = c.readOne();
              if (r === null) throw new Error('a record that never fits');
              out.push(r);
            }
          }
          for (let r = c.readOne(); r !== null; r = c.readOne()) out.push(r);
          expect(out.map((r) => r.seq)).toEqual(items.map((_, i) => i + 1));
          out.forEach((r, i) => {
            const it = items[i]!;
            expect([r.kind, r.channel, r.source, r.data.length]).toEqual([
              it.kind,
              it.channel,
              it.source,
              it.size,
            ]);
            expect(r.data.every((b) => b === (r.seq & 0xff))).toBe(true);
          });
          bytes += items.reduce(
            (n, x) => n + recordBytes(x.channel.length, x.size, x.source?.length ?? 0),
            0,
          );
          named += items.filter((x) => x.source !== undefined).length;
        },
      ),
      { seed: 16, numRuns: 200 },
    );
    const laps = Math.floor(bytes / 2048);
    console.log(
      `ring sources property: 200 runs, ${named} named-source records, ${laps} laps of the 2 KiB ring`,
    );
    expect(named).toBeGreaterThan(3_000);
    expect(laps).toBeGreaterThan(1_000);
  });
});
let bytes = 0;
let named = 0;
