import { describe, expect, it } from 'vitest';
import {
  checkCoinExposure,
  checkCoinFree,
  checkHealth,
  checkLease,
  checkRate,
  checkStale,
  checkTotalExposure,
  checkTradingState,
  checkVenueRules,
  evaluateEntry,
  type EntryCheckInput,
  fullBucket,
  refill,
  sizeEntry,
  takeToken,
} from '../../actors/execution/risk.ts';
import { DAY_MS, dailyLossBreached, initialContext } from '../../machines/execution.core.ts';
import { DEFAULT_EXECUTION_CONFIG, type ExecutionConfig } from '../../machines/execution.types.ts';
import { entry } from './helpers.ts';

const cfg: ExecutionConfig = { ...DEFAULT_EXECUTION_CONFIG, assets: { ETH: { szDecimals: 2 } } };
const code = (v: { ok: boolean; code?: string }) => (v.ok ? 'OK' : v.code);

describe('risk checks: each denies with its code and allows', () => {
  it('HEALTH', () => {
    expect(code(checkHealth('HEALTHY'))).toBe('OK');
    for (const h of ['DEGRADED', 'HALTED', 'WARMING'] as const) expect(code(checkHealth(h))).toBe('HEALTH');
  });
  it('STALE', () => {
    expect(code(checkStale(false))).toBe('OK');
    expect(code(checkStale(true))).toBe('STALE');
  });
  it('TRADING_STATE: HALTED nothing new, REDUCING only exposure-reducing', () => {
    expect(code(checkTradingState('ACTIVE', false))).toBe('OK');
    expect(code(checkTradingState('REDUCING', false))).toBe('TRADING_STATE');
    expect(code(checkTradingState('REDUCING', true))).toBe('OK');
    expect(code(checkTradingState('HALTED', false))).toBe('TRADING_STATE');
    expect(code(checkTradingState('HALTED', true))).toBe('TRADING_STATE');
  });
  it('NO_LEASE', () => {
    expect(code(checkLease('geometry', 'geometry', 'ETH'))).toBe('OK');
    expect(code(checkLease('cascade', 'geometry', 'ETH'))).toBe('NO_LEASE');
    expect(code(checkLease(null, 'geometry', 'ETH'))).toBe('NO_LEASE');
  });
  it('COIN_BUSY', () => {
    expect(code(checkCoinFree(null))).toBe('OK');
    expect(code(checkCoinFree('ETH has a position'))).toBe('COIN_BUSY');
  });
  it('COIN_EXPOSURE: per-coin notional ≤ 20 % of equity', () => {
    expect(code(checkCoinExposure('ETH', 0, 2_000, 10_000, cfg))).toBe('OK');
    expect(code(checkCoinExposure('ETH', 1_500, 500, 10_000, cfg))).toBe('OK');
    expect(code(checkCoinExposure('ETH', 1_500, 501, 10_000, cfg))).toBe('COIN_EXPOSURE');
  });
  it('TOTAL_EXPOSURE: total ≤ 1 × equity', () => {
    expect(code(checkTotalExposure(8_000, 2_000, 10_000, cfg))).toBe('OK');
    expect(code(checkTotalExposure(8_000, 2_001, 10_000, cfg))).toBe('TOTAL_EXPOSURE');
  });
  it('VENUE_RULES: 5 significant figures, szDecimals, $10 minimum', () => {
    const o = { coin: 'ETH', size: 0.5, limitPx: 2000.5, reduceOnly: false };
    expect(code(checkVenueRules(o, 2, 10))).toBe('OK');
    expect(code(checkVenueRules({ ...o, limitPx: 2000.55 }, 2, 10))).toBe('VENUE_RULES');
    expect(code(checkVenueRules({ ...o, size: 0.505 }, 2, 10))).toBe('VENUE_RULES');
    expect(code(checkVenueRules({ ...o, size: 0.004 }, 2, 10))).toBe('VENUE_RULES');
    expect(code(checkVenueRules({ ...o, limitPx: 19, size: 0.5 }, 2, 10))).toBe('VENUE_RULES'); // $9.5
    expect(code(checkVenueRules({ ...o, limitPx: 19, size: 0.5, reduceOnly: true }, 2, 10))).toBe('OK');
    expect(code(checkVenueRules(o, undefined, 10))).toBe('VENUE_RULES');
  });
  it('RATE: token bucket on the clock', () => {
    const c = { ...cfg, rateBurst: 2, ordersPerMinute: 60 };
    let b = fullBucket(0, c);
    expect(code(checkRate(b, 0, c))).toBe('OK');
    b = takeToken(b, 0, c);
    b = takeToken(b, 0, c);
    expect(code(checkRate(b, 0, c))).toBe('RATE');
    expect(code(checkRate(b, 999, c))).toBe('RATE');
    expect(code(checkRate(b, 1_000, c))).toBe('OK'); // one token per second
    expect(checkRate(b, 500, c)).toMatchObject({
      ok: false,
      detail: expect.stringContaining('next in 500 ms'),
    });
  });
});

