import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WalletConfigSchema, type WalletClassFact, WalletTracker } from '../../state/wallets.ts';

const T0 = 1_767_225_600_000;
const COINS = ['BTC', 'ETH'];

/** A trade where `taker` takes `sz` from `maker` (B: taker buys). */
function take(
  w: WalletTracker,
  coin: string,
  t: number,
  side: 'A' | 'B',
  px: number,
  sz: number,
  taker: string,
  maker: string,
) {
  return w.onTrade(coin, t, side, px, sz, side === 'B' ? [taker, maker] : [maker, taker]);
}

describe('wallet tracker: statistics', () => {
  it('keeps notional per 5-minute bucket over the hour, net direction and the position estimate', () => {
    const w = new WalletTracker(COINS);
    take(w, 'BTC', T0, 'B', 100, 2, 'a', 'mm'); // a buys 2 @100
    take(w, 'BTC', T0 + 10 * 60_000, 'A', 110, 0.5, 'a', 'mm'); // a sells 0.5 @110
    const a = w.wallet('a')!;
    expect(a.position(0)).toBe(1.5);
    expect(w.wallet('mm')!.position(0)).toBe(-1.5);
    expect(a.buyNtl).toBe(200);
    expect(a.sellNtl).toBe(55);
    expect(w.notional1h(a, T0 + 10 * 60_000)).toBe(255);
    // the first bucket ages out of the hour; the second is still in
    expect(w.notional1h(a, T0 + 61 * 60_000)).toBe(55);
    expect(w.notional1h(a, T0 + 75 * 60_000)).toBe(0);
    const r = w.ranking(T0 + 10 * 60_000, 2);
    expect(r.map((x) => x.wallet)).toEqual(['a', 'mm']);
    expect(r[0]!.netDirection).toBeCloseTo((200 - 55) / 255, 12);
    expect(r[1]!.netDirection).toBeCloseTo((55 - 200) / 255, 12);
  });

  it('measures holding times per position episode: flat → open → flat, a flip closes one and opens the next', () => {
    const w = new WalletTracker(COINS);
    take(w, 'ETH', T0, 'B', 10, 1, 'x', 'm');
    take(w, 'ETH', T0 + 5_000, 'A', 10, 1, 'x', 'm'); // flat after 5 s
    take(w, 'ETH', T0 + 8_000, 'A', 10, 2, 'x', 'm'); // short from 8 s
    take(w, 'ETH', T0 + 20_000, 'B', 10, 3, 'x', 'm'); // flip long at 20 s (short held 12 s)
    const x = w.wallet('x')!;
    expect(x.holdCount).toBe(2);
    expect(x.holdSum).toBe(5_000 + 12_000);
    expect(x.episodeStart(1)).toBe(T0 + 20_000);
    expect(x.position(1)).toBe(1);
    // the open episode counts by its age in the mean
    expect(w.meanHoldMs(x, T0 + 30_000)).toBe((17_000 + 10_000) / 3);
  });

  it('a position under flatUsd is flat; self-trades move nothing; bad trades are counted, never thrown', () => {
    const w = new WalletTracker(COINS, { flatUsd: 10 });
    take(w, 'BTC', T0, 'B', 100, 0.05, 'a', 'b'); // $5: flat
    expect(w.wallet('a')!.position(0)).toBe(0);
    expect(Number.isNaN(w.wallet('a')!.episodeStart(0))).toBe(true);
    w.onTrade('BTC', T0, 'B', 100, 1, ['s', 's']);
    expect(w.wallet('s')!.position(0)).toBe(0);
    expect(w.onTrade('BTC', T0, 'B', 100, 1, undefined)).toBe(false);
    expect(w.onTrade('BTC', T0, 'B', 100, 1, ['a'])).toBe(false);
    expect(w.onTrade('BTC', T0, 'B', -1, 1, ['a', 'b'])).toBe(false);
    expect(w.onTrade('BTC', T0, 'B', 100, Number.NaN, ['a', 'b'])).toBe(false);
    expect(w.onTrade('DOGE', T0, 'B', 100, 1, ['a', 'b'])).toBe(false);
    expect(w.onTrade('BTC', Number.NaN, 'B', 100, 1, ['a', 'b'])).toBe(false);
    expect(w.counters.badTrades).toBe(6);
    expect(w.counters.trades).toBe(2);
  });

  it('node fills replace the estimate with the venue start position', () => {
    const w = new WalletTracker(COINS);
    take(w, 'BTC', T0, 'B', 100, 1, 'a', 'b');
    w.onNodeFill('BTC', T0 + 1, 'a', 100, 2, 5); // the venue says a held 5 before this fill
    expect(w.wallet('a')!.position(0)).toBe(7);
    expect(w.onNodeFill('BTC', T0 + 2, 'a', 100, Number.NaN, 5)).toBe(false);
  });

  it('the config is strict and bounded', () => {
    expect(() => WalletConfigSchema.parse({ maxWallet: 5 })).toThrow();
    expect(() => WalletConfigSchema.parse({ maxWallets: 3 })).toThrow();
    expect(WalletConfigSchema.parse({}).maxWallets).toBe(50_000);
  });
});

