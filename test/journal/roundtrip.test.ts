import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBody, encodeBody, encodeRecord } from '../../actors/journal/format.ts';
import { readAll } from '../../actors/journal/reader.ts';
import { JournalWriter } from '../../actors/journal/writer.ts';
import { ManualClock } from '../../state/clock.ts';
import { type JournalRecord, RecordKind } from '../../state/records.ts';
import { L2BOOK, recordFor, sameRecord, T0, tempDir } from './helpers.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function dir(tag: string): string {
  const t = tempDir(tag);
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('journal round trip', () => {
  it('writes and reads back every record kind byte for byte, incl. non-UTF-8 frames', async () => {
    const d = dir('rt');
    const clock = new ManualClock(T0);
    const w = new JournalWriter({ dir: d, clock });
    const recs: JournalRecord[] = [];
    for (let s = 0; s < 60; s++) recs.push(recordFor(s));
    // edge payloads: empty, one byte, every byte value
    recs.push({
      seq: 60,
      time: T0 + 1000,
      epoch: 2,
      kind: RecordKind.Frame,
      channel: '',
      data: new Uint8Array(0),
    });
    recs.push({
      seq: 61,
      time: T0 + 1000.0001,
      epoch: 2,
      kind: RecordKind.Frame,
      channel: 'x',
      data: new Uint8Array([0x80]),
    });
    recs.push({
      seq: 62,
      time: T0 + 1001,
      epoch: 3,
      kind: RecordKind.Frame,
      channel: 'all',
      data: Uint8Array.from({ length: 256 }, (_, i) => i),
    });
    for (const r of recs) expect(w.append(r)).toBe(true);
    await w.close();
    const { records, corrupt } = readAll(d);
    expect(corrupt).toEqual([]);
    expect(records.length).toBe(recs.length);
    const kinds = new Set(records.map((r) => r.kind));
    expect([...kinds].sort()).toEqual([1, 2, 3, 4]);
    for (let i = 0; i < recs.length; i++) {
      expect(sameRecord(records[i]!, recs[i]!), `record ${i}`).toBe(true);
      expect(records[i]!.data).toBeInstanceOf(Uint8Array);
    }
    // the l2Book fixture bytes come back exactly
    expect(Buffer.from(records[0]!.data).equals(Buffer.from(L2BOOK))).toBe(true);
  });

  it('body codec round-trips arbitrary records (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          seq: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          // -0 is stored as 0 (msgpack integer); record times are never -0
          time: fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : x)),
          epoch: fc.integer({ min: -1000, max: 1_000_000 }),
          kind: fc.constantFrom(1, 2, 3, 4) as fc.Arbitrary<JournalRecord['kind']>,
          channel: fc.string({ maxLength: 40 }),
          data: fc.uint8Array({ maxLength: 600 }),
        }),
        (r) => {
          const back = decodeBody(encodeBody(r));
          expect(typeof back).not.toBe('string');
          const b = back as JournalRecord;
          expect(Object.is(b.time, r.time)).toBe(true);
          expect({ ...b, time: 0, data: Buffer.from(b.data) }).toEqual({
            ...r,
            time: 0,
            data: Buffer.from(r.data),
          });
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });

  it('a framed record is marker + length + crc + body', () => {
    const r = recordFor(0);
    const f = encodeRecord(r);
    expect([...f.subarray(0, 4)]).toEqual([0xf7, 0x4a, 0x52, 0x1d]);
    expect(f.readUInt32LE(4)).toBe(f.length - 12);
  });
});
