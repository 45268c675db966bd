/**
 * The performance figures against values computed by hand on small equity curves and trade lists (the
 * arithmetic is written beside each expectation).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeMetrics,
  DAY_MS,
  type EquityPoint,
  type FillFact,
  type FundingFact,
  type Holding,
  heldTime,
  maxDrawdown,
  realisedCurve,
  returnsOf,
  type TradeFact,
  tradeFigures,
} from '../../research/metrics.ts';

const H = 3_600_000;

/** 100 → 110 → 99 → 121, one a day. */
const curve: EquityPoint[] = [
  { time: 0, equity: 100 },
  { time: DAY_MS, equity: 110 },
  { time: 2 * DAY_MS, equity: 99 },
  { time: 3 * DAY_MS, equity: 121 },
];

const trade = (
  coin: string,
  strategy: string,
  regime: string,
  pnl: number,
  fees = 0,
  funding = 0,
): TradeFact => ({
  coin,
  strategy,
  regime,
  openTime: 0,
  closeTime: H,
  pnl,
  fees,
  funding,
});

const trades: TradeFact[] = [
  trade('BTC', 'a', 'SIDEWAYS', 30, 1, 0.5),
  trade('ETH', 'a', 'EXPANSION', -10, 1, 0),
  trade('BTC', 'b', 'EXPANSION', 20, 0.5, 0),
  trade('ETH', 'b', 'SIDEWAYS', -5, 0.5, 0),
];

const fill = (coin: string, strategy: string, regime: string, notional: number, fee: number): FillFact => ({
  time: 0,
  coin,
  strategy,
  regime,
  notional,
  fee,
});

const fills: FillFact[] = [
  fill('BTC', 'a', 'SIDEWAYS', 1000, 0.45),
  fill('BTC', 'a', 'SIDEWAYS', 1000, 0.45),
  fill('ETH', 'b', 'EXPANSION', 500, 0.15),
  fill('ETH', 'b', 'SIDEWAYS', 500, 0.15),
];

const funding: FundingFact[] = [
  { time: H, coin: 'BTC', strategy: 'a', regime: 'SIDEWAYS', usdc: 1.5 },
  { time: 2 * H, coin: 'ETH', strategy: 'b', regime: 'EXPANSION', usdc: -0.5 },
];

/** BTC 0–1 d (50), ETH 0.5–1.5 d (100), SOL 2–2.5 d (20). */
const holdings: Holding[] = [
  { coin: 'BTC', openTime: 0, closeTime: DAY_MS, notional: 50 },
  { coin: 'ETH', openTime: 0.5 * DAY_MS, closeTime: 1.5 * DAY_MS, notional: 100 },
  { coin: 'SOL', openTime: 2 * DAY_MS, closeTime: 2.5 * DAY_MS, notional: -20 },
];

