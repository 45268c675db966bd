/**
 * Rolling time windows with O(1) amortised updates. Two kinds of series:
 *  - events (trade notional): a value per time; a window sums the events with time in (now − W, now];
 *  - states (OI, mid, depth, funding): a step function — the value at time t is the last observation at
 *    or before t. A window over a state covers [now − W, now], so it includes the value in effect at
 *    now − W (the "carry"), not only the observations inside the window.
 * Every window value is NaN (NULL) until the window is warm: `now − first ≥ W`, where `first` is the
 * first observation (or `start` call). Values use only what was observed at or before `now`.
 * Callers advance time monotonically; an observation at an earlier time than the last is clamped.
 */
import { Deque } from './ring.ts';

/** Sum of events with time in (now − W, now]. Warm once `now − first ≥ W`. */
export class RollingSum {
  private readonly q = new Deque();
  private sum = 0;
  private evictions = 0;
  private first = Number.NaN;
  private now = Number.NEGATIVE_INFINITY;

  constructor(readonly windowMs: number) {}

  /** Mark the start of observation (the stream is live from `t`, even with no event yet). */
  start(t: number): void {
    if (Number.isNaN(this.first)) this.first = t;
    this.advance(t);
  }

  add(t: number, x: number): void {
    this.start(t);
    t = this.now;
    if (this.q.length > 0 && this.q.backTime() === t) this.q.setBackValue(this.q.backValue() + x);
    else this.q.push(t, x);
    this.sum += x;
  }

  advance(now: number): void {
    if (now <= this.now) return;
    this.now = now;
    const cut = now - this.windowMs;
    const q = this.q;
    while (q.length > 0 && q.timeAt(0) <= cut) {
      this.sum -= q.valueAt(0);
      q.popFront();
      this.evictions++;
    }
    if (q.length === 0) {
      this.sum = 0;
      this.evictions = 0;
    } else if (this.evictions >= 64 && this.evictions >= q.length) {
      // re-sum exactly now and then so add/subtract rounding never drifts (amortised O(1))
      let s = 0;
      for (let k = 0; k < q.length; k++) s += q.valueAt(k);
      this.sum = s;
      this.evictions = 0;
    }
  }

  warm(): boolean {
    return this.now - this.first >= this.windowMs;
  }

  /** The sum at the last advanced time, NaN while warming up. */
  value(): number {
    return this.warm() ? this.sum : Number.NaN;
  }
}

/**
 * The value of a state series in effect at `now − W`: the last observation at or before it.
 * NaN while no observation is that old (that is also its warm-up).
 */
export class Lag {
  private readonly q = new Deque();
  private now = Number.NEGATIVE_INFINITY;

  constructor(readonly windowMs: number) {}

  observe(t: number, v: number): void {
    this.advance(t);
    t = this.now;
    const q = this.q;
    if (q.length > 0) {
      if (q.backTime() === t) {
        q.setBackValue(v);
        return;
      }
      if (q.backValue() === v) return; // unchanged step: nothing to record
    }
    q.push(t, v);
  }

  advance(now: number): void {
    if (now <= this.now) return;
    this.now = now;
    const cut = now - this.windowMs;
    const q = this.q;
    while (q.length >= 2 && q.timeAt(1) <= cut) q.popFront();
  }

  value(): number {
    const q = this.q;
    return q.length > 0 && q.timeAt(0) <= this.now - this.windowMs ? q.valueAt(0) : Number.NaN;
  }
}

/**
 * Max (or min) of a state series over [now − W, now]: the observations in (now − W, now] (monotonic
 * deque) and the carry value in effect at now − W. NaN until warm.
 */
export class RollingExtremum {
  private readonly q = new Deque();
  private readonly carry: Lag;
  private readonly sign: number;
  private first = Number.NaN;
  private now = Number.NEGATIVE_INFINITY;

  constructor(
    readonly windowMs: number,
    readonly kind: 'max' | 'min',
  ) {
    this.carry = new Lag(windowMs);
    this.sign = kind === 'max' ? 1 : -1;
  }

  observe(t: number, v: number): void {
    if (Number.isNaN(this.first)) this.first = t;
    this.advance(t);
    t = this.now;
    this.carry.observe(t, v);
    const q = this.q;
    const sv = this.sign * v;
    while (q.length > 0 && q.backValue() <= sv) q.popBack();
    q.push(t, sv);
  }

  advance(now: number): void {
    if (now <= this.now) return;
    this.now = now;
    this.carry.advance(now);
    const cut = now - this.windowMs;
    const q = this.q;
    while (q.length > 0 && q.timeAt(0) <= cut) q.popFront();
  }

  value(): number {
    if (!(this.now - this.first >= this.windowMs)) return Number.NaN;
    const c = this.sign * this.carry.value();
    const inside = this.q.length > 0 ? this.q.valueAt(0) : Number.NEGATIVE_INFINITY;
    return this.sign * Math.max(c, inside);
  }
}

