/**
 * The dashboard in headless Chromium against a live server whose snapshot provider is a small moving
 * market: the page shows the live mids, highlights each strategy's active state on the statechart,
 * and the kill switch (after its confirm) halts trading through the provider's command handler.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TradingState } from '../../machines/execution.types.ts';
import { startDashboard, type DashboardServer } from '../../runtime/dashboard/server.ts';
import { loadStatechart } from '../../runtime/dashboard/statechart.ts';
import type {
  CoinSnapshot,
  DashboardCommand,
  DashboardSnapshot,
  StrategyView,
} from '../../runtime/dashboard/types.ts';
import { createMetrics } from '../../runtime/metrics.ts';
import { browserAvailability, launchBrowser, warnSkipped } from './browser.ts';

/** The lifecycle a strategy walks through, one entry per snapshot step. */
const LIFECYCLE: StrategyView[] = [
  { name: 'geometry', state: 'SCANNING' },
  { name: 'geometry', state: 'ARMED', substate: 'watching' },
  { name: 'geometry', state: 'ARMED', substate: 'entering' },
  { name: 'geometry', state: 'ENTERED' },
  { name: 'geometry', state: 'ENTERED' },
  { name: 'geometry', state: 'EXITED' },
  { name: 'geometry', state: 'COOLDOWN' },
];

/**
 * A deterministic market: each snapshot advances one step; the mid random-walks (seeded LCG), the book
 * is built around it, `geometry` walks its lifecycle and holds a position while ENTERED; `pinned`
 * stays where the test puts it. KILL halts trading and flattens.
 */
class MovingMarket {
  step = 0;
  seed = 12345;
  mids: Record<string, number> = { BTC: 50_000, ETH: 3_000 };
  shown = new Set<string>();
  trading: TradingState = 'ACTIVE';
  pinned: StrategyView = { name: 'pinned', state: 'ARMED', substate: 'watching' };
  flattened = false;
  commands: DashboardCommand[] = [];
  strategyAt: StrategyView = LIFECYCLE[0]!;

  private rand(): number {
    this.seed = (Math.imul(this.seed, 1103515245) + 12345) >>> 0;
    return this.seed / 2 ** 32;
  }

  snapshot(): DashboardSnapshot {
    this.step++;
    const coins: CoinSnapshot[] = [];
    let unrealised = 0;
    for (const coin of ['BTC', 'ETH']) {
      const tick = coin === 'BTC' ? 0.5 : 0.05;
      // always move at least one tick so consecutive snapshots differ
      const dir = this.rand() < 0.5 ? -1 : 1;
      const mid =
        Math.round((this.mids[coin]! + dir * tick * (1 + Math.floor(this.rand() * 4))) / tick) * tick;
      this.mids[coin] = mid;
      const bids: [number, number][] = [];
      const asks: [number, number][] = [];
      for (let i = 0; i < 5; i++) {
        bids.push([mid - tick / 2 - i * tick, 1 + Math.round(this.rand() * 100) / 10]);
        asks.push([mid + tick / 2 + i * tick, 1 + Math.round(this.rand() * 100) / 10]);
      }
      const geometry =
        this.trading === 'HALTED'
          ? { name: 'geometry', state: 'DISABLED' }
          : LIFECYCLE[this.step % LIFECYCLE.length]!;
      if (coin === 'BTC') this.strategyAt = geometry;
      const holding = coin === 'BTC' && geometry.state === 'ENTERED' && !this.flattened;
      const position = holding ? { side: 'LONG' as const, size: 0.2, entry: mid - 10, unrealised: 2 } : null;
      if (position) unrealised += position.unrealised;
      coins.push({
        coin,
        mid,
        bestBid: bids[0]![0],
        bestAsk: asks[0]![0],
        bids,
        asks,
        regime: this.step < 3 ? 'DISABLED' : 'SIDEWAYS',
        inputs: {
          oiRange15m: 0.002 + this.rand() * 0.001,
          oiBuild1h: this.step < 5 ? null : 0.01,
          fundingDev: 0.00001,
          depthAsym5s: this.rand() - 0.5,
        },
        strategies: coin === 'BTC' ? [geometry, this.pinned] : [this.pinned],
        position,
      });
    }
    return {
      time: 1_767_225_600_000 + this.step * 250,
      tradingState: this.trading,
      equity: 10_000 + unrealised,
      realisedPnl: 0,
      unrealisedPnl: unrealised,
      dailyPnl: unrealised,
      health: {
        level: 'HEALTHY',
        reason: 'every channel fresh for 6213.92578125 ms (validation 5000 ms)',
        channels: [
          { key: 'l2Book:BTC', ageMs: 100 + (this.step % 7), stale: false, expectedMs: 2_000 },
          {
            key: 'activeAssetCtx:BTC',
            ageMs: this.step * 10,
            stale: this.step * 10 > 5_000,
            expectedMs: 5_000,
          },
        ],
      },
      coins,
      decisions: [`#${this.step} tick`],
      counters: { frames: this.step * 17, reconnects: 0, gaps: 0, journalLagBytes: 0 },
    };
  }