describe('SIZING: (entry − stop) × size = 0.5 % of equity, capped; bad stop/target denied', () => {
  const base = {
    intent: { coin: 'ETH', side: 'LONG' as const, stop: 95, target: 110, sizeFraction: 0 },
    entryPx: 100,
    mid: 99.95,
    equity: 10_000,
    szDecimals: 2,
    coinNotional: 0,
    totalExposure: 0,
    cfg: { ...cfg, capSizeToLimits: true },
  };
  it('risk size from the stop distance', () => {
    // 0.005 × 10 000 = 50 USD risk; 50 / (100 − 95) = 10; notional 1000 ≤ 2000 (20 %)
    expect(sizeEntry(base)).toMatchObject({ ok: true, size: 10 });
    // SHORT mirror: stop 105 above, target 90 below, entry 100 → 10
    expect(
      sizeEntry({ ...base, intent: { ...base.intent, side: 'SHORT', stop: 105, target: 90 } }),
    ).toMatchObject({ ok: true, size: 10 });
  });
  it('capped by the coin limit, the total limit and the strategy sizeFraction', () => {
    // stop 1 away → 50 units = 5000 notional; coin cap 2000 → 20
    expect(sizeEntry({ ...base, intent: { ...base.intent, stop: 99 }, mid: 99.5 })).toMatchObject({
      ok: true,
      size: 20,
    });
    expect(
      sizeEntry({ ...base, intent: { ...base.intent, stop: 99 }, mid: 99.5, totalExposure: 9_500 }),
    ).toMatchObject({
      ok: true,
      size: 5,
    });
    expect(sizeEntry({ ...base, intent: { ...base.intent, sizeFraction: 0.05 } })).toMatchObject({
      ok: true,
      size: 5,
    });
  });
  it('no room → COIN_EXPOSURE / TOTAL_EXPOSURE; without capping an oversize is denied', () => {
    expect(sizeEntry({ ...base, coinNotional: 1_995 })).toMatchObject({ ok: false, code: 'COIN_EXPOSURE' });
    expect(sizeEntry({ ...base, totalExposure: 9_995 })).toMatchObject({ ok: false, code: 'TOTAL_EXPOSURE' });
    const x: EntryCheckInput = {
      intent: entry('ETH', 'LONG', 99, 110),
      ctx: { health: 'HEALTHY', stale: false, leaseHolder: 'geometry' },
      trading: 'ACTIVE',
      busy: null,
      market: {
        bids: [{ px: 99.9, sz: 100 }],
        asks: [{ px: 100, sz: 100 }],
        mark: 99.95,
        funding: 0,
        time: 1,
      },
      equity: 10_000,
      coinNotional: 0,
      totalExposure: 0,
      bucket: fullBucket(0, cfg),
      now: 0,
      cfg: { ...cfg, capSizeToLimits: false },
    };
    expect(evaluateEntry(x)).toMatchObject({ ok: false, code: 'COIN_EXPOSURE' });
    expect(
      evaluateEntry({ ...x, cfg: { ...x.cfg, maxCoinNotionalFraction: 1 }, totalExposure: 6_000 }),
    ).toMatchObject({
      ok: false,
      code: 'TOTAL_EXPOSURE',
    });
  });
  it('missing or invalid stop / target / equity / sizeFraction', () => {
    for (const intent of [
      { ...base.intent, stop: Number.NaN },
      { ...base.intent, stop: 0 },
      { ...base.intent, target: Number.NaN },
      { ...base.intent, stop: 101, target: 110 }, // stop above mid for a long
      { ...base.intent, stop: 95, target: 99 }, // target below mid for a long
      { ...base.intent, sizeFraction: -1 },
    ])
      expect(sizeEntry({ ...base, intent })).toMatchObject({ ok: false, code: 'SIZING' });
    expect(sizeEntry({ ...base, equity: 0 })).toMatchObject({ ok: false, code: 'SIZING' });
  });
});

