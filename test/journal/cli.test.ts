import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readJournal } from '../../actors/journal/reader.ts';
import { JournalWriter } from '../../actors/journal/writer.ts';
import { type JournalStats, journalCommand } from '../../runtime/commands/journal.ts';
import { ManualClock } from '../../state/clock.ts';
import { L2BOOK, recordFor, T0, tempDir } from './helpers.ts';

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

/** 60 records of recordFor with seq 40 missing (a seq gap). */
async function sample(): Promise<string> {
  const t = tempDir('cli');
  cleanups.push(t.cleanup);
  const w = new JournalWriter({ dir: t.dir, clock: new ManualClock(T0), segmentBytes: 8_000 });
  for (let s = 0; s < 60; s++) if (s !== 40) w.append(recordFor(s));
  await w.close();
  return t.dir;
}

describe('journal stats', () => {
  it('--json prints one object with counts by kind and channel, time range, gaps and corruption', async () => {
    const dir = await sample();
    const c = io();
    expect(await journalCommand(['stats', dir, '--json'], c.io)).toBe(0);
    const lines = c.out().trim().split('\n');
    expect(lines).toHaveLength(1);
    const s = JSON.parse(lines[0]!) as JournalStats;
    expect(s.records).toBe(59);
    // seq%6: 0 l2Book, 1 trades, 2 conn, 3 tick, 4 decision, 5 binary frame; seq 40 (40%6=4) missing
    expect(s.byKind).toEqual({ frame: 30, conn: 10, tick: 10, decision: 9 });
    expect(s.byChannel).toEqual({
      frame: { l2Book: 10, trades: 10, '': 10 },
      conn: { conn: 10 },
      tick: { tick: 10 },
      decision: { regime: 9 },
    });
    expect(s.firstSeq).toBe(0);
    expect(s.lastSeq).toBe(59);
    expect(s.firstTime).toBe(recordFor(0).time);
    expect(s.lastTime).toBe(recordFor(59).time);
    expect(s.seqGaps).toEqual([expect.objectContaining({ afterSeq: 39, nextSeq: 41, missing: 1 })]);
    // conn records with seq%12 == 2 are 'gap' events: 2, 14, 26, 38, 50
    expect(s.connGaps.map((g) => g.seq)).toEqual([2, 14, 26, 38, 50]);
    expect(s.connGaps[0]).toMatchObject({ key: 'l2Book:BTC', lost: 3, reason: 'ring overflow' });
    expect(s.corrupt).toEqual([]);
    expect(s.segments).toBeGreaterThan(1);
  });

  it('prints a readable summary', async () => {
    const dir = await sample();
    const c = io();
    expect(await journalCommand(['stats', dir], c.io)).toBe(0);
    expect(c.out()).toMatch(/records 59/);
    expect(c.out()).toMatch(/frame\/l2Book\s+10/);
    expect(c.out()).toMatch(/seq gaps: 1\n {2}after 39 next 41 \(1 missing\)/);
    expect(c.out()).toMatch(/conn gap events: 5/);
    expect(c.out()).toMatch(/corrupt: 0/);
  });
});

describe('a data dir or a journal root is a journal too (issue 16)', () => {
  it('verify and export read every day of a data dir in order; nothing there is an error, not 0 records', async () => {
    const t = tempDir('cli-data-dir');
    cleanups.push(t.cleanup);
    for (const [day, from] of [
      ['2026-11-20', 0],
      ['2026-11-21', 100],
    ] as const) {
      const w = new JournalWriter({ dir: join(t.dir, 'journal', day), clock: new ManualClock(T0) });
      for (let s = from; s < from + 10; s++) w.append(recordFor(s));
      await w.close();
    }
    const v = io();
    expect(await journalCommand(['verify', t.dir], v.io)).toBe(0);
    expect(v.out().match(/^verified 10 records/gm)).toHaveLength(2);
    expect(v.out()).toMatch(/== .*2026-11-20[\s\S]*== .*2026-11-21/);
    const e = io();
    expect(await journalCommand(['export', t.dir], e.io)).toBe(0);
    const seqs = e
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).seq);
    expect(seqs).toEqual([
      ...Array.from({ length: 10 }, (_, i) => i),
      ...Array.from({ length: 10 }, (_, i) => 100 + i),
    ]);
    // stats reads the days as one journal (it refused a data dir of several days before)
    const st = io();
    expect(await journalCommand(['stats', t.dir, '--json'], st.io)).toBe(0);
    const js = JSON.parse(st.out()) as JournalStats;
    expect(js.days).toEqual([join(t.dir, 'journal', '2026-11-20'), join(t.dir, 'journal', '2026-11-21')]);
    expect([js.records, js.firstSeq, js.lastSeq]).toEqual([20, 0, 109]);
    expect(js.seqGaps).toEqual([expect.objectContaining({ afterSeq: 9, nextSeq: 100, missing: 90 })]);
    const empty = tempDir('cli-empty');
    cleanups.push(empty.cleanup);
    for (const cmd of ['verify', 'export', 'stats']) {
      const c = io();
      expect(await journalCommand([cmd, empty.dir], c.io), cmd).toBe(2);
      expect(c.err()).toMatch(/no journal in .*looked for segments/);
    }
  });
});

