/**
 * The sweep's configs (issue 19): the grid is the cartesian product, the random search draws the same
 * configs for the same seed, and a bad spec is a clear error — a section that changes the market state, a
 * key the config schema does not know (with its nearest valid name), a value out of the schema's bounds —
 * from `runtime sweep` with exit code 2, before anything runs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gridSets, nestSet, parseSweepSpec, randomSets, SweepSpecError } from '../../research/grid.ts';
import { sweepCommand } from '../../runtime/commands/sweep.ts';
import { tempDir } from '../journal/helpers.ts';
import { simDataDir } from './sweep-fixture.ts';

describe('grid and random search', () => {
  it('the grid is the cartesian product, first key slowest, each point with the fixed values', () => {
    const spec = parseSweepSpec({
      grid: { 'risk.riskPerTrade': [0.001, 0.002], 'regime.confirmTicks': [1, 2, 3] },
      fixed: { 'risk.startEquity': 5000 },
    });
    const sets = gridSets(spec);
    expect(sets.length).toBe(6);
    expect(sets[0]).toEqual({
      'risk.startEquity': 5000,
      'risk.riskPerTrade': 0.001,
      'regime.confirmTicks': 1,
    });
    expect(sets[5]).toEqual({
      'risk.startEquity': 5000,
      'risk.riskPerTrade': 0.002,
      'regime.confirmTicks': 3,
    });
    expect(new Set(sets.map((s) => JSON.stringify(s))).size).toBe(6);
    expect(nestSet(sets[0]!)).toEqual({
      risk: { startEquity: 5000, riskPerTrade: 0.001 },
      regime: { confirmTicks: 1 },
    });
  });

  it('a random search draws the same configs for the same seed, inside its ranges', () => {
    const spec = parseSweepSpec({
      random: {
        'risk.riskPerTrade': { min: 0.001, max: 0.01, log: true },
        'regime.confirmTicks': { min: 1, max: 6, int: true },
        'strategies.geometry.enabled': [true, false],
      },
    });
    const a = randomSets(spec, 40, 7);
    expect(randomSets(spec, 40, 7)).toEqual(a);
    expect(randomSets(spec, 40, 8)).not.toEqual(a);
    expect(a.length).toBe(40);
    for (const s of a) {
      expect(s['risk.riskPerTrade']).toBeGreaterThanOrEqual(0.001);
      expect(s['risk.riskPerTrade']).toBeLessThanOrEqual(0.01);
      expect(Number.isInteger(s['regime.confirmTicks'])).toBe(true);
      expect([true, false]).toContain(s['strategies.geometry.enabled']);
    }
    // both ends of each range are reached in 40 draws (the draw is not stuck)
    const ticks = new Set(a.map((s) => s['regime.confirmTicks']));
    console.log(`random search reach: confirmTicks ${[...ticks].sort().join(',')}`);
    expect(ticks.size).toBeGreaterThanOrEqual(5);
    // a small space: duplicates are drawn once
    const small = parseSweepSpec({ grid: { 'regime.confirmTicks': [1, 2] } });
    expect(randomSets(small, 30, 1).length).toBe(2);
    expect(() => randomSets(small, 0, 1)).toThrow(SweepSpecError);
  });

  it('a bad spec is an error naming what is wrong', () => {
    expect(() => parseSweepSpec('{')).toThrow(/not valid JSON/);
    expect(() => parseSweepSpec({})).toThrow(/needs "grid" or "random"/);
    expect(() => parseSweepSpec({ grid: { coins: [['BTC']] } })).toThrow(SweepSpecError);
    expect(() => parseSweepSpec({ grid: { 'feed.fastBook': [true, false] } })).toThrow(
      /section 'feed' cannot be swept/,
    );
    expect(() => parseSweepSpec({ grid: { riskPerTrade: [0.01] } })).toThrow(/not a dotted config path/);
    expect(() => parseSweepSpec({ grid: { 'risk.riskPerTrade': [] } })).toThrow(SweepSpecError);
    expect(() => parseSweepSpec({ random: { 'risk.riskPerTrade': { min: 2, max: 1 } } })).toThrow(
      /min must be ≤ max/,
    );
    expect(() => parseSweepSpec({ grid: { 'risk.x': [1] }, extra: 1 })).toThrow(SweepSpecError);
  });
});

describe('runtime sweep: bad input', () => {
  const t = tempDir('sweep-grid');
  beforeAll(async () => {
    await simDataDir({
      dir: t.dir,
      days: ['2026-11-18'],
      minutes: 1,
      scenario: 'default',
      seed: 1,
      coins: ['BTC'],
    });
  }, 60_000);
  afterAll(() => t.cleanup());

  async function run(spec: unknown, extra: string[] = []): Promise<{ code: number; err: string }> {
    const path = join(t.dir, 'spec.json');
    writeFileSync(path, typeof spec === 'string' ? spec : JSON.stringify(spec));
    let err = '';
    const code = await sweepCommand([t.dir, '--grid', path, ...extra], {
      stdout: () => {},
      stderr: (s) => {
        err += s;
      },
    });
    return { code, err };
  }

  it('an unknown key names its nearest valid name; a value out of bounds names the key and the point', async () => {
    const typo = await run({ grid: { 'risk.riskPerTrde': [0.01] } });
    expect(typo.code).toBe(2);
    expect(typo.err).toMatch(/risk\.riskPerTrde: unknown key — did you mean risk\.riskPerTrade\?/);
    const big = await run({ grid: { 'risk.riskPerTrade': [0.005, 0.5] } });
    expect(big.code).toBe(2);
    expect(big.err).toMatch(/sweep point \{"risk.riskPerTrade":0.5\}/);
    expect(big.err).toMatch(/risk\.riskPerTrade/);
    const market = await run({ grid: { 'coins.0': ['ETH'] } });
    expect(market.code).toBe(2);
    expect(market.err).toMatch(/section 'coins' cannot be swept/);
    const json = await run('{ not json');
    expect(json.code).toBe(2);
    expect(json.err).toMatch(/not valid JSON/);
  });

  it('a small sweep prints its configs best first; run again, every result comes from the cache', async () => {
    const path = join(t.dir, 'small.json');
    writeFileSync(path, JSON.stringify({ grid: { 'risk.riskPerTrade': [0.004, 0.006] } }));
    const once = async () => {
      let out = '';
      let err = '';
      const code = await sweepCommand([t.dir, '--grid', path, '--threads', '1'], {
        stdout: (s) => {
          out += s;
        },
        stderr: (s) => {
          err += `${s}\n`;
        },
      });
      return { code, out, err };
    };
    const a = await once();
    expect(a.code, a.err).toBe(0);
    expect(a.out.split('\n')[0]).toMatch(/^rank +net pnl/);
    expect(a.out.split('\n').length).toBe(3);
    expect(a.err).toMatch(/2 ran, 0 from the cache/);
    expect(a.err).toMatch(/tick tape recorded/);
    const b = await once();
    expect(b.code, b.err).toBe(0);
    expect(b.err).toMatch(/0 ran, 2 from the cache/);
    expect(b.out).toBe(a.out);
  }, 120_000);

  it('missing flags and a bad Redis URL are usage errors', async () => {
    let err = '';
    const io = {
      stdout: () => {},
      stderr: (s: string) => {
        err += s;
      },
    };
    expect(await sweepCommand([t.dir], io)).toBe(2);
    expect(err).toMatch(/missing --grid/);
    const bad = await run({ grid: { 'risk.riskPerTrade': [0.005] } }, ['--redis', 'http://127.0.0.1:1']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/expected a redis:\/\/ URL/);
  });
});
