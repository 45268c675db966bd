/**
 * Decimal strings at the venue boundary. Hyperliquid sends every price, size and amount as a decimal
 * string ("106217.0", "-0.0004238885"); they stay strings in parsed frames and are converted to
 * numbers only where a consumer asks, with `toNum`.
 */
import { z } from 'zod';

/** A finite plain decimal: optional minus, digits, optional fraction. No exponent, no spaces. */
export const DECIMAL_RE = /^-?\d+(?:\.\d+)?$/;

/** A venue decimal string, kept as a string (see `toNum`). */
export type Decimal = string;

export const Decimal = z.string({ error: 'expected decimal string' }).regex(DECIMAL_RE, {
  error: 'expected decimal string',
});

/** True when `s` is a plain finite decimal string as the venue sends them. */
export function isDecimal(s: unknown): s is Decimal {
  return typeof s === 'string' && DECIMAL_RE.test(s);
}

/**
 * Explicit conversion of a venue decimal string to a number. Inputs come from validated frames, so a
 * non-decimal here is a programming error and throws (with the offending value).
 */
export function toNum(s: Decimal): number {
  if (!DECIMAL_RE.test(s)) throw new TypeError(`toNum: not a decimal string: ${JSON.stringify(s)}`);
  return Number(s);
}

/** `toNum` for nullable fields: null stays null. */
export function toNumOrNull(s: Decimal | null): number | null {
  return s === null ? null : toNum(s);
}
