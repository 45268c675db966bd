/**
 * End to end over real loopback sockets: `runtime start` runs the embedded default (simulator → feed →
 * ring → ingest worker → journal → hot state → decision side → paper venue) for a short duration, prints
 * its summary and leaves a journal; `runtime replay` of that journal writes a decision log byte-identical
 * to the live run's (live → replay parity), and a second replay is identical again (determinism).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt, lastJson, ROOT, spawnRuntime } from '../setup/runtime-bin.ts';

const dir = mkdtempSync(join(tmpdir(), 'start-e2e-'));
// the compiled bin, as an operator runs it (built on demand)
beforeAll(ensureBuilt, 240_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runtime(args: string[], timeoutMs = 180_000) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, LOG_FORMAT: 'json' },
  });
  return r;
}

describe('runtime start: graceful shutdown on SIGINT', () => {
  it('stops entries, flushes the journal and exits 0 with a summary', async () => {
    const p = spawnRuntime([
      'start',
      '--data',
      join(dir, 'sigint'),
      '--no-dashboard',
      '--log-level',
      'warn',
      '--json',
    ]);
    try {
      // wait for a condition, not a duration: frames are being journaled
      await p.waitForJournalBytes(200_000);
      p.child.kill('SIGINT');
      const { code } = await p.exited;
      expect(code, p.stderr()).toBe(0);
      const summary = lastJson(p.stdout());
      expect(summary.frames).toBeGreaterThan(0);
      expect(summary.journal.persistedSeq).toBe(summary.journal.lastSeq);
    } finally {
      p.child.kill('SIGKILL');
    }
  }, 60_000);
});

describe('runtime start (embedded default) → journal → replay', () => {
  let summary: Record<string, unknown>;
  let journal: string;

  it('runs the whole stack for a short duration and prints a summary', () => {
    // the warm-up hour takes 12.4 s at ×300 and holds what the decision side does first (the regime can
    // activate once its 1 h windows fill, at 3 600 s of market); 3.6 s at ×1 after it (12.6 s before) adds
    // a few seconds of market and time to catch up, and the summary's figures stay far above their bounds
    const r = runtime([
      'start',
      '--duration',
      '16',
      '--warmup-rate',
      '300',
      '--data',
      dir,
      '--decisions',
      join(dir, 'live.jsonl'),
      '--no-dashboard',
      '--log-level',
      'warn',
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const last = r.stdout.trim().split('\n').at(-1)!;
    summary = JSON.parse(last);
    console.log(`start summary: ${JSON.stringify({ ...summary, journal: undefined, sources: undefined })}`);
    expect(summary.frames as number).toBeGreaterThan(10_000);
    expect(summary.framesHandedOn).toBe(summary.frames);
    expect(summary.lost).toBe(0);
    expect(summary.ticks as number).toBeGreaterThan(20);
    expect(summary.regimeChanges as number).toBeGreaterThanOrEqual(3);
    expect(summary.tickAckTimeouts).toBe(0);
    expect(r.stdout).toMatch(/^sim: ws:\/\/127\.0\.0\.1:\d+\/ws/m);
    const days = readdirSync(join(dir, 'journal'));
    expect(days).toHaveLength(1);
    journal = join(dir, 'journal', days[0]!);
  }, 240_000);

  it('left a verified journal with every frame', () => {
    const r = runtime(['journal', 'stats', journal, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const stats = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(stats.corrupt).toEqual([]);
    expect(stats.seqGaps).toEqual([]);
    expect(stats.byKind.frame).toBe(summary.frames);
    expect(stats.byKind.tick).toBe(summary.ticks);
    expect(stats.byChannel.frame.l2Book).toBeGreaterThan(0);
    const v = runtime(['journal', 'verify', journal]);
    expect(v.status, v.stdout + v.stderr).toBe(0);
  }, 120_000);

  it('replaying the journal reproduces the live decision log byte for byte, twice', () => {
    for (const name of ['replay1.jsonl', 'replay2.jsonl']) {
      const r = runtime(['replay', journal, '--decisions', join(dir, name), '--json']);
      expect(r.status, r.stderr).toBe(0);
    }
    const live = readFileSync(join(dir, 'live.jsonl'));
    expect(live.length).toBeGreaterThan(100);
    expect(readFileSync(join(dir, 'replay1.jsonl')).equals(live)).toBe(true);
    expect(readFileSync(join(dir, 'replay2.jsonl')).equals(live)).toBe(true);
    // no wall-clock or random content: every line's time is a journal time
    for (const line of live.toString().trim().split('\n')) expect(JSON.parse(line).t).toBeGreaterThan(0);
  }, 120_000);

  it('a restart appends to the same journal (run.start carries the recovered ledger); the replay of both runs equals both live logs', () => {
    // 6 s of the warm-up hour (at ×300: half an hour of market) is enough for what this checks: the run.start
    // record with the recovered ledger, and a second live log the replay of both runs must reproduce
    const r = runtime([
      'start',
      '--duration',
      '6',
      '--warmup-rate',
      '300',
      '--data',
      dir,
      '--decisions',
      join(dir, 'live2.jsonl'),
      '--no-dashboard',
      '--log-level',
      'warn',
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const rp = runtime(['replay', journal, '--decisions', join(dir, 'replay-both.jsonl'), '--json']);
    expect(rp.status, rp.stderr).toBe(0);
    const both = Buffer.concat([
      readFileSync(join(dir, 'live.jsonl')),
      readFileSync(join(dir, 'live2.jsonl')),
    ]);
    expect(readFileSync(join(dir, 'replay-both.jsonl')).equals(both)).toBe(true);
    const stats = JSON.parse(
      runtime(['journal', 'stats', journal, '--json']).stdout.trim().split('\n').at(-1)!,
    );
    expect(stats.byChannel.decision['run.start']).toBe(2);
    expect(stats.seqGaps).toEqual([]);
  }, 180_000);
});