/** A wallet that sells `usd` of BTC in steps over [from, to] to a rotating set of makers. */
function build(
  w: WalletTracker,
  who: string,
  from: number,
  to: number,
  usd: number,
  px: number,
  side: 'A' | 'B',
) {
  const steps = 20;
  for (let i = 0; i < steps; i++) {
    take(w, 'BTC', from + ((to - from) * i) / steps, side, px, usd / steps / px, who, `mm${i % 5}`);
  }
}

describe('wallet tracker: class rules', () => {
  const cfg = { preLookbackMs: 600_000, preMinUsd: 50_000, preMinShare: 0.04, exitWindowMs: 180_000 };

  it('pre-liquidation entry, post-cascade exit and the composite manipulator, each with its evidence', () => {
    const w = new WalletTracker(COINS, cfg);
    const facts: WalletClassFact[] = [];
    w.onFact = (f) => facts.push(f);
    // background flow: 1 M over the lookback
    for (let i = 0; i < 100; i++)
      take(w, 'BTC', T0 + i * 5_000, i % 2 ? 'A' : 'B', 100, 100, `n${i % 7}`, `n${(i + 3) % 7}`);
    const tc = T0 + 600_000;
    build(w, 'manip', tc - 300_000, tc - 10_000, 200_000, 100, 'A'); // short 200 k in the 5 min before
    build(w, 'old', T0 - 3_600_000, T0 - 3_000_000, 200_000, 100, 'A'); // short, but opened an hour before
    w.onCascade('BTC', tc, -1);
    expect(facts.map((f) => [f.wallet, f.class])).toEqual([['manip', 'pre-liquidation']]);
    expect(facts[0]!.evidence).toMatchObject({ direction: 'SHORT', positionUsd: 200_000, leadMs: 300_000 });
    // manip covers 60 % 1 min after; old covers after the exit window
    take(w, 'BTC', tc + 60_000, 'A', 95, 1_263.2, 'mm0', 'manip');
    take(w, 'BTC', tc + 200_000, 'B', 95, 2_000, 'old', 'mm1');
    expect(facts.map((f) => [f.wallet, f.class])).toEqual([
      ['manip', 'pre-liquidation'],
      ['manip', 'post-cascade-exit'],
      ['manip', 'manipulator'],
    ]);
    expect(facts[1]!.evidence).toMatchObject({ lagMs: 60_000, direction: 'SHORT' });
    expect(facts[1]!.evidence.reduced).toBeGreaterThanOrEqual(0.5);
    expect(w.wallet('old')!.classes).toBe(0);
  });

  it('a position in the other direction, too small, or opened too early is not a pre-liquidation entry', () => {
    const w = new WalletTracker(COINS, cfg);
    const tc = T0 + 600_000;
    build(w, 'long', tc - 300_000, tc - 1, 200_000, 100, 'B');
    build(w, 'small', tc - 300_000, tc - 1, 40_000, 100, 'A');
    w.onCascade('BTC', tc, -1);
    expect(w.drainFacts()).toEqual([]);
    // shorts liquidated (+1): the long is in its direction
    w.onCascade('BTC', tc + 1, 1);
    expect(w.drainFacts().map((f) => [f.wallet, f.class])).toEqual([['long', 'pre-liquidation']]);
  });

  it('an exit without a pre-entry is a post-cascade exit but not a manipulator', () => {
    const w = new WalletTracker(COINS, cfg);
    build(w, 'early', T0 - 3_600_000, T0 - 3_000_000, 200_000, 100, 'A');
    w.onCascade('BTC', T0, -1);
    take(w, 'BTC', T0 + 1_000, 'B', 100, 1_500, 'early', 'mm');
    expect(w.drainFacts().map((f) => f.class)).toEqual(['post-cascade-exit']);
  });

  it('short-hold: enough closed episodes, enough span, a short mean; a long-held wallet is not', () => {
    const w = new WalletTracker(COINS, {
      shortMinEpisodes: 10,
      shortMinSpanMs: 600_000,
      shortHoldMs: 60_000,
    });
    let t = T0;
    for (let i = 0; i < 40; i++) {
      take(w, 'ETH', t, 'B', 10, 100, 'fast', 'slow');
      take(w, 'ETH', t + 20_000, 'A', 10, 100, 'fast', `x${i}`);
      t += 30_000;
    }
    const f = w.drainFacts();
    expect(f.map((x) => [x.wallet, x.class])).toEqual([['fast', 'short-hold']]);
    // granted at the first episode close once 10 min of activity had passed
    expect(f[0]!.t).toBe(T0 + 20 * 30_000 + 20_000);
    expect(f[0]!.evidence).toMatchObject({ meanHoldMs: 20_000 });
    expect(w.wallet('slow')!.has('short-hold')).toBe(false);
  });

  it('hot-state flags: a manipulator holding a large position on the coin is active in its direction', () => {
    const w = new WalletTracker(COINS, cfg);
    const tc = T0 + 600_000;
    build(w, 'manip', tc - 300_000, tc - 10_000, 200_000, 100, 'A');
    w.onCascade('BTC', tc, -1);
    expect(w.flags('BTC', tc).active).toBe(false); // not a manipulator yet
    take(w, 'BTC', tc + 30_000, 'B', 95, 2_106, 'manip', 'mm');
    expect(w.wallet('manip')!.has('manipulator')).toBe(true);
    expect(w.flags('BTC', tc + 30_000)).toMatchObject({ active: false, direction: 0 });
    // builds long on ETH: active LONG on ETH, not on BTC
    for (let i = 0; i < 10; i++) take(w, 'ETH', tc + 60_000 + i * 1000, 'B', 10, 1_000, 'manip', 'mm');
    expect(w.flags('ETH', tc + 70_000)).toEqual({ active: true, direction: 1, count: 1, notional: 100_000 });
    expect(w.flags('BTC', tc + 70_000).active).toBe(false);
  });
});

