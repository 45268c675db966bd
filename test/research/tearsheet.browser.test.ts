/**
 * A backtest's tearsheet in headless Chromium (as the dashboard's test): a real backtest of a simulated
 * data dir that crosses midnight and two funding hours, its tearsheet opened from a file with no network.
 * The charts render (each chart's canvases hold drawn pixels) and every figure on the page — the whole
 * run's and each split's — is the JSON result's number as shown (parsed back, within its rounding).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineConfigFrom } from '../../decision/engine.ts';
import { type BacktestResult, backtest } from '../../research/backtest.ts';
import type { Metrics } from '../../research/metrics.ts';
import { OTHER_REGIME_COLOR, REGIME_COLORS, renderTearsheet } from '../../research/tearsheet.ts';
import { backtestConfigResolver } from '../../runtime/commands/backtest.ts';
import { parseConfig } from '../../runtime/config.ts';
import { browserAvailability, launchBrowser, warnSkipped } from '../runtime/browser.ts';
import { writeSimJournal } from './backtest-session.ts';

const avail = browserAvailability();
if (!avail.run) warnSkipped('tearsheet headless-Chromium test', avail.reason);

/** A shown figure read back: "12.34 %" → 0.1234, "1.50 h" → 5 400 000 ms, "—" → null; and its rounding. */
function readShown(text: string): { value: number | null; tolerance: number } {
  const t = text.trim();
  if (t === '—') return { value: null, tolerance: 0 };
  const m = /^(-?\d+(?:\.(\d+))?)( %| h)?$/.exec(t);
  if (!m) throw new Error(`not a figure: '${text}'`);
  const decimals = m[2]?.length ?? 0;
  const scale = m[3] === ' %' ? 0.01 : m[3] === ' h' ? 3_600_000 : 1;
  // half a unit of the last digit shown (+ a little for the float printing)
  return { value: Number(m[1]) * scale, tolerance: 0.5 * 10 ** -decimals * scale * 1.000001 };
}

/** `rgba(r, g, b, a)` drawn over white: 255 − a × (255 − c) per channel. */
function blendOverWhite(rgba: string): number[] {
  const [r, g, b, a] = (/rgba\(([^)]+)\)/.exec(rgba)?.[1] ?? '').split(',').map(Number);
  return [r!, g!, b!].map((c) => Math.round(255 - a! * (255 - c)));
}

function at(m: unknown, path: string): number | null {
  let x: unknown = m;
  for (const p of path.split('.'))
    x = x !== null && typeof x === 'object' ? (x as Record<string, unknown>)[p] : undefined;
  return typeof x === 'number' ? x : null;
}

