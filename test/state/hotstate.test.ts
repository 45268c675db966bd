/**
 * Hot state: layout, publish/read round trip, checksum, seqlock behaviour on a slot caught mid-write,
 * the global version counter, staleness, attach validation, and the named view.
 */
import { describe, expect, it } from 'vitest';
import {
  F,
  FIELD_SPEC,
  makeLayout,
  SLOT_FIELDS,
  SLOT_FLOATS,
  slotChecksum,
  TOP_N,
} from '../../state/hotstate-layout.ts';
import { HotStateReader, HotStateWriter, isStale } from '../../state/hotstate.ts';
import { HotView } from '../../state/hotview.ts';

function image(k: number): Float64Array {
  const s = new Float64Array(SLOT_FLOATS);
  for (let i = 0; i < SLOT_FLOATS; i++) s[i] = k * 1000 + i;
  return s;
}

describe('hot-state layout', () => {
  it('named offsets are distinct, in range, and arrays have TOP_N room', () => {
    const seen = new Set<number>();
    let at = 0;
    for (const [name, width] of FIELD_SPEC) {
      expect(F[name]).toBe(at);
      for (let i = 0; i < width; i++) seen.add(at + i);
      at += width;
    }
    expect(seen.size).toBe(SLOT_FIELDS);
    expect(SLOT_FLOATS % 8).toBe(0);
    expect(F.bidSz - F.bidPx).toBe(TOP_N);
    const l = makeLayout(['BTC', 'ETH']);
    expect(l.dataOffset % 64).toBe(0);
    expect(l.byteLength).toBe(l.dataOffset + 2 * SLOT_FLOATS * 8);
    expect(() => makeLayout(['BTC', 'BTC'])).toThrow(/duplicate/);
  });

  it('the checksum catches a copy made of two publishes', () => {
    const a = image(1);
    const b = image(2);
    a[F.checksum] = slotChecksum(a);
    b[F.checksum] = slotChecksum(b);
    const torn = new Float64Array(a);
    torn.set(b.subarray(SLOT_FLOATS / 2), SLOT_FLOATS / 2);
    expect(slotChecksum(torn)).not.toBe(torn[F.checksum]);
    // one field differing in one bit is caught too
    const flip = new Float64Array(a);
    flip[F.mid] = flip[F.mid]! + 2 ** -30;
    expect(slotChecksum(flip)).not.toBe(flip[F.checksum]);
    // NaN payloads hash as one NaN
    const n1 = new Float64Array(a);
    n1[F.mid] = Number.NaN;
    const n2 = new Float64Array(n1);
    new DataView(n2.buffer).setUint32(F.mid * 8, 1, true); // a different NaN payload
    expect(Number.isNaN(n2[F.mid]!)).toBe(true);
    expect(slotChecksum(n1)).toBe(slotChecksum(n2));
  });
});

