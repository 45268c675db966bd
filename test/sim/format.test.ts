import { describe, expect, it } from 'vitest';
import { formatDecimal, formatScaled, isValidPerpPx, isValidSize, tickDecimals } from '../../sim/format.ts';

describe('venue number formatting', () => {
  it('prints like the real frames', () => {
    expect(formatScaled(106217, 0)).toBe('106217.0');
    expect(formatScaled(100, 5)).toBe('0.001');
    expect(formatScaled(102207, 5)).toBe('1.02207');
    expect(formatScaled(1970, 5)).toBe('0.0197');
    expect(formatScaled(120, 1)).toBe('12.0');
    expect(formatScaled(21110, 4)).toBe('2.111');
    expect(formatScaled(0, 3)).toBe('0.0');
    expect(formatScaled(-42, 10)).toBe('-0.0000000042');
    expect(formatDecimal(0.0000124451, 10)).toBe('0.0000124451');
    expect(formatDecimal(-0.0004238885, 10)).toBe('-0.0004238885');
    expect(formatDecimal(-0.00000000001, 10)).toBe('0.0');
  });

  it('applies the perp tick rules', () => {
    expect(tickDecimals(106_000, 5)).toBe(0);
    expect(tickDecimals(3_500, 4)).toBe(1);
    expect(tickDecimals(150, 2)).toBe(2);
    expect(isValidPerpPx('106217.0', 5)).toBe(true);
    expect(isValidPerpPx('1234.5', 4)).toBe(true);
    expect(isValidPerpPx('1234.56', 2)).toBe(false);
    expect(isValidPerpPx('0.001234', 0)).toBe(true);
    expect(isValidPerpPx('0.0012345', 0)).toBe(false);
    expect(isValidPerpPx('150.12', 2)).toBe(true);
    expect(isValidPerpPx('150.123', 2)).toBe(false);
    expect(isValidSize('0.00017', 5)).toBe(true);
    expect(isValidSize('0.000171', 5)).toBe(false);
  });
});
