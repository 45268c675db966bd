/**
 * Walk-forward selection (issue 19, the sweep's tearsheet), pure: the folds are consecutive whole days as
 * equal as the days allow; each fold after the first is chosen on every fold before it (anchored); the
 * ranking (objective, then smaller drawdown, then config hash) on hand-made result sets; and no leakage —
 * over random result sets, the config chosen for a fold is the same whatever the results of that fold and of
 * every later day (a leaky selector that peeks at the fold is caught by the same check).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../research/grid.ts';
import {
  type Objective,
  parseObjective,
  type RankFigures,
  rankConfigs,
  type SpanResult,
  splitFolds,
  WalkForwardError,
  walkForward,
  walkForwardReport,
  walkForwardSteps,
} from '../../research/walk-forward.ts';
import type { Metrics } from '../../research/metrics.ts';
import { surfaceView, varyingParams } from '../../research/sweep-tearsheet.ts';
import { sweepCommand, walkForwardTable } from '../../runtime/commands/sweep.ts';
import { tempDir } from '../journal/helpers.ts';
import { simDataDir } from './sweep-fixture.ts';

const fig = (sharpe: number | null, ret: number | null, calmar: number | null, dd: number): RankFigures => ({
  sharpe,
  totalReturn: ret,
  calmar,
  drawdown: { max: dd, peakTime: null, troughTime: null, durationMs: 0, recovered: true },
});

const res = (configHash: string, days: string[], m: RankFigures): SpanResult => ({
  configHash,
  set: { 'risk.riskPerTrade': configHash.charCodeAt(0) },
  days,
  metrics: m,
});

describe('folds', () => {
  it('K consecutive folds of whole days, the earlier ones a day longer when the days do not divide', () => {
    const d = ['d1', 'd2', 'd3', 'd4', 'd5'];
    expect(splitFolds(d, 2)).toEqual([
      ['d1', 'd2', 'd3'],
      ['d4', 'd5'],
    ]);
    expect(splitFolds(d, 3)).toEqual([['d1', 'd2'], ['d3', 'd4'], ['d5']]);
    expect(splitFolds(d, 5)).toEqual([['d1'], ['d2'], ['d3'], ['d4'], ['d5']]);
    expect(() => splitFolds(d, 1)).toThrow(WalkForwardError);
    expect(() => splitFolds(d, 6)).toThrow(/the range has 5 day\(s\)/);
    expect(() => splitFolds(d, 2.5)).toThrow(/integer K/);
  });

  it('each fold after the first is out of sample for every fold before it (anchored)', () => {
    const steps = walkForwardSteps(splitFolds(['a', 'b', 'c', 'd'], 4));
    expect(steps).toEqual([
      { fold: 1, inSample: ['a'], outOfSample: ['b'] },
      { fold: 2, inSample: ['a', 'b'], outOfSample: ['c'] },
      { fold: 3, inSample: ['a', 'b', 'c'], outOfSample: ['d'] },
    ]);
  });

  it('the objective is sharpe by default, else one of sharpe, return, calmar', () => {
    expect(parseObjective(undefined)).toBe('sharpe');
    expect(parseObjective('calmar')).toBe('calmar');
    expect(() => parseObjective('sortino')).toThrow(/expected one of sharpe, return, calmar/);
  });
});

describe('ranking', () => {
  const rows = [
    { configHash: 'a', set: {}, metrics: fig(1.5, 0.02, 3, 0.05) },
    { configHash: 'b', set: {}, metrics: fig(2.0, 0.01, 1, 0.01) },
    { configHash: 'c', set: {}, metrics: fig(null, null, null, 0) }, // no trade: undefined
    { configHash: 'd', set: {}, metrics: fig(1.5, 0.03, 3, 0.02) }, // ties a on sharpe and calmar, less drawdown
    { configHash: 'e', set: {}, metrics: fig(1.5, 0.02, 3, 0.05) }, // ties a on everything: hash
  ];
  const order = (o: Objective) => rankConfigs(rows, o).map((r) => r.configHash);

  it('objective highest first, undefined last, ties by the smaller drawdown, then by config hash', () => {
    expect(order('sharpe')).toEqual(['b', 'd', 'a', 'e', 'c']);
    expect(order('return')).toEqual(['d', 'a', 'e', 'b', 'c']);
    expect(order('calmar')).toEqual(['d', 'a', 'e', 'b', 'c']);
    // the order is total: any input order gives it
    expect(rankConfigs([...rows].reverse(), 'sharpe').map((r) => r.configHash)).toEqual(order('sharpe'));
  });
});

describe('walk-forward on a hand-made result set', () => {
  const folds = [['d1'], ['d2'], ['d3']];
  const results: SpanResult[] = [
    // in sample of fold 1: d1 — B best
    res('A', ['d1'], fig(1, 0.01, 1, 0.02)),
    res('B', ['d1'], fig(3, 0.03, 2, 0.02)),
    // fold 1 (out of sample for B): A shines on it, which must not matter
    res('A', ['d2'], fig(9, 0.09, 9, 0.01)),
    res('B', ['d2'], fig(-1, -0.01, -1, 0.04)),
    // in sample of fold 2: d1 + d2 — A best
    res('A', ['d1', 'd2'], fig(2, 0.05, 3, 0.02)),
    res('B', ['d1', 'd2'], fig(0.5, 0.01, 0.2, 0.05)),
    // fold 2
    res('A', ['d3'], fig(0.7, 0.004, 0.5, 0.03)),
    res('B', ['d3'], fig(5, 0.05, 5, 0.01)),
  ];

  it('each fold takes the in-sample winner and reports its figures on the fold', () => {
    const out = walkForward(folds, results, 'sharpe');
    expect(out.map((s) => [s.fold, s.chosen?.configHash, s.outOfSample?.sharpe, s.ranked])).toEqual([
      [1, 'B', -1, 2],
      [2, 'A', 0.7, 2],
    ]);
    expect(out[1]!.inSampleDays).toEqual(['d1', 'd2']);
    expect(out[1]!.outOfSampleDays).toEqual(['d3']);
    // a config missing from the fold: chosen, no out-of-sample figures (not someone else's)
    const partial = walkForward(
      folds,
      results.filter((r) => !(r.configHash === 'B' && r.days.join() === 'd2')),
      'sharpe',
    );
    expect(partial[0]!.chosen?.configHash).toBe('B');
    expect(partial[0]!.outOfSample).toBeNull();
  });

  it('the report: out-of-sample chain, the top configs of the final in-sample span beside the last fold', () => {
    const metrics = (m: RankFigures, pnl: number): Metrics =>
      ({ ...m, trades: 2, winRate: 0.5, pnl, fees: 1, funding: 0.5 }) as Metrics;
    const curves = results.map((r) => ({
      ...r,
      metrics: metrics(r.metrics, (r.metrics.totalReturn ?? 0) * 1000),
      equity: [{ time: 1, equity: 1000 }],
    }));
    const rep = walkForwardReport(folds, curves, 'sharpe', 1);
    expect(rep.steps.map((s) => s.chosen?.configHash)).toEqual(['B', 'A']);
    expect(rep.outOfSample.folds).toBe(2);
    expect(rep.outOfSample.compoundedReturn).toBeCloseTo(0.99 * 1.004 - 1, 12);
    expect(rep.outOfSample.pnl).toBeCloseTo(-10 + 4, 9);
    expect(rep.top.map((t) => [t.rank, t.configHash, t.inSample.sharpe, t.outOfSample?.sharpe])).toEqual([
      [1, 'A', 2, 0.7],
    ]);
    expect(rep.surface.map((p) => [p.configHash, p.objective])).toEqual([
      ['A', 2],
      ['B', 0.5],
    ]);
    expect(rep.split).toMatch(/3 consecutive folds of whole days \(fold 0 d1; fold 1 d2; fold 2 d3\)/);
  });
});

// ------------------------------------------------------------------ no leakage

type Selector = (folds: string[][], results: SpanResult[], o: Objective) => (string | null)[];

const honest: Selector = (folds, results, o) =>
  walkForward(folds, results, o).map((s) => s.chosen?.configHash ?? null);

/** A leaky selector: ranks on the in-sample span plus the fold itself (peeks at what it is judged on). */
const leaky: Selector = (folds, results, o) =>
  walkForwardSteps(folds).map((s) => {
    const oos = s.outOfSample.join(',');
    const isRows = results.filter((r) => r.days.join(',') === s.inSample.join(','));
    const peek = isRows.map((r) => {
      const f = results.find((x) => x.configHash === r.configHash && x.days.join(',') === oos);
      return { ...r, metrics: f ? f.metrics : r.metrics };
    });
    return rankConfigs(peek, o)[0]?.configHash ?? null;
  });