describe('writer and reader', () => {
  it('round trip: the reader copies exactly what was published, stamped', () => {
    const w = HotStateWriter.create(['BTC', 'ETH']);
    const r = HotStateReader.attach(w.sab, w.layout);
    const out = r.newSlotBuffer();
    // before any publish: a consistent image that says "never published" and is stale
    expect(r.read(1, out)).toBe(true);
    expect(out[F.slotVersion]).toBe(0);
    expect(out[F.mid]).toBeNaN();
    expect(out[F.walletFlags]).toBe(0);
    expect(isStale(out, 0, 1e12)).toBe(true);
    const img = image(7);
    expect(w.publish(1, img, 123.5)).toBe(1);
    expect(w.publish(0, image(8), 124)).toBe(2);
    expect(r.read(1, out)).toBe(true);
    expect(out[F.mid]).toBe(7000 + F.mid);
    expect(out[F.version]).toBe(1);
    expect(out[F.slotVersion]).toBe(1);
    expect(out[F.publishTime]).toBe(123.5);
    expect(out[F.coinIndex]).toBe(1);
    expect(slotChecksum(out)).toBe(out[F.checksum]);
    expect(Buffer.from(out.buffer).equals(Buffer.from(img.buffer))).toBe(true);
    expect(r.version()).toBe(2);
    expect(r.coinIndex.get('ETH')).toBe(1);
    // unknown index: false, nothing thrown
    expect(r.read(2, out)).toBe(false);
    expect(r.read(-1, out)).toBe(false);
  });

  it('a slot caught mid-write is never returned: bounded retries, then false', () => {
    const w = HotStateWriter.create(['BTC']);
    const r = HotStateReader.attach(w.sab, w.layout, { maxRetries: 50 });
    w.publish(0, image(1), 1);
    const locks = new Int32Array(w.sab);
    const li = w.layout.lockBase;
    Atomics.add(locks, li, 1); // the writer is "inside" its copy (odd)
    const out = r.newSlotBuffer();
    expect(r.read(0, out)).toBe(false);
    expect(r.failures).toBe(1);
    expect(r.retries).toBe(50);
    Atomics.add(locks, li, 1); // copy finished
    expect(r.read(0, out)).toBe(true);
    expect(out[F.mid]).toBe(1000 + F.mid);
  });

  it('the global version is whole across the 32-bit boundary', () => {
    const w = HotStateWriter.create(['BTC']);
    const r = HotStateReader.attach(w.sab, w.layout);
    const c = new Uint32Array(w.sab, 0, 2);
    c[0] = 7;
    c[1] = 3;
    expect(r.version()).toBe(3 * 2 ** 32 + 7);
  });

  it('attach refuses a layout that does not match the buffer or this build', () => {
    const w = HotStateWriter.create(['BTC']);
    expect(() => HotStateReader.attach(w.sab, { ...w.layout, magic: 'other' })).toThrow(/magic/);
    expect(() => HotStateReader.attach(w.sab, { ...w.layout, slotFloats: 8 })).toThrow(/slot/);
    expect(() => HotStateReader.attach(new SharedArrayBuffer(64), w.layout)).toThrow(/buffer/);
  });

  it('staleness is age against the reader clock, or a book gate', () => {
    const s = image(1);
    s[F.publishTime] = 1_000;
    s[F.slotVersion] = 3;
    s[F.bookRejected] = 0;
    s[F.bboRejected] = 0;
    expect(isStale(s, 1_500, 1_000)).toBe(false);
    expect(isStale(s, 2_000, 1_000)).toBe(false);
    expect(isStale(s, 2_000.5, 1_000)).toBe(true);
    // a rejected l2Book or bbo gates the coin however fresh the slot
    s[F.bookRejected] = 1;
    expect(isStale(s, 1_500, 1_000)).toBe(true);
    s[F.bookRejected] = 0;
    s[F.bboRejected] = 1;
    expect(isStale(s, 1_500, 1_000)).toBe(true);
    expect(new HotView(s).stale(1_500, 1_000)).toBe(true);
    expect(new HotView(s).bookInvalid).toBe(true);
    s[F.bboRejected] = 0;
    expect(new HotView(s).bookInvalid).toBe(false);
    s[F.publishTime] = Number.NaN;
    expect(isStale(s, 2_000, 1_000)).toBe(true);
  });
});

describe('HotView', () => {
  it('names every scalar field, NaN for NULL, and follows the buffer it views', () => {
    const buf = image(2);
    const v = new HotView(buf);
    expect(v.mid).toBe(2000 + F.mid);
    expect(v.oiDrop10s).toBe(2000 + F.oiDrop10s);
    expect(v.depthBid(20)).toBe(2000 + F.depthBid20);
    expect(v.depthAsk(50)).toBe(2000 + F.depthAsk50);
    expect(v.sellNotional('5s')).toBe(2000 + F.sellNtl5s);
    expect(v.buyNotional('1h')).toBe(2000 + F.buyNtl1h);
    expect(v.bidPx(3)).toBe(2000 + F.bidPx + 3);
    expect(v.askSz(TOP_N)).toBeNaN();
    buf[F.rangeHigh15m] = Number.NaN;
    expect(v.rangeHigh15m).toBeNaN();
    for (const [name, width] of FIELD_SPEC)
      if (width === 1) expect((v as unknown as Record<string, number>)[name]).toBe(buf[F[name]]);
    expect(v.published).toBe(true);
    expect(v.age(buf[F.publishTime]! + 5)).toBe(5);
  });
});