describe('evaluateEntry: the checks in order, first denial wins; the order obeys the venue', () => {
  const x: EntryCheckInput = {
    intent: entry('ETH', 'LONG', 95, 110),
    ctx: { health: 'HEALTHY', stale: false, leaseHolder: 'geometry' },
    trading: 'ACTIVE',
    busy: null,
    market: { bids: [{ px: 99.9, sz: 100 }], asks: [{ px: 100, sz: 100 }], mark: 99.95, funding: 0, time: 1 },
    equity: 10_000,
    coinNotional: 0,
    totalExposure: 0,
    bucket: fullBucket(0, cfg),
    now: 0,
    cfg,
  };
  it('allows: IOC buy through the ask by 10 bps, size from the stop', () => {
    const v = evaluateEntry(x);
    // limit 100 × 1.001 = 100.1; 50 / (100.1 − 95) = 9.8039… → 9.8
    expect(v).toMatchObject({
      ok: true,
      order: { side: 'BUY', limitPx: 100.1, size: 9.8, tif: 'Ioc', reduceOnly: false },
    });
  });
  it('denies in order', () => {
    expect(evaluateEntry({ ...x, ctx: { ...x.ctx, health: 'DEGRADED', stale: true } })).toMatchObject({
      code: 'HEALTH',
    });
    expect(evaluateEntry({ ...x, ctx: { ...x.ctx, stale: true } })).toMatchObject({ code: 'STALE' });
    expect(evaluateEntry({ ...x, trading: 'REDUCING' })).toMatchObject({ code: 'TRADING_STATE' });
    expect(evaluateEntry({ ...x, ctx: { ...x.ctx, leaseHolder: 'kinematics' } })).toMatchObject({
      code: 'NO_LEASE',
    });
    expect(evaluateEntry({ ...x, busy: 'ETH has an order' })).toMatchObject({ code: 'COIN_BUSY' });
    expect(evaluateEntry({ ...x, market: null })).toMatchObject({ code: 'NO_PRICE' });
    expect(evaluateEntry({ ...x, intent: { ...x.intent, stop: Number.NaN } })).toMatchObject({
      code: 'SIZING',
    });
    expect(evaluateEntry({ ...x, equity: 10 })).toMatchObject({ code: 'VENUE_RULES' }); // $0.05 risk → below $10
    expect(evaluateEntry({ ...x, intent: { ...x.intent, coin: 'DOGE' } })).toMatchObject({
      code: 'VENUE_RULES',
    });
    let b = fullBucket(0, cfg);
    for (let i = 0; i < cfg.rateBurst; i++) b = takeToken(b, 0, cfg);
    expect(evaluateEntry({ ...x, bucket: b })).toMatchObject({ code: 'RATE' });
  });
});

// ---------------------------------------------------------------- boundaries, SHORT side, the caps

describe('risk boundaries (RULEBOOK "Risk"): at the limit passes, just beyond is denied', () => {
  it('per coin: notional exactly 20 % of equity passes, a cent more is denied; the detail has the numbers', () => {
    expect(code(checkCoinExposure('ETH', 0, 2_000, 10_000, cfg))).toBe('OK');
    expect(code(checkCoinExposure('ETH', 1_999.99, 0.01, 10_000, cfg))).toBe('OK');
    expect(code(checkCoinExposure('ETH', 0, 2_000.01, 10_000, cfg))).toBe('COIN_EXPOSURE');
    expect(code(checkCoinExposure('ETH', 2_000.01, 0, 10_000, cfg))).toBe('COIN_EXPOSURE');
    expect(checkCoinExposure('ETH', 1_500, 600, 10_000, cfg)).toEqual({
      ok: false,
      code: 'COIN_EXPOSURE',
      detail: 'ETH notional 2100.00 > 0.2 × equity 10000.00 = 2000.00',
    });
  });
  it('total: exposure exactly 1 × equity passes, a cent more is denied', () => {
    expect(code(checkTotalExposure(0, 10_000, 10_000, cfg))).toBe('OK');
    expect(code(checkTotalExposure(9_999.99, 0.01, 10_000, cfg))).toBe('OK');
    expect(code(checkTotalExposure(10_000, 0.01, 10_000, cfg))).toBe('TOTAL_EXPOSURE');
    expect(code(checkTotalExposure(10_000.01, 0, 10_000, cfg))).toBe('TOTAL_EXPOSURE');
    expect(checkTotalExposure(9_000, 1_500, 10_000, cfg)).toEqual({
      ok: false,
      code: 'TOTAL_EXPOSURE',
      detail: 'total exposure 10500.00 > 1 × equity 10000.00 = 10000.00',
    });
  });
  it('min notional: exactly 10 USD passes, below is denied; a reduce-only close is exempt', () => {
    const o = { coin: 'ETH', size: 0.1, limitPx: 100, reduceOnly: false };
    expect(code(checkVenueRules(o, 2, 10))).toBe('OK'); // 10.00
    expect(code(checkVenueRules({ ...o, limitPx: 99.99 }, 2, 10))).toBe('VENUE_RULES'); // 9.999
    expect(code(checkVenueRules({ ...o, limitPx: 99.99, reduceOnly: true }, 2, 10))).toBe('OK');
    expect(code(checkVenueRules({ ...o, size: 0.01, reduceOnly: true }, 2, 10))).toBe('OK'); // $1 close
  });
  it('health: only HEALTHY passes; the detail names the level', () => {
    expect(checkHealth('WARMING')).toEqual({ ok: false, code: 'HEALTH', detail: 'health is WARMING' });
  });
  it('lease: the detail says who holds it', () => {
    expect(checkLease(null, 'geometry', 'ETH')).toEqual({
      ok: false,
      code: 'NO_LEASE',
      detail: 'ETH lease is held by nobody, not geometry',
    });
  });
});