function randomFigures(rnd: () => number): RankFigures {
  const pick = () => (rnd() < 0.15 ? null : Math.round((rnd() * 4 - 1) * 4) / 4); // ties and nulls happen
  return fig(pick(), pick(), pick(), Math.round(rnd() * 4) / 20);
}

/** A random sweep: D days, K folds, C configs, a result for every (config, span) the steps read. */
function randomCase(rnd: () => number) {
  const nDays = 2 + Math.floor(rnd() * 7);
  const k = 2 + Math.floor(rnd() * (nDays - 1));
  const days = Array.from({ length: nDays }, (_, i) => `2026-01-${String(i + 1).padStart(2, '0')}`);
  const folds = splitFolds(days, k);
  const configs = Array.from({ length: 1 + Math.floor(rnd() * 6) }, (_, i) => `cfg${i}`);
  const spans = new Map<string, string[]>();
  for (const s of walkForwardSteps(folds))
    for (const sp of [s.inSample, s.outOfSample]) spans.set(sp.join(), sp);
  const results: SpanResult[] = [];
  for (const sp of spans.values())
    for (const c of configs) if (rnd() > 0.05) results.push(res(c, sp, randomFigures(rnd)));
  return { folds, configs, results };
}

/**
 * For each step, redraw every result that reads a day of its fold or later (the fold, later folds, later
 * in-sample spans) and select again: the step's choice must not move. Returns the steps checked, those whose
 * redraw changed what the fold's results were, and the violations.
 */
