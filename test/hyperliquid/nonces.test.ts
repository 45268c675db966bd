import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../state/clock.ts';
import {
  NONCE_WINDOW_AHEAD_MS,
  NONCES_KEPT_PER_SIGNER,
  NonceManager,
  NonceManagers,
  NonceWindowError,
  SignerNonceSet,
  isNonceInWindow,
} from '../../hyperliquid/nonces.ts';

const T0 = 1_751_427_259_657;

describe('NonceManager', () => {
  it('issues max(now, last + 1): the clock when it moves, last + 1 within a millisecond', () => {
    const clock = new ManualClock(T0 + 0.75);
    const m = new NonceManager(() => clock.now());
    expect(m.next()).toBe(T0);
    expect(m.next()).toBe(T0 + 1);
    expect(m.next()).toBe(T0 + 2);
    clock.advance(10);
    expect(m.next()).toBe(T0 + 10);
    expect(m.next(T0 + 5)).toBe(T0 + 11); // clock went back: still increasing
    expect(m.lastIssued).toBe(T0 + 11);
  });

  it('1000 concurrent async submissions get 1000 unique, strictly increasing nonces', async () => {
    const clock = new ManualClock(T0);
    const m = new NonceManager(() => clock.now());
    const order: number[] = [];
    const submit = async (i: number): Promise<number> => {
      await Promise.resolve(); // interleave callers
      if (i % 7 === 0) clock.advance(1);
      const n = m.next();
      order.push(n);
      await new Promise<void>((r) => queueMicrotask(r));
      return n;
    };
    const nonces = await Promise.all(Array.from({ length: 1000 }, (_, i) => submit(i)));
    expect(new Set(nonces).size).toBe(1000);
    for (let i = 1; i < order.length; i++) expect(order[i]!).toBeGreaterThan(order[i - 1]!);
    expect(Math.min(...nonces)).toBeGreaterThanOrEqual(T0);
  });

  it('throws a clear error (and issues nothing) outside the venue window or on a bad clock', () => {
    const m = new NonceManager(() => T0, { last: T0 + NONCE_WINDOW_AHEAD_MS - 1 });
    expect(() => m.next()).toThrow(NonceWindowError);
    expect(() => m.next()).toThrow(/ahead of now/);
    expect(m.lastIssued).toBe(T0 + NONCE_WINDOW_AHEAD_MS - 1);
    const bad = new NonceManager(() => Number.NaN);
    expect(() => bad.next()).toThrow(/not a valid ms timestamp/);
    expect(() => new NonceManager(() => 0).next()).toThrow(NonceWindowError);
  });

  it('observe() moves past nonces used elsewhere; managers are per signer', () => {
    const clock = new ManualClock(T0);
    const all = new NonceManagers(() => clock.now());
    const a = all.forSigner('0xAbC0000000000000000000000000000000000001');
    expect(all.forSigner('0xabc0000000000000000000000000000000000001')).toBe(a);
    a.observe(T0 + 50);
    expect(a.next()).toBe(T0 + 51);
    const b = all.forSigner('0x0000000000000000000000000000000000000002');
    expect(b.next()).toBe(T0);
  });
});

describe('SignerNonceSet (venue side, for the simulator)', () => {
  it('window (T − 2 days, T + 1 day)', () => {
    expect(isNonceInWindow(T0, T0)).toBe(true);
    expect(isNonceInWindow(T0 + NONCE_WINDOW_AHEAD_MS, T0)).toBe(false);
    expect(isNonceInWindow(T0 - 2 * NONCE_WINDOW_AHEAD_MS, T0)).toBe(false);
    const s = new SignerNonceSet();
    expect(s.accept(T0 + NONCE_WINDOW_AHEAD_MS, T0)).toMatchObject({ ok: false, reason: 'outside_window' });
  });
  it('rejects reuse and, once 100 are kept, anything not above the smallest', () => {
    const s = new SignerNonceSet();
    expect(s.accept(T0, T0)).toEqual({ ok: true });
    expect(s.accept(T0, T0)).toMatchObject({ ok: false, reason: 'already_used' });
    expect(s.accept(T0 - 5, T0)).toEqual({ ok: true }); // fewer than 100 kept: lower is fine
    for (let i = 1; i < NONCES_KEPT_PER_SIGNER; i++) expect(s.accept(T0 + i, T0).ok).toBe(true);
    // now 100 highest are T0..T0+99; T0-5 was evicted
    expect(s.accept(T0 - 1, T0)).toMatchObject({ ok: false, reason: 'too_low' });
    expect(s.accept(T0 + 500, T0)).toEqual({ ok: true });
    expect(s.accept(T0, T0)).toMatchObject({ ok: false }); // evicted now, but not above the smallest
  });
});
