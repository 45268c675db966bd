/**
 * The dashboard on the real system, in headless Chromium: the simulator on loopback (warm-up hour
 * fast-forwarded), the whole stack over real sockets, the dashboard serving its snapshots. The page loads,
 * shows live values from the simulator, and its kill switch halts trading through the journal.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemClock, WarpClock } from '../../runtime/clocks.ts';
import { parseConfig } from '../../runtime/config.ts';
import { serveDashboard } from '../../runtime/dashboard-model.ts';
import { createMetrics } from '../../runtime/metrics.ts';
import { type RunningSystem, startSystem } from '../../runtime/system.ts';
import { type SimServer, startSim } from '../../sim/server.ts';
import { browserAvailability, launchBrowser, warnSkipped } from './browser.ts';

const avail = browserAvailability();
if (!avail.run) warnSkipped('dashboard e2e', avail.reason);

describe.runIf(avail.run)('dashboard on the live system (headless Chromium)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dash-e2e-'));
  let sim: SimServer;
  let system: RunningSystem;
  let dashboard: { url: string; close(): Promise<void> };
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const clock = new WarpClock(
      Math.floor(new SystemClock().now() / 1000) * 1000,
      400,
      3_600_000 + 120_000,
      1,
    );
    sim = await startSim({ seed: 7, scenario: 'sideways', clock, speed: 1 });
    const config = parseConfig({ dataDir: dir });
    system = await startSystem({
      config,
      url: sim.wsUrl,
      clock,
      journalDir: join(dir, 'journal'),
      logger: pino({ level: 'silent' }),
    });
    dashboard = await serveDashboard(system, config, clock, createMetrics(), 'e'.repeat(64), {
      intervalMs: 200,
    });
    browser = await launchBrowser();
    page = await browser.newPage();
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

  it('the kill switch halts trading (journaled, applied by the decision side)', async () => {
    expect(await page.locator('#trading-state').textContent()).toBe('ACTIVE');
    page.once('dialog', (d) => void d.accept());
    await page.click('#kill');
    await expect.poll(() => page.locator('#trading-state').textContent(), { timeout: 10_000 }).toBe('HALTED');
    expect(system.engine()!.execution.tradingState()).toBe('HALTED');
    expect(
      system.recentDecisions().some((l) => l.includes('"kind":"operator.applied"') && l.includes('KILL')),
    ).toBe(true);
  }, 30_000);
});
