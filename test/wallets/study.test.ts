import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SystemClock as JournalClock } from '../../actors/journal/system-clock.ts';
import { JournalWriter } from '../../actors/journal/writer.ts';
import { engineConfigFrom } from '../../decision/engine.ts';
import { parseDecisionRecord } from '../../decision/records.ts';
import { simSession } from '../../replay/sim-session.ts';
import { meanInterval, studyFigures, studyWallets, wilson } from '../../replay/study-wallets.ts';
import { main } from '../../runtime/cli.ts';
import { parseConfig } from '../../runtime/config.ts';

describe('study statistics', () => {
  it('mean with a normal 95 % interval', () => {
    const i = meanInterval([1, 2, 3]);
    expect(i.n).toBe(3);
    expect(i.mean).toBe(2);
    expect(i.lo).toBeCloseTo(2 - 1.96 / Math.sqrt(3), 12);
    expect(i.hi).toBeCloseTo(2 + 1.96 / Math.sqrt(3), 12);
    expect(meanInterval([])).toEqual({ n: 0, mean: null, lo: null, hi: null });
    expect(meanInterval([5])).toEqual({ n: 1, mean: 5, lo: null, hi: null });
  });

  it('Wilson interval of a proportion (reference values)', () => {
    const a = wilson(5, 10);
    expect(a.mean).toBe(0.5);
    expect(a.lo).toBeCloseTo(0.2366, 4);
    expect(a.hi).toBeCloseTo(0.7634, 4);
    const z = wilson(0, 10);
    expect(z.lo).toBe(0);
    expect(z.hi).toBeCloseTo(0.2775, 4);
    expect(wilson(10, 10).hi).toBe(1);
    expect(wilson(0, 0).mean).toBeNull();
  });

  it('figures from samples: one sample per horizon, flagged returns signed by the direction, cascades in (t, t+h]', () => {
    // one coin, a sample a second for 20 min; the price falls 1 bp a second from 600 s, a SHORT flag from
    // 480 s to 609 s, a cascade at 605 s
    const t0 = 1_767_225_600_000;
    const s = Array.from({ length: 1200 }, (_, i) => ({
      t: t0 + i * 1000,
      mid: 100 * Math.exp(-Math.max(0, i - 600) / 1e4),
      active: i >= 480 && i < 610,
      dir: i >= 480 && i < 610 ? -1 : 0,
    }));
    const f = studyFigures(new Map([['BTC', s]]), new Map([['BTC', [t0 + 605_000]]]), []);
    const h10 = f.horizons[0]!;
    expect(h10.horizonMs).toBe(10_000);
    expect(h10.returnAll.n).toBe(119); // 120 buckets, the last without a mid 10 s later
    // flagged samples at 480, 490, …, 600 s: only the one at 600 s sees the fall, +10 bps in the SHORT direction
    expect(h10.returnFlagged.n).toBe(13);
    expect(h10.returnFlagged.mean!).toBeCloseTo(10 / 13, 9);
    expect(h10.cascadeFlagged.mean).toBeCloseTo(1 / 13, 12);
    expect(h10.cascadeUnflagged.mean).toBe(0);
    expect(h10.cascadeAll.mean).toBeCloseTo(1 / 119, 12);
    const h5m = f.horizons[2]!;
    expect(h5m.returnAll.n).toBe(3); // samples at 0, 300, 600 s (900 s has no mid 300 s later)
    expect(h5m.returnFlagged.n).toBe(1);
    expect(h5m.returnFlagged.mean!).toBeCloseTo(300, 9);
    expect(h5m.cascadeFlagged.mean).toBe(1);
    expect(f.pnl).toEqual([]);
  });
});

describe('runtime study wallets (cascade scenario, seed 7)', () => {
  it('prints its figures with intervals; the class facts written as wallet.class decision records', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'study-'));
    const file = join(dir, 'facts.jsonl');
    let out = '';
    const code = await main(['study', 'wallets', '--scenario', 'cascade', '--json', '--decisions', file], {
      stdout: (s) => {
        out += s;
      },
      stderr: () => {},
    });
    expect(code).toBe(0);
    const s = JSON.parse(out);
    console.log(JSON.stringify(s.horizons, null, 1));
    expect(s.cascades).toBe(9);
    expect(s.facts).toBe(7); // 4 market makers short-hold; the manipulator's three
    const [h10, h60, h300] = s.horizons;
    // cascade incidence after a flagged sample is far above the unflagged one, intervals apart at 10 s and 1 min
    expect(h10.cascadeFlagged.lo).toBeGreaterThan(h10.cascadeUnflagged.hi);
    expect(h60.cascadeFlagged.lo).toBeGreaterThan(h60.cascadeUnflagged.hi);
    expect(h300.cascadeFlagged.mean).toBeGreaterThan(h300.cascadeUnflagged.mean);
    // the returns' intervals all contain 0 for the unconditional samples
    for (const h of s.horizons) {
      expect(h.returnAll.lo).toBeLessThan(0);
      expect(h.returnAll.hi).toBeGreaterThan(0);
    }
    // the Cascade strategy trades with the cascade, never against the manipulator: the filter refuses nothing
    expect(s.pnl).toEqual([
      expect.objectContaining({ strategy: 'cascade', trades: 9, refused: 0, pnlOn: s.pnl[0].pnlOff }),
    ]);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.length).toBe(7);
    for (const l of lines) expect(parseDecisionRecord(l).ok).toBe(true);
    expect(lines.map((l) => JSON.parse(l).class).sort()).toEqual([
      'manipulator',
      'post-cascade-exit',
      'pre-liquidation',
      'short-hold',
      'short-hold',
      'short-hold',
      'short-hold',
    ]);
  }, 900_000);
});

describe('runtime study wallets <data dir>', () => {
  it('on a journal written as a live run journals it: the same figures as the same session studied in memory', async () => {
    const config = engineConfigFrom(parseConfig({}));
    const dir = mkdtempSync(join(tmpdir(), 'study-journal-'));
    const journal = join(dir, 'journal');
    const durationMs = 72 * 60_000; // the warm-up hour and the first cascade of each coin
    const w = new JournalWriter({ dir: journal, clock: new JournalClock() });
    simSession({
      seed: 7,
      scenario: 'cascade',
      coins: [...config.coins],
      tickMs: config.tickMs,
      fast: config.health.fastBook,
      durationMs,
      onRecord: (r) => w.append(r),
    });
    await w.close();
    let out = '';
    let err = '';
    const code = await main(['study', 'wallets', journal, '--json'], {
      stdout: (x) => {
        out += x;
      },
      stderr: (x) => {
        err += x;
      },
    });
    expect(code, err).toBe(0);
    const fromDir = JSON.parse(out);
    const inMemory = studyWallets({ config, source: { scenario: 'cascade', seed: 7, durationMs } });
    console.log(
      `study on a journal dir: ${fromDir.records} records, ${fromDir.samples} samples (${fromDir.flaggedSamples} flagged), ${fromDir.cascades} cascades`,
    );
    expect(fromDir.records).toBe(inMemory.records);
    expect(fromDir.samples).toBe(inMemory.samples);
    expect(fromDir.flaggedSamples).toBe(inMemory.flaggedSamples);
    expect(fromDir.flaggedSamples).toBeGreaterThan(0);
    expect(fromDir.cascades).toBe(3);
    expect(fromDir.facts).toBe(inMemory.facts.length);
    expect(fromDir.horizons).toEqual(JSON.parse(JSON.stringify(inMemory.horizons)));
    expect(fromDir.pnl).toEqual(JSON.parse(JSON.stringify(inMemory.pnl)));
  }, 900_000);
});