function leakCheck(select: Selector, cases: number, seed: number) {
  const rnd = mulberry32(seed);
  let steps = 0;
  let redrawn = 0;
  let violations = 0;
  let choiceMovedByInSample = 0;
  const objectives: Objective[] = ['sharpe', 'return', 'calmar'];
  for (let c = 0; c < cases; c++) {
    const { folds, results } = randomCase(rnd);
    const o = objectives[c % 3]!;
    const base = select(folds, results, o);
    for (let f = 1; f < folds.length; f++) {
      steps++;
      const future = new Set(folds.slice(f).flat());
      const redraw = results.map((r) =>
        r.days.some((d) => future.has(d)) ? { ...r, metrics: randomFigures(rnd) } : r,
      );
      if (redraw.some((r, i) => r.metrics !== results[i]!.metrics)) redrawn++;
      if (select(folds, redraw, o)[f - 1] !== base[f - 1]) violations++;
      // the other way round: redrawing the in-sample span can move the choice (the check is not vacuous)
      const isKey = folds.slice(0, f).flat().join(',');
      const redrawIs = results.map((r) =>
        r.days.join(',') === isKey ? { ...r, metrics: randomFigures(rnd) } : r,
      );
      if (select(folds, redrawIs, o)[f - 1] !== base[f - 1]) choiceMovedByInSample++;
    }
  }
  return { steps, redrawn, violations, choiceMovedByInSample };
}

describe('no leakage (property)', () => {
  it("the config chosen for a fold never depends on that fold's results or any later day's", () => {
    const r = leakCheck(honest, 400, 19);
    console.log(
      `walk-forward leakage: ${r.steps} fold choices over 400 random sweeps, ${r.redrawn} with the fold and later results redrawn, ${r.violations} moved; ${r.choiceMovedByInSample} moved when the in-sample results were redrawn`,
    );
    expect(r.steps).toBeGreaterThan(800);
    expect(r.redrawn).toBeGreaterThan(r.steps * 0.95); // a fold whose every result is missing has nothing to redraw
    expect(r.violations).toBe(0);
    expect(r.choiceMovedByInSample).toBeGreaterThan(r.steps / 5);
  });

  it('the same check catches a selector that peeks at the fold', () => {
    const r = leakCheck(leaky, 200, 19);
    console.log(`leaky selector: ${r.violations} of ${r.steps} fold choices moved by the fold's own results`);
    expect(r.violations).toBeGreaterThan(r.steps / 10);
  });
});