describe('RATE: the token bucket refills at ordersPerMinute, never above the burst', () => {
  const c = { ...cfg, rateBurst: 3, ordersPerMinute: 60 }; // one token a second
  const spend = (n: number, at: number) => {
    let b = fullBucket(0, c);
    for (let i = 0; i < n; i++) b = takeToken(b, at, c);
    return b;
  };
  it('a full bucket holds exactly the burst', () => {
    const b = fullBucket(5, c);
    expect(b).toEqual({ tokens: 3, at: 5 });
    expect(refill(b, 3_600_000, c)).toEqual({ tokens: 3, at: 3_600_000 });
  });
  it('refills linearly with time', () => {
    const b = spend(3, 0);
    expect(b.tokens).toBe(0);
    expect(refill(b, 500, c)).toEqual({ tokens: 0.5, at: 500 });
    expect(refill(b, 2_000, c)).toEqual({ tokens: 2, at: 2_000 });
    expect(refill({ tokens: 0, at: 0 }, 1_000, { ...c, ordersPerMinute: 120 })).toEqual({
      tokens: 2,
      at: 1_000,
    });
  });
  it('a long idle spell refills to the burst, not beyond: burst + 1 orders at once are refused', () => {
    let b = spend(3, 0);
    for (let i = 0; i < 3; i++) {
      expect(code(checkRate(b, 3_600_000, c)), `order ${i}`).toBe('OK');
      b = takeToken(b, 3_600_000, c);
    }
    expect(code(checkRate(b, 3_600_000, c))).toBe('RATE');
  });
  it('time going backwards never adds tokens (nor takes any)', () => {
    const b = { tokens: 1, at: 10_000 };
    expect(refill(b, 5_000, c)).toEqual({ tokens: 1, at: 10_000 });
    expect(takeToken(b, 5_000, c)).toEqual({ tokens: 0, at: 10_000 });
  });
  it('an emergency close borrows: tokens go negative and the wait grows', () => {
    const b = spend(4, 0);
    expect(b.tokens).toBe(-1);
    expect(checkRate(b, 0, c)).toEqual({
      ok: false,
      code: 'RATE',
      detail: 'order budget spent (-1.00 tokens); next in 2000 ms',
    });
    expect(code(checkRate(b, 1_999, c))).toBe('RATE');
    expect(code(checkRate(b, 2_000, c))).toBe('OK');
  });
  it('takeToken refills first, then spends one', () => {
    expect(takeToken({ tokens: 0, at: 0 }, 1_500, c)).toEqual({ tokens: 0.5, at: 1_500 });
  });
});

