import { describe, expect, it } from 'vitest';
import {
  isValidPx,
  isValidSz,
  roundPx,
  roundSz,
  venueRuleViolation,
} from '../../actors/execution/venue-rules.ts';

describe('venue rules (protocol §4.5)', () => {
  it('prices: at most 5 significant figures and 6 − szDecimals decimals; integers always valid', () => {
    expect(isValidPx(1234.5, 0)).toBe(true);
    expect(isValidPx(1234.56, 0)).toBe(false);
    expect(isValidPx(0.001234, 0)).toBe(true);
    expect(isValidPx(0.0012345, 0)).toBe(false);
    expect(isValidPx(0.01234, 1)).toBe(true);
    expect(isValidPx(0.012345, 1)).toBe(false);
    expect(isValidPx(123456, 5)).toBe(true);
    expect(isValidPx(12345.6, 0)).toBe(false);
    expect(isValidPx(123.4, 5)).toBe(true); // 6 − 5 = 1 decimal
    expect(isValidPx(123.45, 5)).toBe(false);
  });
  it('rounding (truncation cases from the NK tests; directions for orders)', () => {
    expect(roundPx(1234567, 0, 'down')).toBe(1234567);
    expect(roundPx(12345.6, 0, 'down')).toBe(12345);
    expect(roundPx(0.00123456, 0, 'down')).toBe(0.001234);
    expect(roundPx(0.1234567, 0, 'down')).toBe(0.12345);
    expect(roundPx(123.456, 5, 'down')).toBe(123.4);
    expect(roundPx(123.41, 5, 'up')).toBe(123.5);
    expect(roundPx(9.99995, 0, 'up')).toBe(10);
    expect(roundPx(99999.5, 0, 'up')).toBe(100000);
    expect(roundPx(-1, 0)).toBeNaN();
    expect(roundSz(123.456789, 2)).toBe(123.45);
    expect(roundSz(1.0, 4)).toBe(1);
    expect(roundSz(0.1 + 0.2, 1)).toBe(0.3);
    expect(isValidSz(0.3, 1)).toBe(true);
    expect(isValidSz(0.35, 1)).toBe(false);
  });
  it('violations name the venue reason', () => {
    const o = { coin: 'ETH', size: 0.05, limitPx: 150, reduceOnly: false };
    expect(venueRuleViolation(o, 2, 10)).toBe('Order must have minimum value of $10.');
    expect(venueRuleViolation({ ...o, limitPx: 150.0001 }, 2, 10)).toBe(
      'Price must be divisible by tick size.',
    );
    expect(venueRuleViolation({ ...o, size: 1 }, 2, 10)).toBeNull();
  });
});
