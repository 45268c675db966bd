/**
 * Real clocks for the composition root. `SystemClock` is wall time. `WarpClock` runs faster than wall
 * time until a given instant and then at 1× — the embedded default uses one WarpClock for both the
 * simulator and the whole stack, so the simulated market's first hour (the longest rolling window's
 * warm-up) passes in seconds and everything after it plays in real time, with every component reading
 * the same consistent time.
 */
import { SystemClock } from '../actors/journal/system-clock.ts';
import type { Clock, TimerId } from '../state/clock.ts';

export { SystemClock };

export class WarpClock implements Clock {
  private readonly real = new SystemClock();
  private readonly realStart: number;
  private readonly warpRealMs: number;

  /**
   * @param start    clock time at construction (ms since epoch)
   * @param rate     speed while warping (×)
   * @param warpMs   clock time to cover at `rate`
   * @param after    speed after the warp (× real time; 1 = real time)
   */
  constructor(
    private readonly start: number,
    private readonly rate: number,
    private readonly warpMs: number,
    private readonly after = 1,
  ) {
    if (!(rate >= 1)) throw new Error(`warp rate must be ≥ 1, got ${rate}`);
    if (!(after > 0)) throw new Error(`speed must be > 0, got ${after}`);
    this.realStart = this.real.now();
    this.warpRealMs = warpMs / rate;
  }

  now(): number {
    const r = this.real.now() - this.realStart;
    if (r <= this.warpRealMs) return this.start + r * this.rate;
    return this.start + this.warpMs + (r - this.warpRealMs) * this.after;
  }

  /** Whether the clock still runs fast. */
  warping(): boolean {
    return this.real.now() - this.realStart < this.warpRealMs;
  }

  /** Real ms until clock time `t`. */
  private realDelay(t: number): number {
    const warpEnd = this.start + this.warpMs;
    const rNow = this.real.now() - this.realStart;
    const rAt = t <= warpEnd ? (t - this.start) / this.rate : this.warpRealMs + (t - warpEnd) / this.after;
    return Math.max(0, rAt - rNow);
  }

  setTimeout(fn: () => void, ms: number): TimerId {
    return this.real.setTimeout(fn, this.realDelay(this.now() + Math.max(0, ms)));
  }

  clearTimeout(id: TimerId): void {
    this.real.clearTimeout(id);
  }
}