describe('SIZING: the strategy cap and the limits only ever lower the risk size', () => {
  const base = {
    intent: { coin: 'ETH', side: 'LONG' as const, stop: 95, target: 110, sizeFraction: 0 },
    entryPx: 100,
    mid: 99.95,
    equity: 10_000,
    szDecimals: 2,
    coinNotional: 0,
    totalExposure: 0,
    cfg: { ...cfg, capSizeToLimits: true },
  };
  it('a sizeFraction cap above the risk size leaves the risk size (never raises it)', () => {
    // risk size 10; cap 0.5 × 10 000 / 100 = 50 units
    expect(sizeEntry({ ...base, intent: { ...base.intent, sizeFraction: 0.5 } })).toMatchObject({
      ok: true,
      size: 10,
    });
    // exactly at the risk size: 0.1 × 10 000 / 100 = 10
    expect(sizeEntry({ ...base, intent: { ...base.intent, sizeFraction: 0.1 } })).toMatchObject({
      ok: true,
      size: 10,
    });
  });
  it('the sizeFraction cap below the risk size lowers it, and the detail says so', () => {
    const v = sizeEntry({ ...base, intent: { ...base.intent, sizeFraction: 0.05 } });
    expect(v).toEqual({
      ok: true,
      size: 5,
      detail: 'risk 50.00 / |100 − 95| = 10.0000; capped by sizeFraction 0.05 → 5.00000; rounded to 5',
    });
  });
  it('limits with room above the risk size leave it alone', () => {
    expect(sizeEntry({ ...base, coinNotional: 500, totalExposure: 8_000 })).toEqual({
      ok: true,
      size: 10,
      detail: 'risk 50.00 / |100 − 95| = 10.0000; rounded to 10',
    });
  });
  it('coin room exactly the minimum notional is used; a cent less is refused', () => {
    // room 2000 − 1990 = 10 USD = 0.1 units
    expect(sizeEntry({ ...base, coinNotional: 1_990 })).toMatchObject({ ok: true, size: 0.1 });
    expect(sizeEntry({ ...base, coinNotional: 1_990.01 })).toMatchObject({
      ok: false,
      code: 'COIN_EXPOSURE',
    });
    expect(sizeEntry({ ...base, totalExposure: 9_990 })).toMatchObject({ ok: true, size: 0.1 });
    expect(sizeEntry({ ...base, totalExposure: 9_990.01 })).toMatchObject({
      ok: false,
      code: 'TOTAL_EXPOSURE',
    });
  });
  it('over the limit already (negative room) is refused, never a negative size', () => {
    expect(sizeEntry({ ...base, coinNotional: 2_500 })).toMatchObject({ ok: false, code: 'COIN_EXPOSURE' });
    expect(sizeEntry({ ...base, totalExposure: 12_000 })).toMatchObject({
      ok: false,
      code: 'TOTAL_EXPOSURE',
    });
  });
  it('without capSizeToLimits the size is the risk size, whatever the room', () => {
    expect(
      sizeEntry({ ...base, coinNotional: 1_995, cfg: { ...base.cfg, capSizeToLimits: false } }),
    ).toMatchObject({
      ok: true,
      size: 10,
    });
  });
  it('SHORT: risk size from the stop above; the caps mirror', () => {
    const short = { ...base.intent, side: 'SHORT' as const, stop: 105, target: 90 };
    expect(sizeEntry({ ...base, intent: short, mid: 100.05 })).toMatchObject({ ok: true, size: 10 });
    expect(sizeEntry({ ...base, intent: { ...short, sizeFraction: 0.05 }, mid: 100.05 })).toMatchObject({
      ok: true,
      size: 5,
    });
    expect(sizeEntry({ ...base, intent: { ...short, stop: 101 }, mid: 100.05 })).toMatchObject({
      ok: true,
      size: 20,
    });
    // SHORT with the stop below mid, or the target above it: refused
    for (const intent of [
      { ...short, stop: 99 },
      { ...short, target: 101 },
    ])
      expect(sizeEntry({ ...base, intent, mid: 100.05 })).toMatchObject({ ok: false, code: 'SIZING' });
    // entry at or beyond the stop
    expect(sizeEntry({ ...base, intent: short, mid: 100.05, entryPx: 105 })).toMatchObject({
      ok: false,
      code: 'SIZING',
    });
  });
  it('LONG entry at the stop is refused', () => {
    expect(sizeEntry({ ...base, entryPx: 95 })).toMatchObject({ ok: false, code: 'SIZING' });
  });
  it('stop, target and mid must straddle strictly', () => {
    expect(sizeEntry({ ...base, mid: 95 })).toMatchObject({ ok: false, code: 'SIZING' });
    expect(sizeEntry({ ...base, mid: 110 })).toMatchObject({ ok: false, code: 'SIZING' });
  });
  it('invalid numbers: entry price, equity, a negative target, Infinity', () => {
    for (const bad of [
      { entryPx: 0 },
      { entryPx: Number.NaN },
      { equity: -1 },
      { equity: Number.POSITIVE_INFINITY },
      { intent: { ...base.intent, target: -5 } },
      { intent: { ...base.intent, stop: Number.POSITIVE_INFINITY } },
      { intent: { ...base.intent, sizeFraction: Number.NaN } },
    ])
      expect(sizeEntry({ ...base, ...bad }), JSON.stringify(bad)).toMatchObject({
        ok: false,
        code: 'SIZING',
      });
  });
});