  command(cmd: DashboardCommand) {
    this.commands.push(cmd);
    if (cmd.type === 'KILL') {
      this.trading = 'HALTED';
      this.flattened = true;
    } else if (cmd.type === 'RESET_HALT') this.trading = 'ACTIVE';
    else this.trading = cmd.state;
    return { ok: true, tradingState: this.trading };
  }
}

/** What the page's `dashboardCharts()` reads back from the charting library. */
export interface ChartsReadBack {
  ready: boolean;
  coins: Record<
    string,
    {
      points: number;
      /** Time (s) of the first bid point. */
      firstTime: number | null;
      regimeBars: number;
      /** `role:time:price`; only the first fill of a second, role and side carries a text label. */
      markers: {
        id: string;
        time: number;
        price: number;
        text: string;
        x: number | null;
        y: number | null;
      }[];
      priceLines: { title: string; price: number }[];
      height: number;
      width: number;
    }
  >;
  equity: { realised: { time: number; value: number }[]; marked: { time: number; value: number }[] } | null;
}
export type DashWindow = { dashboardCharts(): ChartsReadBack };

const avail = browserAvailability();
if (!avail.run) warnSkipped('dashboard headless-Chromium test', avail.reason);

describe.skipIf(!avail.run)('dashboard in headless Chromium', () => {
  let browser: Browser;
  let server: DashboardServer;
  let market: MovingMarket;
  let page: Page;
  const requests: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    market = new MovingMarket();
    const metrics = createMetrics();
    server = await startDashboard({
      token: 'd'.repeat(64),
      host: '127.0.0.1',
      port: 0,
      getSnapshot: () => {
        const s = market.snapshot();
        metrics.applySnapshot(s);
        return s;
      },
      onCommand: (c) => market.command(c),
      intervalMs: 100,
      statechart: loadStatechart(join(import.meta.dirname, '../../diagrams/strategy.json')),
      metrics,
    });
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    await page.goto(server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('loads and shows live, moving values', async () => {
    const mid = page.locator('section[data-coin="BTC"] [data-field="mid"]');
    await expect.poll(() => mid.textContent(), { timeout: 10_000 }).toMatch(/^\d{2},\d{3}\.\d$/);
    const first = await mid.textContent();
    // the mid moves with the stream
    await expect.poll(() => mid.textContent(), { timeout: 10_000 }).not.toBe(first);
    // every value shown is one the provider produced (50,000 ± steps of 0.5)
    const shown = Number((await mid.textContent())!.replace(/,/g, ''));
    expect(Math.abs(shown - 50_000)).toBeLessThan(2 * market.step + 10);
    expect((shown * 2) % 1).toBe(0);

    // the price chart (lightweight-charts, served by the dashboard) accumulates bid/ask points from the
    // stream, each with its regime bar behind it
    await expect
      .poll(
        () =>
          page.evaluate(() => (globalThis as unknown as DashWindow).dashboardCharts().coins.BTC?.points ?? 0),
        {
          timeout: 10_000,
        },
      )
      .toBeGreaterThan(3);
    const btc = (await page.evaluate(() => (globalThis as unknown as DashWindow).dashboardCharts())).coins
      .BTC!;
    expect(btc.regimeBars).toBeGreaterThanOrEqual(btc.points);
    expect(btc.height).toBeGreaterThan(100);

    // book ladder, regime and its inputs, health, counters
    await expect.poll(() => page.locator('section[data-coin="BTC"] table.book tr.bid').count()).toBe(5);
    await expect.poll(() => page.locator('section[data-coin="BTC"] table.book tr.ask').count()).toBe(5);
    await expect
      .poll(() => page.locator('section[data-coin="ETH"] [data-field="regime"]').textContent())
      .toBe('SIDEWAYS');
    await expect
      .poll(() => page.locator('section[data-coin="ETH"] [data-input="oiBuild1h"]').textContent())
      .toBe('0.01000');
    await expect.poll(() => page.locator('#channels tr[data-channel="l2Book:BTC"]').count()).toBe(1);
    expect(await page.locator('#trading-state').textContent()).toBe('ACTIVE');
    expect(await page.locator('#health-level').textContent()).toBe('HEALTHY');
    // numbers for people (issue 22): the health reason's durations, the channel ages, USD
    expect(await page.locator('#health-reason').textContent()).toBe(
      'every channel fresh for 6.2 s (validation 5.0 s)',
    );
    expect(await page.locator('#channels tr[data-channel="l2Book:BTC"] td:nth-child(3)').textContent()).toBe(
      '2.0 s',
    );
    expect(await page.locator('#equity').textContent()).toMatch(/^\$10,0\d\d\.\d\d$/);
    expect(await page.locator('#conn').textContent()).toBe('live');
  });

  it("highlights each strategy's active state on its statechart", async () => {
    const geometry = page.locator('section[data-coin="BTC"] [data-strategy="geometry"]');
    await expect.poll(() => geometry.locator('svg.statechart g.state').count(), { timeout: 10_000 }).toBe(6);
    // the walking strategy reaches ENTERED: that state, and only it, is highlighted
    await geometry
      .locator('svg.statechart g.state.active[data-state="ENTERED"]')
      .waitFor({ timeout: 10_000 });
    // the position column shows the open position while ENTERED
    await expect
      .poll(() => page.locator('#positions tbody tr').count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    // the highlight follows the stream: exactly one active state, always the one the label names
    for (const want of ['COOLDOWN', 'SCANNING', 'ARMED']) {
      await geometry
        .locator(`svg.statechart g.state.active[data-state="${want}"]`)
        .waitFor({ timeout: 10_000 });
    }
    const consistent = await geometry.evaluate((box) => {
      const active = box.querySelectorAll('svg g.state.active');
      return {
        n: active.length,
        state: active[0]?.getAttribute('data-state'),
        attr: box.getAttribute('data-active'),
      };
    });
    expect(consistent.n).toBe(1);
    expect(consistent.state).toBe(consistent.attr);

    // the pinned strategy shows ARMED with its substate
    const pinned = page.locator('section[data-coin="ETH"] [data-strategy="pinned"]');
    await pinned.locator('g.state.active[data-state="ARMED"]').waitFor({ timeout: 10_000 });
    expect(await pinned.locator('g.state.active text.sub').textContent()).toBe('watching');
    // moving it moves the highlight
    market.pinned = { name: 'pinned', state: 'EXITED' };
    await pinned.locator('g.state.active[data-state="EXITED"]').waitFor({ timeout: 10_000 });
    expect(await pinned.locator('g.state.active').count()).toBe(1);
    expect(await pinned.locator('g.state[data-state="ARMED"]').getAttribute('class')).not.toContain('active');
  });

  it('the kill switch asks for confirmation, then halts trading', async () => {
    // declined: nothing is sent
    const declined = new Promise<void>((resolve) => {
      page.once('dialog', (d) => {
        expect(d.type()).toBe('confirm');
        void d.dismiss().then(() => resolve());
      });
    });
    await page.click('#kill');
    await declined;
    // let at least one more snapshot arrive, then check nothing was sent
    const before = market.step;
    await expect.poll(() => market.step, { timeout: 10_000 }).toBeGreaterThan(before + 1);
    expect(market.commands).toEqual([]);
    expect(await page.locator('#trading-state').textContent()).toBe('ACTIVE');

    // accepted: KILL reaches the provider, whose state becomes HALTED, and the page shows it
    page.once('dialog', (d) => void d.accept());
    await page.click('#kill');
    await expect
      .poll(() => page.locator('#command-result').getAttribute('data-trading-state'), { timeout: 10_000 })
      .toBe('HALTED');
    expect(market.commands.map((c) => c.type)).toEqual(['KILL']);
    expect(market.trading).toBe('HALTED');
    expect(await page.locator('#trading-state').textContent()).toBe('HALTED');
    expect(await page.locator('#trading-state').getAttribute('class')).toContain('st-HALTED');
    // positions flattened and strategies disabled in the following snapshots
    await expect.poll(() => page.locator('#positions tbody tr').count(), { timeout: 10_000 }).toBe(0);
    await page
      .locator('section[data-coin="BTC"] [data-strategy="geometry"] g.state.active[data-state="DISABLED"]')
      .waitFor({ timeout: 10_000 });
    // it stays HALTED on the pushed snapshots
    const s = market.step;
    await expect.poll(() => market.step, { timeout: 10_000 }).toBeGreaterThan(s + 1);
    expect(await page.locator('#trading-state').textContent()).toBe('HALTED');
  });

  it('loaded nothing but loopback and raised no page errors', () => {
    const origin = new URL(server.url).origin;
    const foreign = requests.filter(
      (u) => !u.startsWith(origin) && !u.startsWith(origin.replace('http', 'ws')),
    );
    expect(foreign).toEqual([]);
    expect(requests.length).toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
  });
});