describe('equity-curve figures', () => {
  const m = computeMetrics({ equity: curve, trades, fills, funding, holdings });
  // returns: 110/100 − 1 = 0.1, 99/110 − 1 = −0.1, 121/99 − 1 = 2/9
  const r = [0.1, -0.1, 2 / 9];
  const mean = (0.1 - 0.1 + 2 / 9) / 3; // = 2/27
  // sample variance: Σ (r − mean)² / (3 − 1); deviations 0.7/27, −4.7/27, 4/27
  const sd = Math.sqrt((0.7 ** 2 + 4.7 ** 2 + 4 ** 2) / 27 ** 2 / 2);
  // one sample a day: 365 periods a year
  const perYear = 365;

  it('returns, total and annualised', () => {
    expect(returnsOf(curve)).toEqual([
      expect.closeTo(r[0]!, 12),
      expect.closeTo(r[1]!, 12),
      expect.closeTo(r[2]!, 12),
    ]);
    expect(m.totalReturn).toBeCloseTo(0.21, 12); // 121 / 100 − 1
    expect(m.days).toBe(3);
    expect(m.periodMs).toBe(DAY_MS); // 3 days / 3 steps
    // (1 + 0.21)^(365 / 3) − 1
    expect(m.annualisedReturn! / (1.21 ** (365 / 3) - 1)).toBeCloseTo(1, 12);
    expect(m.startEquity).toBe(100);
    expect(m.endEquity).toBe(121);
  });

  it('volatility, Sharpe, Sortino', () => {
    expect(sd).toBeCloseTo(0.162668, 5);
    expect(m.volatility).toBeCloseTo(sd * Math.sqrt(perYear), 10);
    expect(m.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(perYear), 10); // 0.4554 × 19.105 = 8.70
    expect(m.sharpe).toBeCloseTo(8.6997, 3);
    // downside deviation: √((0² + 0.1² + 0²) / 3) = √(1/300)
    const downside = Math.sqrt(0.01 / 3);
    expect(m.sortino).toBeCloseTo((mean / downside) * Math.sqrt(perYear), 10);
  });

  it('max drawdown, its duration, Calmar', () => {
    // peak 110 (day 1) → trough 99 (day 2): 11 / 110 = 10 %; back above 110 on day 3: 2 days
    expect(m.drawdown).toEqual({
      max: expect.closeTo(0.1, 12),
      peakTime: DAY_MS,
      troughTime: 2 * DAY_MS,
      durationMs: 2 * DAY_MS,
      recovered: true,
    });
    expect(m.calmar! / ((1.21 ** (365 / 3) - 1) / 0.1)).toBeCloseTo(1, 12);
  });

  it('a drawdown that does not recover lasts to the end of the curve', () => {
    // 100 → 90 (−10 %) → 95 → 80 (−20 % of 100) → 85: never back at 100; 4 h from the peak at 0
    const dd = maxDrawdown([100, 90, 95, 80, 85].map((equity, i) => ({ time: i * H, equity })));
    expect(dd).toEqual({
      max: expect.closeTo(0.2, 12),
      peakTime: 0,
      troughTime: 3 * H,
      durationMs: 4 * H,
      recovered: false,
    });
  });

  it('exposure, leverage, turnover, trades per day', () => {
    // union of the holdings: 0–1.5 d and 2–2.5 d = 2 days of 3
    expect(m.exposure).toBeCloseTo(2 / 3, 12);
    // Σ |notional| × time held: 50 × 1 d + 100 × 1 d + 20 × 0.5 d = 160 usd·d; over 3 d and mean equity 107.5
    expect(heldTime(holdings, 0, 3 * DAY_MS)).toEqual({ any: 2 * DAY_MS, notionalTime: 160 * DAY_MS });
    expect(m.leverage).toBeCloseTo(160 / 3 / 107.5, 12);
    // traded notional 1000 + 1000 + 500 + 500 = 3000 over the mean equity (100 + 110 + 99 + 121) / 4 = 107.5
    expect(m.tradedNotional).toBe(3000);
    expect(m.turnover).toBeCloseTo(3000 / 107.5, 12);
    expect(m.tradesPerDay).toBeCloseTo(4 / 3, 12);
  });

  it('a holding cut by the curve span counts only inside it', () => {
    // held from −1 h to 2 h and 1 h to 5 h, the curve spans 0–4 h: 0–4 h in the market
    const h = heldTime(
      [
        { coin: 'BTC', openTime: -H, closeTime: 2 * H, notional: 10 },
        { coin: 'ETH', openTime: H, closeTime: 5 * H, notional: 1 },
      ],
      0,
      4 * H,
    );
    expect(h).toEqual({ any: 4 * H, notionalTime: 10 * 2 * H + 1 * 3 * H });
  });

  it('a flat or too-short curve has no Sharpe, Sortino or Calmar (null, not NaN)', () => {
    const flat = computeMetrics({
      equity: [0, 1, 2].map((i) => ({ time: i * H, equity: 100 })),
      trades: [],
      fills: [],
      funding: [],
      holdings: [],
    });
    expect([flat.sharpe, flat.sortino, flat.calmar, flat.totalReturn]).toEqual([null, null, null, 0]);
    expect(flat.drawdown.max).toBe(0);
    const empty = computeMetrics({ equity: [], trades: [], fills: [], funding: [], holdings: [] });
    expect([empty.totalReturn, empty.volatility, empty.exposure, empty.tradesPerDay, empty.winRate]).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(JSON.stringify(empty)).not.toMatch(/NaN|Infinity/);
  });
});

