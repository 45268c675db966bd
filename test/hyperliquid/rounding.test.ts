import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  coinRulesFromMeta,
  isValidPrice,
  isValidSize,
  maxPriceDecimals,
  meetsMinNotional,
  roundPrice,
  roundPriceForSide,
  roundPriceString,
  roundSize,
  roundSizeString,
  tickAt,
} from '../../hyperliquid/rounding.ts';
import { parseInfoResponse } from '../../hyperliquid/parse.ts';
import { floatToWire } from '../../hyperliquid/signing.ts';
import { fixtureJson } from './fixtures.ts';

describe('venue price examples (doc §4.5, tick-and-lot-size)', () => {
  it('5 significant figures; integers always valid', () => {
    expect(isValidPrice('1234.5', 0)).toBe(true);
    expect(isValidPrice('1234.56', 0)).toBe(false);
    expect(isValidPrice('0.001234', 0)).toBe(true);
    expect(isValidPrice('0.0012345', 0)).toBe(false);
    expect(isValidPrice('123456', 0)).toBe(true);
    expect(isValidPrice('12345.6', 0)).toBe(false);
    expect(isValidPrice(123456, 5)).toBe(true);
  });
  it('6 − szDecimals decimals for perps, 8 − szDecimals for spot', () => {
    expect(isValidPrice('0.01234', 1)).toBe(true);
    expect(isValidPrice('0.012345', 1)).toBe(false);
    expect(maxPriceDecimals(5)).toBe(1);
    expect(maxPriceDecimals(7)).toBe(0);
    expect(maxPriceDecimals(0, 'spot')).toBe(8);
    expect(isValidPrice('0.00012345', 0, 'spot')).toBe(true);
    expect(isValidPrice('0.00012345', 0, 'perp')).toBe(false);
    expect(isValidPrice('2500.5', 4)).toBe(true);
    expect(isValidPrice('106217.5', 5)).toBe(false);
  });
  it('non-positive or malformed prices are invalid', () => {
    expect(isValidPrice('0', 0)).toBe(false);
    expect(isValidPrice(-1, 0)).toBe(false);
    expect(isValidPrice('abc', 0)).toBe(false);
    expect(isValidPrice(Number.NaN, 0)).toBe(false);
  });
  it('reference minimum price and size steps (PURR, DYDX, SOL, BNB, ETH, BTC)', () => {
    // [szDecimals, min size]: PURR 0, DYDX 1, SOL 2, BNB 3, ETH 4, BTC 5
    const table: [number, string][] = [
      [0, '1'],
      [1, '0.1'],
      [2, '0.01'],
      [3, '0.001'],
      [4, '0.0001'],
      [5, '0.00001'],
    ];
    for (const [szd, minSz] of table) {
      expect(isValidSize(minSz, szd)).toBe(true);
      expect(isValidSize(String(Number(minSz) / 10), szd)).toBe(false);
    }
    expect(tickAt(106217, 5)).toBe(1);
    expect(tickAt(2500.5, 4)).toBe(0.1);
    expect(tickAt(0.5, 0)).toBe(0.00001);
  });
});

describe('NK format test cases (truncating mode)', () => {
  const cases: [string, number, 'perp' | 'spot', string][] = [
    ['1234567', 0, 'perp', '1234567'],
    ['12345.6', 0, 'perp', '12345'],
    ['0.00123456', 0, 'perp', '0.001234'],
    ['0.1234567', 0, 'perp', '0.12345'],
    ['123.456', 5, 'perp', '123.4'],
    ['0.000123456', 0, 'spot', '0.00012345'],
    ['0.0001234', 3, 'spot', '0.00012'],
    ['1.1000', 0, 'perp', '1.1'],
    ['-123.456', 0, 'perp', '-123.45'],
  ];
  for (const [px, szd, kind, expected] of cases) {
    it(`price ${px} szDecimals ${szd} ${kind} → ${expected}`, () => {
      expect(roundPriceString(px, szd, { mode: 'toZero', kind })).toBe(expected);
    });
  }
  it('sizes', () => {
    expect(roundSizeString('123.456789', 2)).toBe('123.45');
    expect(roundSizeString('1.0000', 4)).toBe('1');
  });
});

