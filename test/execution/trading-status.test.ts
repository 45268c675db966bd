/**
 * RULEBOOK "Risk": trading state ACTIVE / REDUCING / HALTED with its reason survives restarts, and no
 * trading state ever blocks a close (closes and cancels pass; a close is never blocked by the
 * condition that caused it). `tradingStatus()` gives state, reason and since; `restoreTrading` starts
 * an execution in a given state with its reason kept verbatim.
 */
import { describe, expect, it } from 'vitest';
import type { ExecRecord } from '../../machines/execution.types.ts';
import { ManualClock } from '../../state/clock.ts';
import { entry, exit, setup, T0, TestMarket } from './helpers.ts';

function withPosition(opts: Parameters<typeof setup>[0] = {}) {
  const s = setup({ equity: () => 10_000, ...opts });
  s.market.set('ETH', [[99.9, 50]], [[100, 50]], { mark: 99.95 });
  s.exec.onTick(s.healthy);
  expect(s.exec.submitIntent(entry('ETH', 'LONG', 95, 110), s.lease('geometry'))).toEqual({ ok: true });
  s.clock.advance(0);
  expect(s.exec.positions().positions).toMatchObject([{ coin: 'ETH', size: 9.8 }]);
  return s;
}

const tradingRecords = (rs: ExecRecord[]) =>
  rs.flatMap((r) => (r.kind === 'trading' ? [{ state: r.state, reason: r.reason }] : []));

describe('trading status: state, reason, since; restored at construction', () => {
  it('tradingStatus() follows every change with its reason and the time it happened', () => {
    const s = setup();
    expect(s.exec.tradingStatus()).toEqual({ state: 'ACTIVE', reason: 'start', since: T0 });
    s.clock.advance(1_000);
    s.exec.reduce('volatile open');
    expect(s.exec.tradingStatus()).toEqual({
      state: 'REDUCING',
      reason: 'operator: reduce: volatile open',
      since: T0 + 1_000,
    });
    s.clock.advance(1_000);
    s.exec.kill('operator kill switch');
    expect(s.exec.tradingStatus()).toEqual({
      state: 'HALTED',
      reason: 'kill switch: operator kill switch',
      since: T0 + 2_000,
    });
    s.clock.advance(1_000);
    s.exec.kill('again'); // a second KILL while HALTED: still HALTED since the first
    expect(s.exec.tradingStatus().since).toBe(T0 + 2_000);
    s.exec.resetHalt();
    expect(s.exec.tradingStatus()).toEqual({
      state: 'ACTIVE',
      reason: 'operator: reset halt',
      since: T0 + 3_000,
    });
  });

  it('restoreTrading HALTED: starts HALTED with the reason verbatim and its own since; entries refused, closes pass', () => {
    const clock = new ManualClock(T0);
    const market = new TestMarket(clock);
    const s = withPosition({ clock, market });
    const records = JSON.parse(JSON.stringify(s.exec.records()));
    s.exec.stop();
    clock.advance(60_000);
    const r = setup({
      clock,
      market,
      equity: () => 10_000,
      restore: records,
      restoreTrading: { state: 'HALTED', reason: 'daily loss -250.00 beyond 0.02', since: T0 - 5_000 },
    });
    expect(r.exec.tradingStatus()).toEqual({
      state: 'HALTED',
      reason: 'daily loss -250.00 beyond 0.02',
      since: T0 - 5_000,
    });
    expect(tradingRecords(r.exec.records())).toEqual([
      { state: 'HALTED', reason: 'daily loss -250.00 beyond 0.02' },
    ]);
    r.exec.onTick(r.healthy);
    market.set('BTC', [[40_000, 1]], [[40_010, 1]], { mark: 40_005 });
    expect(r.exec.submitIntent(entry('BTC', 'LONG', 39_000, 42_000), r.lease('geometry'))).toMatchObject({
      ok: false,
      code: 'TRADING_STATE',
    });
    expect(r.replies.at(-1)).toMatchObject({ type: 'ENTRY_REJECTED' });
    // the recovered position is closed while HALTED
    r.venue.seedPosition('ETH', 9.8);
    const x = exit('ETH');
    r.exec.submitIntent(x, r.lease('geometry'));
    clock.advance(0);
    expect(r.exec.positions().positions).toEqual([]);
    expect(r.replies.at(-1)).toMatchObject({ type: 'EXIT_FILLED', intentId: x.id });
    expect(r.exec.tradingState()).toBe('HALTED');
  });

  it('restoreTrading REDUCING: entries refused, closes pass; ACTIVE keeps the restored reason', () => {
    const red = setup({ restoreTrading: { state: 'REDUCING', reason: 'operator: reduce: news' } });
    expect(red.exec.tradingStatus()).toMatchObject({ state: 'REDUCING', reason: 'operator: reduce: news' });
    const act = setup({ restoreTrading: { state: 'ACTIVE', reason: 'operator: reset halt', since: 5 } });
    expect(act.exec.tradingStatus()).toEqual({ state: 'ACTIVE', reason: 'operator: reset halt', since: 5 });
    expect(tradingRecords(act.exec.records())).toEqual([]);
  });

  it('restore from records keeps the reason through restart after restart (no growth, no loss)', () => {
    const clock = new ManualClock(T0);
    const market = new TestMarket(clock);
    const s = withPosition({ clock, market });
    clock.advance(1_000);
    s.exec.kill('operator');
    clock.advance(0);
    const log: ExecRecord[] = s.exec.records();
    const first = s.exec.tradingStatus();
    expect(first).toEqual({ state: 'HALTED', reason: 'kill switch: operator', since: T0 + 1_000 });
    s.exec.stop();
    for (let i = 0; i < 3; i++) {
      clock.advance(86_400_000); // the next day too
      const r = setup({ clock, market, equity: () => 10_000, restore: JSON.parse(JSON.stringify(log)) });
      expect(r.exec.tradingStatus()).toEqual(first);
      log.push(...r.exec.records());
      r.exec.stop();
    }
  });

  it('the restoreTrading option wins over the records', () => {
    const s = setup();
    s.exec.kill('operator');
    const records = s.exec.records();
    const r = setup({
      restore: records,
      restoreTrading: { state: 'ACTIVE', reason: 'operator: reset halt' },
    });
    expect(r.exec.tradingStatus()).toMatchObject({ state: 'ACTIVE', reason: 'operator: reset halt' });
  });

  it('no trading state and no health level blocks a close: HALTED + DEGRADED + REDUCING, the close goes out at once', () => {
    for (const how of ['kill', 'reduce', 'restoreHalted'] as const) {
      const clock = new ManualClock(T0);
      const market = new TestMarket(clock);
      const s = withPosition({ clock, market });
      if (how === 'kill') s.exec.kill('operator');
      else if (how === 'reduce') s.exec.reduce('operator');
      else {
        const records = s.exec.records();
        s.exec.stop();
        const r = setup({
          clock,
          market,
          equity: () => 10_000,
          restore: records,
          restoreTrading: { state: 'HALTED', reason: 'restart: recovered positions' },
        });
        r.venue.seedPosition('ETH', 9.8);
        r.exec.onTick({ health: 'DEGRADED', stale: true });
        clock.advance(0);
        expect(r.exec.positions().positions).toEqual([]);
        continue;
      }
      s.exec.onTick({ health: 'DEGRADED', stale: true });
      clock.advance(0);
      expect(s.exec.positions().positions, how).toEqual([]);
      expect(s.venue.position('ETH'), how).toBe(0);
    }
  });
});
