/**
 * The real venue fixtures through the builder: best bid/ask, mid and depth computed by hand from the
 * snapshot's levels (listed here term by term), and aggressor flow from the trades sample.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StateBuilder } from '../../state/builder.ts';
import { F } from '../../state/hotstate-layout.ts';
import type { WsBook, WsTrade } from '../../state/inputs.ts';

const dir = '/work/shared/fixtures/hyperliquid/ws';
const bookMsg = JSON.parse(readFileSync(`${dir}/l2Book_BTC_1751427259657.json`, 'utf8')) as {
  channel: string;
  data: WsBook;
};
const tradesMsg = JSON.parse(readFileSync(`${dir}/trades_BTC_1751430933565.json`, 'utf8')) as {
  channel: string;
  data: WsTrade[];
};

describe('real fixtures', () => {
  it('l2Book_BTC_1751427259657: best bid/ask, mid, depth within 10/20/50 bps', () => {
    const b = new StateBuilder({ coins: ['BTC'] });
    b.onBook(bookMsg.data, 1_000);
    const s = b.coin('BTC')!.slot;
    expect(s[F.bestBid]).toBe(106217);
    expect(s[F.bestAsk]).toBe(106233);
    expect(s[F.mid]).toBe(106225); // (106217 + 106233) / 2
    expect(s[F.bookTime]).toBe(1751427259657);
    expect(s[F.bidLevels]).toBe(20);
    expect(s[F.askLevels]).toBe(20);
    expect(s[F.spreadBps]).toBeCloseTo((16 / 106225) * 1e4, 12);

    // bands: mid·(1 ∓ b/1e4). 10 bps: bids ≥ 106118.775, asks ≤ 106331.225
    const bid10 =
      106217 * 0.001 +
      106215 * 0.001 +
      106213 * 0.27739 +
      106193 * 0.49943 +
      106190 * 0.52899 +
      106162 * 0.55931 +
      106160 * 0.55023 +
      106140 * 0.001 +
      106137 * 0.001 +
      106131 * 0.001; // next bid 106111 < 106118.775
    const ask10 = 106233 * 0.26739 + 106258 * 0.001 + 106270 * 0.49128 + 106306 * 0.27263 + 106311 * 0.23837; // next 106350 > 106331.225
    // 20 bps: bids ≥ 106012.55, asks ≤ 106437.45
    const bid20 = bid10 + 106111 * 0.01094 + 106085 * 1.02207; // next 105916 < 106012.55
    const ask20 = ask10 + 106350 * 0.001 + 106396 * 0.24733 + 106414 * 0.27088; // next 106560 > 106437.45
    // 50 bps: bids ≥ 105693.875, asks ≤ 106756.125
    const bid50 =
      bid20 + 105916 * 0.001 + 105913 * 1.01927 + 105822 * 0.00474 + 105698 * 0.51012 + 105696 * 0.001; // next 105604
    const ask50 = ask20 + 106560 * 0.0001 + 106597 * 0.56981 + 106637 * 0.57002; // next 106932 > 106756.125

    expect(s[F.depthBid10]).toBeCloseTo(bid10, 6);
    expect(s[F.depthAsk10]).toBeCloseTo(ask10, 6);
    expect(s[F.depthBid20]).toBeCloseTo(bid20, 6);
    expect(s[F.depthAsk20]).toBeCloseTo(ask20, 6);
    expect(s[F.depthBid50]).toBeCloseTo(bid50, 6);
    expect(s[F.depthAsk50]).toBeCloseTo(ask50, 6);
    // sanity on the magnitudes (≈ 2.5 k BTC·USD levels): 10 bps bid ≈ 2.6 × 10⁵ USD
    expect(bid10).toBeGreaterThan(250_000);
    expect(bid10).toBeLessThan(260_000);
    expect(s[F.depthAsym50]).toBeCloseTo((bid50 - ask50) / (bid50 + ask50), 12);
    // top levels copied best first
    expect(s[F.bidPx + 0]).toBe(106217);
    expect(s[F.bidSz + 2]).toBe(0.27739);
    expect(s[F.askPx + 9]).toBe(106597);
    expect(s[F.askSz + 0]).toBe(0.26739);
  });

  it('trades_BTC_1751430933565: side A is a taker sell of px × sz', () => {
    const b = new StateBuilder({ coins: ['BTC'] });
    b.onTrades(tradesMsg.data, 10_000);
    const s = b.coin('BTC')!.slot;
    expect(s[F.lastTradePx]).toBe(106296);
    expect(s[F.lastTradeSz]).toBe(0.00017);
    expect(s[F.lastTradeSide]).toBe(-1);
    expect(s[F.tradeTime]).toBe(1751430933565);
    // windows are NULL until warm
    expect(s[F.sellNtl1s]).toBeNaN();
    // a second push 0.5 s later, same trade replayed (dedupe) plus a new buy, then 1 s of warm-up
    b.onTrades([tradesMsg.data[0]!, { ...tradesMsg.data[0]!, side: 'B', tid: 1, sz: '0.5' }], 10_500);
    expect(b.counters.dupTrades).toBe(1);
    b.onTrades([], 11_000); // empty push: nothing, not even a clock step
    b.onTrades([{ ...tradesMsg.data[0]!, tid: 2, sz: '0.001' }], 11_000);
    const s2 = b.coin('BTC')!.slot;
    // window (10000, 11000]: the first push at 10000 is out; the buy at 10500 and the sell at 11000 are in
    expect(s2[F.buyNtl1s]).toBeCloseTo(106296 * 0.5, 9);
    expect(s2[F.sellNtl1s]).toBeCloseTo(106296 * 0.001, 9);
    expect(s2[F.buyNtl5s]).toBeNaN();
  });
});