describe('journal verify', () => {
  it('passes a clean journal', async () => {
    const dir = await sample();
    const c = io();
    expect(await journalCommand(['verify', dir], c.io)).toBe(0);
    expect(c.out()).toMatch(/verified 59 records in \d+ segments: 0 corrupt ranges/);
  });

  it('flags duplicate and non-monotonic sequence numbers: two writers on one journal (issue 20, defect 3)', async () => {
    const t = tempDir('cli-two-writers');
    cleanups.push(t.cleanup);
    // two processes that both opened the same day's journal: each recovers "empty" and writes from seq 0
    const a = new JournalWriter({ dir: t.dir, clock: new ManualClock(T0) });
    const b = new JournalWriter({ dir: t.dir, clock: new ManualClock(T0 + 1) });
    for (let s = 0; s < 10; s++) a.append(recordFor(s));
    await a.close();
    for (let s = 5; s < 12; s++) b.append({ ...recordFor(s), time: recordFor(s).time + 1 });
    await b.close();
    const c = io();
    expect(await journalCommand(['verify', t.dir], c.io)).toBe(1);
    const seqLines = c
      .out()
      .split('\n')
      .filter((l) => l.startsWith('SEQUENCE'));
    expect(seqLines.length).toBeGreaterThan(0);
    expect(seqLines[0]).toMatch(/seq 5 goes back from seq 9/);
    expect(c.err()).toMatch(/\d+ duplicate or non-monotonic sequence numbers/);
    // a clean journal says 0 of them
    const clean = io();
    expect(await journalCommand(['verify', await sample()], clean.io)).toBe(0);
    expect(clean.out()).toMatch(/, 0 duplicate or non-monotonic sequence numbers/);
  });

  it("a crash's torn tail in the last segment is reported but is not corruption (cut on the next start)", async () => {
    const dir = await sample();
    const entries = [...readJournal(dir)];
    const last = entries.at(-1)!;
    const b = readFileSync(last.file);
    writeFileSync(last.file, b.subarray(0, last.offset + 7)); // the last record half written
    const c = io();
    expect(await journalCommand(['verify', dir], c.io)).toBe(0);
    expect(c.out()).toMatch(/^TORN TAIL .* crash residue/m);
    expect(c.out()).toMatch(/1 torn tail/);
  });

  it('reports every bad record and exits non-zero', async () => {
    const dir = await sample();
    const entries = [...readJournal(dir)];
    for (const i of [5, 33]) {
      const e = entries[i]!;
      const b = readFileSync(e.file);
      b[e.offset + 30] = b[e.offset + 30]! ^ 1;
      writeFileSync(e.file, b);
    }
    const c = io();
    expect(await journalCommand(['verify', dir], c.io)).toBe(1);
    const bad = c
      .out()
      .split('\n')
      .filter((l) => l.startsWith('CORRUPT'));
    expect(bad).toHaveLength(2);
    expect(bad[0]).toContain(`${entries[5]!.file} offset ${entries[5]!.offset} length ${entries[5]!.size}`);
    expect(bad[1]).toContain(`${entries[33]!.file} offset ${entries[33]!.offset}`);
    expect(c.err()).toMatch(/verified 57 records .*: 2 corrupt ranges/);
    // stats sees the same corruption
    const s = io();
    await journalCommand(['stats', dir, '--json'], s.io);
    expect((JSON.parse(s.out()) as JournalStats).corrupt).toHaveLength(2);
  });

  it('names a foreign file and exits 2', async () => {
    const dir = await sample();
    writeFileSync(join(dir, 'seg-0000000000009999.jrnl'), 'garbage');
    const c = io();
    expect(await journalCommand(['verify', dir], c.io)).toBe(2);
    expect(c.out()).toMatch(/BAD FILE .*seg-0000000000009999\.jrnl.*expected journal segment magic/);
  });
});

