/**
 * Price and size rules per coin (doc §4.5, tick-and-lot-size): a price has at most 5 significant
 * figures and at most 6 − szDecimals decimals (8 − szDecimals for spot); integer prices are always
 * valid; a size has at most szDecimals decimals; an order's notional must be at least $10.
 * Rounding is done in exact decimal arithmetic on the number's shortest representation, so
 * 0.29 rounds like the decimal 0.29 and not like the double 0.28999999999999998.
 */
import type { Meta } from './info-schemas.ts';

export type MarketKind = 'perp' | 'spot';
/** nearest (half away from zero), floor (toward −∞), ceil (toward +∞), toZero (truncate). */
export type RoundMode = 'nearest' | 'floor' | 'ceil' | 'toZero';

export const MAX_PRICE_SIG_FIGS = 5;
export const MIN_NOTIONAL_USD = 10;
const PERP_MAX_DECIMALS = 6;
const SPOT_MAX_DECIMALS = 8;

/** Max price decimals for a coin: max(0, 6 − szDecimals) perps, max(0, 8 − szDecimals) spot. */
export function maxPriceDecimals(szDecimals: number, kind: MarketKind = 'perp'): number {
  return Math.max(0, (kind === 'spot' ? SPOT_MAX_DECIMALS : PERP_MAX_DECIMALS) - szDecimals);
}

interface Dec {
  /** Unscaled integer value: value = m / 10^scale. */
  m: bigint;
  scale: number;
}

/** Exact decimal of a number's shortest round-trip string, or of a decimal string. */
function toDec(x: number | string, label: string): Dec {
  let s: string;
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) throw new RangeError(`${label}: not finite: ${x}`);
    s = String(x);
  } else {
    s = x.trim();
  }
  const m = /^(-?)(\d+)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(s);
  if (!m) throw new TypeError(`${label}: not a decimal number: ${JSON.stringify(x)}`);
  const sign = m[1] === '-' ? -1n : 1n;
  const frac = m[3] ?? '';
  const exp = m[4] === undefined ? 0 : Number(m[4]);
  let mant = BigInt(`${m[2]}${frac}`);
  let scale = frac.length - exp;
  if (scale < 0) {
    mant *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { m: sign * mant, scale };
}

function decToString(d: Dec): string {
  const neg = d.m < 0n;
  let digits = (neg ? -d.m : d.m).toString();
  if (d.scale > 0) {
    digits = digits.padStart(d.scale + 1, '0');
    const intPart = digits.slice(0, digits.length - d.scale);
    const fracPart = digits.slice(digits.length - d.scale).replace(/0+$/, '');
    digits = fracPart === '' ? intPart : `${intPart}.${fracPart}`;
  }
  return digits === '0' ? '0' : neg ? `-${digits}` : digits;
}

function roundDec(d: Dec, decimals: number, mode: RoundMode): Dec {
  if (d.scale <= decimals) return d;
  const div = 10n ** BigInt(d.scale - decimals);
  let q = d.m / div; // truncates toward zero
  const r = d.m % div;
  if (r !== 0n) {
    const neg = d.m < 0n;
    switch (mode) {
      case 'toZero':
        break;
      case 'floor':
        if (neg) q -= 1n;
        break;
      case 'ceil':
        if (!neg) q += 1n;
        break;
      case 'nearest': {
        const twice = (neg ? -r : r) * 2n;
        if (twice >= div) q += neg ? -1n : 1n;
        break;
      }
    }
  }
  return { m: q, scale: decimals };
}

/** Number of digits of the integer part of |d| (0 when |d| < 1), and exponent of the leading digit. */
function leadingExponent(d: Dec): number {
  const abs = d.m < 0n ? -d.m : d.m;
  if (abs === 0n) return 0;
  return abs.toString().length - 1 - d.scale;
}

/** Allowed decimals for this price: 5 significant figures, capped by the coin's max decimals. */
function priceDecimals(d: Dec, szDecimals: number, kind: MarketKind): number {
  const sigDecimals = Math.max(0, MAX_PRICE_SIG_FIGS - 1 - leadingExponent(d));
  return Math.min(maxPriceDecimals(szDecimals, kind), sigDecimals);
}

export interface RoundOptions {
  mode?: RoundMode;
  kind?: MarketKind;
}

