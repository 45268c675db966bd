/**
 * The sweep's tearsheet (issue 19) end to end, in process: `runtime sweep --walk-forward 3` over a three-day
 * simulated data dir (four configs), then its `sweep.html` in headless Chromium from a file with no network.
 * - the walk-forward's JSON (objective: the default, Sharpe): three folds of one day each, each fold after the
 *   first chosen on the days before it; every (config, span) a cached run (a second sweep recomputes nothing);
 * - a run's figures are `runtime backtest`'s for the same days and settings (the per-run tearsheet's);
 * - the page: the split stated with its dates, the heatmap of the two swept parameters (a cell per pair,
 *   coloured), each top config's equity chart drawn (canvas pixels in the in-sample and out-of-sample colours),
 *   and the top-configs table equal to the JSON's `walkForward.top`, cell by cell.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtest } from '../../research/backtest.ts';
import type { RunResult } from '../../research/sweep.ts';
import { formatFigure } from '../../research/tearsheet.ts';
import type { Metrics } from '../../research/metrics.ts';
import { renderSweepTearsheet } from '../../research/sweep-tearsheet.ts';
import { SHOWN, type WalkForwardReport, walkForwardReport } from '../../research/walk-forward.ts';
import { backtestConfigResolver } from '../../runtime/commands/backtest.ts';
import { sweepCommand } from '../../runtime/commands/sweep.ts';
import { tempDir } from '../journal/helpers.ts';
import { browserAvailability, launchBrowser, warnSkipped } from '../runtime/browser.ts';
import { simDataDir } from './sweep-fixture.ts';

const avail = browserAvailability();
if (!avail.run) warnSkipped('sweep tearsheet headless-Chromium test', avail.reason);

/** One headless Chromium for both browser groups (each page its own context), launched when first asked for. */
let launched: Promise<Browser> | null = null;
const sharedBrowser = (): Promise<Browser> => (launched ??= launchBrowser());
afterAll(async () => {
  if (launched) await (await launched).close();
});

const DAYS = ['2026-11-18', '2026-11-19', '2026-11-20'];
/** Size and fee: a fee moves Sharpe (a size alone scales every return, and Sharpe with them, not at all). */
const GRID = { grid: { 'risk.riskPerTrade': [0.0025, 0.01], 'paper.takerFee': [0.00035, 0.0015] } };

interface SweepJson {
  configs: number;
  cached: number;
  ran: number;
  results: RunResult[];
  walkForward: WalkForwardReport & { tearsheet: string };
}

const t = tempDir('sweep-tearsheet');
const out = join(t.dir, 'out');
let json: SweepJson;
let err = '';
afterAll(() => t.cleanup());