/**
 * Time-weighted mean of a state series over [now − W, now] (the integral of the step function over W).
 * NaN until warm.
 */
export class TimeWeightedMean {
  private readonly q = new Deque();
  /** Σ v_i (t_{i+1} − t_i) over consecutive deque entries (all but the last, open, segment). */
  private closed = 0;
  private evictions = 0;
  private first = Number.NaN;
  private now = Number.NEGATIVE_INFINITY;

  constructor(readonly windowMs: number) {}

  observe(t: number, v: number): void {
    if (Number.isNaN(this.first)) this.first = t;
    this.advance(t);
    t = this.now;
    const q = this.q;
    if (q.length > 0) {
      const bt = q.backTime();
      const bv = q.backValue();
      if (bt === t) {
        q.setBackValue(v);
        return;
      }
      if (bv === v) return;
      this.closed += bv * (t - bt);
    }
    q.push(t, v);
  }

  advance(now: number): void {
    if (now <= this.now) return;
    this.now = now;
    const cut = now - this.windowMs;
    const q = this.q;
    while (q.length >= 2 && q.timeAt(1) <= cut) {
      this.closed -= q.valueAt(0) * (q.timeAt(1) - q.timeAt(0));
      q.popFront();
      this.evictions++;
    }
    if (this.evictions >= 64 && this.evictions >= q.length) {
      let s = 0;
      for (let k = 0; k + 1 < q.length; k++) s += q.valueAt(k) * (q.timeAt(k + 1) - q.timeAt(k));
      this.closed = s;
      this.evictions = 0;
    }
  }

  value(): number {
    if (!(this.now - this.first >= this.windowMs)) return Number.NaN;
    const q = this.q;
    const cut = this.now - this.windowMs;
    const t0 = q.timeAt(0);
    const head = t0 < cut ? q.valueAt(0) * (cut - t0) : 0;
    const integral = this.closed - head + q.backValue() * (this.now - q.backTime());
    return integral / this.windowMs;
  }
}

/**
 * σ (sample standard deviation) of log returns between consecutive bucket boundaries (multiples of
 * `bucketMs` since the epoch) over the last `buckets` returns. The price at boundary b is the state in
 * effect at b (last observation at or before b); a boundary is sampled once time has moved past it.
 * Running sum and sum of squares over a fixed ring, re-summed once per ring turn (no drift).
 * NaN until `buckets` returns exist (the window is fully warm).
 */
export class BucketSigma {
  private readonly r: Float64Array;
  private head = 0;
  private count = 0;
  private sum = 0;
  private sumSq = 0;
  private pushes = 0;
  private cur = Number.NaN;
  /** The next boundary not yet sampled; NaN before the first observation. */
  private nextB = Number.NaN;
  private lastSample = Number.NaN;
  private now = Number.NEGATIVE_INFINITY;

  constructor(
    readonly bucketMs: number,
    readonly buckets: number,
  ) {
    this.r = new Float64Array(buckets);
  }

  observe(t: number, v: number): void {
    if (Number.isNaN(this.nextB)) this.nextB = Math.ceil(t / this.bucketMs) * this.bucketMs;
    this.advance(t);
    this.cur = v;
  }

  advance(now: number): void {
    if (now <= this.now) return;
    this.now = now;
    const nb = this.nextB;
    if (!(nb < now)) return;
    const B = this.bucketMs;
    const last = Math.ceil(now / B) * B - B; // the largest boundary strictly before now
    let n = Math.round((last - nb) / B) + 1;
    // after a long silence every return but the first is 0 and only the last `buckets` count
    if (n > this.buckets + 1) n = this.buckets + 1;
    const v = this.cur;
    for (let k = 0; k < n; k++) this.sample(v);
    this.nextB = last + B;
  }

  private sample(v: number): void {
    const prev = this.lastSample;
    this.lastSample = v;
    if (!(prev > 0 && v > 0)) return;
    this.pushReturn(Math.log(v / prev));
  }

  private pushReturn(x: number): void {
    const r = this.r;
    const n = this.buckets;
    if (this.count === n) {
      const old = r[this.head]!;
      this.sum -= old;
      this.sumSq -= old * old;
    } else this.count++;
    r[this.head] = x;
    this.head = this.head + 1 === n ? 0 : this.head + 1;
    this.sum += x;
    this.sumSq += x * x;
    if (++this.pushes >= n) {
      this.pushes = 0;
      let s = 0;
      let q = 0;
      for (let k = 0; k < this.count; k++) {
        const y = r[k]!;
        s += y;
        q += y * y;
      }
      this.sum = s;
      this.sumSq = q;
    }
  }

  value(): number {
    const n = this.count;
    if (n < this.buckets || n < 2) return Number.NaN;
    const v = (this.sumSq - (this.sum * this.sum) / n) / (n - 1);
    return Math.sqrt(Math.max(v, 0));
  }
}