describe('evaluateEntry: pricing from a sane book only; SHORT mirrors LONG', () => {
  const x: EntryCheckInput = {
    intent: entry('ETH', 'LONG', 95, 110),
    ctx: { health: 'HEALTHY', stale: false, leaseHolder: 'geometry' },
    trading: 'ACTIVE',
    busy: null,
    market: { bids: [{ px: 99.9, sz: 100 }], asks: [{ px: 100, sz: 100 }], mark: 99.95, funding: 0, time: 1 },
    equity: 10_000,
    coinNotional: 0,
    totalExposure: 0,
    bucket: fullBucket(0, cfg),
    now: 0,
    cfg,
  };
  const book = (bid: number, ask: number) => ({
    ...x.market!,
    bids: [{ px: bid, sz: 1 }],
    asks: [{ px: ask, sz: 1 }],
  });
  it('a crossed book (bid above ask) is not a price', () => {
    expect(evaluateEntry({ ...x, market: book(100.2, 100) })).toMatchObject({ ok: false, code: 'NO_PRICE' });
  });
  it('a locked book (bid = ask) is not a price either', () => {
    expect(evaluateEntry({ ...x, market: book(100, 100) })).toMatchObject({ ok: false, code: 'NO_PRICE' });
  });
  it('one-sided, empty or non-positive books are not a price', () => {
    expect(evaluateEntry({ ...x, market: { ...x.market!, asks: [] } })).toMatchObject({ code: 'NO_PRICE' });
    expect(evaluateEntry({ ...x, market: { ...x.market!, bids: [] } })).toMatchObject({ code: 'NO_PRICE' });
    expect(evaluateEntry({ ...x, market: book(0, 100) })).toMatchObject({ code: 'NO_PRICE' });
    expect(evaluateEntry({ ...x, market: book(-1, 100) })).toMatchObject({ code: 'NO_PRICE' });
    expect(evaluateEntry({ ...x, market: book(99.9, Number.NaN) })).toMatchObject({ code: 'NO_PRICE' });
  });
  it('LONG: the quote and the detail', () => {
    const v = evaluateEntry(x);
    expect(v).toMatchObject({ ok: true, quote: { bid: 99.9, ask: 100, mark: 99.95 } });
    expect(v.ok && v.detail).toBe(
      'LONG 9.8 ETH @ ≤100.1 Ioc: risk 50.00 / |100.1 − 95| = 9.80392; rounded to 9.8',
    );
  });
  it('SHORT: IOC sell through the bid by 10 bps, size from the stop above', () => {
    const v = evaluateEntry({ ...x, intent: entry('ETH', 'SHORT', 105, 90) });
    // limit 99.9 × 0.999 = 99.8001 → 99.8 (rounded down); 50 / (105 − 99.8) = 9.615… → 9.61
    expect(v).toMatchObject({
      ok: true,
      order: { coin: 'ETH', side: 'SELL', limitPx: 99.8, size: 9.61, tif: 'Ioc', reduceOnly: false },
    });
  });
  it('resting entries (Gtc/Alo) join the book: LONG at the bid, SHORT at the ask', () => {
    const gtc = { ...cfg, entryTif: 'Gtc' as const };
    expect(evaluateEntry({ ...x, cfg: gtc })).toMatchObject({
      ok: true,
      order: { side: 'BUY', limitPx: 99.9 },
    });
    expect(evaluateEntry({ ...x, cfg: gtc, intent: entry('ETH', 'SHORT', 105, 90) })).toMatchObject({
      ok: true,
      order: { side: 'SELL', limitPx: 100 },
    });
  });
  it('SHORT denials mirror LONG: limits, lease, straddle', () => {
    const s = { ...x, intent: entry('ETH', 'SHORT', 105, 90) };
    expect(evaluateEntry({ ...s, coinNotional: 1_995 })).toMatchObject({ code: 'COIN_EXPOSURE' });
    expect(evaluateEntry({ ...s, ctx: { ...s.ctx, leaseHolder: null } })).toMatchObject({ code: 'NO_LEASE' });
    expect(evaluateEntry({ ...s, intent: entry('ETH', 'SHORT', 99, 90) })).toMatchObject({ code: 'SIZING' });
  });
  it('an order added on top of an existing position respects the coin limit after capping', () => {
    // 1 500 used: room 500 USD at the limit price 100.1 → 4.99 units (rounded down)
    const v = evaluateEntry({ ...x, coinNotional: 1_500, totalExposure: 1_500 });
    expect(v).toMatchObject({ ok: true, order: { size: 4.99 } });
  });
  it('HALTED denies an entry', () => {
    expect(evaluateEntry({ ...x, trading: 'HALTED' })).toMatchObject({ code: 'TRADING_STATE' });
  });
});

describe('daily loss: beyond 2 % of the start-of-day equity halts; exactly 2 % does not', () => {
  const day = 20_000;
  const time = day * DAY_MS + 3_600_000;
  // a realised day loss of `loss` USD against 10 000 start equity, nothing open
  const ctx = (loss: number, startPnl = 0) =>
    initialContext({
      config: cfg,
      ledger: { positions: {}, coins: {}, realised: startPnl - loss, fees: 0, fundingPaid: 0 },
      day: { index: day, startEquity: 10_000, startPnl },
    });
  const tick = { time, health: 'HEALTHY' as const, stale: false, quotes: {}, equity: 10_000 };
  it('the 2 % default', () => expect(DEFAULT_EXECUTION_CONFIG.dailyLossHalt).toBe(0.02));
  it('200.00 lost (exactly 2 %) is not beyond; 200.01 is', () => {
    expect(dailyLossBreached(ctx(200), tick)).toBe(false);
    expect(dailyLossBreached(ctx(199.99), tick)).toBe(false);
    expect(dailyLossBreached(ctx(200.01), tick)).toBe(true);
  });
  it('measured from the day start (or the last reset): earlier losses do not count', () => {
    expect(dailyLossBreached(ctx(150, -1_000), tick)).toBe(false);
    expect(dailyLossBreached(ctx(250, -1_000), tick)).toBe(true);
  });
  it('a new UTC day starts afresh', () => {
    expect(dailyLossBreached(ctx(500), { ...tick, time: (day + 1) * DAY_MS })).toBe(false);
  });
});

