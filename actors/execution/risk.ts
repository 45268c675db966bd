/**
 * Risk checks (RULEBOOK "Risk") as pure functions. Each returns a verdict; a denial carries a reason
 * code and a detail with the numbers. `evaluateEntry` runs them in order (first denial wins) and builds
 * the entry order. Exits are never checked here: they are reduce-only and always pass (the execution
 * machine prices and sends them).
 */
import type {
  EntryIntent,
  ExecutionConfig,
  HealthLevel,
  OrderRequest,
  Quote,
  RiskCode,
  TradingState,
} from '../../machines/execution.types.ts';
import type { MarketSnapshot } from '../venue/types.ts';
import { roundPx, roundSz, venueRuleViolation } from './venue-rules.ts';

export type Verdict = { ok: true } | { ok: false; code: RiskCode; detail: string };

const OK: Verdict = { ok: true };
const deny = (code: RiskCode, detail: string): Verdict => ({ ok: false, code, detail });

export function checkHealth(health: HealthLevel): Verdict {
  return health === 'HEALTHY' ? OK : deny('HEALTH', `health is ${health}`);
}

export function checkStale(stale: boolean): Verdict {
  return stale ? deny('STALE', 'hot state is stale') : OK;
}

/** HALTED: nothing new. REDUCING: only exposure-reducing orders. */
export function checkTradingState(state: TradingState, reducesExposure: boolean): Verdict {
  if (state === 'HALTED') return deny('TRADING_STATE', 'trading is HALTED');
  if (state === 'REDUCING' && !reducesExposure)
    return deny('TRADING_STATE', 'trading is REDUCING: only exposure-reducing orders');
  return OK;
}

/** The regime controller's per-coin position lease must be held by this strategy. */
export function checkLease(leaseHolder: string | null, strategy: string, coin: string): Verdict {
  if (leaseHolder === strategy) return OK;
  return deny('NO_LEASE', `${coin} lease is held by ${leaseHolder ?? 'nobody'}, not ${strategy}`);
}

/** One position (or order, or close) per coin at a time. */
export function checkCoinFree(busy: string | null): Verdict {
  return busy === null ? OK : deny('COIN_BUSY', busy);
}

export function checkCoinExposure(
  coin: string,
  existingNotional: number,
  addedNotional: number,
  equity: number,
  cfg: Pick<ExecutionConfig, 'maxCoinNotionalFraction'>,
): Verdict {
  const limit = cfg.maxCoinNotionalFraction * equity;
  const after = existingNotional + addedNotional;
  if (after > limit * (1 + 1e-9))
    return deny(
      'COIN_EXPOSURE',
      `${coin} notional ${after.toFixed(2)} > ${cfg.maxCoinNotionalFraction} × equity ${equity.toFixed(2)} = ${limit.toFixed(2)}`,
    );
  return OK;
}

export function checkTotalExposure(
  totalNotional: number,
  addedNotional: number,
  equity: number,
  cfg: Pick<ExecutionConfig, 'maxTotalExposure'>,
): Verdict {
  const limit = cfg.maxTotalExposure * equity;
  const after = totalNotional + addedNotional;
  if (after > limit * (1 + 1e-9))
    return deny(
      'TOTAL_EXPOSURE',
      `total exposure ${after.toFixed(2)} > ${cfg.maxTotalExposure} × equity ${equity.toFixed(2)} = ${limit.toFixed(2)}`,
    );
  return OK;
}

export interface SizingInput {
  intent: Pick<EntryIntent, 'side' | 'stop' | 'target' | 'sizeFraction' | 'coin'>;
  /** Worst-case entry price (the order's limit). */
  entryPx: number;
  /** Mid at the time of the intent: the stop must lie beyond it on the loss side, the target on the other. */
  mid: number;
  equity: number;
  szDecimals: number;
  /** Current notional of the coin and total exposure (at marks). */
  coinNotional: number;
  totalExposure: number;
  cfg: Pick<
    ExecutionConfig,
    'riskPerTrade' | 'maxCoinNotionalFraction' | 'maxTotalExposure' | 'capSizeToLimits' | 'minNotionalUsd'
  >;
}

export type SizingVerdict =
  | { ok: true; size: number; detail: string }
  | { ok: false; code: RiskCode; detail: string };

/**
 * Risk-per-trade sizing: (entry − stop) × size = riskPerTrade × equity, capped by the strategy's
 * sizeFraction (when > 0) and, with `capSizeToLimits`, by the per-coin and total exposure headroom.
 * Missing or invalid stop/target, or a non-positive equity, is a SIZING denial.
 */
