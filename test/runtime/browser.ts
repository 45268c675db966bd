/**
 * Headless Chromium for UI tests: Debian's `chromium` driven by playwright-core, a fresh profile per
 * launch (Playwright's temporary profile), no network beyond what the page asks of loopback. `browserAvailability()` says whether the
 * test must run (CI always) or may be skipped (no binary outside CI).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Run the browser test? In CI it must (a missing binary fails loudly in `launchBrowser`). */
export function browserAvailability(): { run: boolean; reason: string } {
  if (existsSync(CHROMIUM_PATH)) return { run: true, reason: `${CHROMIUM_PATH} present` };
  if (process.env.CI) return { run: true, reason: `CI is set: ${CHROMIUM_PATH} must exist` };
  return { run: false, reason: `${CHROMIUM_PATH} not found and CI not set` };
}

export function warnSkipped(what: string, reason: string): void {
  const bar = '!'.repeat(78);
  process.stderr.write(
    `\n${bar}\n!!! SKIPPED: ${what}\n!!! ${reason}\n!!! install it: apt-get install -y chromium\n${bar}\n\n`,
  );
}

/**
 * Launch headless Chromium. Playwright gives every `launch()` a fresh temporary profile (user-data dir)
 * and removes it on close, so no state leaks between tests.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}
