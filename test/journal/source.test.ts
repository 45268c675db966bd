/** A record's source in the journal format: an optional 7th body element, written only when not the default. */
import { Packr } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBody, encodeBody, invalidRecordReason } from '../../actors/journal/format.ts';
import { readAll } from '../../actors/journal/reader.ts';
import { JournalWriter } from '../../actors/journal/writer.ts';
import { ManualClock } from '../../state/clock.ts';
import { type JournalRecord, jsonBytes, RecordKind } from '../../state/records.ts';
import { recordFor, T0, tempDir } from './helpers.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

const packr = new Packr({ useRecords: false, moreTypes: false, copyBuffers: true });
const venue = (seq: number, source?: string): JournalRecord => {
  const r: JournalRecord = {
    seq,
    time: T0 + seq,
    epoch: 0,
    kind: RecordKind.Venue,
    channel: 'orderUpdates',
    data: jsonBytes({ oid: seq }),
  };
  if (source !== undefined) r.source = source;
  return r;
};

describe('journal format: source', () => {
  it('a record with no source, or its kind default, encodes exactly as a journal written before sources', () => {
    for (const r of [recordFor(0), recordFor(3), recordFor(4), venue(9)]) {
      const old = Buffer.from(packr.pack([r.seq, r.time, r.epoch, r.kind, r.channel, r.data]));
      expect(Buffer.from(encodeBody(r)).equals(old)).toBe(true);
      const named = { ...r, source: r.kind === RecordKind.Venue ? 'venue' : r.kind <= 2 ? 'feed' : 'local' };
      expect(Buffer.from(encodeBody(named)).equals(old)).toBe(true);
      const back = decodeBody(old);
      expect(typeof back === 'object' && back.source).toBeUndefined();
    }
  });

  it('another source is a 7th element and reads back', () => {
    const r = { ...recordFor(0), source: 'node' };
    const body = Buffer.from(encodeBody(r));
    expect((packr.unpack(body) as unknown[]).length).toBe(7);
    const back = decodeBody(body);
    expect(typeof back === 'object' ? [back.seq, back.channel, back.source] : back).toEqual([
      0,
      'l2Book',
      'node',
    ]);
    expect(typeof back === 'object' && Buffer.from(back.data).equals(Buffer.from(r.data))).toBe(true);
  });

  it('a bad 7th element is a corrupt body, and a bad source is refused before writing', () => {
    const base = [1, T0, 0, RecordKind.Frame, 'bbo', new Uint8Array(1)];
    expect(decodeBody(packr.pack([...base, 7]))).toMatch(/source/);
    expect(decodeBody(packr.pack([...base, '']))).toMatch(/source/);
    expect(decodeBody(packr.pack([...base, 'x', 'y']))).toMatch(/6- or 7-element/);
    expect(invalidRecordReason({ ...recordFor(1), source: '' })).toMatch(/source/);
    expect(invalidRecordReason({ ...recordFor(1), source: 'x'.repeat(65) })).toMatch(/source/);
    expect(invalidRecordReason(venue(5))).toBeNull(); // RecordKind.Venue is a kind
  });

  it('the writer journals sources and venue records; readers get them back (default: unset)', async () => {
    const t = tempDir('src');
    cleanups.push(t.cleanup);
    const w = new JournalWriter({ dir: t.dir, clock: new ManualClock(T0) });
    const recs = [{ ...recordFor(0), source: 'node' }, recordFor(1), venue(2), venue(3, 'venue-b')];
    for (const r of recs) expect(w.append(r)).toBe(true);
    await w.close();
    const { records, corrupt } = readAll(t.dir);
    expect(corrupt).toEqual([]);
    expect(records.map((r) => [r.seq, r.kind, r.source])).toEqual([
      [0, RecordKind.Frame, 'node'],
      [1, RecordKind.Frame, undefined],
      [2, RecordKind.Venue, undefined],
      [3, RecordKind.Venue, 'venue-b'],
    ]);
  });
});
