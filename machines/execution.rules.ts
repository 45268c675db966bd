/**
 * Hyperliquid order rules (docs/hyperliquid-protocol.md §4.5) as pure functions: price at most 5
 * significant figures and at most 6 − szDecimals decimals (integer prices always valid), size to
 * szDecimals, notional ≥ $10. Here (not in actors/) because the execution machine prices its own
 * emergency closes; `actors/execution/venue-rules.ts` re-exports it for the risk checks.
 */
export type RoundMode = 'down' | 'up' | 'nearest';

const EPS = 1e-9;

function decimalExponent(x: number): number {
  // exact for every finite positive double, unlike Math.floor(Math.log10(x)) near powers of ten
  return Number(x.toExponential().split('e')[1]);
}

/** Decimals allowed for a perp price of this magnitude. */
export function priceDecimals(px: number, szDecimals: number): number {
  const maxDecimals = Math.max(0, 6 - szDecimals);
  const sigDecimals = 4 - decimalExponent(px);
  return Math.max(0, Math.min(maxDecimals, sigDecimals));
}

function roundTo(x: number, decimals: number, mode: RoundMode): number {
  const scale = 10 ** decimals;
  const scaled = x * scale;
  const r =
    mode === 'down' ? Math.floor(scaled + EPS) : mode === 'up' ? Math.ceil(scaled - EPS) : Math.round(scaled);
  return Number((r / scale).toFixed(decimals));
}

/** A valid perp price near `px` (`down`/`up` for the direction that keeps an order's intent); NaN when impossible. */
export function roundPx(px: number, szDecimals: number, mode: RoundMode = 'nearest'): number {
  if (!Number.isFinite(px) || px <= 0) return Number.NaN;
  let out = roundTo(px, priceDecimals(px, szDecimals), mode);
  // rounding up can cross a power of ten (9.99995 → 10.0000): re-round at the new magnitude
  if (out > 0) out = roundTo(out, priceDecimals(out, szDecimals), mode);
  return out > 0 ? out : Number.NaN;
}

export function isValidPx(px: number, szDecimals: number): boolean {
  if (!Number.isFinite(px) || px <= 0) return false;
  if (Number.isInteger(px)) return true;
  return Math.abs(roundPx(px, szDecimals, 'nearest') - px) <= px * 1e-12;
}

/** Size to szDecimals (default: truncated, so an order never grows by rounding). */
export function roundSz(sz: number, szDecimals: number, mode: RoundMode = 'down'): number {
  if (!Number.isFinite(sz) || sz <= 0) return 0;
  return roundTo(sz, szDecimals, mode);
}

export function isValidSz(sz: number, szDecimals: number): boolean {
  if (!Number.isFinite(sz) || sz <= 0) return false;
  return Math.abs(roundTo(sz, szDecimals, 'nearest') - sz) <= sz * 1e-12;
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