describe('trade figures and their splits', () => {
  const m = computeMetrics({ equity: curve, trades, fills, funding, holdings });

  it('the whole run', () => {
    // +30, −10, +20, −5
    expect(tradeFigures(trades, fills, funding)).toEqual({
      trades: 4,
      wins: 2,
      losses: 2,
      winRate: 0.5,
      pnl: 35,
      grossProfit: 50,
      grossLoss: -15,
      profitFactor: 50 / 15,
      expectancy: 35 / 4,
      avgWinner: 25,
      avgLoser: -7.5,
      maxWinner: 30,
      maxLoser: -10,
      fills: 4,
      tradedNotional: 3000,
      fees: expect.closeTo(0.45 + 0.45 + 0.15 + 0.15, 12),
      funding: 1, // 1.5 paid − 0.5 received
    });
    expect(m.trades).toBe(4);
    expect(m.profitFactor).toBeCloseTo(3.3333, 4);
  });

  it('by strategy', () => {
    // a: +30, −10 (PF 3); b: +20, −5 (PF 4)
    expect(m.split.strategy.a).toMatchObject({
      trades: 2,
      wins: 1,
      pnl: 20,
      profitFactor: 3,
      expectancy: 10,
    });
    expect(m.split.strategy.b).toMatchObject({
      trades: 2,
      wins: 1,
      pnl: 15,
      profitFactor: 4,
      expectancy: 7.5,
    });
    // fees: a's two BTC fills 0.9; b's ETH fills 0.3. funding: a 1.5, b −0.5
    expect(m.split.strategy.a!.fees).toBeCloseTo(0.9, 12);
    expect(m.split.strategy.b!.fees).toBeCloseTo(0.3, 12);
    expect([m.split.strategy.a!.funding, m.split.strategy.b!.funding]).toEqual([1.5, -0.5]);
  });

  it('by coin: no loser means no profit factor', () => {
    // BTC: +30, +20 — no loser; ETH: −10, −5 — no winner
    expect(m.split.coin.BTC).toMatchObject({
      trades: 2,
      wins: 2,
      winRate: 1,
      pnl: 50,
      profitFactor: null,
      avgWinner: 25,
      avgLoser: null,
      maxWinner: 30,
      maxLoser: null,
      tradedNotional: 2000,
    });
    expect(m.split.coin.ETH).toMatchObject({
      trades: 2,
      wins: 0,
      winRate: 0,
      pnl: -15,
      profitFactor: 0,
      avgLoser: -7.5,
      maxLoser: -10,
      maxWinner: null,
      tradedNotional: 1000,
    });
  });

  it('by regime', () => {
    // SIDEWAYS: +30 (BTC a), −5 (ETH b); EXPANSION: −10 (ETH a), +20 (BTC b)
    expect(Object.keys(m.split.regime)).toEqual(['EXPANSION', 'SIDEWAYS']);
    expect(m.split.regime.SIDEWAYS).toMatchObject({
      trades: 2,
      pnl: 25,
      profitFactor: 6,
      funding: 1.5,
      fills: 3,
    });
    expect(m.split.regime.EXPANSION).toMatchObject({
      trades: 2,
      pnl: 10,
      profitFactor: 2,
      funding: -0.5,
      fills: 1,
    });
  });

  it('a trade at exactly zero is a loser (a winner is PnL > 0)', () => {
    const f = tradeFigures([trade('BTC', 'a', 'X', 0), trade('BTC', 'a', 'X', 4)], [], []);
    expect(f).toMatchObject({
      wins: 1,
      losses: 1,
      winRate: 0.5,
      profitFactor: null,
      avgLoser: 0,
      maxLoser: 0,
    });
  });
});

describe('each split’s realised curve and its figures', () => {
  // a: +30 closes at 0.5 d, −10 at 1.5 d; b: +20 and −5 both at 2.5 d; samples at 0, 1, 2, 3 d from 100
  const closing = (t: TradeFact, closeTime: number): TradeFact => ({ ...t, closeTime });
  const split = [
    closing(trades[0]!, 0.5 * DAY_MS),
    closing(trades[1]!, 1.5 * DAY_MS),
    closing(trades[2]!, 2.5 * DAY_MS),
    closing(trades[3]!, 2.5 * DAY_MS),
  ];
  const m = computeMetrics({ equity: curve, trades: split, fills, funding, holdings });

  it('the curve: start equity + the net PnL closed by each sample', () => {
    expect(realisedCurve(curve, split.slice(0, 2)).map((p) => p.equity)).toEqual([100, 130, 120, 120]);
    expect(realisedCurve(curve, split.slice(2)).map((p) => p.equity)).toEqual([100, 100, 100, 115]);
  });

  it('strategy a: 100 → 130 → 120 → 120', () => {
    const a = m.split.strategy.a!;
    // returns 0.3, −10/130, 0; mean and sample sd by hand; no recovery of the 130 peak (2 days to the end)
    const r = [0.3, -10 / 130, 0];
    const mean = (r[0]! + r[1]! + r[2]!) / 3;
    const sd = Math.sqrt(r.reduce((acc, x) => acc + (x - mean) ** 2, 0) / 2);
    expect(a.totalReturn).toBeCloseTo(0.2, 12);
    expect(a.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(365), 10);
    // downside: √((10/130)² / 3)
    expect(a.sortino).toBeCloseTo((mean / Math.sqrt((10 / 130) ** 2 / 3)) * Math.sqrt(365), 10);
    expect(a.drawdown).toEqual({
      max: expect.closeTo(10 / 130, 12),
      peakTime: DAY_MS,
      troughTime: 2 * DAY_MS,
      durationMs: 2 * DAY_MS,
      recovered: false,
    });
    expect(a.tradesPerDay).toBeCloseTo(2 / 3, 12);
  });

  it('strategy b: 100 → 100 → 100 → 115, no losing period: no Sortino, no drawdown', () => {
    const b = m.split.strategy.b!;
    // returns 0, 0, 0.15: mean 0.05, sample sd √((0.05² + 0.05² + 0.1²) / 2) = √0.0075
    expect(b.totalReturn).toBeCloseTo(0.15, 12);
    expect(b.sharpe).toBeCloseTo((0.05 / Math.sqrt(0.0075)) * Math.sqrt(365), 10);
    expect(b.sortino).toBeNull();
    expect(b.calmar).toBeNull();
    expect(b.drawdown.max).toBe(0);
  });

  it('coin ETH: two losers, 100 → 100 → 90 → 85', () => {
    // ETH: −10 at 1.5 d (a), −5 at 2.5 d (b)
    expect(m.split.coin.ETH!.totalReturn).toBeCloseTo(-0.15, 12);
    expect(m.split.coin.ETH!.drawdown).toMatchObject({
      max: expect.closeTo(0.15, 12),
      peakTime: 0,
      recovered: false,
    });
  });
});