describe.skipIf(!avail.run)('tearsheet in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tearsheet-'));
  let result: BacktestResult;
  /** The result as JSON (what `runtime backtest --json` prints), read back. */
  let json: { metrics: Metrics; configHash: string };
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const config = engineConfigFrom(parseConfig({}));
    await writeSimJournal({
      dataDir: dir,
      seed: 1,
      scenario: 'default',
      coins: [...config.coins],
      tickMs: config.tickMs,
      fast: config.health.fastBook,
      startTime: Date.parse('2025-12-31T21:33:00Z'),
      durationMs: 152 * 60_000, // to 00:05: the 23:00 and 00:00 funding hours, across midnight
    });
    result = backtest({ dataDir: dir, set: {}, resolveConfig: backtestConfigResolver() });
    json = JSON.parse(JSON.stringify(result)) as typeof json;
    const file = join(dir, 'tearsheet.html');
    writeFileSync(file, renderTearsheet(result));
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(pathToFileURL(file).href);
    // page code as strings: this project type-checks without the DOM library
    await page.waitForFunction('window.CHARTS_DRAWN !== undefined', undefined, { timeout: 20_000 });
    // the charts draw on the next animation frames
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads with no network and no script error', () => {
    expect(pageErrors).toEqual([]);
    expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
    expect(result.trades.length).toBeGreaterThan(10);
    expect(result.funding.length).toBeGreaterThanOrEqual(2);
  });

  it('every chart renders: canvases present, holding drawn pixels in its series’ colours', async () => {
    const drawn = await page.evaluate<string[]>('window.CHARTS_DRAWN');
    const coins = Object.keys(result.prices);
    expect(drawn).toEqual(['equity', 'drawdown', ...coins.map((_, i) => `price-${i}`), 'costs']);
    // the colours each chart must show: its series' lines, and on a price chart the shading of every regime
    // its timeline holds (the regime colour blended over the white background)
    const data = await page.evaluate<{ coins: { regime: [number, string][] }[] }>('window.CHART_DATA');
    const targets: Record<string, [string, number[]][]> = {
      equity: [['equity line', [26, 115, 232]]],
      drawdown: [['drawdown line', [217, 48, 37]]],
      costs: [
        ['fees line', [227, 116, 0]],
        ['funding line', [147, 52, 230]],
      ],
    };
    data.coins.forEach((c, i) => {
      const regimes = [...new Set(c.regime.map(([, r]) => r))];
      targets[`price-${i}`] = regimes.map((r) => [
        `${r} shading`,
        blendOverWhite(REGIME_COLORS[r] ?? OTHER_REGIME_COLOR),
      ]);
    });
    // per chart: its canvases, the pixels drawn on them (neither transparent nor the white background), how
    // many colours those take (up to 64) and how many pixels are within 4 of each target colour
    const charts = await page.evaluate<
      {
        id: string;
        canvases: number;
        inked: number;
        colours: number;
        height: number;
        hits: Record<string, number>;
      }[]
    >(`
      [...document.querySelectorAll('[data-chart]')].map((el) => {
        const targets = (${JSON.stringify(targets)})[el.id] || [];
        const hits = {};
        for (const [name] of targets) hits[name] = 0;
        const canvases = [...el.querySelectorAll('canvas')];
        let inked = 0;
        const colours = new Set();
        for (const c of canvases) {
          const ctx = c.getContext('2d');
          if (!ctx || c.width === 0 || c.height === 0) continue;
          const px = ctx.getImageData(0, 0, c.width, c.height).data;
          for (let i = 0; i < px.length; i += 4) {
            const r = px[i], g = px[i + 1], b = px[i + 2], a = px[i + 3];
            if (a === 0 || (r === 255 && g === 255 && b === 255)) continue;
            inked++;
            if (colours.size < 64) colours.add(r + ',' + g + ',' + b);
            if (a < 250) continue;
            for (const [name, [tr, tg, tb]] of targets)
              if (Math.abs(r - tr) <= 4 && Math.abs(g - tg) <= 4 && Math.abs(b - tb) <= 4) hits[name]++;
          }
        }
        return { id: el.id, canvases: canvases.length, inked, colours: colours.size, height: el.clientHeight, hits };
      })`);
    console.log(`tearsheet charts: ${JSON.stringify(charts)}`);
    expect(charts.map((c) => c.id)).toEqual(drawn);
    for (const c of charts) {
      expect(c.canvases, c.id).toBeGreaterThan(0);
      expect(c.height, c.id).toBeGreaterThan(100);
      expect(c.inked, c.id).toBeGreaterThan(2_000);
      expect(c.colours, c.id).toBeGreaterThan(3);
      expect(Object.keys(c.hits).length, c.id).toBeGreaterThan(0);
      for (const [name, n] of Object.entries(c.hits)) expect(n, `${c.id}: ${name}`).toBeGreaterThan(40);
    }
  });

  it('the regime shading sits behind each coin’s price: one bar per price point, coloured by its regime', async () => {
    const data = await page.evaluate<{
      coins: { coin: string; price: unknown[]; regime: [number, string][] }[];
    }>('window.CHART_DATA');
    for (const c of data.coins) {
      expect(c.regime.length).toBe(c.price.length);
      expect(c.price.length).toBeGreaterThan(100);
      // the timeline's regimes as the decision log recorded them
      const logged = new Set((result.regimes[c.coin] ?? []).map((x) => x.regime));
      for (const [, regime] of c.regime) if (regime !== 'DISABLED') expect(logged.has(regime)).toBe(true);
      expect(new Set(c.regime.map(([, r]) => r)).size).toBeGreaterThan(1);
    }
  });

  it('the figures shown are the JSON result’s', async () => {
    const cells = await page.evaluate<{ path: string; text: string }[]>(`
      [...document.querySelectorAll('table.figures td[data-figure]')].map((td) => ({
        path: td.dataset.figure, text: td.textContent,
      }))`);
    expect(cells.length).toBeGreaterThanOrEqual(25);
    const seen = new Set(cells.map((c) => c.path));
    for (const f of [
      'sharpe',
      'sortino',
      'calmar',
      'drawdown.max',
      'drawdown.durationMs',
      'winRate',
      'profitFactor',
      'expectancy',
      'exposure',
      'turnover',
      'fees',
      'funding',
    ])
      expect(seen.has(f), f).toBe(true);
    for (const c of cells) {
      const shown = readShown(c.text);
      const value = at(json.metrics, c.path);
      if (value === null) expect(shown.value, c.path).toBeNull();
      else
        expect(
          Math.abs(shown.value! - value),
          `${c.path}: shown ${c.text}, JSON ${value}`,
        ).toBeLessThanOrEqual(shown.tolerance);
    }
    // fees and funding paid are on the page, non-zero
    const fees = cells.find((c) => c.path === 'fees')!;
    const funding = cells.find((c) => c.path === 'funding')!;
    expect(readShown(fees.text).value).not.toBe(0);
    expect(json.metrics.funding).not.toBe(0);
    expect(funding.text).not.toBe('—');
    const hash = await page.locator('[data-config-hash]').getAttribute('data-config-hash');
    expect(hash).toBe(json.configHash);
  });

  it('each split row (strategy, coin, regime) shows that split’s figures', async () => {
    const rows = await page.evaluate<
      { by: string; key: string; cells: { field: string; text: string }[] }[]
    >(`
      [...document.querySelectorAll('table.split tr[data-key]')].map((tr) => ({
        by: tr.closest('table').dataset.split,
        key: tr.dataset.key,
        cells: [...tr.querySelectorAll('td[data-figure]')].map((td) => ({ field: td.dataset.figure, text: td.textContent })),
      }))`);
    const split = json.metrics.split as Record<string, Record<string, unknown>>;
    for (const by of ['strategy', 'coin', 'regime'])
      expect(rows.filter((r) => r.by === by).map((r) => r.key)).toEqual(Object.keys(split[by]!));
    for (const r of rows) {
      expect(r.cells.length).toBeGreaterThanOrEqual(18);
      for (const c of r.cells) {
        const shown = readShown(c.text);
        const value = at(split[r.by]![r.key], c.field);
        if (value === null) expect(shown.value, `${r.by} ${r.key} ${c.field}`).toBeNull();
        else
          expect(
            Math.abs(shown.value! - value),
            `${r.by} ${r.key} ${c.field}: ${c.text} vs ${value}`,
          ).toBeLessThanOrEqual(shown.tolerance);
      }
    }
    console.log(`tearsheet: ${rows.length} split rows checked`);
  });
});
