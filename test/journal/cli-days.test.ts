/**
 * The journal commands on a data dir (issue 16): every command accepts the data dir, the journal root or a
 * day folder and `--from/--to`, reads across days in order (stats per source, verify's sequence across
 * days, export's source), exits non-zero naming what it looked for and what it found on an empty or wrong
 * folder; compact (ratio printed, compacted days read by every reader) and prune (never today, never the
 * day a running instance writes).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { journalDays, readDays } from '../../actors/journal/days.ts';
import { readAll } from '../../actors/journal/reader.ts';
import { JournalWriter } from '../../actors/journal/writer.ts';
import { main } from '../../runtime/cli.ts';
import { type JournalStats, journalCommand } from '../../runtime/commands/journal.ts';
import { lockDataDir } from '../../runtime/lock.ts';
import { ManualClock } from '../../state/clock.ts';
import { type JournalRecord, jsonBytes, RecordKind } from '../../state/records.ts';
import { recordFor, tempDir } from './helpers.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function io(extra: Record<string, unknown> = {}) {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      ...extra,
    },
    out: () => out,
    err: () => err,
  };
}

const DAYS = ['2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21'];
const PER_DAY = 40;

/** A data dir with DAYS, one sequence across them (as rollover and restarts write it), some named sources. */
async function dataDir(days = DAYS): Promise<string> {
  const t = tempDir('cli-days');
  cleanups.push(t.cleanup);
  let seq = 0;
  for (const day of days) {
    const t0 = Date.parse(`${day}T10:00:00Z`);
    const w = new JournalWriter({
      dir: join(t.dir, 'journal', day),
      rollDaily: true,
      clock: new ManualClock(t0),
      segmentBytes: 20_000,
    });
    for (let i = 0; i < PER_DAY; i++, seq++) {
      const r: JournalRecord = { ...recordFor(seq), time: t0 + i * 1000 };
      if (i % 10 === 9) {
        r.kind = RecordKind.Venue;
        r.channel = 'orderUpdates';
        r.data = jsonBytes({ oid: seq });
      }
      if (i % 8 === 7) r.source = 'node';
      expect(w.append(r)).toBe(true);
    }
    await w.close();
  }
  return t.dir;
}

const seqs = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { seq: number }).seq);

