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
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const dir = mkdtempSync(join(tmpdir(), 'start-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runtime(args: string[], timeoutMs = 180_000) {
  const r = spawnSync(process.execPath, [tsx, join(root, 'runtime', 'cli.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, LOG_FORMAT: 'json' },
  });
  return r;
}

describe('runtime start: graceful shutdown on SIGINT', () => {
  it('stops entries, flushes the journal and exits 0 with a summary', async () => {
    const { spawn } = await import('node:child_process');
    const d = join(dir, 'sigint');
    const child = spawn(
      process.execPath,
      [
        tsx,
        join(root, 'runtime', 'cli.ts'),
        'start',
        '--data',
        d,
        '--no-dashboard',
        '--log-level',
        'warn',
        '--json',
      ],
      {
        cwd: root,
        env: { ...process.env, LOG_FORMAT: 'json' },
      },
    );
    let out = '';
    child.stdout.on('data', (b) => {
      out += String(b);
    });
    // once the journal is open and frames flow, interrupt it
    await new Promise<void>((resolve) => {
      const check = () => (out.includes('journal:') ? resolve() : setTimeout(check, 100));
      check();
    });
    // wait for a condition, not a duration: frames are being journaled
    const { statSync, readdirSync: ls, existsSync } = await import('node:fs');
    const journaled = () => {
      const jd = join(d, 'journal');
      if (!existsSync(jd)) return 0;
      return ls(jd)
        .flatMap((day) => ls(join(jd, day)).map((f) => statSync(join(jd, day, f)).size))
        .reduce((a, b) => a + b, 0);
    };
    await new Promise<void>((resolve) => {
      const check = () => (journaled() > 200_000 ? resolve() : setTimeout(check, 100));
      check();
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    const summary = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(summary.frames).toBeGreaterThan(0);
    expect(summary.journal.persistedSeq).toBe(summary.journal.lastSeq);
  }, 60_000);
});

describe('runtime start (embedded default) → journal → replay', () => {
  let summary: Record<string, unknown>;
  let journal: string;

  it('runs the whole stack for a short duration and prints a summary', () => {
    const r = runtime([
      'start',
      '--duration',
      '25',
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
    const r = runtime([
      'start',
      '--duration',
      '12',
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