describe('sweep tearsheet: walk-forward', () => {
  async function sweep(): Promise<{ code: number; json: SweepJson; err: string }> {
    let o = '';
    let e = '';
    const spec = join(t.dir, 'sweep.json');
    writeFileSync(spec, JSON.stringify(GRID));
    const code = await sweepCommand(
      [t.dir, '--grid', spec, '--json', '--walk-forward', '3', '--top', '3', '--out', out],
      {
        stdout: (s) => {
          o += s;
        },
        stderr: (s) => {
          e += `${s}\n`;
        },
      },
    );
    return { code, json: JSON.parse(o || 'null') as SweepJson, err: e };
  }

  beforeAll(async () => {
    const d = await simDataDir({
      dir: t.dir,
      days: DAYS,
      minutes: 96,
      fromMinute: 25, // most of the scenario's quiet hour skipped (journaled from minute 25; the spikes come after 60)
      scenario: 'exhaustion',
      seed: 11, // trades on the first and last day (1, 0, 2 at risk 1 %): the configs' figures differ
      coins: ['BTC'],
      tickMs: 5_000,
    });
    console.log(`sweep tearsheet data: ${DAYS.length} days, ${d.records} records`);
    const r = await sweep();
    expect(r.code, r.err).toBe(0);
    json = r.json;
    err = r.err;
  }, 120_000);

  it('three folds of one day; each fold after the first chosen on the days before it', () => {
    const wf = json.walkForward;
    expect(wf.objective).toBe('sharpe'); // the default
    expect(wf.folds).toEqual([[DAYS[0]], [DAYS[1]], [DAYS[2]]]);
    expect(wf.split).toContain(`fold 0 ${DAYS[0]}; fold 1 ${DAYS[1]}; fold 2 ${DAYS[2]}`);
    expect(err).toContain('walk-forward: 3 consecutive folds');
    expect(wf.steps.map((s) => [s.fold, s.inSampleDays, s.outOfSampleDays, s.ranked])).toEqual([
      [1, [DAYS[0]], [DAYS[1]], 4],
      [2, [DAYS[0], DAYS[1]], [DAYS[2]], 4],
    ]);
    // 4 configs × 4 spans (day 1, day 2, days 1–2, day 3), each run with its figures
    expect(json.configs).toBe(16);
    expect(json.results.every((r) => r.figures !== undefined)).toBe(true);
    // the choice is the in-sample ranking's top (return, then drawdown) among the results of its span
    for (const s of wf.steps) {
      const span = json.results.filter((r) => r.range.days.join() === s.inSampleDays.join());
      const best = Math.max(...span.map((r) => r.figures!.metrics.sharpe ?? Number.NEGATIVE_INFINITY));
      const chosen = span.find((r) => r.configHash === s.chosen?.configHash)!;
      expect(chosen.figures!.metrics.sharpe).toBe(best);
      expect(s.chosen?.objective).toBe(best);
      const oos = json.results.find(
        (r) => r.configHash === s.chosen?.configHash && r.range.days.join() === s.outOfSampleDays.join(),
      )!;
      expect(s.outOfSample?.totalReturn).toBe(oos.figures!.metrics.totalReturn);
      expect(s.outOfSample?.pnl).toBe(oos.figures!.metrics.pnl);
    }
    const trades = json.results.reduce((a, r) => a + r.figures!.metrics.trades, 0);
    const perSpan = new Map<string, number[]>();
    for (const r of json.results) {
      const k = r.range.days.join('+');
      perSpan.set(k, [...(perSpan.get(k) ?? []), r.figures!.metrics.trades]);
    }
    console.log(
      `walk-forward: chosen ${wf.steps.map((s) => s.chosen?.configHash.slice(0, 8)).join(', ')}; trades per span and config ${JSON.stringify(Object.fromEntries(perSpan))}; OOS compounded ${wf.outOfSample.compoundedReturn}`,
    );
    expect(trades).toBeGreaterThan(0);
  });

  it("a run's figures are runtime backtest's for the same days and settings", () => {
    const r = json.results.find(
      (x) => x.range.days.join() === DAYS[1] && x.set['risk.riskPerTrade'] === 0.01,
    )!;
    const set = Object.fromEntries(Object.entries(r.set).map(([k, v]) => [k, JSON.stringify(v)]));
    const b = backtest({
      dataDir: t.dir,
      from: DAYS[1],
      to: DAYS[1],
      set,
      resolveConfig: backtestConfigResolver(),
    });
    expect(JSON.parse(JSON.stringify(b.metrics))).toEqual(r.figures!.metrics);
    expect(b.equity).toEqual(r.figures!.equity);
  }, 60_000);

  it('a second sweep recomputes nothing', async () => {
    const again = await sweep();
    expect(again.code).toBe(0);
    expect(again.json.cached).toBe(16);
    expect(again.json.ran).toBe(0);
    const strip = (w: SweepJson['walkForward']) => ({ ...w, tearsheet: null });
    expect(strip(again.json.walkForward)).toEqual(strip(json.walkForward));
  }, 60_000);
});

