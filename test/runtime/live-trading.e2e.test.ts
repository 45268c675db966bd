/**
 * `--live-trading` wiring through the whole system: the decision side's execution sends real signed orders
 * through the live venue (signer worker, WS post) to the simulator's /exchange, which verifies the
 * signature, matches against its book and reports fills on the private streams; the kill switch flattens
 * through the same path.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createLiveVenue, type LiveVenue } from '../../actors/venue/live/venue.ts';
import type { DecisionLine } from '../../decision/engine.ts';
import { SystemClock } from '../../runtime/clocks.ts';
import { parseConfig } from '../../runtime/config.ts';
import { PrivateKeyHolder } from '../../runtime/secrets.ts';
import { type RunningSystem, startSystem } from '../../runtime/system.ts';
import { type SimServer, startSim } from '../../sim/server.ts';
import { ADDR_A, KEY_A } from '../live/rig.ts';

async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const clock = new SystemClock();
  const t0 = clock.now();
  while (!cond()) {
    if (clock.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('live trading through the system (simulator /exchange)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'live-sys-'));
  let sim: SimServer;
  let venue: LiveVenue;
  let system: RunningSystem;
  const lines: DecisionLine[] = [];
  afterAll(async () => {
    await system?.stop();
    await venue?.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an entry and the kill switch go out as signed orders and come back as fills', async () => {
    const clock = new SystemClock();
    sim = await startSim({
      seed: 5,
      scenario: 'sideways',
      speed: 1,
      clock,
      coins: ['BTC'],
      accounts: [{ address: ADDR_A, equity: 100_000 }],
    });
    venue = await createLiveVenue({
      liveTrading: true,
      clock,
      key: new PrivateKeyHolder(KEY_A, 'test'),
      isMainnet: false,
      httpUrl: sim.httpUrl,
      wsUrl: sim.wsUrl,
      fetch: (url, init) => fetch(url, init),
    });
    const config = parseConfig({ dataDir: dir, coins: ['BTC'], shutdown: { flatten: true } });
    system = await startSystem({
      config,
      url: sim.wsUrl,
      clock,
      journalDir: join(dir, 'journal'),
      logger: pino({ level: 'silent' }),
      venue,
      onLine: (l) => lines.push(l),
    });
    await until(
      () => Number.isFinite(system.engine()?.viewOf('BTC')?.mid ?? Number.NaN),
      'market data in the hot state',
    );
    // execution flattens any fill that arrives while health is not HEALTHY: wait for the validation period
    await until(() => system.engine()!.health.getSnapshot().context.status === 'HEALTHY', 'health HEALTHY');
    const mid = system.engine()!.viewOf('BTC')!.mid;
    const res = system.engine()!.execution.submitIntent(
      {
        kind: 'entry',
        id: 'test:BTC:0',
        strategy: 'geometry',
        coin: 'BTC',
        side: 'LONG',
        sizeFraction: 0.05,
        stop: mid * 0.99,
        target: mid * 1.01,
        reason: 'wiring test',
        version: 0,
        time: clock.now(),
      },
      { health: 'HEALTHY', stale: false, leaseHolder: 'geometry' },
    );
    expect(res).toEqual({ ok: true });
    await until(
      () => (system.engine()!.execution.positions().positions[0]?.size ?? 0) > 0,
      'the entry fill from the venue',
    );
    expect(venue.counters.fills).toBeGreaterThan(0);
    expect(sim.exchange.account(ADDR_A)).toBeDefined();
    system.command({ type: 'KILL', reason: 'test' });
    await until(() => system.engine()!.execution.positions().positions.length === 0, 'the flattening fill');
    expect(system.engine()!.execution.tradingState()).toBe('HALTED');
  }, 90_000);
});