interface Tr {
  dt: number;
  coin: 0 | 1;
  side: 'A' | 'B';
  px: number;
  sz: number;
  a: number;
  b: number;
  cascade: number;
}

const tradeArb = fc.record({
  dt: fc.integer({ min: 0, max: 20_000 }),
  coin: fc.constantFrom(0 as const, 1 as const),
  side: fc.constantFrom('A' as const, 'B' as const),
  px: fc.double({ min: 10, max: 200, noNaN: true }),
  sz: fc.double({ min: 1, max: 2_000, noNaN: true }),
  a: fc.integer({ min: 0, max: 11 }),
  b: fc.integer({ min: 0, max: 11 }),
  cascade: fc.integer({ min: 0, max: 40 }),
});

function play(trs: readonly Tr[], upTo = trs.length): { facts: WalletClassFact[]; w: WalletTracker } {
  const w = new WalletTracker(COINS, {
    preMinUsd: 20_000,
    preMinShare: 0.01,
    shortMinEpisodes: 3,
    shortMinSpanMs: 60_000,
  });
  const facts: WalletClassFact[] = [];
  w.onFact = (f) => facts.push(f);
  let t = T0;
  for (let i = 0; i < upTo; i++) {
    const x = trs[i]!;
    t += x.dt;
    if (x.cascade === 0) w.onCascade(COINS[x.coin]!, t, x.side === 'A' ? -1 : 1);
    w.onTrade(x.coin, t, x.side, x.px, x.sz, [`w${x.a}`, `w${x.b}`]);
  }
  return { facts, w };
}