describe('each denial names its reason (the detail an operator reads)', () => {
  const base = {
    intent: { coin: 'ETH', side: 'LONG' as const, stop: 95, target: 110, sizeFraction: 0 },
    entryPx: 100,
    mid: 99.95,
    equity: 10_000,
    szDecimals: 2,
    coinNotional: 0,
    totalExposure: 0,
    cfg: { ...cfg, capSizeToLimits: true },
  };
  const short = {
    ...base,
    intent: { ...base.intent, side: 'SHORT' as const, stop: 105, target: 90 },
    mid: 100.05,
  };
  const cases: Array<[string, Parameters<typeof sizeEntry>[0], RegExp]> = [
    ['equity 0', { ...base, equity: 0 }, /^equity 0 is not positive$/],
    // a SHORT is where only the entry-price check stands between a bad price and an order
    ['SHORT entry 0', { ...short, entryPx: 0 }, /^entry price 0 is invalid$/],
    ['SHORT entry -1', { ...short, entryPx: -1 }, /^entry price -1 is invalid$/],
    [
      'LONG entry Infinity',
      { ...base, entryPx: Number.POSITIVE_INFINITY },
      /^entry price Infinity is invalid$/,
    ],
    [
      'stop NaN',
      { ...base, intent: { ...base.intent, stop: Number.NaN } },
      /^stop NaN is missing or invalid$/,
    ],
    // a SHORT's target below mid passes the straddle: only the target check refuses 0 or a negative one
    [
      'SHORT target 0',
      { ...short, intent: { ...short.intent, target: 0 } },
      /^target 0 is missing or invalid$/,
    ],
    [
      'SHORT target -5',
      { ...short, intent: { ...short.intent, target: -5 } },
      /^target -5 is missing or invalid$/,
    ],
    [
      'SHORT target Infinity',
      { ...short, intent: { ...short.intent, target: Number.NEGATIVE_INFINITY } },
      /^target -Infinity is missing or invalid$/,
    ],
    [
      'sizeFraction -1',
      { ...base, intent: { ...base.intent, sizeFraction: -1 } },
      /^sizeFraction -1 is invalid$/,
    ],
    [
      'LONG straddle',
      { ...base, mid: 111 },
      /^LONG: stop 95 and target 110 must straddle mid 111 \(stop < mid < target\)$/,
    ],
    [
      'SHORT target = mid',
      { ...short, mid: 90 },
      /^SHORT: stop 105 and target 90 must straddle mid 90 \(target < mid < stop\)$/,
    ],
    ['SHORT mid = stop', { ...short, mid: 105 }, /must straddle mid 105 \(target < mid < stop\)$/],
    ['LONG entry at the stop', { ...base, entryPx: 95 }, /^entry 95 is beyond the stop 95$/],
    ['SHORT entry beyond the stop', { ...short, entryPx: 106 }, /^entry 106 is beyond the stop 105$/],
  ];
  for (const [name, input, detail] of cases)
    it(`SIZING: ${name}`, () => {
      const v = sizeEntry(input);
      expect(v).toMatchObject({ ok: false, code: 'SIZING' });
      expect(v.ok ? '' : v.detail).toMatch(detail);
    });
  it('no room: the detail has the used and the limit', () => {
    expect(sizeEntry({ ...base, coinNotional: 1_995 })).toEqual({
      ok: false,
      code: 'COIN_EXPOSURE',
      detail: 'no room in ETH: 1995.00 of 2000.00 used',
    });
    expect(sizeEntry({ ...base, totalExposure: 9_995 })).toEqual({
      ok: false,
      code: 'TOTAL_EXPOSURE',
      detail: 'no room in total exposure: 9995.00 of 10000.00 used',
    });
  });
  it('capping details: by the coin limit, by the total limit; a cap equal to the size is no cap', () => {
    expect(sizeEntry({ ...base, coinNotional: 1_500 })).toEqual({
      ok: true,
      size: 5,
      detail: 'risk 50.00 / |100 − 95| = 10.0000; capped by coin limit → 5.00000; rounded to 5',
    });
    expect(sizeEntry({ ...base, totalExposure: 9_400 })).toEqual({
      ok: true,
      size: 6,
      detail: 'risk 50.00 / |100 − 95| = 10.0000; capped by total limit → 6.00000; rounded to 6',
    });
    // room exactly the risk size (10 units = 1000 USD): nothing is capped
    for (const v of [
      sizeEntry({ ...base, intent: { ...base.intent, sizeFraction: 0.1 } }),
      sizeEntry({ ...base, coinNotional: 1_000 }),
      sizeEntry({ ...base, totalExposure: 9_000 }),
    ])
      expect(v).toEqual({ ok: true, size: 10, detail: 'risk 50.00 / |100 − 95| = 10.0000; rounded to 10' });
  });
  it('the size is rounded down to szDecimals (never up past the risk)', () => {
    // 50 / (100 − 94.994) = 9.98801… → 9.98, not 9.99
    expect(sizeEntry({ ...base, intent: { ...base.intent, stop: 94.994 } })).toMatchObject({
      ok: true,
      size: 9.98,
    });
  });
  it('exposure checks: the float tolerance is the boundary (at it passes, beyond it is denied)', () => {
    const atTolerance = 0.2 * 10_000 * (1 + 1e-9);
    expect(code(checkCoinExposure('ETH', atTolerance, 0, 10_000, cfg))).toBe('OK');
    expect(code(checkCoinExposure('ETH', atTolerance + 1e-3, 0, 10_000, cfg))).toBe('COIN_EXPOSURE');
    const totalAt = 1 * 10_000 * (1 + 1e-9);
    expect(code(checkTotalExposure(totalAt, 0, 10_000, cfg))).toBe('OK');
    expect(code(checkTotalExposure(totalAt + 1e-3, 0, 10_000, cfg))).toBe('TOTAL_EXPOSURE');
  });
  it('gate details', () => {
    expect(checkStale(true)).toEqual({ ok: false, code: 'STALE', detail: 'hot state is stale' });
    expect(checkTradingState('HALTED', true)).toEqual({
      ok: false,
      code: 'TRADING_STATE',
      detail: 'trading is HALTED',
    });
    expect(checkTradingState('REDUCING', false)).toEqual({
      ok: false,
      code: 'TRADING_STATE',
      detail: 'trading is REDUCING: only exposure-reducing orders',
    });
    expect(checkVenueRules({ coin: 'ETH', size: 0.5, limitPx: 19, reduceOnly: false }, 2, 10)).toEqual({
      ok: false,
      code: 'VENUE_RULES',
      detail: 'ETH 0.5@19: Order must have minimum value of $10.',
    });
  });
});