/** Round a price to the coin's rules, as a canonical decimal string (no trailing zeros). */
export function roundPriceString(px: number | string, szDecimals: number, opts: RoundOptions = {}): string {
  const mode = opts.mode ?? 'nearest';
  const kind = opts.kind ?? 'perp';
  const d = toDec(px, 'px');
  let out = roundDec(d, priceDecimals(d, szDecimals, kind), mode);
  // Rounding can carry into a new leading digit (9.99996 → 10.0000): re-check the sig-fig budget.
  const again = priceDecimals(out, szDecimals, kind);
  if (out.scale > again) out = roundDec(out, again, mode);
  return decToString(out);
}

/** Round a price to the coin's rules (see roundPriceString). */
export function roundPrice(px: number | string, szDecimals: number, opts: RoundOptions = {}): number {
  return Number(roundPriceString(px, szDecimals, opts));
}

/**
 * Round a price so it is never more aggressive than `px`: a buy rounds down, a sell rounds up
 * (passive), or the reverse for `aggressive` (crossing orders keep at least the requested reach).
 */
export function roundPriceForSide(
  px: number | string,
  szDecimals: number,
  isBuy: boolean,
  opts: { aggressive?: boolean; kind?: MarketKind } = {},
): number {
  const down = isBuy !== (opts.aggressive ?? false);
  return roundPrice(px, szDecimals, { mode: down ? 'floor' : 'ceil', kind: opts.kind ?? 'perp' });
}

/** Round a size to szDecimals, as a canonical decimal string. Default mode: toZero (never oversize). */
export function roundSizeString(sz: number | string, szDecimals: number, mode: RoundMode = 'toZero'): string {
  return decToString(roundDec(toDec(sz, 'sz'), szDecimals, mode));
}

/** Round a size to szDecimals. Default mode: toZero (never larger than asked). */
export function roundSize(sz: number | string, szDecimals: number, mode: RoundMode = 'toZero'): number {
  return Number(roundSizeString(sz, szDecimals, mode));
}

function countDecimals(d: Dec): number {
  // strip trailing zeros of the fraction
  let { m, scale } = d;
  while (scale > 0 && m % 10n === 0n) {
    m /= 10n;
    scale--;
  }
  return scale;
}

function sigFigs(d: Dec): number {
  let { m, scale } = d;
  while (scale > 0 && m % 10n === 0n) {
    m /= 10n;
    scale--;
  }
  const digits = (m < 0n ? -m : m).toString().replace(/^0+/, '');
  return digits.length;
}

/** Is `px` a valid price for the coin (> 0, integer, or ≤ 5 sig figs and ≤ max decimals)? */
export function isValidPrice(px: number | string, szDecimals: number, kind: MarketKind = 'perp'): boolean {
  let d: Dec;
  try {
    d = toDec(px, 'px');
  } catch {
    return false;
  }
  if (d.m <= 0n) return false;
  const decimals = countDecimals(d);
  if (decimals === 0) return true; // integer prices are always valid
  return decimals <= maxPriceDecimals(szDecimals, kind) && sigFigs(d) <= MAX_PRICE_SIG_FIGS;
}

/** Is `sz` a valid size (> 0, at most szDecimals decimals)? */
export function isValidSize(sz: number | string, szDecimals: number): boolean {
  let d: Dec;
  try {
    d = toDec(sz, 'sz');
  } catch {
    return false;
  }
  return d.m > 0n && countDecimals(d) <= szDecimals;
}

/** Does px × sz reach the venue's minimum order value ($10)? */
export function meetsMinNotional(px: number, sz: number, minUsd: number = MIN_NOTIONAL_USD): boolean {
  return Number.isFinite(px) && Number.isFinite(sz) && px * sz >= minUsd;
}

/** The smallest valid price increment at `px` (e.g. BTC 106217 → 1, ETH 2500.5 → 0.1). */
export function tickAt(px: number | string, szDecimals: number, kind: MarketKind = 'perp'): number {
  const d = toDec(px, 'px');
  return Number(`1e-${priceDecimals(d, szDecimals, kind)}`);
}

export interface CoinRules {
  coin: string;
  /** Perp asset id: the index in meta.universe. */
  asset: number;
  szDecimals: number;
  maxLeverage: number;
  onlyIsolated: boolean;
  isDelisted: boolean;
}

/** Per-coin rules from `meta`; the asset id of a perp is its index in `universe`. */
export function coinRulesFromMeta(meta: Meta): Map<string, CoinRules> {
  const out = new Map<string, CoinRules>();
  meta.universe.forEach((u, i) => {
    out.set(u.name, {
      coin: u.name,
      asset: i,
      szDecimals: u.szDecimals,
      maxLeverage: u.maxLeverage,
      onlyIsolated: u.onlyIsolated ?? false,
      isDelisted: u.isDelisted ?? false,
    });
  });
  return out;
}
