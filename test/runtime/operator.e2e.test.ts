/**
 * Operator commands through the whole live stack (simulator on loopback, real sockets, journal, worker,
 * decision side): a command is applied exactly once, and the decision side's echo of it is a decision
 * record, never read back as a new command (issue 20, defect 1).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionLine } from '../../decision/engine.ts';
import { SystemClock, WarpClock } from '../../runtime/clocks.ts';
import { parseConfig } from '../../runtime/config.ts';
import { type RunningSystem, startSystem } from '../../runtime/system.ts';
import { type SimServer, startSim } from '../../sim/server.ts';

/** Wait (bounded, by polling the event loop) until `cond` holds. */
async function waitFor(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('operator commands on the live stack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'operator-e2e-'));
  let sim: SimServer;
  let system: RunningSystem;
  const lines: DecisionLine[] = [];
  const ticks = () => system.engine()?.summary.ticks ?? 0;

  beforeAll(async () => {
    // the clock runs ×50: a control tick every 20 ms of wall time
    const clock = new WarpClock(Math.floor(new SystemClock().now() / 1000) * 1000, 50, 3_600_000, 50);
    sim = await startSim({ seed: 7, scenario: 'sideways', clock, speed: 1, coins: ['BTC'] });
    const config = parseConfig({ dataDir: dir, coins: ['BTC'] });
    system = await startSystem({
      config,
      url: sim.wsUrl,
      clock,
      journalDir: join(dir, 'journal'),
      logger: pino({ level: 'silent' }),
      onLine: (l) => lines.push(l),
    });
    await waitFor(() => ticks() > 3, 'the first ticks');
  }, 60_000);

  afterAll(async () => {
    await system?.stop();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const applied = (command: string) =>
    // today's echo kind and the fixed one: either way, one per command
    lines.filter((l) => (l.kind === 'operator.applied' || l.kind === 'operator') && l.command === command)
      .length;
  const tradingChanges = () => lines.filter((l) => l.kind === 'exec.trading').map((l) => l.state);

  it('KILL is applied once, however many ticks follow', async () => {
    system.command({ type: 'KILL', reason: 'test' });
    await waitFor(() => applied('KILL') > 0, 'KILL applied');
    const t0 = ticks();
    await waitFor(() => ticks() > t0 + 20, '20 more ticks');
    expect(applied('KILL')).toBe(1);
    expect(lines.filter((l) => l.kind === 'operator').length, 'no echo under the command kind').toBe(0);
    expect(tradingChanges()).toEqual(['HALTED']);
    expect(system.engine()!.execution.tradingState()).toBe('HALTED');
  }, 60_000);

  it('KILL then RESET_HALT: trading flips once each way and stays ACTIVE', async () => {
    system.command({ type: 'RESET_HALT' });
    await waitFor(() => applied('RESET_HALT') > 0, 'RESET_HALT applied');
    const t0 = ticks();
    await waitFor(() => ticks() > t0 + 20, '20 more ticks');
    expect(applied('RESET_HALT')).toBe(1);
    expect(applied('KILL')).toBe(1);
    expect(tradingChanges()).toEqual(['HALTED', 'ACTIVE']);
    expect(system.engine()!.execution.tradingState()).toBe('ACTIVE');
  }, 60_000);
});
