/**
 * Midnight rollover (issue 16): a writer on a day folder of a journal root rolls to the next day's folder at
 * 00:00 UTC (record time) with no gap — contiguous sequence numbers across the folders, nothing lost or
 * duplicated — and the readers read the days in order as one stream. A restart on a later day continues
 * the sequence.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { journalDays, readDays } from '../../actors/journal/days.ts';
import { readAll } from '../../actors/journal/reader.ts';
import { JournalWriter } from '../../actors/journal/writer.ts';
import { ManualClock } from '../../state/clock.ts';
import { type JournalRecord, jsonBytes, RecordKind } from '../../state/records.ts';
import { tempDir } from './helpers.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

const START = Date.parse('2026-03-14T23:59:30Z');
const rec = (seq: number, time: number): JournalRecord => ({
  seq,
  time,
  epoch: 1,
  kind: seq % 10 === 0 ? RecordKind.Tick : RecordKind.Frame,
  channel: seq % 10 === 0 ? 'tick' : 'trades',
  data: jsonBytes({ seq }),
});

/** Write records every 250 ms from 23:59:30 to `untilMs` after START through a writer on the clock. */
async function run(root: string, clock: ManualClock, firstSeq: number, untilMs: number) {
  const w = new JournalWriter({ dir: join(root, '2026-03-14'), rollDaily: true, clock, segmentBytes: 4_000 });
  expect(w.nextSeq).toBe(firstSeq);
  let seq = firstSeq;
  while (clock.now() < START + untilMs) {
    expect(w.append(rec(seq++, clock.now()))).toBe(true);
    // group commit runs on the same clock: let some flushes happen while time passes
    clock.advance(250);
    if (seq % 7 === 0) await w.flush();
  }
  await w.close();
  return { w, lastSeq: seq - 1 };
}

describe('journal: midnight rollover', () => {
  it('a run across 00:00 UTC journals into two day folders with contiguous seqs; read as one stream', async () => {
    const t = tempDir('midnight');
    cleanups.push(t.cleanup);
    const clock = new ManualClock(START);
    const { w, lastSeq } = await run(t.dir, clock, 0, 60_000);
    expect(w.stats.dayRolls).toBe(1);
    expect(readdirSync(t.dir).sort()).toEqual(['2026-03-14', '2026-03-15']);
    const d1 = readAll(join(t.dir, '2026-03-14'));
    const d2 = readAll(join(t.dir, '2026-03-15'));
    expect([d1.corrupt, d2.corrupt]).toEqual([[], []]);
    // every record in the folder of its own UTC day
    const midnight = Date.parse('2026-03-15T00:00:00Z');
    expect(d1.records.every((r) => r.time < midnight)).toBe(true);
    expect(d2.records.every((r) => r.time >= midnight)).toBe(true);
    expect(d1.records.length).toBe(120); // 30 s at 4 a second
    expect(d2.records[0]!.seq).toBe(d1.records.at(-1)!.seq + 1);
    expect(d2.records[0]!.time).toBe(midnight);
    // the data dir read as one stream: 0..lastSeq, each once, in order
    const days = journalDays(t.dir);
    expect(days).toEqual([join(t.dir, '2026-03-14'), join(t.dir, '2026-03-15')]);
    const all = [...readDays(days)].map((e) => e.record.seq);
    expect(all).toEqual(Array.from({ length: lastSeq + 1 }, (_, i) => i));
    expect(new Set(all).size).toBe(all.length);
  });

  it('a restart (even on a later day) continues the sequence of the latest day before it', async () => {
    const t = tempDir('midnight-restart');
    cleanups.push(t.cleanup);
    const clock = new ManualClock(START);
    const first = await run(t.dir, clock, 0, 40_000);
    // the next process starts two days later: its day folder is new, its sequence is not
    clock.advance(Date.parse('2026-03-17T09:00:00Z') - clock.now());
    const w = new JournalWriter({ dir: join(t.dir, '2026-03-17'), rollDaily: true, clock });
    expect(w.nextSeq).toBe(first.lastSeq + 1);
    expect(w.append(rec(first.lastSeq, clock.now()))).toBe(false); // a seq already journaled
    expect(w.append(rec(first.lastSeq + 1, clock.now()))).toBe(true);
    await w.close();
    const seqs = [...readDays(journalDays(t.dir))].map((e) => e.record.seq);
    expect(seqs).toEqual(Array.from({ length: first.lastSeq + 2 }, (_, i) => i));
  });

  it('a record whose time steps back before midnight stays in the new day (no roll back)', async () => {
    const t = tempDir('midnight-back');
    cleanups.push(t.cleanup);
    const clock = new ManualClock(Date.parse('2026-03-14T23:59:59.900Z'));
    const w = new JournalWriter({ dir: join(t.dir, '2026-03-14'), rollDaily: true, clock });
    w.append(rec(1, clock.now()));
    w.append(rec(2, Date.parse('2026-03-15T00:00:00.100Z')));
    w.append(rec(3, Date.parse('2026-03-14T23:59:59.950Z')));
    await w.close();
    expect(readAll(join(t.dir, '2026-03-14')).records.map((r) => r.seq)).toEqual([1]);
    expect(readAll(join(t.dir, '2026-03-15')).records.map((r) => r.seq)).toEqual([2, 3]);
  });

  it('rollDaily needs a day folder', () => {
    const t = tempDir('midnight-bad');
    cleanups.push(t.cleanup);
    expect(() => new JournalWriter({ dir: t.dir, rollDaily: true, clock: new ManualClock(0) })).toThrow(
      /day folder/,
    );
    expect(existsSync(join(t.dir, 'seg-0000000000000000.jrnl'))).toBe(false);
  });
});
