import { describe, expect, it } from 'vitest';
import { PAPER_ERRORS, PaperVenue } from '../../actors/venue/paper.ts';
import type { OrderRequest, VenueReport } from '../../actors/venue/types.ts';
import { ManualClock } from '../../state/clock.ts';
import { ASSETS, T0, TestMarket } from './helpers.ts';

function rig(latencyMs = 0) {
  const clock = new ManualClock(T0);
  const market = new TestMarket(clock);
  const venue = new PaperVenue(clock, market, { assets: ASSETS, latencyMs });
  const reports: VenueReport[] = [];
  venue.onReport((r) => reports.push(r));
  let n = 0;
  const order = (o: Partial<OrderRequest>): OrderRequest => ({
    clientId: `c${++n}`,
    coin: 'ETH',
    side: 'BUY',
    size: 1,
    limitPx: 100,
    tif: 'Ioc',
    reduceOnly: false,
    ...o,
  });
  const drain = () => reports.splice(0).map(({ time: _t, ...r }) => r);
  return { clock, market, venue, reports, order, drain };
}

describe('paper venue: hand-computed fills, fees and funding', () => {
  it('an IOC walks the levels up to its limit, taker fee per fill, the rest canceled', () => {
    const { clock, market, venue, order, drain } = rig();
    market.set(
      'ETH',
      [[99.9, 5]],
      [
        [100, 1],
        [100.5, 2],
        [101, 5],
      ],
    );
    venue.submit(order({ size: 4, limitPx: 100.5 }));
    clock.advance(0);
    expect(drain()).toEqual([
      {
        type: 'fill',
        clientId: 'c1',
        coin: 'ETH',
        side: 'BUY',
        px: 100,
        sz: 1,
        fee: 100 * 1 * 0.00045,
        liquidity: 'taker',
        remaining: 3,
      },
      {
        type: 'fill',
        clientId: 'c1',
        coin: 'ETH',
        side: 'BUY',
        px: 100.5,
        sz: 2,
        fee: 201 * 0.00045,
        liquidity: 'taker',
        remaining: 1,
      },
      { type: 'canceled', clientId: 'c1', reason: 'ioc remainder' },
    ]);
    expect(venue.position('ETH')).toBe(3);
    // the same snapshot's liquidity is not taken twice: only 5 left at 101 and none below
    venue.submit(order({ size: 1, limitPx: 100.5 }));
    clock.advance(0);
    expect(drain()).toEqual([{ type: 'rejected', clientId: 'c2', reason: PAPER_ERRORS.iocCancel }]);
    // a sell walks the bids
    venue.submit(order({ side: 'SELL', size: 2, limitPx: 99 }));
    clock.advance(0);
    expect(drain()).toEqual([
      {
        type: 'fill',
        clientId: 'c3',
        coin: 'ETH',
        side: 'SELL',
        px: 99.9,
        sz: 2,
        fee: 99.9 * 2 * 0.00045,
        liquidity: 'taker',
        remaining: 0,
      },
    ]);
  });

  it('a resting limit fills (maker) only when the book trades through its price', () => {
    const { clock, market, venue, order, drain } = rig();
    market.set('ETH', [[99.9, 5]], [[100, 5]]);
    venue.submit(order({ size: 2, limitPx: 99.5, tif: 'Gtc' }));
    clock.advance(0);
    expect(drain()).toEqual([{ type: 'accepted', clientId: 'c1', oid: 'paper-1' }]);
    venue.poll();
    expect(drain()).toEqual([]);
    clock.advance(1_000);
    market.set('ETH', [[99.3, 5]], [[99.5, 3]]); // at the price, not through it
    venue.poll();
    expect(drain()).toEqual([]);
    clock.advance(1_000);
    market.set(
      'ETH',
      [[99.3, 5]],
      [
        [99.4, 0.5],
        [99.6, 3],
      ],
    );
    venue.poll();
    venue.poll(); // same snapshot: nothing more
    expect(drain()).toEqual([
      {
        type: 'fill',
        clientId: 'c1',
        coin: 'ETH',
        side: 'BUY',
        px: 99.5,
        sz: 0.5,
        fee: 99.5 * 0.5 * 0.00015,
        liquidity: 'maker',
        remaining: 1.5,
      },
    ]);
    clock.advance(1_000);
    market.set('ETH', [[98.9, 5]], [[99, 5]]);
    venue.poll();
    expect(drain()).toEqual([
      {
        type: 'fill',
        clientId: 'c1',
        coin: 'ETH',
        side: 'BUY',
        px: 99.5,
        sz: 1.5,
        fee: 99.5 * 1.5 * 0.00015,
        liquidity: 'maker',
        remaining: 0,
      },
    ]);
    expect(venue.openOrders()).toEqual([]);
  });

  it('Gtc crossing takes (taker) then rests; Alo that would cross is rejected; cancel', () => {
    const { clock, market, venue, order, drain } = rig();
    market.set(
      'ETH',
      [[99.9, 5]],
      [
        [100, 1],
        [100.2, 1],
      ],
    );
    venue.submit(order({ size: 3, limitPx: 100, tif: 'Gtc' }));
    venue.submit(order({ size: 1, limitPx: 100, tif: 'Alo' }));
    venue.submit(order({ size: 1, limitPx: 99, tif: 'Alo' }));
    clock.advance(0);
    expect(drain()).toEqual([
      { type: 'accepted', clientId: 'c1', oid: 'paper-1' },
      {
        type: 'fill',
        clientId: 'c1',
        coin: 'ETH',
        side: 'BUY',
        px: 100,
        sz: 1,
        fee: 0.045,
        liquidity: 'taker',
        remaining: 2,
      },
      {
        type: 'rejected',
        clientId: 'c2',
        reason: 'Post only order would have immediately matched, bbo was 99.9@100',
      },
      { type: 'accepted', clientId: 'c3', oid: 'paper-2' },
    ]);
    venue.cancel('c3');
    venue.cancel('c3');
    clock.advance(0);
    expect(drain()).toEqual([{ type: 'canceled', clientId: 'c3', reason: 'canceled' }]);
  });

  it('venue rules, reduce-only and missing book are rejected with the venue strings', () => {
    const { clock, market, venue, order, drain } = rig();
    market.set('ETH', [[99.9, 5]], [[100, 5]]);
    venue.submit(order({ size: 0.05, limitPx: 100 })); // $5
    venue.submit(order({ size: 1, limitPx: 100.001 }));
    venue.submit(order({ side: 'SELL', size: 1, limitPx: 99, reduceOnly: true }));
    venue.submit(order({ coin: 'SOL', size: 1, limitPx: 20 }));
    venue.submit(order({ clientId: 'c1' }));
    clock.advance(0);
    expect(drain()).toEqual([
      { type: 'rejected', clientId: 'c1', reason: 'Order must have minimum value of $10.' },
      { type: 'rejected', clientId: 'c2', reason: 'Price must be divisible by tick size.' },
      { type: 'rejected', clientId: 'c3', reason: PAPER_ERRORS.reduceOnly },
      { type: 'rejected', clientId: 'c4', reason: PAPER_ERRORS.noMarket },
      { type: 'rejected', clientId: 'c1', reason: 'Duplicate client order id.' },
    ]);
  });

  it('reduce-only is capped at the position and never flips it', () => {
    const { clock, market, venue, order, drain } = rig();
    market.set('ETH', [[99.9, 5]], [[100, 5]]);
    venue.submit(order({ size: 1.5, limitPx: 100 }));
    clock.advance(0);
    drain();
    venue.submit(order({ side: 'SELL', size: 4, limitPx: 99, reduceOnly: true }));
    clock.advance(0);
    expect(drain()).toEqual([
      {
        type: 'fill',
        clientId: 'c2',
        coin: 'ETH',
        side: 'SELL',
        px: 99.9,
        sz: 1.5,
        fee: 99.9 * 1.5 * 0.00045,
        liquidity: 'taker',
        remaining: 0,
      },
    ]);
    expect(venue.position('ETH')).toBe(0);
  });

  it('latency on the clock: nothing before latencyMs, the answer exactly then', () => {
    const { clock, market, venue, order, reports } = rig(100);
    market.set('ETH', [[99.9, 5]], [[100, 5]]);
    venue.submit(order({ size: 1 }));
    clock.advance(99);
    expect(reports).toEqual([]);
    clock.advance(1);
    expect(reports).toMatchObject([{ type: 'fill', time: T0 + 100 }]);
  });

  it('hourly funding on the open position: usdc = −szi × mark × rate (longs pay when rate > 0)', () => {
    const { clock, market, venue, order, drain } = rig();
    market.set('ETH', [[99.9, 5]], [[100, 5]], { mark: 100, funding: 0.0001 });
    market.set('BTC', [[50_000, 1]], [[50_001, 1]], { mark: 50_000, funding: 0.0001 });
    venue.submit(order({ size: 2, limitPx: 100 }));
    venue.submit(order({ coin: 'BTC', side: 'SELL', size: 0.01, limitPx: 50_000 }));
    clock.advance(0);
    drain();
    clock.advanceTo(T0 + 3_600_000 - 1);
    expect(drain()).toEqual([]);
    clock.advanceTo(T0 + 3_600_000);
    expect(drain()).toEqual([
      {
        type: 'funding',
        coin: 'BTC',
        rate: 0.0001,
        markPx: 50_000,
        szi: -0.01,
        usdc: 0.01 * 50_000 * 0.0001,
      },
      { type: 'funding', coin: 'ETH', rate: 0.0001, markPx: 100, szi: 2, usdc: -2 * 100 * 0.0001 },
    ]);
    market.set('ETH', [[99.9, 5]], [[100, 5]], { mark: 110, funding: -0.0002 });
    clock.advanceTo(T0 + 2 * 3_600_000);
    expect(drain()).toContainEqual({
      type: 'funding',
      coin: 'ETH',
      rate: -0.0002,
      markPx: 110,
      szi: 2,
      usdc: 2 * 110 * 0.0002,
    });
    venue.stop();
    expect(clock.pending()).toBe(0);
  });

  it('a throwing listener is counted and does not stop the venue', () => {
    const { clock, market, venue, order, reports } = rig();
    venue.onReport(() => {
      throw new Error('listener bug');
    });
    market.set('ETH', [[99.9, 5]], [[100, 5]]);
    venue.submit(order({}));
    clock.advance(0);
    expect(reports.length).toBe(1);
    expect(venue.counters.listenerErrors).toBe(1);
  });
});