describe('journal commands on a data dir', () => {
  it('the data dir, the journal root and --from/--to give what the day folders give', async () => {
    const data = await dataDir();
    const root = join(data, 'journal');
    const all = Array.from({ length: DAYS.length * PER_DAY }, (_, i) => i);
    for (const path of [data, root]) {
      const e = io();
      expect(await journalCommand(['export', path], e.io)).toBe(0);
      expect(seqs(e.out())).toEqual(all);
    }
    const r = io();
    expect(await journalCommand(['export', data, '--from', DAYS[1]!, '--to', DAYS[2]!], r.io)).toBe(0);
    expect(seqs(r.out())).toEqual(all.slice(PER_DAY, 3 * PER_DAY));
    const one = io();
    expect(await journalCommand(['export', join(root, DAYS[3]!)], one.io)).toBe(0);
    expect(seqs(one.out())).toEqual(all.slice(3 * PER_DAY));
    // the same stats, by the data dir or by its days one at a time
    const st = io();
    expect(await journalCommand(['stats', data, '--json', '--from', DAYS[1]!], st.io)).toBe(0);
    const s = JSON.parse(st.out()) as JournalStats;
    expect(s.days).toEqual(DAYS.slice(1).map((d) => join(root, d)));
    expect([s.records, s.firstSeq, s.lastSeq, s.seqGaps.length]).toEqual([120, 40, 159, 0]);
    expect(s.byKind.venue).toBe(12);
    const bySource: Record<string, number> = {};
    for (const { record } of readDays(journalDays(data, { from: DAYS[1]! }))) {
      const src =
        record.source ?? (record.kind === RecordKind.Venue ? 'venue' : record.kind <= 2 ? 'feed' : 'local');
      bySource[src] = (bySource[src] ?? 0) + 1;
    }
    expect(bySource.node).toBe(15);
    expect(bySource.venue).toBe(9); // the venue records of i = 39 are from 'node'
    expect(s.bySource).toEqual(bySource);
    const human = io();
    expect(await journalCommand(['stats', data, '--to', DAYS[0]!], human.io)).toBe(0);
    expect(human.out()).toMatch(/days {2}2026-11-18 \(1\)/);
    expect(human.out()).toMatch(/by source:\n(?: {2}\w+\s+\d+\n)+/);
    expect(human.out()).toMatch(/ {2}node\s+5\n/);
    const v = io();
    expect(await journalCommand(['verify', data, '--to', DAYS[1]!], v.io)).toBe(0);
    expect(v.out()).toMatch(/== .*2026-11-19\nDAY STARTS seq 40: contiguous with the day before/);
    expect(v.out()).toMatch(/2 days: 0 duplicate or non-monotonic sequence numbers in all, 0 days/);
    const ex = io();
    expect(await journalCommand(['export', data, '--from', DAYS[3]!, '--to-seq', '127'], ex.io)).toBe(0);
    expect(
      ex
        .out()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).source),
    ).toEqual(['feed', 'feed', 'feed', 'local', 'local', 'feed', 'feed', 'node']);
  });

  it('verify checks the sequence across days: a day that steps back fails, a day that skips is reported', async () => {
    const data = await dataDir(DAYS.slice(0, 2));
    // a third day whose writer did not continue the sequence (a copy from elsewhere, a second writer)
    const w = new JournalWriter({ dir: join(data, 'journal', '2026-11-25'), clock: new ManualClock(0) });
    for (let s = 70; s < 75; s++) w.append({ ...recordFor(s), time: Date.parse('2026-11-25T01:00:00Z') + s });
    await w.close();
    const w2 = new JournalWriter({ dir: join(data, 'journal', '2026-11-26'), clock: new ManualClock(0) });
    for (let s = 90; s < 95; s++)
      w2.append({ ...recordFor(s), time: Date.parse('2026-11-26T01:00:00Z') + s });
    await w2.close();
    const v = io();
    expect(await journalCommand(['verify', data], v.io)).toBe(1);
    expect(v.out()).toMatch(/SEQUENCE .*2026-11-25.*seq 70 goes back from seq 79 \(.*2026-11-19/);
    expect(v.out()).toMatch(
      /== .*2026-11-26\nDAY STARTS seq 90: 15 sequence numbers after the day before's last \(74\)/,
    );
    expect(v.err()).toMatch(
      /4 days: 1 duplicate or non-monotonic sequence numbers in all, 1 days that do not start/,
    );
  });

  it('an empty or wrong folder: every command exits 2 naming what it looked for and what it found', async () => {
    const empty = tempDir('cli-empty');
    cleanups.push(empty.cleanup);
    mkdirSync(join(empty.dir, 'journal', '2026-11-20'), { recursive: true });
    writeFileSync(join(empty.dir, 'notes.txt'), 'x');
    const other = tempDir('cli-other');
    cleanups.push(other.cleanup);
    writeFileSync(join(other.dir, 'a.csv'), 'x');
    const cases: Array<[string[], RegExp]> = [
      [['stats', empty.dir], /looked for segments .*found day folders 2026-11-20 \(1\) with no segments/],
      [['verify', empty.dir], /looked for segments .*found day folders 2026-11-20/],
      [['export', empty.dir], /looked for segments .*found day folders 2026-11-20/],
      [['stats', other.dir], /no journal in .*found only a\.csv in /],
      [['verify', other.dir], /found only a\.csv/],
      [['export', other.dir], /found only a\.csv/],
      [['compact', other.dir, '--older-than', '1'], /found only a\.csv/],
      [['prune', other.dir, '--keep', '1'], /found only a\.csv/],
      [['tail', join(other.dir, 'missing')], /does not exist/],
      [['stats', join(other.dir, 'a.csv')], /is not a directory/],
      [['export', empty.dir, '--from', '2026-11-31'], /--from: '2026-11-31' is not a day/],
      [['verify', empty.dir, '--to', 'yesterday'], /--to: 'yesterday' is not a day/],
      [['compact', empty.dir], /--older-than N \(days\) is required/],
      [['prune', empty.dir, '--keep', '0'], /--keep: '0' is not a whole number >= 1/],
    ];
    for (const [argv, msg] of cases) {
      const c = io();
      expect(await journalCommand(argv, c.io), argv.join(' ')).toBe(2);
      expect(c.err(), argv.join(' ')).toMatch(msg);
    }
    const data = await dataDir(DAYS.slice(0, 2));
    const range = io();
    expect(await journalCommand(['export', data, '--from', '2027-01-01'], range.io)).toBe(2);
    expect(range.err()).toMatch(
      /days 2027-01-01 to …\); found day folders 2026-11-18 … 2026-11-19 \(2\), none in that range/,
    );
    const dayFolder = io();
    expect(
      await journalCommand(['prune', join(data, 'journal', DAYS[0]!), '--keep', '1'], dayFolder.io),
    ).toBe(2);
    expect(dayFolder.err()).toMatch(/is one day's journal; name the data dir/);
  });

  it('tail goes on into the next day folder at midnight', async () => {
    const t = tempDir('cli-tail-days');
    cleanups.push(t.cleanup);
    const root = join(t.dir, 'journal');
    const clock = new ManualClock(Date.parse('2026-11-20T23:59:58Z'));
    const w = new JournalWriter({ dir: join(root, '2026-11-20'), rollDaily: true, clock });
    w.append({ ...recordFor(0), time: clock.now() });
    await w.flush();
    const ac = new AbortController();
    const c = io({ clock, signal: ac.signal });
    const done = journalCommand(['tail', t.dir, '--poll', '50'], c.io);
    clock.advance(0);
    for (let s = 1; s < 12; s++) w.append({ ...recordFor(s), time: clock.now() + s * 400 });
    await w.flush();
    expect(readdirSync(root).sort()).toEqual(['2026-11-20', '2026-11-21']);
    clock.advance(50);
    clock.advance(50);
    ac.abort();
    expect(await done).toBe(0);
    expect(seqs(c.out())).toEqual(Array.from({ length: 12 }, (_, i) => i));
    await w.close();
  });
});