describe.skipIf(!avail.run)('sweep tearsheet: walk-forward in headless Chromium', () => {
  let page: Page;
  const requests: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const file = json.walkForward.tearsheet;
    expect(file).toBe(join(out, 'sweep.html')); // the --out folder (the sweep's cache) gets the page
    expect(readFileSync(file, 'utf8')).toContain('<table class="heatmap"');
    page = await (await sharedBrowser()).newPage();
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction('window.CHARTS_DRAWN !== undefined', undefined, { timeout: 20_000 });
  }, 60_000);
  afterAll(async () => {
    await page?.close();
  });

  it('no network, no script error', () => {
    expect(pageErrors).toEqual([]);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
  });

  it('the split is stated with its dates, and each fold row names its days', async () => {
    const split = await page.textContent('[data-split]');
    for (const d of DAYS) expect(split).toContain(d);
    const folds = await page.$$eval('[data-table="folds"] tr[data-fold]', (rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].slice(0, 3).map((c) => c.textContent)),
    );
    expect(folds).toEqual([
      ['1', DAYS[0], DAYS[1]],
      ['2', `${DAYS[0]} … ${DAYS[1]} (2 days)`, DAYS[2]],
    ]);
  });

  it('the parameter surface: a heatmap of the two swept parameters, a coloured cell per pair', async () => {
    const maps = await page.$$eval('table.heatmap', (ts) =>
      ts.map((t) => ({
        key: t.getAttribute('data-heatmap'),
        cells: [...t.querySelectorAll('td.heat')].map((c) => ({
          value: c.getAttribute('data-value'),
          bg: c.getAttribute('style') ?? '',
        })),
      })),
    );
    expect(maps.map((m) => m.key)).toEqual(['paper.takerFee|risk.riskPerTrade']);
    expect(maps[0]!.cells.length).toBe(4);
    // each cell is the objective of the config at that pair
    const objectives = json.walkForward.surface.map((p) =>
      p.objective === null ? 'null' : String(p.objective),
    );
    expect(maps[0]!.cells.map((c) => c.value).sort()).toEqual(objectives.sort());
    const colours = new Set(maps[0]!.cells.map((c) => c.bg));
    console.log(`surface cells: ${JSON.stringify(maps[0]!.cells)}`);
    expect([...colours].every((c) => c.startsWith('background:rgb('))).toBe(true);
    expect(new Set(objectives).size).toBeGreaterThan(1);
    expect(colours.size).toBeGreaterThan(1);
  });

  it('the top-configs table equals the JSON, cell by cell', async () => {
    const rows = await page.$$eval('[data-table="top"] tr[data-rank]', (trs) =>
      trs.map((tr) => ({
        rank: Number(tr.getAttribute('data-rank')),
        hash: tr.getAttribute('data-config-hash'),
        cells: Object.fromEntries(
          [...tr.querySelectorAll('td[data-figure]')].map((c) => [
            c.getAttribute('data-figure'),
            { value: c.getAttribute('data-value'), text: c.textContent },
          ]),
        ),
      })),
    );
    const top = json.walkForward.top;
    expect(top.length).toBe(3);
    expect(rows.map((r) => [r.rank, r.hash])).toEqual(top.map((x) => [x.rank, x.configHash]));
    const fmt = (k: string) =>
      k === 'totalReturn' || k === 'maxDrawdown' || k === 'winRate'
        ? 'pct'
        : k === 'trades'
          ? 'int'
          : k === 'sharpe' || k === 'calmar'
            ? 'num'
            : 'usd';
    let checked = 0;
    for (const [i, x] of top.entries()) {
      const cells = rows[i]!.cells;
      expect(cells.objective!.value).toBe(x.objective === null ? 'null' : String(x.objective));
      for (const side of ['inSample', 'outOfSample'] as const)
        for (const k of SHOWN) {
          const v = x[side]?.[k] ?? null;
          const c = cells[`${side}.${k}`]!;
          expect(c.value, `${x.rank} ${side}.${k}`).toBe(v === null ? 'null' : String(v));
          expect(c.text, `${x.rank} ${side}.${k}`).toBe(formatFigure(v, fmt(k)));
          checked++;
        }
    }
    expect(checked).toBe(3 * 2 * SHOWN.length);
  });

  it("each top config's equity chart is drawn: in-sample and out-of-sample series in their colours", async () => {
    const drawn = await page.evaluate<string[]>('window.CHARTS_DRAWN');
    expect(drawn).toEqual(['equity-1', 'equity-2', 'equity-3']);
    const charts = await page.evaluate<{ id: string; canvases: number; blue: number; orange: number }[]>(`
        [...document.querySelectorAll('[data-chart="equity"]')].map((el) => {
          let blue = 0, orange = 0;
          const canvases = [...el.querySelectorAll('canvas')];
          for (const c of canvases) {
            const ctx = c.getContext('2d');
            if (!ctx || c.width === 0 || c.height === 0) continue;
            const px = ctx.getImageData(0, 0, c.width, c.height).data;
            for (let i = 0; i < px.length; i += 4) {
              if (px[i + 3] < 250) continue;
              const r = px[i], g = px[i + 1], b = px[i + 2];
              if (Math.abs(r - 0x1a) <= 4 && Math.abs(g - 0x73) <= 4 && Math.abs(b - 0xe8) <= 4) blue++;
              if (Math.abs(r - 0xe3) <= 4 && Math.abs(g - 0x74) <= 4 && Math.abs(b - 0x00) <= 4) orange++;
            }
          }
          return { id: el.id, canvases: canvases.length, blue, orange };
        })`);
    console.log(`sweep equity charts: ${JSON.stringify(charts)}`);
    for (const c of charts) {
      expect(c.canvases, c.id).toBeGreaterThan(0);
      expect(c.blue, c.id).toBeGreaterThan(20);
      expect(c.orange, c.id).toBeGreaterThan(20);
    }
  });
});

