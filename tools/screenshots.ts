/**
 * The README's dashboard screenshots, regenerated: `npm run screenshots [-- --seconds S --seed N
 * --scenario NAME --speed X --out DIR]`.
 *
 * Runs the real system over the simulator on loopback (as `runtime start` does: the decision log's
 * history fed by `onLine`, the dashboard on an ephemeral port with a throw-away token and data dir), the
 * warm-up hour fast-forwarded and the scenario then played at `--speed` (default 8×, the exhaustion
 * scenario, whose spikes the strategies trade), opens the dashboard in headless Chromium at
 * 1 440 × 900 and, once a round trip has closed (or `--seconds` of wall time have passed), writes
 * three viewport screenshots to docs/screenshots/: the coin charts, the equity/alarms/health row with
 * the blotter, and the decision table filtered to fills with one raw record open. Prints one JSON line.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { chromium } from 'playwright-core';
import { SystemClock, WarpClock } from '../runtime/clocks.ts';
import { parseConfig } from '../runtime/config.ts';
import { DecisionHistory } from '../runtime/dashboard/history.ts';
import { serveDashboard } from '../runtime/dashboard-model.ts';
import { createMetrics } from '../runtime/metrics.ts';
import { startSystem } from '../runtime/system.ts';
import { startSim } from '../sim/server.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '240' },
    seed: { type: 'string', default: '7' },
    scenario: { type: 'string', default: 'exhaustion' },
    speed: { type: 'string', default: '8' },
    out: { type: 'string', default: 'docs/screenshots' },
  },
});
const seconds = Number(values.seconds);
const speed = Number(values.speed);
const seed = Number(values.seed);
if (!(seconds > 0 && speed > 0 && Number.isInteger(seed)))
  throw new Error('--seconds, --speed > 0, --seed an integer');
const out = resolve(values.out);
mkdirSync(out, { recursive: true });

const wall = new SystemClock();
const dir = mkdtempSync(join(tmpdir(), 'dash-shots-'));
const clock = new WarpClock(Math.floor(wall.now() / 1000) * 1000, 400, 3_600_000, speed);
const sim = await startSim({ seed, scenario: values.scenario, clock, speed: 1 });
const config = parseConfig({ dataDir: dir });
const history = new DecisionHistory();
const system = await startSystem({
  config,
  url: sim.wsUrl,
  clock,
  journalDir: join(dir, 'journal'),
  logger: pino({ level: 'silent' }),
  onLine: (l) => history.add(l),
});
const dashboard = await serveDashboard(system, config, clock, createMetrics(), 'screenshots-'.repeat(4), {
  history,
});
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
});
/** Page script: scroll the panel holding `sel` to just under the sticky header. */
const scrollTo = (sel: string) =>
  `window.scrollTo(0, document.querySelector(${JSON.stringify(sel)}).closest('section').getBoundingClientRect().top + window.scrollY - 50)`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const t0 = wall.now();
  // the page keeps the chart's points from when it opens: open it when the warm-up hour is over
  while (clock.now() - t0 < 3_600_000 && wall.now() - t0 < seconds * 1000) await sleep(250);
  await page.goto(dashboard.url);
  let closedAt: number | null = null;
  while (wall.now() - t0 < seconds * 1000) {
    const v = history.view().view;
    if (closedAt === null && v.trades.some((t) => t.closeTime !== null)) closedAt = wall.now();
    // a little after the first closed round trip, so the chart shows what followed it
    if (closedAt !== null && wall.now() - closedAt > 15_000) break;
    await sleep(500);
  }
  await sleep(1_000);
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: join(out, 'dashboard-charts.png') });
  await page.evaluate(scrollTo('#equity-chart'));
  await sleep(300);
  await page.screenshot({ path: join(out, 'dashboard-blotter.png') });
  const v = history.view().view;
  if (v.fills.length > 0)
    await page.selectOption('#filter-kind', 'exec.fill', { timeout: 5_000 }).catch(() => {});
  await page
    .locator('#decision-table tbody tr')
    .first()
    .click({ timeout: 5_000 })
    .catch(() => {});
  await page.evaluate(scrollTo('#decision-table'));
  await sleep(300);
  await page.screenshot({ path: join(out, 'dashboard-decisions.png') });
  console.log(
    JSON.stringify({
      out,
      scenario: values.scenario,
      seed,
      speed,
      wallSeconds: Math.round((wall.now() - t0) / 1000),
      simMinutesAfterWarmup: Math.round((clock.now() - t0 - 3_600_000) / 60_000),
      fills: v.fills.length,
      roundTrips: v.trades.filter((t) => t.closeTime !== null).length,
      decisionLines: history.counts().lines,
      feedFrom: history.feedSince(0).from,
      pageErrors,
    }),
  );
} finally {
  await browser.close();
  await dashboard.close();
  await system.stop();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
}
