import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CorruptReport } from '../../actors/journal/format.ts';
import { readAll, readJournal } from '../../actors/journal/reader.ts';
import { type JournalWriteError, JournalWriter, type LagEvidence } from '../../actors/journal/writer.ts';
import { ManualClock } from '../../state/clock.ts';
import { RecordKind } from '../../state/records.ts';
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
function frame(seq: number, time: number) {
  return { seq, time, epoch: 1, kind: RecordKind.Frame, channel: 'l2Book', data: L2BOOK };
}
const segFiles = (d: string) =>
  readdirSync(d)
    .filter((f) => f.endsWith('.jrnl'))
    .sort();

describe('JournalWriter group commit and acknowledgement', () => {
  it('flushes only when the fsync interval has passed, and acknowledges after fsync', async () => {
    const d = dir('gc');
    const clock = new ManualClock(T0);
    const acks: number[] = [];
    const w = new JournalWriter({ dir: d, clock, fsyncIntervalMs: 5, onPersisted: (s) => acks.push(s) });
    for (let s = 0; s < 10; s++) w.append(recordFor(s));
    expect(w.stats.flushes).toBe(0);
    expect(w.persistedSeq).toBe(-1);
    clock.advance(4.9);
    expect(w.stats.flushes).toBe(0);
    clock.advance(0.1);
    expect(w.stats.flushes).toBe(1);
    expect(w.persistedSeq).toBe(-1); // the write + fsync is still in flight
    await w.flush();
    expect(w.persistedSeq).toBe(9);
    expect(acks).toEqual([9]);
    // records appended while nothing is due wait for the next interval
    for (let s = 10; s < 15; s++) w.append(recordFor(s));
    expect(w.stats.flushes).toBe(1);
    clock.advance(5);
    await w.flush();
    expect(acks).toEqual([9, 14]);
    await w.close();
    expect(readAll(d).records.map((r) => r.seq)).toEqual([...Array(15).keys()]);
  });

  it('flushes at once when flushBytes are waiting', async () => {
    const d = dir('fb');
    const clock = new ManualClock(T0);
    const w = new JournalWriter({ dir: d, clock, flushBytes: 10_000 });
    let s = 0;
    while (w.stats.flushes === 0) w.append(frame(s++, T0 + s));
    expect(s).toBe(Math.ceil((10_000 - 40) / (L2BOOK.length + 25)));
    await w.close();
  });

  it("'every-record' mode fsyncs each record separately", async () => {
    const d = dir('er');
    const clock = new ManualClock(T0);
    const acks: number[] = [];
    const w = new JournalWriter({ dir: d, clock, mode: 'every-record', onPersisted: (s) => acks.push(s) });
    for (let s = 0; s < 6; s++) w.append(recordFor(s));
    await w.flush();
    expect(acks).toEqual([0, 1, 2, 3, 4, 5]);
    expect(w.stats.flushes).toBe(6);
    await w.close();
  });

  it('rejects bad records with a counted, reported error and keeps the rest', async () => {
    const d = dir('rej');
    const clock = new ManualClock(T0);
    const errors: JournalWriteError[] = [];
    const w = new JournalWriter({ dir: d, clock, onError: (e) => errors.push(e) });
    expect(w.append(recordFor(0))).toBe(true);
    expect(w.append(recordFor(0))).toBe(false); // seq does not increase
    expect(w.append({ ...recordFor(1), time: Number.NaN })).toBe(false);
    expect(w.append({ ...recordFor(1), kind: 9 as never })).toBe(false);
    expect(w.append({ ...recordFor(1), data: 'text' as never })).toBe(false);
    expect(w.append(null as never)).toBe(false);
    expect(w.append(recordFor(1))).toBe(true);
    expect(w.stats.rejected).toBe(5);
    expect(errors.map((e) => e.code)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
    expect(errors[0]!.message).toMatch(/seq 0 does not increase/);
    await w.close();
    expect(w.append(recordFor(2))).toBe(false);
    expect(readAll(d).records.map((r) => r.seq)).toEqual([0, 1]);
  });

  it('signals lag when unpersisted bytes pass the bound, keeps the data, and clears after the flush', async () => {
    const d = dir('lag');
    const clock = new ManualClock(T0);
    const lag: Array<[boolean, LagEvidence]> = [];
    const w = new JournalWriter({
      dir: d,
      clock,
      lagBytes: 20_000,
      flushBytes: 1 << 30,
      onLag: (l, e) => lag.push([l, e]),
    });
    for (let s = 0; s < 30; s++) w.append(frame(s, T0 + s * 0.01));
    expect(w.lagging).toBe(true);
    expect(lag.length).toBe(1);
    expect(lag[0]![0]).toBe(true);
    expect(lag[0]![1].pendingBytes).toBeGreaterThan(20_000);
    expect(lag[0]![1].persistedSeq).toBe(-1);
    clock.advance(5);
    await w.flush();
    expect(w.lagging).toBe(false);
    expect(lag.map((x) => x[0])).toEqual([true, false]);
    await w.close();
    expect(readAll(d).records.length).toBe(30);
  });
});

describe('segments and the index', () => {
  it('rolls segments by size', async () => {
    const d = dir('rs');
    const clock = new ManualClock(T0);
    const w = new JournalWriter({ dir: d, clock, segmentBytes: 20_000 });
    for (let s = 0; s < 50; s++) w.append(frame(s, T0 + s));
    await w.close();
    const files = segFiles(d);
    expect(files.length).toBe(Math.ceil(50 / Math.floor((20_000 - 40) / (L2BOOK.length + 25))));
    for (const f of files) expect(statSync(join(d, f)).size).toBeLessThanOrEqual(20_000);
    expect(files[1]).toBe(
      `seg-${String(Math.floor((20_000 - 40) / (L2BOOK.length + 25))).padStart(16, '0')}.jrnl`,
    );
    expect(readAll(d).records.map((r) => r.seq)).toEqual([...Array(50).keys()]);
  });

  it('rolls segments by record time', async () => {
    const d = dir('rt');
    const clock = new ManualClock(T0);
    const w = new JournalWriter({ dir: d, clock, segmentMs: 1000 });
    for (let s = 0; s < 10; s++) w.append(frame(s, T0 + s * 300));
    await w.close();
    // 0..900 ms, 1200..2100, 2400..2700: a new segment when 1 s has passed since its first record
    expect(segFiles(d)).toEqual([0, 4, 8].map((s) => `seg-${String(s).padStart(16, '0')}.jrnl`));
  });

  it('seeks by seq and by time through the index', async () => {
    const d = dir('seek');
    const clock = new ManualClock(T0);
    const w = new JournalWriter({ dir: d, clock, segmentBytes: 200_000, indexEvery: 16 });
    for (let s = 0; s < 2000; s++) w.append(recordFor(s));
    await w.close();
    expect(segFiles(d).length).toBeGreaterThan(3);
    expect(readAll(d, { fromSeq: 1234, toSeq: 1240 }).records.map((r) => r.seq)).toEqual([
      1234, 1235, 1236, 1237, 1238, 1239, 1240,
    ]);
    const t = recordFor(777).time;
    const byTime = readAll(d, { fromTime: t, toTime: recordFor(790).time }).records;
    expect(byTime.map((r) => r.seq)).toEqual([...Array(13).keys()].map((i) => 777 + i));
    expect(sameRecord(byTime[0]!, recordFor(777))).toBe(true);

    // the seek really skips: a corrupt record early in the target's segment is not read...
    const target = 1234;
    const entries = [...readJournal(d, { fromSeq: target - 1, toSeq: target })];
    const segPath = entries[0]!.file;
    const first = [...readJournal(d)].find((e) => e.file === segPath)!;
    const buf = Buffer.from(readFileSync(segPath));
    buf[first.offset + 20] = buf[first.offset + 20]! ^ 0xff; // inside the first record's body
    writeFileSync(segPath, buf);
    const seen: CorruptReport[] = [];
    const got = [...readJournal(d, { fromSeq: target, toSeq: target, onCorrupt: (c) => seen.push(c) })];
    expect(got.map((e) => e.record.seq)).toEqual([target]);
    expect(seen).toEqual([]);
    // ...while without the index the whole segment is scanned and the corruption is met
    rmSync(segPath.replace(/\.jrnl$/, '.idx'));
    const got2 = [...readJournal(d, { fromSeq: target, toSeq: target, onCorrupt: (c) => seen.push(c) })];
    expect(got2.map((e) => e.record.seq)).toEqual([target]);
    expect(seen.length).toBe(1);
    expect(seen[0]!.offset).toBe(first.offset);
  });

  it('falls back to scanning when the index points at the wrong place', async () => {
    const d = dir('badidx');
    const clock = new ManualClock(T0);
    const w = new JournalWriter({ dir: d, clock, indexEvery: 8 });
    for (let s = 0; s < 100; s++) w.append(recordFor(s));
    await w.close();
    const idx = join(d, segFiles(d)[0]!.replace('.jrnl', '.idx'));
    const b = Buffer.from(readFileSync(idx));
    // shift every entry's offset by 3 bytes
    for (let p = 16; p + 24 <= b.length; p += 24) b.writeDoubleLE(b.readDoubleLE(p + 16) + 3, p + 16);
    writeFileSync(idx, b);
    expect(readAll(d, { fromSeq: 50, toSeq: 52 }).records.map((r) => r.seq)).toEqual([50, 51, 52]);
  });
});

describe('directories and reopening', () => {
  it('puts the journal under <dataDir>/<UTC date of the first record>', async () => {
    const base = dir('data');
    const clock = new ManualClock(T0);
    const w = new JournalWriter({ dataDir: base, clock });
    expect(w.dir).toBeNull();
    w.append(recordFor(0));
    expect(w.dir).toBe(join(base, '2025-07-02'));
    await w.close();
    expect(existsSync(join(base, '2025-07-02', 'seg-0000000000000000.jrnl'))).toBe(true);
  });

  it('continues after the last recovered seq in a new segment', async () => {
    const d = dir('reopen');
    const clock = new ManualClock(T0);
    const w1 = new JournalWriter({ dir: d, clock });
    for (let s = 0; s < 10; s++) w1.append(recordFor(s));
    await w1.close();
    const w2 = new JournalWriter({ dir: d, clock });
    expect(w2.nextSeq).toBe(10);
    expect(w2.persistedSeq).toBe(9);
    expect(w2.append(recordFor(5))).toBe(false);
    for (let s = 10; s < 20; s++) expect(w2.append(recordFor(s))).toBe(true);
    await w2.close();
    expect(segFiles(d).length).toBe(2);
    const { records, corrupt } = readAll(d);
    expect(corrupt).toEqual([]);
    expect(records.every((r, i) => sameRecord(r, recordFor(i)))).toBe(true);
    expect(records.length).toBe(20);
  });
});
