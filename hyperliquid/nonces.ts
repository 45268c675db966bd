/**
 * Nonces (doc §4.4). Client side, `NonceManager`: one per signer, issues max(now, last + 1), so nonces
 * are strictly increasing and unique even for many submissions in the same millisecond; allocation is
 * synchronous, so concurrent async callers cannot collide. Venue side, `SignerNonceSet`: the rule the
 * simulator enforces (100 highest nonces kept per signer; a new one must exceed the smallest and be
 * unused; it must lie within (T − 2 days, T + 1 day) of block time T).
 */

export const NONCE_WINDOW_BEHIND_MS = 2 * 24 * 60 * 60 * 1000;
export const NONCE_WINDOW_AHEAD_MS = 24 * 60 * 60 * 1000;
export const NONCES_KEPT_PER_SIGNER = 100;

export class NonceWindowError extends Error {
  constructor(
    message: string,
    readonly nonce: number,
    readonly nowMs: number,
  ) {
    super(message);
    this.name = 'NonceWindowError';
  }
}

/** Is `nonce` inside the venue's accepted window around time `t` (ms)? */
export function isNonceInWindow(nonce: number, t: number): boolean {
  return nonce > t - NONCE_WINDOW_BEHIND_MS && nonce < t + NONCE_WINDOW_AHEAD_MS;
}

export class NonceManager {
  private last = 0;
  private readonly now: () => number;

  /** `now` is the injected clock (ms since epoch; fractions are floored). */
  constructor(now: () => number, opts: { last?: number } = {}) {
    this.now = now;
    if (opts.last !== undefined) this.last = Math.floor(opts.last);
  }

  /**
   * The next nonce: max(floor(now), last + 1). Throws NonceWindowError (issuing nothing) when `now`
   * is not a usable time or the nonce would fall outside the venue's window around `now`.
   */
  next(nowMs: number = this.now()): number {
    if (!Number.isFinite(nowMs) || nowMs <= 0) {
      throw new NonceWindowError(
        `nonce: clock reading ${nowMs} is not a valid ms timestamp`,
        Number.NaN,
        nowMs,
      );
    }
    const now = Math.floor(nowMs);
    const nonce = Math.max(now, this.last + 1);
    if (!isNonceInWindow(nonce, now)) {
      throw new NonceWindowError(
        `nonce ${nonce} is ${nonce - now} ms ahead of now ${now}; the venue accepts at most ` +
          `${NONCE_WINDOW_AHEAD_MS} ms ahead (clock went back or too many nonces issued)`,
        nonce,
        nowMs,
      );
    }
    this.last = nonce;
    return nonce;
  }

  /** The last nonce issued (0 before the first). */
  get lastIssued(): number {
    return this.last;
  }

  /** Never issue a nonce at or below `nonce` (e.g. one seen from another process of the same signer). */
  observe(nonce: number): void {
    if (Number.isFinite(nonce) && nonce > this.last) this.last = Math.floor(nonce);
  }
}

/** One NonceManager per signer address (lowercased). */
export class NonceManagers {
  private readonly bySigner = new Map<string, NonceManager>();
  constructor(private readonly now: () => number) {}

  forSigner(address: string): NonceManager {
    const key = address.toLowerCase();
    let m = this.bySigner.get(key);
    if (m === undefined) {
      m = new NonceManager(this.now);
      this.bySigner.set(key, m);
    }
    return m;
  }
}

export type NonceCheck =
  | { ok: true }
  | { ok: false; reason: 'outside_window' | 'too_low' | 'already_used'; message: string };

/** Venue-side nonce state of one signer, as the simulator enforces it. */
export class SignerNonceSet {
  /** The highest nonces accepted, ascending, at most NONCES_KEPT_PER_SIGNER. */
  private readonly kept: number[] = [];

  /** Check and, when valid, record `nonce` at block time `t`. */
  accept(nonce: number, t: number): NonceCheck {
    if (!Number.isSafeInteger(nonce) || !isNonceInWindow(nonce, t)) {
      return {
        ok: false,
        reason: 'outside_window',
        message: `nonce ${nonce} outside (T-2d, T+1d) of T=${t}`,
      };
    }
    if (this.kept.includes(nonce)) {
      return { ok: false, reason: 'already_used', message: `nonce ${nonce} already used` };
    }
    const smallest = this.kept[0];
    if (this.kept.length >= NONCES_KEPT_PER_SIGNER && smallest !== undefined && nonce <= smallest) {
      return {
        ok: false,
        reason: 'too_low',
        message: `nonce ${nonce} not above the smallest kept ${smallest}`,
      };
    }
    let i = this.kept.length;
    while (i > 0 && this.kept[i - 1]! > nonce) i--;
    this.kept.splice(i, 0, nonce);
    if (this.kept.length > NONCES_KEPT_PER_SIGNER) this.kept.shift();
    return { ok: true };
  }
}