describe.skipIf(!avail.run)(
  'sweep tearsheet: one swept parameter is a line (options chart) in headless Chromium',
  () => {
    const t = tempDir('sweep-tearsheet-line');
    afterAll(() => t.cleanup());

    it('the surface line is drawn over the parameter values, no network', async () => {
      const days = ['2026-01-01', '2026-01-02'];
      const start = Date.parse('2026-01-01T00:00:00Z');
      const curves = [0.001, 0.002, 0.004, 0.008].flatMap((risk, i) =>
        days.map((d, k) => ({
          configHash: `h${i}`,
          set: { 'risk.riskPerTrade': risk },
          days: [d],
          metrics: {
            totalReturn: 0.01 * (i + 1) * (k ? -1 : 1),
            sharpe: [0.5, 1.5, 1.0, -0.2][i]! * (k ? -1 : 1),
            calmar: 1,
            drawdown: { max: 0.01, peakTime: null, troughTime: null, durationMs: 0, recovered: true },
            trades: 3,
            winRate: 0.5,
            pnl: 10,
            fees: 1,
            funding: 0,
          } as Metrics,
          equity: Array.from({ length: 120 }, (_, j) => ({
            time: start + k * 86_400_000 + j * 60_000,
            equity: 1000 + Math.sin(j / 10 + i) * 5,
          })),
        })),
      );
      const report = walkForwardReport([[days[0]!], [days[1]!]], curves, 'sharpe', 2);
      expect(report.steps[0]!.chosen?.configHash).toBe('h1');
      const file = join(t.dir, 'sweep.html');
      writeFileSync(file, renderSweepTearsheet(report, { configs: 4, days, runs: 8, cached: 0 }));
      const page = await (await sharedBrowser()).newPage();
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(pathToFileURL(file).href);
      await page.waitForFunction('window.CHARTS_DRAWN !== undefined', undefined, { timeout: 20_000 });
      expect(errors).toEqual([]);
      expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
      expect(await page.evaluate<string[]>('window.CHARTS_DRAWN')).toEqual([
        'surface',
        'equity-1',
        'equity-2',
      ]);
      const line = await page.evaluate<{ canvases: number; blue: number; points: string | null }>(`(() => {
      const el = document.getElementById('surface-line');
      let blue = 0;
      const canvases = [...el.querySelectorAll('canvas')];
      for (const c of canvases) {
        const ctx = c.getContext('2d');
        if (!ctx || c.width === 0 || c.height === 0) continue;
        const px = ctx.getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < px.length; i += 4)
          if (px[i + 3] >= 250 && Math.abs(px[i] - 0x1a) <= 4 && Math.abs(px[i + 1] - 0x73) <= 4 && Math.abs(px[i + 2] - 0xe8) <= 4) blue++;
      }
      return { canvases: canvases.length, blue, points: el.getAttribute('data-points') };
    })()`);
      console.log(`surface line: ${JSON.stringify(line)}`);
      expect(line.points).toBe('4');
      expect(line.canvases).toBeGreaterThan(0);
      expect(line.blue).toBeGreaterThan(50);
    }, 60_000);
  },
);