describe('parameter surface (the sweep page)', () => {
  const pt = (set: Record<string, number | boolean>, objective: number | null) => ({
    configHash: JSON.stringify(set),
    set,
    objective,
  });

  it('one numeric parameter: a line of its values, best objective at each', () => {
    const v = surfaceView(
      [pt({ a: 2, b: 1 }, 0.5), pt({ a: 1, b: 1 }, 0.2), pt({ a: 3, b: 1 }, null)],
      'sharpe',
    );
    expect(varyingParams([pt({ a: 2, b: 1 }, 0), pt({ a: 1, b: 1 }, 0)])).toEqual([
      { key: 'a', values: [1, 2] },
    ]);
    expect(v.line).toEqual({
      key: 'a',
      points: [
        [1, 0.2],
        [2, 0.5],
      ],
    }); // undefined objective: no point
    expect(v.html).toContain('id="surface-line"');
  });

  it('two parameters: one heatmap, a cell per pair; more: a panel per pair of the three that move it most', () => {
    const two = surfaceView(
      [
        pt({ a: 1, b: true }, 1),
        pt({ a: 1, b: false }, 2),
        pt({ a: 2, b: true }, 3),
        pt({ a: 2, b: false }, null),
      ],
      'sharpe',
    );
    expect(two.line).toBeNull();
    expect(two.html.match(/<table class="heatmap"/g)?.length).toBe(1);
    expect(two.html.match(/class="heat"/g)?.length).toBe(4);
    expect(two.html).toContain('data-value="null" style="background:#eeeeee"');
    // four parameters; d does not move the objective at all, c the most
    const pts = [];
    for (const a of [1, 2])
      for (const b of [1, 2])
        for (const c of [1, 2])
          for (const d of [1, 2]) pts.push(pt({ a, b, c, d }, a * 0.1 + b * 0.2 + c * 1));
    const four = surfaceView(pts, 'sharpe');
    const panels = [...four.html.matchAll(/data-heatmap="([^"]+)"/g)].map((m) => m[1]);
    expect(panels).toEqual(['c|b', 'c|a', 'b|a']);
    // a cell: the best over the other parameters (c = 2, b = 2: a = 2 → 2.6)
    expect(four.html).toContain('data-value="2.6"');
  });
});

describe('runtime sweep --walk-forward: bad input exits 2 naming it, before anything runs', () => {
  const t = tempDir('walk-forward-usage');
  beforeAll(async () => {
    await simDataDir({
      dir: t.dir,
      days: ['2026-11-18', '2026-11-19'],
      minutes: 1,
      scenario: 'default',
      seed: 1,
      coins: ['BTC'],
    });
    writeFileSync(join(t.dir, 'spec.json'), JSON.stringify({ grid: { 'regime.confirmTicks': [2, 3] } }));
  }, 60_000);
  afterAll(() => t.cleanup());

  async function run(extra: string[]): Promise<{ code: number; err: string }> {
    let err = '';
    const code = await sweepCommand([t.dir, '--grid', join(t.dir, 'spec.json'), ...extra], {
      stdout: () => {},
      stderr: (s) => {
        err += `${s}\n`;
      },
    });
    return { code, err };
  }

  it('K beyond the days, K < 2, an unknown objective, a cut time', async () => {
    const cases: [string[], RegExp][] = [
      [['--walk-forward', '3'], /the range has 2 day\(s\); folds are whole days, so K ≤ 2/],
      [['--walk-forward', '1'], /needs an integer K ≥ 2/],
      [['--walk-forward', 'x'], /--walk-forward must be a number/],
      [['--walk-forward', '2', '--objective', 'sortino'], /expected one of sharpe, return, calmar/],
      [['--walk-forward', '2', '--to-time', '1'], /cannot take --to-time/],
    ];
    for (const [args, re] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(re);
      expect(r.err).not.toMatch(/sweep: \d+ point/); // refused before planning any run
    }
  });
});

describe('walk-forward as text', () => {
  it('prints the split, each fold with its choice and out-of-sample figures, and the top configs', () => {
    const m = (sharpe: number, ret: number) =>
      ({
        ...fig(sharpe, ret, 1, 0.01),
        trades: 1,
        winRate: 1,
        pnl: ret * 1000,
        fees: 0,
        funding: 0,
      }) as Metrics;
    const rep = walkForwardReport(
      [['d1'], ['d2']],
      [
        { configHash: 'aaaaaaaaaaaa', set: { x: 1 }, days: ['d1'], metrics: m(2, 0.01), equity: [] },
        { configHash: 'bbbbbbbbbbbb', set: { x: 2 }, days: ['d1'], metrics: m(1, 0.02), equity: [] },
        { configHash: 'aaaaaaaaaaaa', set: { x: 1 }, days: ['d2'], metrics: m(-1, -0.005), equity: [] },
      ],
      'sharpe',
      5,
    );
    const text = walkForwardTable(rep);
    expect(text).toContain('walk-forward (sharpe): 2 consecutive folds of whole days (fold 0 d1; fold 1 d2)');
    expect(text).toMatch(/^\s+1 {2}d1 +d2 +aaaaaaaaaa +2\.000 +-0\.50% +-1\.000 +-5\.00$/m);
    expect(text).toContain('out of sample over 1 fold(s): compounded return -0.50%, net pnl -5.00');
    // b has no result on the last fold: its out-of-sample figures are shown as missing, not borrowed
    expect(text).toMatch(/^\s+2 {2}bbbbbbbbbb .* —\s+—\s+—\s+\{"x":2\}$/m);
  });
});