export function sizeEntry(s: SizingInput): SizingVerdict {
  const { intent, entryPx, mid, equity, cfg } = s;
  const bad = (d: string): SizingVerdict => ({ ok: false, code: 'SIZING', detail: d });
  if (!(Number.isFinite(equity) && equity > 0)) return bad(`equity ${equity} is not positive`);
  if (!(Number.isFinite(entryPx) && entryPx > 0)) return bad(`entry price ${entryPx} is invalid`);
  if (!(Number.isFinite(intent.stop) && intent.stop > 0))
    return bad(`stop ${intent.stop} is missing or invalid`);
  if (!(Number.isFinite(intent.target) && intent.target > 0))
    return bad(`target ${intent.target} is missing or invalid`);
  if (!(Number.isFinite(intent.sizeFraction) && intent.sizeFraction >= 0))
    return bad(`sizeFraction ${intent.sizeFraction} is invalid`);
  const long = intent.side === 'LONG';
  if (long ? !(intent.stop < mid && mid < intent.target) : !(intent.target < mid && mid < intent.stop))
    return bad(
      `${intent.side}: stop ${intent.stop} and target ${intent.target} must straddle mid ${mid} (${long ? 'stop < mid < target' : 'target < mid < stop'})`,
    );
  const dist = long ? entryPx - intent.stop : intent.stop - entryPx;
  if (!(dist > 0)) return bad(`entry ${entryPx} is beyond the stop ${intent.stop}`);
  const riskUsd = cfg.riskPerTrade * equity;
  let size = riskUsd / dist;
  const parts = [`risk ${riskUsd.toFixed(2)} / |${entryPx} − ${intent.stop}| = ${size.toPrecision(6)}`];
  if (intent.sizeFraction > 0) {
    const cap = (intent.sizeFraction * equity) / entryPx;
    if (cap < size) {
      size = cap;
      parts.push(`capped by sizeFraction ${intent.sizeFraction} → ${size.toPrecision(6)}`);
    }
  }
  if (cfg.capSizeToLimits) {
    const coinRoom = (cfg.maxCoinNotionalFraction * equity - s.coinNotional) / entryPx;
    const totalRoom = (cfg.maxTotalExposure * equity - s.totalExposure) / entryPx;
    if (coinRoom < size) {
      if (coinRoom * entryPx < cfg.minNotionalUsd)
        return {
          ok: false,
          code: 'COIN_EXPOSURE',
          detail: `no room in ${intent.coin}: ${s.coinNotional.toFixed(2)} of ${(cfg.maxCoinNotionalFraction * equity).toFixed(2)} used`,
        };
      size = coinRoom;
      parts.push(`capped by coin limit → ${size.toPrecision(6)}`);
    }
    if (totalRoom < size) {
      if (totalRoom * entryPx < cfg.minNotionalUsd)
        return {
          ok: false,
          code: 'TOTAL_EXPOSURE',
          detail: `no room in total exposure: ${s.totalExposure.toFixed(2)} of ${(cfg.maxTotalExposure * equity).toFixed(2)} used`,
        };
      size = totalRoom;
      parts.push(`capped by total limit → ${size.toPrecision(6)}`);
    }
  }
  size = roundSz(size, s.szDecimals, 'down');
  parts.push(`rounded to ${size}`);
  return { ok: true, size, detail: parts.join('; ') };
}

export function checkVenueRules(
  order: Pick<OrderRequest, 'coin' | 'size' | 'limitPx' | 'reduceOnly'>,
  szDecimals: number | undefined,
  minNotionalUsd: number,
): Verdict {
  const v = venueRuleViolation(order, szDecimals, minNotionalUsd);
  return v === null ? OK : deny('VENUE_RULES', `${order.coin} ${order.size}@${order.limitPx}: ${v}`);
}

// ------------------------------------------------------------ order rate budget

export interface RateBucket {
  tokens: number;
  at: number;
}

export function fullBucket(now: number, cfg: Pick<ExecutionConfig, 'rateBurst'>): RateBucket {
  return { tokens: cfg.rateBurst, at: now };
}

export function refill(
  b: RateBucket,
  now: number,
  cfg: Pick<ExecutionConfig, 'rateBurst' | 'ordersPerMinute'>,
): RateBucket {
  const dt = Math.max(0, now - b.at);
  return {
    tokens: Math.min(cfg.rateBurst, b.tokens + (dt * cfg.ordersPerMinute) / 60_000),
    at: Math.max(now, b.at),
  };
}

