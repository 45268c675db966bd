/**
 * `runtime import` as a command (in process): format groups, the printed and the JSON coverage report, usage
 * errors, a refused import, exit codes; and a property test of the merge: any set of collector files, each in
 * time order, comes out as one stream in time order holding every frame once.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { journalDays, readDays } from '../../actors/journal/days.ts';
import type { CoverageReport } from '../../research/import/coverage.ts';
import { importFiles } from '../../research/import/import.ts';
import { importCommand, importInputs } from '../../runtime/commands/import.ts';
import { UsageError } from '../../runtime/commands/common.ts';
import { ManualClock } from '../../state/clock.ts';
import { RecordKind } from '../../state/records.ts';

const SAMPLE = '/work/shared/fixtures/hyperliquid/hftbacktest/btcusd_20250126.gz';
const root = mkdtempSync(join(tmpdir(), 'import-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `d${n++}`);

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await importCommand(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

describe('runtime import (command)', () => {
  it('format names among the files start groups', () => {
    expect(importInputs(['archive-l2book', 'a', 'b', 'asset-ctxs', 'c', 'node-fills', 'd'])).toEqual([
      { format: 'archive-l2book', path: 'a' },
      { format: 'archive-l2book', path: 'b' },
      { format: 'asset-ctxs', path: 'c' },
      { format: 'node-fills', path: 'd' },
    ]);
    expect(() => importInputs(['a.lz4'])).toThrow(UsageError);
    expect(() => importInputs(['hftbacktest'])).toThrow(/no files/);
    expect(() => importInputs([])).toThrow(/a format is required/);
  });

  it('usage errors exit 2 with the usage; --help exits 0', async () => {
    const h = await cli(['--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/archive-l2book +market_data/);
    const bad = await cli(['parquet', 'x', '--data', fresh()]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown format 'parquet'/);
    expect((await cli(['hftbacktest', SAMPLE, '--tick-ms', 'fast', '--data', fresh()])).code).toBe(2);
  });

  it('prints the coverage report; --json gives the same report as data', async () => {
    const text = await cli(['hftbacktest', SAMPLE, '--data', fresh()]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^import hftbacktest → .* \(source import:hftbacktest\)$/m);
    expect(text.out).toMatch(/^time range: 2025-01-26T19:14:03\.893Z … 2025-01-26T19:14:29\.246Z/m);
    expect(text.out).toMatch(/^lines: 55, frames: 55 \(l2Book 46, trades 9\)$/m);
    expect(text.out).toMatch(/^corrupt lines: 0 \(skipped\)$/m);
    expect(text.out).toMatch(/^holes: none/m);
    expect(text.out).toMatch(/^ {2}asset contexts \(activeAssetCtx\): .* → regime DISABLED throughout/m);
    const json = await cli(['hftbacktest', SAMPLE, '--data', fresh(), '--json', '--tick-ms', '500']);
    expect(json.code).toBe(0);
    const r = JSON.parse(json.out) as CoverageReport;
    expect(r).toMatchObject({ frames: 55, channels: { l2Book: 46, trades: 9 }, corrupt: { lines: 0 } });
    expect(r.journal.ticks).toBeGreaterThan(45); // every 500 ms over 25 s
  });

  it('a second import that would go back in time is refused (exit 1), and the journal is untouched', async () => {
    const d = fresh();
    expect((await cli(['hftbacktest', SAMPLE, '--data', d])).code).toBe(0);
    const again = await cli(['hftbacktest', SAMPLE, '--data', d]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already holds journal days from 2025-01-26 on/);
    expect([...readDays(journalDays(d))].length).toBe(85);
  });

  it('a file that cannot be opened is reported and the others are imported', async () => {
    const r = await cli([
      'hftbacktest',
      join(root, 'missing_20250126.gz'),
      SAMPLE,
      '--data',
      fresh(),
      '--json',
    ]);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.out) as CoverageReport;
    expect(rep.frames).toBe(55);
    expect(rep.corrupt).toMatchObject({ lines: 0, files: 1 });
    expect(rep.corrupt.reasons[0]).toMatch(/missing_20250126\.gz:1: unreadable from here: ENOENT/);
    expect(rep.files[0]!.error).toMatch(/ENOENT/);
  });

  it('a file with nothing readable imports nothing and exits 1, the reasons printed', async () => {
    const p = join(root, 'junk_20250101.gz');
    writeFileSync(p, gzipSync('hello\nworld\n'));
    const r = await cli(['hftbacktest', p, '--data', fresh()]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/corrupt lines: 2 \(skipped\)/);
    expect(r.out).toMatch(/junk_20250101\.gz:1: expected "<recv_ns> <frame>"/);
  });
});

describe('the merge (property)', () => {
  it('files each in time order come out as one stream in time order, every frame once', async () => {
    let runs = 0;
    let maxFiles = 0;
    let maxFrames = 0;
    let ties = 0;
    // 22:00: files whose first frame is past midnight are named for the next day (opened when the merge gets there)
    const base = Date.UTC(2025, 0, 26, 22);
    let nextDay = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(
            fc.oneof(
              fc.integer({ min: 0, max: 3 * 3_600_000 }),
              fc.constantFrom(0, 1_000, 2 * 3_600_000 + 5),
            ),
            { maxLength: 60, size: 'medium' },
          ),
          { minLength: 1, maxLength: 6, size: 'medium' },
        ),
        async (files) => {
          runs++;
          const dir = fresh();
          mkdirSync(dir, { recursive: true });
          const inputs = files.map((offsets, i) => {
            const sorted = [...offsets].sort((a, b) => a - b);
            const lines = sorted.map(
              (o, k) =>
                `${BigInt(base + o) * 1_000_000n} {"channel":"trades","data":[{"coin":"C${i}","side":"B","px":"1.0","sz":"1.0","time":${base + o},"hash":"0x${'0'.repeat(64)}","tid":${i * 1000 + k},"users":["0x${'1'.repeat(40)}","0x${'2'.repeat(40)}"]}]}`,
            );
            const day = (sorted[0] ?? 0) >= 2 * 3_600_000 ? '20250127' : '20250126';
            if (day === '20250127') nextDay++;
            const p = join(dir, `c${i}_${day}.gz`);
            writeFileSync(p, gzipSync(lines.join('\n')));
            return { format: 'hftbacktest' as const, path: p };
          });
          const total = files.reduce((s, f) => s + f.length, 0);
          maxFiles = Math.max(maxFiles, files.length);
          maxFrames = Math.max(maxFrames, total);
          const all = files.flat();
          ties += all.length - new Set(all).size;
          const report = await importFiles({ inputs, dataDir: join(dir, 'data'), clock: new ManualClock(0) });
          expect(report.frames).toBe(total);
          if (total === 0) return;
          const frames = [...readDays(journalDays(join(dir, 'data')))]
            .map((e) => e.record)
            .filter((r) => r.kind === RecordKind.Frame);
          expect(frames.length).toBe(total);
          for (let i = 1; i < frames.length; i++)
            expect(frames[i]!.time).toBeGreaterThanOrEqual(frames[i - 1]!.time);
          const got = frames.map((f) => f.time - base).sort((a, b) => a - b);
          expect(got).toEqual([...all].sort((a, b) => a - b));
          expect(report.outOfOrder).toBe(0);
        },
      ),
      { numRuns: 40, seed: 19 },
    );
    console.log(
      `merge property: ${runs} runs, up to ${maxFiles} files and ${maxFrames} frames, ${ties} equal-time frames, ${nextDay} files named for the next day`,
    );
    expect(runs).toBe(40);
    expect(maxFiles).toBeGreaterThanOrEqual(5);
    expect(maxFrames).toBeGreaterThanOrEqual(100);
    expect(ties).toBeGreaterThan(0);
    expect(nextDay).toBeGreaterThan(0);
  }, 120_000);
});
