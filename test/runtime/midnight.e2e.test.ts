/**
 * A run across midnight UTC (issue 16 "Midnight"), in process on the simulator's warped clock: `runtime
 * start --start-at 22:58:00Z` (its warm-up hour at ×600 ends at 23:58, then ×30 crosses midnight) journals
 * into two day folders with contiguous sequence numbers, verifies across them, and the rollover causes no
 * gap the decision side could see (no sequence gap, no gap event, no health change citing one);
 * `runtime replay <data dir>` gives the live decision log byte for byte; a restart the next morning
 * recovers what the first run ended with after midnight (its run.start carries the ledger of both days).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { journalDays, readDays } from '../../actors/journal/days.ts';
import { restoreRecordsFromLines } from '../../replay/replay-journal.ts';
import { main } from '../../runtime/cli.ts';
import { type JournalStats, journalCommand, journalStats } from '../../runtime/commands/journal.ts';
import { bytesJson, RecordKind } from '../../state/records.ts';

const dir = mkdtempSync(join(tmpdir(), 'midnight-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  let out = '';
  let err = '';
  return {
    io: { stdout: (s: string) => void (out += `${s}\n`), stderr: (s: string) => void (err += `${s}\n`) },
    out: () => out,
    err: () => err,
  };
}

const MIDNIGHT = Date.parse('2026-11-21T00:00:00Z');
const runArgs = (startAt: string, duration: string, decisions: string) => [
  'start',
  '--data',
  dir,
  '--coins',
  'BTC',
  '--scenario',
  'sideways',
  '--start-at',
  startAt,
  '--warmup-rate',
  '600',
  '--speed',
  '30',
  '--duration',
  duration,
  '--decisions',
  join(dir, decisions),
  '--no-dashboard',
  '--log-level',
  'warn',
  '--json',
];

describe('a run across midnight UTC', () => {
  let summary: Record<string, unknown>;

  it('journals into two day folders with contiguous seqs; verify passes across them', async () => {
    const c = capture();
    const code = await main(runArgs('2026-11-20T22:58:00Z', '14', 'live.jsonl'), c.io);
    expect(code, c.err()).toBe(0);
    summary = JSON.parse(c.out().trim().split('\n').at(-1)!);
    expect(summary.lost).toBe(0);
    expect(readdirSync(join(dir, 'journal')).sort()).toEqual(['2026-11-20', '2026-11-21']);
    const recs = [...readDays(journalDays(dir))].map((e) => e.record);
    const before = recs.filter((r) => r.time < MIDNIGHT);
    const after = recs.filter((r) => r.time >= MIDNIGHT);
    console.log(`midnight e2e: ${before.length} records before 00:00, ${after.length} after`);
    expect(before.length).toBeGreaterThan(1000);
    expect(after.length).toBeGreaterThan(500);
    // one sequence: no gap, no repeat, across the folders
    for (let i = 1; i < recs.length; i++)
      expect(recs[i]!.seq, `after seq ${recs[i - 1]!.seq}`).toBe(recs[i - 1]!.seq + 1);
    expect(after.filter((r) => r.kind === RecordKind.Tick).length).toBeGreaterThan(20);
    // the rollover is no gap: none in the sequence, no gap event, and no health line around midnight cites
    // one (on a warped clock on a loaded machine health may flap for staleness; that is not the rollover)
    const st: JournalStats = journalStats(dir, journalDays(dir));
    expect(st.seqGaps).toEqual([]);
    expect(st.corrupt).toEqual([]);
    expect(st.connGaps.filter((g) => Math.abs(g.time - MIDNIGHT) < 10_000)).toEqual([]);
    const healthNear = recs
      .filter((r) => r.kind === RecordKind.Decision && r.channel.startsWith('health'))
      .filter((r) => Math.abs(r.time - MIDNIGHT) < 10_000)
      .map((r) => JSON.stringify(bytesJson(r.data)));
    for (const h of healthNear) expect(h).not.toMatch(/gap|sequence|seq /i);
    const v = { out: '', err: '' };
    const vio = {
      stdout: { write: (s: string) => (v.out += s) },
      stderr: { write: (s: string) => (v.err += s) },
    };
    expect(await journalCommand(['verify', dir], vio), v.out + v.err).toBe(0);
    expect(v.out).toMatch(/DAY STARTS seq \d+: contiguous with the day before/);
  }, 180_000);

  it('runtime replay of the data dir equals the live decision log byte for byte', async () => {
    const c = capture();
    expect(
      await main(['replay', dir, '--decisions', join(dir, 'replay.jsonl'), '--json'], c.io),
      c.err(),
    ).toBe(0);
    const live = readFileSync(join(dir, 'live.jsonl'));
    const lines = live.toString().trim().split('\n');
    // after midnight: at least the new trading day (execution's exec.day at the first tick of 2026-11-21)
    const after = lines.map((l) => JSON.parse(l) as { t: number; kind: string; day?: { index: number } });
    expect(after.filter((l) => l.t >= MIDNIGHT).map((l) => l.kind)).toContain('exec.day');
    expect(readFileSync(join(dir, 'replay.jsonl')).equals(live)).toBe(true);
  }, 120_000);

  it('a restart the next morning recovers the ledger the run ended with after midnight', async () => {
    const c = capture();
    expect(await main(runArgs('2026-11-21T08:00:00Z', '5', 'live2.jsonl'), c.io), c.err()).toBe(0);
    const s2 = JSON.parse(c.out().trim().split('\n').at(-1)!) as Record<string, unknown>;
    // what the first run's decision lines (both days) leave for a restart: positions, the trading day and
    // its PnL (exec.day of 2026-11-21, written after midnight), the trading state
    const first = readFileSync(join(dir, 'live.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind?: unknown; t: number });
    const expected = restoreRecordsFromLines(first);
    // the trading day written after midnight is part of it
    expect(JSON.stringify(expected)).toContain(`"index":${MIDNIGHT / 86_400_000}`);
    const runStarts = [...readDays(journalDays(dir))]
      .map((e) => e.record)
      .filter((r) => r.kind === RecordKind.Decision && r.channel === 'run.start');
    expect(runStarts).toHaveLength(2);
    const restored = bytesJson<{ restore: unknown[] }>(runStarts[1]!.data).restore;
    expect(restored).toEqual(expected);
    expect(s2.equity).toBe(summary.equity);
    expect(s2.realisedPnl).toBe(summary.realisedPnl);
  }, 120_000);
});
