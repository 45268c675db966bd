/**
 * Through the compiled bin: a restart with the same `--decisions` file appends to it (issue 20, defect 9),
 * and `runtime replay` of a BTC-only journal takes its coins and config from the `run.start` records — the
 * replay without flags reproduces both runs' log byte for byte; a contradicting `--coins` is an error, not a
 * different log (defect 10).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt, ROOT } from '../setup/runtime-bin.ts';

const dir = mkdtempSync(join(tmpdir(), 'restart-log-'));
beforeAll(ensureBuilt, 240_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runtime = (args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

describe('decision log across a restart, and replay with the recorded coins', () => {
  const decisions = join(dir, 'live.jsonl');
  const start = (at: string) =>
    runtime([
      'start',
      '--data',
      join(dir, 'data'),
      '--coins',
      'BTC',
      '--start-at',
      at,
      '--warmup-rate',
      '600',
      '--duration',
      '4',
      '--decisions',
      decisions,
      '--no-dashboard',
      '--log-level',
      'error',
      '--json',
    ]);

  it('a restart appends to the decision log; replay without flags reproduces both runs', () => {
    const a = start('2026-11-21T06:00:00Z');
    expect(a.status, a.stderr).toBe(0);
    const first = readFileSync(decisions, 'utf8');
    expect(first.split('\n').length).toBeGreaterThan(5);
    const b = start('2026-11-21T09:00:00Z');
    expect(b.status, b.stderr).toBe(0);
    const both = readFileSync(decisions, 'utf8');
    expect(both.startsWith(first)).toBe(true);
    expect(both.length).toBeGreaterThan(first.length);

    const days = readdirSync(join(dir, 'data', 'journal'));
    expect(days).toEqual(['2026-11-21']);
    const journal = join(dir, 'data', 'journal', days[0]!);
    const out = join(dir, 'replay.jsonl');
    const r = runtime(['replay', journal, '--decisions', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(both);
    // the data dir itself is the unit too (issue 16)
    const out2 = join(dir, 'replay-data.jsonl');
    const r2 = runtime(['replay', join(dir, 'data'), '--decisions', out2, '--json']);
    expect(r2.status, r2.stderr).toBe(0);
    expect(readFileSync(out2, 'utf8')).toBe(both);
    const none = runtime(['replay', join(dir, 'nothing-here')]);
    expect(none.status).toBe(2);
  }, 240_000);

  it('replay refuses flags that contradict the recorded run', () => {
    const journal = join(dir, 'data', 'journal', '2026-11-21');
    const r = runtime(['replay', journal, '--coins', 'BTC,ETH', '--decisions', join(dir, 'x.jsonl')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/different coins .*recorded coins: BTC/);
    const same = runtime(['replay', journal, '--coins', 'BTC', '--decisions', join(dir, 'y.jsonl')]);
    expect(same.status, same.stderr).toBe(0);
  }, 120_000);
});
