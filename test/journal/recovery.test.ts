import { appendFileSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JournalFormatError } from '../../actors/journal/format.ts';
import { type JournalEntry, readAll, readJournal } from '../../actors/journal/reader.ts';
import { recoverJournal } from '../../actors/journal/recovery.ts';
import { JournalWriter } from '../../actors/journal/writer.ts';
import { ManualClock } from '../../state/clock.ts';
import { recordFor, sameRecord, T0, tempDir } from './helpers.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

async function journal(
  n: number,
  opts: { segmentBytes?: number } = {},
): Promise<{ dir: string; entries: JournalEntry[] }> {
  const t = tempDir('rec');
  cleanups.push(t.cleanup);
  const w = new JournalWriter({ dir: t.dir, clock: new ManualClock(T0), ...opts });
  for (let s = 0; s < n; s++) w.append(recordFor(s));
  await w.close();
  return { dir: t.dir, entries: [...readJournal(t.dir)] };
}

function flip(file: string, at: number): void {
  const b = readFileSync(file);
  b[at] = b[at]! ^ 0x5a;
  writeFileSync(file, b);
}

describe('torn tail', () => {
  it('is reported by readers, then truncated and reported by recovery; nothing before it is lost', async () => {
    const { dir, entries } = await journal(100);
    const last = entries[99]!;
    truncateSync(last.file, last.offset + 7); // cut inside the last record's header/body
    const before = readAll(dir);
    expect(before.records.length).toBe(99);
    expect(before.corrupt).toHaveLength(1);
    expect(before.corrupt[0]).toMatchObject({ file: last.file, offset: last.offset, length: 7, tail: true });

    const rep = recoverJournal(dir);
    expect(rep.truncated).toHaveLength(1);
    expect(rep.truncated[0]).toMatchObject({ offset: last.offset, tail: true });
    expect(rep.corrupt).toEqual([]);
    expect(rep.lastSeq).toBe(98);
    expect(statSync(last.file).size).toBe(last.offset);
    const after = readAll(dir);
    expect(after.corrupt).toEqual([]);
    expect(after.records.every((r, i) => sameRecord(r, recordFor(i)))).toBe(true);

    // the next writer continues cleanly from seq 99
    const w = new JournalWriter({ dir, clock: new ManualClock(T0) });
    expect(w.nextSeq).toBe(99);
    w.append(recordFor(99));
    await w.close();
    expect(readAll(dir).records.length).toBe(100);
  });

  it('a tail of partial framing (marker + half a length) is cut at the writer start', async () => {
    const { dir, entries } = await journal(20);
    const seg = entries[19]!.file;
    const size = statSync(seg).size;
    appendFileSync(seg, Buffer.from([0xf7, 0x4a, 0x52, 0x1d, 0x10, 0x00]));
    const reports: unknown[] = [];
    const w = new JournalWriter({ dir, clock: new ManualClock(T0), onRecovery: (r) => reports.push(r) });
    expect(w.recovery!.truncated).toHaveLength(1);
    expect(w.recovery!.truncated[0]!.offset).toBe(size);
    expect(reports).toHaveLength(1);
    expect(statSync(seg).size).toBe(size);
    await w.close();
  });

  it('a segment with only a torn header is removed', async () => {
    const { dir } = await journal(5);
    const torn = join(dir, 'seg-0000000000000005.jrnl');
    writeFileSync(torn, Buffer.from([0x89, 0x48, 0x4c, 0x4a]));
    const rep = recoverJournal(dir);
    expect(rep.removed).toEqual([torn]);
    expect(rep.lastSeq).toBe(4);
    expect(readdirSync(dir).filter((f) => f.endsWith('.jrnl'))).toEqual(['seg-0000000000000000.jrnl']);
  });
});

describe('corrupt record in the middle', () => {
  it.each([
    ['body byte', 30],
    ['CRC field', 9],
    ['length field', 5],
    ['sync marker', 1],
  ])('(%s) is reported and skipped; every later record is still read', async (_what, delta) => {
    const { dir, entries } = await journal(100);
    const bad = entries[50]!;
    flip(bad.file, bad.offset + delta);
    const { records, corrupt } = readAll(dir);
    expect(records.map((r) => r.seq)).toEqual([...Array(100).keys()].filter((s) => s !== 50));
    expect(records.every((r) => sameRecord(r, recordFor(r.seq)))).toBe(true);
    expect(corrupt).toHaveLength(1);
    expect(corrupt[0]).toMatchObject({ file: bad.file, offset: bad.offset, length: bad.size, tail: false });
    expect(corrupt[0]!.reason).toMatch(/CRC|marker|length|truncated/);

    // recovery reports it, cuts nothing, and loses nothing after it
    const rep = recoverJournal(dir);
    expect(rep.corrupt).toHaveLength(1);
    expect(rep.truncated).toEqual([]);
    expect(rep.lastSeq).toBe(99);
    expect(readAll(dir).records.length).toBe(99);
  });

  it('two corrupt records and a torn tail are all reported', async () => {
    const { dir, entries } = await journal(60);
    flip(entries[10]!.file, entries[10]!.offset + 40);
    flip(entries[11]!.file, entries[11]!.offset + 40);
    flip(entries[30]!.file, entries[30]!.offset + 40);
    truncateSync(entries[59]!.file, entries[59]!.offset + 3);
    const { records, corrupt } = readAll(dir);
    expect(records.length).toBe(60 - 4);
    // adjacent bad records 10 and 11 form one bad range
    expect(corrupt.map((c) => [c.offset, c.tail])).toEqual([
      [entries[10]!.offset, false],
      [entries[30]!.offset, false],
      [entries[59]!.offset, true],
    ]);
    expect(corrupt[0]!.length).toBe(entries[10]!.size + entries[11]!.size);
  });
});

describe('foreign files', () => {
  it('wrong format version: a clear error naming the file and the expected version', async () => {
    const { dir, entries } = await journal(3);
    const seg = entries[0]!.file;
    const b = readFileSync(seg);
    b.writeUInt16LE(2, 8);
    writeFileSync(seg, b);
    expect(() => readAll(dir)).toThrow(JournalFormatError);
    expect(() => readAll(dir)).toThrow(
      `${seg}: not a readable journal file: expected format version 1, found format version 2`,
    );
    expect(() => recoverJournal(dir)).toThrow(/expected format version 1/);
    expect(() => new JournalWriter({ dir, clock: new ManualClock(T0) })).toThrow(JournalFormatError);
  });

  it('garbage file: a clear error naming the file and the expected magic', async () => {
    const t = tempDir('garbage');
    cleanups.push(t.cleanup);
    const seg = join(t.dir, 'seg-0000000000000000.jrnl');
    writeFileSync(seg, 'this is certainly not a journal segment, just some text\n');
    let err: unknown;
    try {
      readAll(t.dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JournalFormatError);
    expect((err as JournalFormatError).file).toBe(seg);
    expect((err as Error).message).toMatch(
      /expected journal segment magic 89 48 4c 4a 52 4e 4c 0a.*found 74 68 69 73/,
    );
    expect(() => recoverJournal(t.dir)).toThrow(/journal segment magic/);
  });
});
