/**
 * The dashboard's numbers for people and its decision rows: the functions as Node runs them, and the
 * same functions as the page receives them (their source text, evaluated on its own) agree.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transformSync } from 'esbuild';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FORMAT_SOURCE,
  fmtBps,
  fmtClock,
  fmtDuration,
  fmtPx,
  fmtSize,
  fmtUsd,
  humanise,
  recordRow,
} from '../../runtime/dashboard/format.ts';

describe('numbers for people', () => {
  it('durations: ms, s, min, h', () => {
    expect(fmtDuration(0)).toBe('0 ms');
    expect(fmtDuration(850.4)).toBe('850 ms');
    expect(fmtDuration(6213.92578125)).toBe('6.2 s');
    expect(fmtDuration(59_960)).toBe('1 min 0 s');
    expect(fmtDuration(252_000)).toBe('4 min 12 s');
    expect(fmtDuration(2 * 3_600_000 + 5 * 60_000)).toBe('2 h 05 min');
    expect(fmtDuration(-1500)).toBe('-1.5 s');
    expect(fmtDuration(null)).toBe('\u2014');
    expect(fmtDuration(Number.NaN)).toBe('\u2014');
  });

  it('the health reason of issue 22 reads "6.2 s", not "6213.92578125 ms"', () => {
    expect(humanise('every channel fresh for 6213.92578125 ms (validation 5000 ms)')).toBe(
      'every channel fresh for 6.2 s (validation 5.0 s)',
    );
    expect(humanise('l2Book:BTC never received')).toBe('l2Book:BTC never received');
    expect(humanise(undefined)).toBe('');
  });

  it('USD, bps, prices, sizes, clock', () => {
    expect(fmtUsd(10234.567)).toBe('$10,234.57');
    expect(fmtUsd(-12.3)).toBe('-$12.30');
    expect(fmtUsd(1.2, true)).toBe('+$1.20');
    expect(fmtUsd(0, true)).toBe('$0.00');
    expect(fmtUsd(-0.001, true)).toBe('$0.00');
    expect(fmtUsd(null)).toBe('\u2014');
    expect(fmtBps(0.00123)).toBe('12.3 bps');
    expect(fmtBps(-0.02)).toBe('-200 bps');
    expect(fmtBps(0.00001)).toBe('0.10 bps');
    expect(fmtPx(50123.45)).toBe('50,123.5');
    expect(fmtPx(3012.345)).toBe('3,012.3');
    expect(fmtPx(12.345)).toBe('12.35');
    expect(fmtPx(0.5, 50_000)).toBe('0.5');
    expect(fmtSize(0.123456789)).toBe('0.12346');
    expect(fmtSize(2)).toBe('2');
    expect(fmtClock(Date.UTC(2026, 11, 1, 4, 5, 6, 789))).toBe('04:05:06');
  });

  it('durations never print raw float noise (property: at most one decimal, a unit, for any finite ms)', () => {
    let runs = 0;
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), (ms) => {
        runs++;
        const s = fmtDuration(ms);
        expect(s).toMatch(/^-?(\d+ ms|\d+\.\d s|\d+ min \d+ s|\d+ h \d\d min)$/);
      }),
      { numRuns: 500, seed: 22 },
    );
    console.log(JSON.stringify({ property: 'fmtDuration shape', runs }));
    expect(runs).toBe(500);
  });
});

describe('decision records as table rows', () => {
  it('names kind, coin, strategy and a reason for the kinds a trader reads', () => {
    const fill = recordRow({
      t: 1,
      kind: 'exec.fill',
      time: 1,
      liquidity: 'taker',
      fill: {
        coin: 'BTC',
        strategy: 'geometry',
        side: 'BUY',
        px: 50_000,
        sz: 0.01,
        fee: 0.2,
        time: 1,
        clientId: 'c',
      },
    });
    expect(fill).toEqual({
      t: 1,
      kind: 'exec.fill',
      coin: 'BTC',
      strategy: 'geometry',
      reason: 'BUY 0.01 @ 50,000.0 (taker, fee $0.20)',
    });
    const intent = recordRow({
      t: 2,
      kind: 'exec.intent',
      intent: {
        kind: 'entry',
        coin: 'ETH',
        strategy: 'exhaustion',
        side: 'SHORT',
        reason: 'spike',
        stop: 3100,
        target: 2900,
      },
    });
    expect(intent.coin).toBe('ETH');
    expect(intent.reason).toBe('entry SHORT: spike (stop 3100, target 2900)');
    expect(
      recordRow({ t: 3, kind: 'strategy', coin: 'BTC', strategy: 'geometry', from: 'ARMED', to: 'ENTERED' })
        .reason,
    ).toBe('ARMED → ENTERED');
    expect(
      recordRow({ t: 4, kind: 'regime', coin: 'BTC', regime: 'SIDEWAYS', reason: 'oi range low', inputs: {} })
        .reason,
    ).toBe('SIDEWAYS: oi range low');
    expect(recordRow({ t: 5, kind: 'alarm', source: 'system', message: 'boom' }).reason).toBe('boom');
  });

  it('anything else is a row too, never a throw', () => {
    for (const bad of [
      null,
      42,
      'x',
      [],
      { kind: 7 },
      { kind: 'exec.fill' },
      { kind: 'exec.order', order: null },
    ]) {
      const r = recordRow(bad);
      expect(typeof r.kind).toBe('string');
      expect(typeof r.reason).toBe('string');
    }
    expect(recordRow(null).kind).toBe('?');
  });
});

describe('the page receives the same functions', () => {
  it('FORMAT_SOURCE evaluated on its own gives the same results', () => {
    const page = new Function(
      `${FORMAT_SOURCE}\nreturn { fmtDuration, fmtUsd, fmtBps, fmtPx, fmtSize, fmtClock, humanise, recordRow };`,
    )() as Record<string, (...a: unknown[]) => unknown>;
    const cases: [string, unknown[]][] = [
      ['fmtDuration', [6213.92578125]],
      ['fmtDuration', [7_500_000]],
      ['fmtUsd', [-1234.5, true]],
      ['fmtBps', [0.0004]],
      ['fmtPx', [0.123456]],
      ['fmtSize', [1.5]],
      ['fmtClock', [0]],
      ['humanise', ['fresh for 6213.92578125 ms']],
      ['recordRow', [{ t: 1, kind: 'exec.trading', time: 1, state: 'HALTED', reason: 'operator' }]],
    ];
    const node = {
      fmtDuration,
      fmtUsd,
      fmtBps,
      fmtPx,
      fmtSize,
      fmtClock,
      humanise,
      recordRow,
    } as unknown as Record<string, (...a: unknown[]) => unknown>;
    for (const [name, args] of cases) expect(page[name]!(...args)).toEqual(node[name]!(...args));
    expect(page.humanise!('fresh for 6213.92578125 ms')).toBe('fresh for 6.2 s');
  });

  it('the page script runs when this module was loaded by a name-keeping transpiler (tsx: __name wrappers)', async () => {
    // `npm run screenshots` runs under tsx, whose esbuild keeps names: inner functions come out wrapped in
    // __name(…), which the page does not have — every decision row threw "__name is not defined"
    const src = readFileSync(join(import.meta.dirname, '../../runtime/dashboard/format.ts'), 'utf8');
    const js = transformSync(src, { loader: 'ts', format: 'esm', keepNames: true }).code;
    const dir = mkdtempSync(join(tmpdir(), 'format-keepnames-'));
    try {
      const file = join(dir, 'format.mjs');
      // keepNames output calls a module-level __name helper esbuild defines at the top of the file
      writeFileSync(file, js);
      const mod = (await import(pathToFileURL(file).href)) as { FORMAT_SOURCE: string };
      expect(mod.FORMAT_SOURCE).toContain('__name(');
      const page = new Function(`${mod.FORMAT_SOURCE}\nreturn { recordRow, humanise };`)() as {
        recordRow: typeof recordRow;
        humanise: typeof humanise;
      };
      expect(page.recordRow({ t: 1, kind: 'alarm', source: 'system', message: 'm' }).reason).toBe('m');
      expect(page.humanise('fresh for 6213.92578125 ms')).toBe('fresh for 6.2 s');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