describe('evaluateEntry: the limit price rounds away from the book side (worst case), and unknown coins fail', () => {
  const x: EntryCheckInput = {
    intent: entry('ETH', 'LONG', 95, 110),
    ctx: { health: 'HEALTHY', stale: false, leaseHolder: 'geometry' },
    trading: 'ACTIVE',
    busy: null,
    market: {
      bids: [{ px: 100.01, sz: 1 }],
      asks: [{ px: 100.03, sz: 1 }],
      mark: 100.02,
      funding: 0,
      time: 1,
    },
    equity: 10_000,
    coinNotional: 0,
    totalExposure: 0,
    bucket: fullBucket(0, cfg),
    now: 0,
    cfg,
  };
  it('IOC LONG: 100.03 × 1.001 = 100.13003 → 100.14 (up); IOC SHORT: 100.01 × 0.999 = 99.90999 → 99.909 (down)', () => {
    expect(evaluateEntry(x)).toMatchObject({ ok: true, order: { side: 'BUY', limitPx: 100.14 } });
    expect(evaluateEntry({ ...x, intent: entry('ETH', 'SHORT', 105, 90) })).toMatchObject({
      ok: true,
      order: { side: 'SELL', limitPx: 99.909 },
    });
  });
  it('resting LONG joins the bid rounded down, SHORT the ask rounded up', () => {
    const gtc = { ...cfg, entryTif: 'Gtc' as const };
    // nearest would give 100.02 for both: the direction is what is tested
    const book = { ...x.market!, bids: [{ px: 100.0161, sz: 1 }], asks: [{ px: 100.0239, sz: 1 }] };
    expect(evaluateEntry({ ...x, cfg: gtc, market: book })).toMatchObject({
      ok: true,
      order: { limitPx: 100.01 },
    });
    expect(
      evaluateEntry({ ...x, cfg: gtc, market: book, intent: entry('ETH', 'SHORT', 105, 90) }),
    ).toMatchObject({
      ok: true,
      order: { limitPx: 100.03 },
    });
  });
  it('an unknown coin is refused, not priced', () => {
    expect(evaluateEntry({ ...x, intent: { ...x.intent, coin: 'DOGE' } })).toEqual({
      ok: false,
      code: 'VENUE_RULES',
      detail: 'unknown asset DOGE',
    });
  });
  it('no book, and a crossed book: NO_PRICE with the prices', () => {
    expect(evaluateEntry({ ...x, market: null })).toEqual({
      ok: false,
      code: 'NO_PRICE',
      detail: 'ETH: no book',
    });
    const crossed = { ...x.market!, bids: [{ px: 100.05, sz: 1 }] };
    expect(evaluateEntry({ ...x, market: crossed })).toEqual({
      ok: false,
      code: 'NO_PRICE',
      detail: 'ETH: no sane two-sided book (bid 100.05, ask 100.03)',
    });
  });
});
