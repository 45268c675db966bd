/**
 * The dashboard on the real system, in headless Chromium: the simulator on loopback (warm-up hour
 * fast-forwarded), the whole stack over real sockets, the dashboard serving its snapshots and the decision
 * log's history (fed by the system's `onLine`, as `runtime start` does). The page loads and shows live
 * values from the simulator. An entry (sent to execution as a strategy would, with its stop and target)
 * fills on the paper venue; the kill switch halts trading through the journal and flattens it. Then: the
 * chart shows the entry and the exit at their fill prices and the stop and target while the trade is open,
 * the blotter lists exactly the fills of the decision log, the equity curve ends at the summary's equity,
 * and the decision table filters by kind, coin and text with each row's raw record a click away.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemClock, WarpClock } from '../../runtime/clocks.ts';
import { parseConfig } from '../../runtime/config.ts';
import type { DecisionLine } from '../../decision/engine.ts';
import { serveDashboard } from '../../runtime/dashboard-model.ts';
import { DecisionHistory } from '../../runtime/dashboard/history.ts';
import { createMetrics } from '../../runtime/metrics.ts';
import { type RunningSystem, startSystem } from '../../runtime/system.ts';
import { type SimServer, startSim } from '../../sim/server.ts';
import { browserAvailability, launchBrowser, warnSkipped } from './browser.ts';
import type { DashWindow } from './dashboard.browser.test.ts';

const charts = (page: Page) => page.evaluate(() => (globalThis as unknown as DashWindow).dashboardCharts());

const avail = browserAvailability();
if (!avail.run) warnSkipped('dashboard e2e', avail.reason);

describe.runIf(avail.run)('dashboard on the live system (headless Chromium)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dash-e2e-'));
  let sim: SimServer;
  let system: RunningSystem;
  let dashboard: { url: string; close(): Promise<void> };
  let browser: Browser;
  let clock: WarpClock;
  /** Clock time when the warm-up warp (×400) ends and the market plays at ×1. */
  let warpEnd = 0;
  let page: Page;
  const lines: DecisionLine[] = [];
  const history = new DecisionHistory();
  const pageErrors: string[] = [];
  const fillsOf = () =>
    lines
      .filter((l) => l.kind === 'exec.fill')
      .map((l) => (l as unknown as { fill: { px: number; sz: number; side: string; time: number } }).fill);

  beforeAll(async () => {
    const start = Math.floor(new SystemClock().now() / 1000) * 1000;
    warpEnd = start + 3_600_000 + 120_000;
    clock = new WarpClock(start, 400, warpEnd - start, 1);
    sim = await startSim({ seed: 7, scenario: 'sideways', clock, speed: 1 });
    // health tolerant of a loaded host (a channel stale after 10 of its intervals, not 3): on 2 shared cores
    // with other tests running the fast book is seconds late at times, health flaps, and execution
    // flattens the test's entry before the chart is looked at. This test is about the dashboard
    const config = parseConfig({ dataDir: dir, health: { staleFactor: 10 } });
    system = await startSystem({
      config,
      url: sim.wsUrl,
      clock,
      journalDir: join(dir, 'journal'),
      logger: pino({ level: 'silent' }),
      onLine: (l) => {
        lines.push(l);
        history.add(l);
      },
    });
    dashboard = await serveDashboard(system, config, clock, createMetrics(), 'e'.repeat(64), {
      intervalMs: 200,
      history,
    });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(dashboard.url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await system?.stop();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads and shows live values from the simulator', async () => {
    const mid = page.locator('section[data-coin="BTC"] [data-field="mid"]');
    await expect.poll(() => mid.textContent(), { timeout: 20_000 }).toMatch(/^\d{2,3},\d{3}(\.\d+)?$/);
    const first = await mid.textContent();
    await expect.poll(() => mid.textContent(), { timeout: 20_000 }).not.toBe(first);
    await expect.poll(() => page.locator('#conn').textContent(), { timeout: 10_000 }).toBe('live');
    await expect
      .poll(() => page.locator('section[data-coin="BTC"] table.book tr.bid').count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    // after the fast-forwarded warm-up hour the windows are warm: regime inputs are shown, not NULL
    await expect
      .poll(() => page.locator('section[data-coin="BTC"] [data-input="oiRange15m"]').textContent(), {
        timeout: 30_000,
      })
      .toMatch(/^\d/);
    expect(Number((await page.locator('#frames').textContent())!.replace(/,/g, ''))).toBeGreaterThan(1000);
  }, 60_000);

  it('an entry fills: the chart marks it at its price with its stop and target, the blotter lists it', async () => {
    // at ×400 a channel is stale after a few wall-clock milliseconds: health reaches HEALTHY during the warp
    // and falls again at once, and execution flattens the entry — enter once the market plays at ×1
    await expect.poll(() => clock.now() > warpEnd, { timeout: 30_000 }).toBe(true);
    // and once the warm-up's backlog has drained: until the decision side's ticks have caught up with the clock,
    // every channel it reads is seconds old, health flaps and execution closes the entry as "state stale"
    await expect
      .poll(() => clock.now() - (system.engine()?.snapshot().time ?? 0), { timeout: 60_000, interval: 200 })
      .toBeLessThan(1_500);
    await expect
      .poll(() => system.engine()?.health.getSnapshot().context.status, { timeout: 30_000 })
      .toBe('HEALTHY');
    const engine = system.engine()!;
    const mid = engine.viewOf('BTC')!.mid;
    const stop = Math.round(mid * 0.99);
    const target = Math.round(mid * 1.01);
    expect(
      engine.execution.submitIntent(
        {
          kind: 'entry',
          id: 'dashboard-test:BTC:0',
          strategy: 'geometry',
          coin: 'BTC',
          side: 'LONG',
          sizeFraction: 0.05,
          stop,
          target,
          reason: 'dashboard test entry',
          version: 0,
          time: clock.now(),
        },
        { health: 'HEALTHY', stale: false, leaseHolder: 'geometry' },
      ),
    ).toEqual({ ok: true });
    await expect.poll(() => fillsOf().length, { timeout: 20_000 }).toBeGreaterThan(0);
    const entry = fillsOf()[0]!;
    // the chart: a marker at the entry's fill price, inside the pane; the stop and target as lines
    await expect
      .poll(async () => (await charts(page)).coins.BTC?.markers.length ?? 0, { timeout: 10_000 })
      .toBeGreaterThan(0);
    await expect
      .poll(async () => (await charts(page)).coins.BTC?.priceLines ?? [], { timeout: 10_000 })
      .toEqual(
        expect.arrayContaining([
          { title: 'stop', price: stop },
          { title: 'target', price: target },
        ]),
      );
    const btc = (await charts(page)).coins.BTC!;
    const m = btc.markers.find((x) => x.id.startsWith('entry:'))!;
    expect(m.price).toBe(entry.px);
    expect(m.time).toBe(Math.floor(entry.time / 1000));
    expect(m.text).toContain('buy');
    expect(m.y).not.toBeNull();
    expect(m.y!).toBeGreaterThan(0);
    expect(m.y!).toBeLessThan(btc.height);
    expect(m.x).not.toBeNull();
    // the blotter: the fill, the open position with its unrealised PnL
    await expect
      .poll(() => page.locator('#fills tbody tr').count(), { timeout: 10_000 })
      .toBe(fillsOf().length);
    expect(Number(await page.locator('#fills tbody tr').last().getAttribute('data-px'))).toBe(entry.px);
    await expect
      .poll(() => page.locator('#positions tbody tr[data-coin="BTC"]').count(), { timeout: 10_000 })
      .toBe(1);
    expect(await page.locator('#positions tbody tr[data-coin="BTC"] td:nth-child(6)').textContent()).toMatch(
      /^[+-]?-?\$\d/,
    );
  }, 60_000);

  it("the kill switch halts and flattens: the exit is marked at its price, the equity curve ends at the summary's", async () => {
    expect(await page.locator('#trading-state').textContent()).toBe('ACTIVE');
    page.once('dialog', (d) => void d.accept());
    await page.click('#kill');
    await expect.poll(() => page.locator('#trading-state').textContent(), { timeout: 10_000 }).toBe('HALTED');
    expect(system.engine()!.execution.tradingState()).toBe('HALTED');
    expect(
      system.recentDecisions().some((l) => l.includes('"kind":"operator.applied"') && l.includes('KILL')),
    ).toBe(true);
    await expect
      .poll(() => system.engine()!.execution.positions().positions.length, { timeout: 20_000 })
      .toBe(0);
    // the exit: the KILL's flattening fill (or, on a loaded host, the system's own close before it)
    const exit = fillsOf()
      .filter((f) => f.side === 'SELL')
      .at(-1)!;
    expect(exit).toBeDefined();
    await expect
      .poll(
        async () => (await charts(page)).coins.BTC?.markers.filter((x) => x.id.startsWith('exit:')).length,
        {
          timeout: 10_000,
        },
      )
      .toBeGreaterThan(0);
    const btc = (await charts(page)).coins.BTC!;
    const exits = btc.markers.filter((x) => x.id.startsWith('exit:'));
    expect(exits[0]!.text).toMatch(/^exit sell [\d,.]+$/);
    expect(exits.at(-1)!.price).toBe(exit.px);
    expect(exits.at(-1)!.time).toBe(Math.floor(exit.time / 1000));
    // every fill of the decision log is a marker at its price
    expect(btc.markers.map((x) => x.price)).toEqual(fillsOf().map((f) => f.px));
    // flat: no stop or target left on the chart
    await expect
      .poll(async () => (await charts(page)).coins.BTC?.priceLines.length, { timeout: 10_000 })
      .toBe(0);

    // the blotter lists exactly the fills of the decision log (newest first), each at its price and size
    await expect
      .poll(() => page.locator('#fills tbody tr').count(), { timeout: 10_000 })
      .toBe(fillsOf().length);
    const rows = await page
      .locator('#fills tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [Number(tr.getAttribute('data-px')), Number(tr.getAttribute('data-size'))]),
      );
    expect(rows).toEqual(
      fillsOf()
        .map((f) => [f.px, f.sz])
        .reverse(),
    );
    expect(await page.locator('#positions tbody tr').count()).toBe(0);

    // the equity curve ends at the summary's equity (flat: realised equity is all of it)
    const want = system.summary().equity;
    await expect
      .poll(async () => (await charts(page)).equity?.realised.at(-1)?.value, { timeout: 10_000 })
      .toBeCloseTo(want, 6);
    await expect
      .poll(async () => (await charts(page)).equity?.marked.at(-1)?.value, { timeout: 10_000 })
      .toBeCloseTo(want, 6);
    console.log(
      JSON.stringify({
        fills: fillsOf().length,
        entryPx: fillsOf()[0]!.px,
        exitPx: exit.px,
        summaryEquity: want,
        equityPoints: (await charts(page)).equity?.realised.length,
      }),
    );
  }, 60_000);

  it('the decision table filters by kind, coin and text; a row opens its raw record', async () => {
    const table = page.locator('#decision-table tbody tr');
    await expect.poll(() => table.count(), { timeout: 10_000 }).toBeGreaterThan(5);
    const kinds = await table.evaluateAll(
      (trs) => new Set(trs.map((tr) => tr.getAttribute('data-kind'))).size,
    );
    expect(kinds).toBeGreaterThan(1);
    await page.selectOption('#filter-kind', 'exec.fill');
    await expect.poll(() => table.count(), { timeout: 5_000 }).toBe(fillsOf().length);
    expect(new Set(await table.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-kind'))))).toEqual(
      new Set(['exec.fill']),
    );
    await page.selectOption('#filter-coin', 'BTC');
    expect(await table.count()).toBe(fillsOf().length);
    // the raw record of the newest fill, one click away
    await table.first().click();
    const raw = JSON.parse((await page.locator('#decision-raw').textContent())!);
    expect(raw.kind).toBe('exec.fill');
    expect(raw.fill.px).toBe(fillsOf().at(-1)!.px);
    expect(await table.first().getAttribute('class')).toContain('selected');
    // text: only the operator's KILL
    await page.selectOption('#filter-kind', '');
    await page.selectOption('#filter-coin', '');
    await page.fill('#filter-text', 'operator (dashboard)');
    await expect.poll(() => table.count(), { timeout: 5_000 }).toBeGreaterThan(0);
    const shown = await table.evaluateAll((trs) => trs.map((tr) => tr.textContent ?? ''));
    for (const t of shown) expect(t).toContain('operator (dashboard)');
    await page.fill('#filter-text', 'no such reason anywhere');
    await expect.poll(() => table.count(), { timeout: 5_000 }).toBe(0);
    await page.fill('#filter-text', '');
    expect(pageErrors).toEqual([]);
  }, 30_000);

  it('a page opened later starts with the recent past: quotes, regime, fills and the equity curve', async () => {
    const later = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    later.on('pageerror', (e) => pageErrors.push(e.message));
    try {
      const first = (await charts(page)).coins.BTC!;
      await later.goto(dashboard.url);
      await expect
        .poll(async () => (await charts(later)).coins.BTC?.points ?? 0, { timeout: 10_000 })
        .toBeGreaterThan(10);
      const c = (await charts(later)).coins.BTC!;
      // it starts where the page open since the start started (the tape), each point with its regime bar
      expect(first.firstTime).not.toBeNull();
      expect(c.firstTime).not.toBeNull();
      expect(c.firstTime!).toBeLessThanOrEqual(first.firstTime! + 1);
      expect(c.points).toBeGreaterThanOrEqual(first.points - 2);
      expect(c.regimeBars).toBe(c.points);
      expect(c.markers.map((m) => m.price)).toEqual(fillsOf().map((f) => f.px));
      const eq = (await charts(later)).equity!;
      expect(eq.realised.at(-1)!.value).toBeCloseTo(system.summary().equity, 6);
      console.log(JSON.stringify({ laterPage: { points: c.points, firstPagePoints: first.points } }));
    } finally {
      await later.close();
    }
    expect(pageErrors).toEqual([]);
  }, 30_000);
});