/** One token per order; may go negative (emergency closes are never refused, they borrow). */
export function takeToken(
  b: RateBucket,
  now: number,
  cfg: Pick<ExecutionConfig, 'rateBurst' | 'ordersPerMinute'>,
): RateBucket {
  const r = refill(b, now, cfg);
  return { tokens: r.tokens - 1, at: r.at };
}

export function checkRate(
  b: RateBucket,
  now: number,
  cfg: Pick<ExecutionConfig, 'rateBurst' | 'ordersPerMinute'>,
): Verdict {
  const r = refill(b, now, cfg);
  if (r.tokens >= 1) return OK;
  const waitMs = ((1 - r.tokens) * 60_000) / cfg.ordersPerMinute;
  return deny('RATE', `order budget spent (${r.tokens.toFixed(2)} tokens); next in ${Math.ceil(waitMs)} ms`);
}

// ------------------------------------------------------------ the whole entry check

export interface DecisionCtx {
  health: HealthLevel;
  stale: boolean;
  /** The strategy holding the intent coin's position lease (null: none). */
  leaseHolder: string | null;
}

export interface EntryCheckInput {
  intent: EntryIntent;
  ctx: DecisionCtx;
  trading: TradingState;
  /** Why the coin is busy (position, order, close), or null. */
  busy: string | null;
  market: MarketSnapshot | null;
  equity: number;
  coinNotional: number;
  totalExposure: number;
  bucket: RateBucket;
  now: number;
  cfg: ExecutionConfig;
}

export type EntryVerdict =
  | { ok: true; order: Omit<OrderRequest, 'clientId'>; quote: Quote; detail: string }
  | { ok: false; code: RiskCode; detail: string };

export function evaluateEntry(x: EntryCheckInput): EntryVerdict {
  const { intent, cfg } = x;
  const gates = [
    checkHealth(x.ctx.health),
    checkStale(x.ctx.stale),
    checkTradingState(x.trading, false),
    checkLease(x.ctx.leaseHolder, intent.strategy, intent.coin),
    checkCoinFree(x.busy),
  ];
  for (const g of gates) if (!g.ok) return g;
  const asset = cfg.assets[intent.coin];
  if (!asset) return { ok: false, code: 'VENUE_RULES', detail: `unknown asset ${intent.coin}` };
  const m = x.market;
  if (m === null) return { ok: false, code: 'NO_PRICE', detail: `${intent.coin}: no book` };
  const bid = m.bids[0]?.px ?? Number.NaN;
  const ask = m.asks[0]?.px ?? Number.NaN;
  // a price needs a sane two-sided book: both sides positive and the ask strictly above the bid (a locked
  // or crossed book is a stale or inconsistent view, not a price to size or cap an order on)
  if (!(bid > 0 && ask > bid))
    return {
      ok: false,
      code: 'NO_PRICE',
      detail: `${intent.coin}: no sane two-sided book (bid ${bid}, ask ${ask})`,
    };
  const long = intent.side === 'LONG';
  const slip = cfg.entrySlippageBps / 1e4;
  const limitPx =
    cfg.entryTif === 'Ioc'
      ? roundPx(long ? ask * (1 + slip) : bid * (1 - slip), asset.szDecimals, long ? 'up' : 'down')
      : roundPx(long ? bid : ask, asset.szDecimals, long ? 'down' : 'up');
  const sizing = sizeEntry({
    intent,
    entryPx: limitPx,
    mid: (bid + ask) / 2,
    equity: x.equity,
    szDecimals: asset.szDecimals,
    coinNotional: x.coinNotional,
    totalExposure: x.totalExposure,
    cfg,
  });
  if (!sizing.ok) return sizing;
  const added = sizing.size * limitPx;
  for (const v of [
    checkCoinExposure(intent.coin, x.coinNotional, added, x.equity, cfg),
    checkTotalExposure(x.totalExposure, added, x.equity, cfg),
  ])
    if (!v.ok) return v;
  const order = {
    coin: intent.coin,
    side: long ? ('BUY' as const) : ('SELL' as const),
    size: sizing.size,
    limitPx,
    tif: cfg.entryTif,
    reduceOnly: false,
  };
  const rules = checkVenueRules(order, asset.szDecimals, cfg.minNotionalUsd);
  if (!rules.ok) return rules;
  const rate = checkRate(x.bucket, x.now, cfg);
  if (!rate.ok) return rate;
  return {
    ok: true,
    order,
    quote: { bid, ask, mark: m.mark },
    detail: `${intent.side} ${order.size} ${intent.coin} @ ≤${limitPx} ${cfg.entryTif}: ${sizing.detail}`,
  };
}
