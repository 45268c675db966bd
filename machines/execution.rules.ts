/**
 * Hyperliquid order rules (docs/hyperliquid-protocol.md §4.5) as pure functions: price at most 5
 * significant figures and at most 6 − szDecimals decimals (integer prices always valid), size to
 * szDecimals, notional ≥ $10. Here (not in actors/) because the execution machine prices its own
 * emergency closes; `actors/execution/venue-rules.ts` re-exports it for the risk checks. The rounding
 * itself is `hyperliquid/rounding.ts` (exact decimal arithmetic); prices and sizes are first snapped to
 * a billionth (`snap`) so float noise (0.1 + 0.2) never moves a floor or ceil by a tick.
 */
import { isValidPrice, isValidSize, roundPrice, roundSize, tickAt } from '../hyperliquid/rounding.ts';
export type RoundMode = 'down' | 'up' | 'nearest';

const MODE = { down: 'floor', up: 'ceil', nearest: 'nearest' } as const;

/** Decimals allowed for a perp price of this magnitude (the venue's rule, from hyperliquid/rounding). */
export function priceDecimals(px: number, szDecimals: number): number {
  return Math.max(0, -Math.round(Math.log10(tickAt(px, szDecimals))));
}

/** A valid perp price near `px` (`down`/`up` for the direction that keeps an order's intent); NaN when impossible. */
export function roundPx(px: number, szDecimals: number, mode: RoundMode = 'nearest'): number {
  if (!Number.isFinite(px) || px <= 0) return Number.NaN;
  const out = roundPrice(snap(px), szDecimals, { mode: MODE[mode] });
  return out > 0 ? out : Number.NaN;
}

export function isValidPx(px: number, szDecimals: number): boolean {
  return Number.isFinite(px) && px > 0 && isValidPrice(snap(px), szDecimals);
}

/** Size to szDecimals (default: truncated, so an order never grows by rounding). */
export function roundSz(sz: number, szDecimals: number, mode: RoundMode = 'down'): number {
  if (!Number.isFinite(sz) || sz <= 0) return 0;
  return roundSize(snap(sz), szDecimals, MODE[mode]);
}

export function isValidSz(sz: number, szDecimals: number): boolean {
  return Number.isFinite(sz) && sz > 0 && isValidSize(snap(sz), szDecimals);
}

export interface RuleOrder {
  coin: string;
  size: number;
  limitPx: number;
  reduceOnly: boolean;
}

/**
 * Why the venue would refuse this order, or null. The messages are the venue's own strings where
 * it has one (§4.7). Reduce-only orders are exempt from the minimum notional (a dust remainder must
 * still be closable).
 */
export function venueRuleViolation(
  order: RuleOrder,
  szDecimals: number | undefined,
  minNotionalUsd: number,
): string | null {
  if (szDecimals === undefined) return `Unknown asset ${order.coin}.`;
  if (!isValidPx(order.limitPx, szDecimals)) return 'Price must be divisible by tick size.';
  if (!isValidSz(order.size, szDecimals))
    return `Size ${order.size} is not a positive multiple of 1e-${szDecimals}.`;
  if (!order.reduceOnly && order.size * order.limitPx < minNotionalUsd)
    return `Order must have minimum value of $${minNotionalUsd}.`;
  return null;
}

/** Snap an accumulated size or amount to 1e-9 so that sums of venue sizes close to exactly zero. */
export function snap(x: number): number {
  const r = Math.round(x * 1e9) / 1e9;
  return r === 0 ? 0 : r;
}