describe('journal compact and prune', () => {
  const NOW = Date.parse('2026-11-21T12:00:00Z'); // DAYS[3] is today

  it('compact compresses the days older than N (ratio > 1, printed); every reader reads them as before', async () => {
    const data = await dataDir();
    const before = [...readDays(journalDays(data))].map((e) => e.record);
    const statsBefore = io();
    await journalCommand(['stats', data, '--json'], statsBefore.io);
    const c = io({ clock: new ManualClock(NOW) });
    expect(await journalCommand(['compact', data, '--older-than', '1', '--json'], c.io)).toBe(0);
    const r = JSON.parse(c.out()) as {
      compacted: Array<{ day: string; ratio: number; segments: number }>;
      total: { ratio: number; bytesIn: number; bytesOut: number };
    };
    // older than 1 day on 11-21: 11-18 and 11-19 (11-20 is one day old, 11-21 today)
    expect(r.compacted.map((x) => x.day)).toEqual(['2026-11-18', '2026-11-19']);
    console.log(
      `journal compact: ${r.total.bytesIn} → ${r.total.bytesOut} bytes, ratio ${r.total.ratio.toFixed(2)}`,
    );
    expect(r.total.ratio).toBeGreaterThan(1);
    for (const x of r.compacted) expect(x.ratio).toBeGreaterThan(1);
    const day18 = join(data, 'journal', '2026-11-18');
    expect(readdirSync(day18).every((f) => f.endsWith('.jrnl.br'))).toBe(true);
    expect(readdirSync(join(data, 'journal', '2026-11-20')).some((f) => f.endsWith('.jrnl'))).toBe(true);
    // every reader: the records, stats, verify and export are what they were
    const after = [...readDays(journalDays(data))].map((e) => e.record);
    expect(after).toEqual(before);
    expect(readAll(day18, { fromSeq: 20, toSeq: 22 }).records.map((x) => x.seq)).toEqual([20, 21, 22]);
    const statsAfter = io();
    await journalCommand(['stats', data, '--json'], statsAfter.io);
    const sa = JSON.parse(statsAfter.out()) as JournalStats;
    const sb = JSON.parse(statsBefore.out()) as JournalStats;
    expect({ ...sa, bytes: 0 }).toEqual({ ...sb, bytes: 0 });
    const v = io();
    expect(await journalCommand(['verify', data], v.io)).toBe(0);
    expect(v.out()).toMatch(/OK\n$/);
    // human output names the ratio; a second run has nothing left to do
    const again = io({ clock: new ManualClock(NOW) });
    expect(await journalCommand(['compact', data, '--older-than', '0'], again.io)).toBe(0);
    expect(again.out()).toMatch(/2026-11-18: already compacted/);
    expect(again.out()).toMatch(/2026-11-20: \d+ segments, \d+ → \d+ bytes, ratio \d+\.\d\d/);
    expect(again.out()).not.toMatch(/2026-11-21:/); // today: never
  });

  it('a compaction interrupted after the copy is read as the original and finished by the next one', async () => {
    const data = await dataDir(DAYS.slice(0, 1));
    const day = join(data, 'journal', DAYS[0]!);
    const before = readAll(day).records;
    const c = io({ clock: new ManualClock(NOW) });
    expect(await journalCommand(['compact', data, '--older-than', '1'], c.io)).toBe(0);
    // put back a plain segment beside its compressed copy: what a crash before the unlink leaves
    const br = readdirSync(day).find((f) => f.endsWith('.br'))!;
    const { brotliDecompressSync } = await import('node:zlib');
    writeFileSync(join(day, br.replace(/\.br$/, '')), brotliDecompressSync(readFileSync(join(day, br))));
    expect(readAll(day).records).toEqual(before);
    expect(
      await journalCommand(['compact', data, '--older-than', '1'], io({ clock: new ManualClock(NOW) }).io),
    ).toBe(0);
    expect(readdirSync(day).filter((f) => !f.endsWith('.br'))).toEqual([]);
    expect(readAll(day).records).toEqual(before);
  });

  it('prune keeps the newest N days, never today, never the day a running instance writes', async () => {
    const data = await dataDir();
    const p = io({ clock: new ManualClock(NOW) });
    expect(await journalCommand(['prune', data, '--keep', '3'], p.io)).toBe(0);
    expect(p.out()).toMatch(/deleted 2026-11-18 \(\d+ bytes\)/);
    expect(readdirSync(join(data, 'journal')).sort()).toEqual(DAYS.slice(1));
    // today is kept whatever N says: with "today" on 11-19, keeping 1 deletes 11-20 and 11-21 only
    // (days after today exist when the journal clock ran ahead: --start-at)
    const q = io({ clock: new ManualClock(Date.parse('2026-11-19T08:00:00Z')) });
    expect(await journalCommand(['prune', data, '--keep', '1', '--json'], q.io)).toBe(0);
    const qr = JSON.parse(q.out()) as {
      deleted: Array<{ day: string }>;
      skipped: Array<{ day: string; reason: string }>;
    };
    expect(qr.deleted.map((d) => d.day)).toEqual(['2026-11-20']);
    expect(qr.skipped).toEqual([{ day: '2026-11-19', reason: 'today' }]);
    expect(readdirSync(join(data, 'journal')).sort()).toEqual(['2026-11-19', '2026-11-21']);
  });

  it('with the data dir locked by a running instance, its newest day is neither compacted nor pruned', async () => {
    const data = await dataDir();
    const lock = lockDataDir(data, 'runtime start (test)');
    try {
      const later = new ManualClock(Date.parse('2026-12-30T00:00:00Z')); // every day is old by now
      const c = io({ clock: later });
      expect(await journalCommand(['compact', data, '--older-than', '1'], c.io)).toBe(0);
      expect(c.out()).toMatch(/2026-11-21: left as it is \(being written by the running instance, pid \d+/);
      expect(readdirSync(join(data, 'journal', '2026-11-21')).some((f) => f.endsWith('.jrnl'))).toBe(true);
      const p = io({ clock: later });
      expect(await journalCommand(['prune', join(data, 'journal'), '--keep', '1'], p.io)).toBe(0);
      expect(readdirSync(join(data, 'journal')).sort()).toEqual(['2026-11-21']);
      const p0 = io({ clock: later });
      expect(await journalCommand(['prune', data, '--keep', '1'], p0.io)).toBe(0);
      expect(p0.out()).toMatch(/nothing to prune/);
    } finally {
      lock.release();
    }
    // not running: the command takes the lock itself while it works, and gives it back
    expect(existsSync(join(data, 'LOCK'))).toBe(false);
    const free = io({ clock: new ManualClock(Date.parse('2026-12-30T00:00:00Z')) });
    expect(await journalCommand(['compact', data, '--older-than', '1'], free.io)).toBe(0);
    expect(free.out()).toMatch(/2026-11-21: \d+ segments/);
    expect(existsSync(join(data, 'LOCK'))).toBe(false);
  });
});

describe('runtime replay on a data dir', () => {
  const run = async (argv: string[]) => {
    let out = '';
    let err = '';
    const code = await main(argv, {
      stdout: (s: string) => void (out += `${s}\n`),
      stderr: (s: string) => void (err += `${s}\n`),
    });
    return { code, out, err };
  };

  it('an empty or wrong folder, or a bad day, exits 2 saying what it looked for and found', async () => {
    const empty = tempDir('replay-empty');
    cleanups.push(empty.cleanup);
    mkdirSync(join(empty.dir, 'journal', '2026-11-20'), { recursive: true });
    const a = await run(['replay', empty.dir, '--coins', 'BTC']);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(
      /no journal in .*looked for segments .*found day folders 2026-11-20 \(1\) with no segments/,
    );
    const b = await run(['replay', join(empty.dir, 'nope'), '--coins', 'BTC']);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/nope does not exist/);
    const data = await dataDir(DAYS.slice(0, 2));
    const c = await run(['replay', data, '--coins', 'BTC', '--from', '2026-13-01']);
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/--from 2026-13-01: not a day/);
    const d = await run(['replay', data, '--coins', 'BTC', '--from', '2026-12-01']);
    expect(d.code).toBe(2);
    expect(d.err).toMatch(/days 2026-12-01 to …\); found day folders 2026-11-18 … 2026-11-19 \(2\)/);
  });

  it('replays a compacted data dir exactly as before it was compacted', async () => {
    const data = await dataDir();
    const out = tempDir('replay-out');
    cleanups.push(out.cleanup);
    // synthetic ticks (their recorded hot-state versions are made up): replay exits 1 for the version
    // mismatches, and must do exactly the same after compaction
    const before = await run([
      'replay',
      data,
      '--coins',
      'BTC',
      '--decisions',
      join(out.dir, 'a.jsonl'),
      '--json',
    ]);
    expect(before.code, before.err).toBe(1);
    expect(
      await journalCommand(
        ['compact', data, '--older-than', '0'],
        io({ clock: new ManualClock(Date.parse('2026-12-01T00:00:00Z')) }).io,
      ),
    ).toBe(0);
    expect(readdirSync(join(data, 'journal', DAYS[0]!)).every((f) => f.endsWith('.br'))).toBe(true);
    const after = await run([
      'replay',
      data,
      '--coins',
      'BTC',
      '--decisions',
      join(out.dir, 'b.jsonl'),
      '--json',
    ]);
    expect(after.code, after.err).toBe(before.code);
    const sa = JSON.parse(before.err.trim().split('\n').at(-1)!) as Record<string, unknown>;
    const sb = JSON.parse(after.err.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(sb).toEqual(sa);
    expect(sa.records).toBe(DAYS.length * PER_DAY);
    expect(readFileSync(join(out.dir, 'a.jsonl')).length).toBeGreaterThan(100);
    expect(readFileSync(join(out.dir, 'b.jsonl')).equals(readFileSync(join(out.dir, 'a.jsonl')))).toBe(true);
  });
});
