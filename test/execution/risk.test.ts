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
  sizeEntry,
  takeToken,
} from '../../actors/execution/risk.ts';
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