describe('drawdown and time in the market against brute force (property)', () => {
  it('max drawdown: the largest (e_i − e_j) / e_i over every i ≤ j; recovered iff the curve is back at its peak', () => {
    const reach = { curves: 0, withDrawdown: 0, notRecovered: 0, recovered: 0 };
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 40 }), (values) => {
        const eq = values.map((equity, i) => ({ time: i * H, equity }));
        let brute = 0;
        for (let i = 0; i < values.length; i++)
          for (let j = i; j < values.length; j++)
            brute = Math.max(brute, (values[i]! - values[j]!) / values[i]!);
        const dd = maxDrawdown(eq);
        reach.curves++;
        expect(dd.max).toBeCloseTo(brute, 12);
        if (dd.max === 0) {
          expect(dd).toMatchObject({ peakTime: null, troughTime: null, durationMs: 0, recovered: true });
          return;
        }
        reach.withDrawdown++;
        const peak = eq.find((p) => p.time === dd.peakTime)!;
        const trough = eq.find((p) => p.time === dd.troughTime)!;
        expect((peak.equity - trough.equity) / peak.equity).toBeCloseTo(dd.max, 12);
        const back = eq.some((p) => p.time > trough.time && p.equity >= peak.equity);
        expect(dd.recovered).toBe(back);
        if (back) reach.recovered++;
        else reach.notRecovered++;
        expect(dd.durationMs).toBeGreaterThan(trough.time - peak.time - 1);
        if (!back) expect(dd.durationMs).toBe(eq[eq.length - 1]!.time - peak.time);
      }),
      { numRuns: 400, seed: 19 },
    );
    console.log(`max drawdown property: ${JSON.stringify(reach)}`);
    expect(reach.withDrawdown).toBeGreaterThan(100);
    expect(reach.recovered).toBeGreaterThan(20);
    expect(reach.notRecovered).toBeGreaterThan(20);
  });

  it('heldTime: the union and Σ notional × time, counted unit by unit on integer intervals', () => {
    const reach = { cases: 0, overlapping: 0, cutByTheSpan: 0 };
    const interval = fc
      .tuple(
        fc.integer({ min: -10, max: 60 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: -50, max: 50 }),
      )
      .map(([a, len, n]) => ({ coin: 'X', openTime: a, closeTime: a + len, notional: n }));
    fc.assert(
      fc.property(
        fc.array(interval, { maxLength: 12 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 20, max: 60 }),
        (hs, from, to) => {
          reach.cases++;
          let any = 0;
          let notionalTime = 0;
          for (let k = from; k < to; k++) {
            const inside = hs.filter((h) => h.openTime <= k && k + 1 <= h.closeTime);
            if (inside.length > 0) any++;
            if (inside.length > 1) reach.overlapping++;
            notionalTime += inside.reduce((a, h) => a + Math.abs(h.notional), 0);
          }
          if (hs.some((h) => h.openTime < from || h.closeTime > to)) reach.cutByTheSpan++;
          expect(heldTime(hs, from, to)).toEqual({ any, notionalTime });
        },
      ),
      { numRuns: 400, seed: 19 },
    );
    console.log(`heldTime property: ${JSON.stringify(reach)}`);
    expect(reach.overlapping).toBeGreaterThan(100);
    expect(reach.cutByTheSpan).toBeGreaterThan(100);
  });
});
