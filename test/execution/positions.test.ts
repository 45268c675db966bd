import { describe, expect, it } from 'vitest';
import { PositionManager, restoreLedger } from '../../actors/execution/positions.ts';
import type { FillFact } from '../../machines/execution.types.ts';
import { entry, exit, setup, T0 } from './helpers.ts';

const H = 3_600_000;
const fill = (
  coin: string,
  side: 'BUY' | 'SELL',
  px: number,
  sz: number,
  fee: number,
  time: number,
): FillFact => ({
  coin,
  strategy: 'geometry',
  side,
  px,
  sz,
  fee,
  time,
  clientId: `c${time}`,
});

describe('position ledger: a scripted day reconciles with the hand-computed ledger', () => {
  it('entries, adds, partial and full exits, a short, funding both ways, fees', () => {
    const pm = new PositionManager();
    const recs = [
      pm.applyFill(fill('ETH', 'BUY', 100, 2, 0.09, T0)),
      pm.applyFill(fill('ETH', 'BUY', 103, 1, 0.04635, T0 + 0.5 * H)), // avg (200 + 103) / 3 = 101
      pm.applyFunding({ coin: 'ETH', usdc: -3 * 102 * 0.0001, rate: 0.0001, markPx: 102, time: T0 + H }),
      pm.applyFill(fill('ETH', 'SELL', 105, 1, 0.04725, T0 + 1.5 * H)), // +4
      pm.applyFill(fill('ETH', 'SELL', 99, 2, 0.0891, T0 + 2 * H)), // −4, flat
      pm.applyFill(fill('BTC', 'SELL', 40_000, 0.5, 9, T0 + 3 * H)),
      pm.applyFunding({
        coin: 'BTC',
        usdc: 0.5 * 40_100 * 0.0002,
        rate: 0.0002,
        markPx: 40_100,
        time: T0 + 4 * H,
      }),
      pm.applyFill(fill('BTC', 'BUY', 39_000, 0.5, 2.925, T0 + 5 * H)), // +500
      pm.applyFill(fill('SOL', 'BUY', 20, 10, 0.09, T0 + 6 * H)),
    ];
    expect(recs[1]!.position).toMatchObject({ size: 3, avgEntry: 101 });
    expect(recs[3]!.position).toMatchObject({ size: 2, avgEntry: 101 });
    expect(recs[4]!.position).toBeNull();
    expect(recs[5]!.position).toMatchObject({ size: -0.5, avgEntry: 40_000 });
    const marks: Record<string, number> = { SOL: 21 };
    const v = pm.view((c) => marks[c] ?? Number.NaN);
    const fees = 0.09 + 0.04635 + 0.04725 + 0.0891 + 9 + 2.925 + 0.09;
    const fundingPaid = 0.0306 - 4.01;
    expect(v.realised).toBeCloseTo(500, 9);
    expect(v.fees).toBeCloseTo(fees, 9);
    expect(v.fundingPaid).toBeCloseTo(fundingPaid, 9);
    expect(v.unrealised).toBeCloseTo(10, 9);
    expect(v.net).toBeCloseTo(500 - fees - fundingPaid + 10, 9);
    expect(v.exposure).toBeCloseTo(210, 9);
    expect(v.positions.map((p) => [p.coin, p.size, p.avgEntry])).toEqual([['SOL', 10, 20]]);
    const coins = pm.snapshot().coins;
    expect(coins.ETH!.realised).toBeCloseTo(0, 9);
    expect(coins.ETH!.fundingPaid).toBeCloseTo(0.0306, 9);
    expect(coins.BTC!.realised).toBeCloseTo(500, 9);
    expect(coins.BTC!.fees).toBeCloseTo(11.925, 9);
    expect(coins.BTC!.fundingPaid).toBeCloseTo(-4.01, 9);

    // restart: the records rebuild exactly the same state; tampering and garbage are counted
    const back = PositionManager.restore(JSON.parse(JSON.stringify(recs)));
    expect(back.manager.snapshot()).toEqual(pm.snapshot());
    expect([back.applied, back.mismatches, back.skipped]).toEqual([9, 0, 0]);
    const tampered = JSON.parse(JSON.stringify(recs));
    tampered[1].position.size = 4;
    const bad = restoreLedger([
      ...tampered,
      null,
      'x',
      { kind: 'position', cause: { type: 'fill', fill: {} } },
    ]);
    expect([bad.mismatches, bad.skipped]).toEqual([1, 1]);
    expect(bad.ledger).toEqual(pm.snapshot());
  });

  it('engine on the paper venue over a scripted day: fills, fees, funding and PnL match the hand ledger', () => {
    const s = setup({ equity: () => 10_000 });
    const g = s.lease('geometry');
    s.market.set('ETH', [[99.9, 50]], [[100, 50]], { mark: 100, funding: 0.0001 });
    s.exec.onTick(s.healthy);
    // LONG: limit 100 × 1.001 = 100.1; size 50 / (100.1 − 95) = 9.80…→ 9.8, filled at 100
    expect(s.exec.submitIntent(entry('ETH', 'LONG', 95, 110), g)).toEqual({ ok: true });
    s.clock.advance(0);
    s.clock.advanceTo(T0 + H); // 11:00 funding: −9.8 × 100 × 0.0001
    s.market.set('ETH', [[104.9, 50]], [[105, 50]], { mark: 105 });
    s.exec.onTick(s.healthy);
    s.exec.submitIntent(exit('ETH', 'geometry', 'target'), g); // sell 9.8 at the 104.9 bid
    s.clock.advance(0);
    // SHORT: limit 104.9 × 0.999 = 104.7951 → 104.79; 50 / (108 − 104.79) = 15.57…→ 15.57, filled at 104.9
    s.exec.submitIntent(entry('ETH', 'SHORT', 108, 100), g);
    s.clock.advance(0);
    s.clock.advanceTo(T0 + 2 * H); // 12:00 funding: short receives 15.57 × 105 × 0.0001
    s.market.set('ETH', [[101.9, 50]], [[102, 50]], { mark: 102 });
    s.exec.onTick(s.healthy);
    s.exec.submitIntent(exit('ETH', 'geometry', 'target'), g); // buy 15.57 at the 102 ask
    s.clock.advance(0);

    const taker = 0.00045;
    const fees = 100 * 9.8 * taker + 104.9 * 9.8 * taker + 104.9 * 15.57 * taker + 102 * 15.57 * taker;
    const realised = (104.9 - 100) * 9.8 + (104.9 - 102) * 15.57;
    const fundingPaid = 9.8 * 100 * 0.0001 - 15.57 * 105 * 0.0001;
    const v = s.exec.positions();
    expect(v.positions).toEqual([]);
    expect(v.realised).toBeCloseTo(realised, 9);
    expect(v.fees).toBeCloseTo(fees, 9);
    expect(v.fundingPaid).toBeCloseTo(fundingPaid, 9);
    expect(v.net).toBeCloseTo(realised - fees - fundingPaid, 9);
    expect(s.replies.map((r) => r.type)).toEqual([
      'ENTRY_FILLED',
      'EXIT_FILLED',
      'ENTRY_FILLED',
      'EXIT_FILLED',
    ]);
    const records = s.exec.records();
    const fills = records.filter((r) => r.kind === 'fill');
    expect(fills.map((r) => (r.kind === 'fill' ? [r.fill.side, r.fill.px, r.fill.sz] : []))).toEqual([
      ['BUY', 100, 9.8],
      ['SELL', 104.9, 9.8],
      ['SELL', 104.9, 15.57],
      ['BUY', 102, 15.57],
    ]);
    // restart recovery: the decision records rebuild the engine's ledger exactly
    expect(restoreLedger(JSON.parse(JSON.stringify(records))).ledger).toEqual(
      s.exec.actor.getSnapshot().context.ledger,
    );
  });
});