describe('wallet tracker: properties', () => {
  it('no leakage: the facts up to any t are the same whether or not the stream goes on after t', () => {
    let checked = 0;
    let withFacts = 0;
    fc.assert(
      fc.property(fc.array(tradeArb, { minLength: 20, maxLength: 300 }), fc.nat(), (trs, cut) => {
        const k = 1 + (cut % trs.length);
        const full = play(trs).facts;
        const prefix = play(trs, k).facts;
        let t = T0;
        for (let i = 0; i < k; i++) t += trs[i]!.dt;
        // every fact the prefix granted is in the full run, at the same place; none of the full run's
        // facts at or before the cut's time is missing from the prefix (same time: later trades may add)
        expect(full.slice(0, prefix.length)).toEqual(prefix);
        expect(full.filter((f) => f.t < t).length).toBeLessThanOrEqual(prefix.length);
        checked++;
        if (prefix.length > 0) withFacts++;
      }),
      { numRuns: 150, seed: 18 },
    );
    console.log(
      `no-leakage property: ${checked} streams cut at a random trade, ${withFacts} with facts before the cut`,
    );
    expect(checked).toBe(150);
    expect(withFacts).toBeGreaterThan(20);
  });

  it('positions sum to zero over all wallets (every trade has a buyer and a seller) and the ranking is sorted', () => {
    let runs = 0;
    fc.assert(
      fc.property(fc.array(tradeArb, { minLength: 1, maxLength: 200 }), (trs) => {
        const { w } = play(trs);
        const r = w.ranking(T0 + 3_600_000, 100);
        for (let i = 1; i < r.length; i++)
          expect(r[i - 1]!.notional1h).toBeGreaterThanOrEqual(r[i]!.notional1h);
        for (let ci = 0; ci < 2; ci++) {
          let sum = 0;
          let gross = 0;
          for (let k = 0; k < 12; k++) {
            const e = w.wallet(`w${k}`);
            if (e) {
              sum += e.position(ci);
              gross += Math.abs(e.position(ci));
            }
          }
          // positions under flatUsd are zeroed, so the sum is within that per wallet
          expect(Math.abs(sum)).toBeLessThanOrEqual(12 * (10 / 10) + 1e-9 * gross);
        }
        runs++;
      }),
      { numRuns: 200, seed: 181 },
    );
    console.log(`position-balance property: ${runs} random streams`);
    expect(runs).toBe(200);
  });

  it('bounded memory: a million distinct wallets never hold more than the cap', () => {
    const cap = 20_000;
    const w = new WalletTracker(['BTC'], { maxWallets: cap });
    const heap0 = process.memoryUsage().heapUsed;
    let maxSize = 0;
    // a persistent whale keeps trading; the long tail trades once each
    for (let i = 0; i < 500_000; i++) {
      const t = T0 + i * 10;
      w.onTrade(0, t, 'B', 100, 1 + (i % 3), [`tail${2 * i}`, `tail${2 * i + 1}`]);
      if (i % 50 === 0) w.onTrade(0, t, 'A', 100, 50, ['whale-mm', 'whale']);
      if (w.size > maxSize) maxSize = w.size;
    }
    const heapMb = (process.memoryUsage().heapUsed - heap0) / 1e6;
    console.log(
      `bounded memory: 1 000 000 distinct tail wallets + 2 whales, cap ${cap}: peak ${w.counters.peakWallets}, evicted ${w.counters.evicted}, heap growth ${heapMb.toFixed(1)} MB`,
    );
    expect(maxSize).toBeLessThanOrEqual(cap);
    expect(w.counters.peakWallets).toBe(cap);
    expect(w.counters.evicted).toBeGreaterThanOrEqual(1_000_002 - cap);
    // the heavy wallet survives every eviction and stays on top
    expect(w.wallet('whale')).toBeDefined();
    expect(w.ranking(T0 + 5_000_000, 1)[0]!.wallet).toMatch(/^whale/);
  });
});