describe('rounding modes', () => {
  it('nearest / floor / ceil at the coin tick', () => {
    expect(roundPrice(106217.5, 5)).toBe(106218);
    expect(roundPrice(106217.5, 5, { mode: 'floor' })).toBe(106217);
    expect(roundPrice(2500.55, 4)).toBe(2500.6);
    expect(roundPrice(2500.55, 4, { mode: 'floor' })).toBe(2500.5);
    expect(roundPrice(0.29, 0, { mode: 'floor' })).toBe(0.29); // decimal 0.29, not the double below it
    expect(roundPrice(9.99996, 0)).toBe(10);
    expect(roundPrice(99999.5, 0)).toBe(100000);
    expect(roundPrice(1.23456789e-7, 0, { kind: 'spot' })).toBe(0.00000012);
  });
  it('side-aware: passive never crosses further, aggressive never reaches less', () => {
    expect(roundPriceForSide(2500.57, 4, true)).toBe(2500.5);
    expect(roundPriceForSide(2500.51, 4, false)).toBe(2500.6);
    expect(roundPriceForSide(2500.51, 4, true, { aggressive: true })).toBe(2500.6);
    expect(roundPriceForSide(2500.57, 4, false, { aggressive: true })).toBe(2500.5);
  });
  it('sizes: toZero by default, nearest on request', () => {
    expect(roundSize(0.123456, 4)).toBe(0.1234);
    expect(roundSize(0.12345, 4, 'nearest')).toBe(0.1235);
    expect(roundSize(3.7, 0)).toBe(3);
  });
  it('property: every rounded price is valid, on the wire, and within one tick', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-6, max: 1e7, noNaN: true }),
        fc.integer({ min: 0, max: 5 }),
        fc.constantFrom('nearest', 'floor', 'ceil', 'toZero') as fc.Arbitrary<
          'nearest' | 'floor' | 'ceil' | 'toZero'
        >,
        (px, szd, mode) => {
          const r = roundPrice(px, szd, { mode });
          if (r === 0) return true; // tiny prices can round to zero at the coin's max decimals
          expect(isValidPrice(r, szd)).toBe(true);
          expect(isValidPrice(floatToWire(r), szd)).toBe(true);
          expect(Math.abs(r - px)).toBeLessThanOrEqual(tickAt(px, szd) * 1.000001 + Math.abs(px) * 1e-12);
          if (mode === 'floor') expect(r).toBeLessThanOrEqual(px);
          if (mode === 'ceil') expect(r).toBeGreaterThanOrEqual(px);
          return true;
        },
      ),
      { numRuns: 1000, seed: 11 },
    );
  });
  it('rejects non-numbers', () => {
    expect(() => roundPrice(Number.NaN, 0)).toThrow(RangeError);
    expect(() => roundPrice('1,5', 0)).toThrow(TypeError);
  });
});

describe('min notional and meta', () => {
  it('$10 minimum', () => {
    expect(meetsMinNotional(100, 0.1)).toBe(true);
    expect(meetsMinNotional(100, 0.0999)).toBe(false);
    expect(meetsMinNotional(Number.NaN, 1)).toBe(false);
  });
  it('coin rules from the real meta fixture', () => {
    const meta = parseInfoResponse('meta', fixtureJson('http/info_meta_2023-07-17.json'));
    if (!meta.ok) throw new Error(meta.error.message);
    const rules = coinRulesFromMeta(meta.value);
    expect(rules.get('BTC')).toMatchObject({ asset: 0, szDecimals: 5 });
    expect(rules.get('ETH')).toMatchObject({ asset: 1, szDecimals: 4 });
    expect(rules.get('kPEPE')).toMatchObject({ szDecimals: 0 });
    const eth = rules.get('ETH')!;
    expect(floatToWire(roundPrice(1903.953, eth.szDecimals))).toBe('1904');
    expect(floatToWire(roundSize(0.012345, eth.szDecimals))).toBe('0.0123');
  });
});