describe('journal export', () => {
  it('prints one JSON line per record with stamps; UTF-8 as text, other bytes as base64', async () => {
    const dir = await sample();
    const c = io();
    expect(await journalCommand(['export', dir], c.io)).toBe(0);
    const lines = c
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(59);
    expect(lines[0]).toEqual({
      seq: 0,
      time: recordFor(0).time,
      epoch: 1,
      kind: 'frame',
      channel: 'l2Book',
      source: 'feed',
      data: Buffer.from(L2BOOK).toString('utf8'),
    });
    expect(lines.map((l) => l.source)).toEqual(
      Array.from({ length: 60 }, (_, i) => i)
        .filter((i) => i !== 40)
        .map((i) => ([3, 4].includes(i % 6) ? 'local' : 'feed')),
    );
    const bin = lines.find((l) => l.seq === 5)!;
    expect(bin.base64).toBe(true);
    expect(Buffer.from(bin.data as string, 'base64').equals(Buffer.from(recordFor(5).data))).toBe(true);
    expect(lines[2]).toMatchObject({
      kind: 'conn',
      data: JSON.stringify({ type: 'gap', key: 'l2Book:BTC', lost: 3, reason: 'ring overflow' }),
    });
  });

  it('exports a seq range', async () => {
    const dir = await sample();
    const c = io();
    expect(await journalCommand(['export', dir, '--from-seq', '38', '--to-seq', '42'], c.io)).toBe(0);
    expect(
      c
        .out()
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { seq: number }).seq),
    ).toEqual([38, 39, 41, 42]);
  });
});

describe('journal tail and usage', () => {
  it('follows a journal as it is written (--from-end skips what is there)', async () => {
    const t = tempDir('tail');
    cleanups.push(t.cleanup);
    const clock = new ManualClock(T0);
    const w = new JournalWriter({ dir: t.dir, clock, segmentBytes: 8_000 });
    for (let s = 0; s < 5; s++) w.append(recordFor(s));
    await w.flush();
    const ac = new AbortController();
    const c = io({ clock, signal: ac.signal });
    const done = journalCommand(['tail', t.dir, '--from-end', '--poll', '50'], c.io);
    clock.advance(0);
    expect(c.out()).toBe('');
    for (let s = 5; s < 20; s++) w.append(recordFor(s)); // rolls segments on the way
    await w.flush();
    clock.advance(50);
    ac.abort();
    expect(await done).toBe(0);
    expect(
      c
        .out()
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { seq: number }).seq),
    ).toEqual([...Array(15).keys()].map((i) => i + 5));
    await w.close();
  });

  it('--help for each command, and usage errors exit 2', async () => {
    for (const cmd of ['stats', 'verify', 'export', 'tail']) {
      const c = io();
      expect(await journalCommand([cmd, '--help'], c.io)).toBe(0);
      expect(c.out()).toMatch(new RegExp(`usage: runtime journal ${cmd}`));
    }
    const h = io();
    expect(await journalCommand(['--help'], h.io)).toBe(0);
    const u = io();
    expect(await journalCommand(['frobnicate', '/tmp'], u.io)).toBe(2);
    expect(u.err()).toMatch(/unknown command 'frobnicate'/);
    const m = io();
    expect(await journalCommand(['stats'], m.io)).toBe(2);
    const n = io();
    expect(await journalCommand(['stats', '/nonexistent/journal/dir'], n.io)).toBe(2);
    expect(n.err()).toMatch(/nonexistent/);
  });
});
