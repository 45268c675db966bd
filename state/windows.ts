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
 *
 * Also the time the extremum was first attained (`extremumTime`): the deque keeps equal values (it
 * pops only strictly worse ones), so its front is the earliest observation holding the extremum; an
 * observation equal to the value already in effect changes nothing and is not kept. Ties go to the
 * earliest: a value equal to the current extremum is not a new extremum.
 */
export class RollingExtremum {
  private readonly q = new Deque();
  private readonly carry: Lag;
  private readonly sign: number;
  private last = Number.NaN;
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
    const repeat = v === this.last; // the step function does not change
    if (Number.isNaN(this.first)) this.first = t;
    this.advance(t);
    t = this.now;
    this.carry.observe(t, v);
    this.last = v;
    if (repeat) return;
    const q = this.q;
    const sv = this.sign * v;
    while (q.length > 0 && q.backValue() < sv) q.popBack();
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

  /**
   * The time the extremum over [now − W, now] was first attained: the front observation's time, or
   * now − W when the carry (the value in effect at now − W) is at least as extreme. So
   * `now − extremumTime()` (in [0, W]) is the time since the series last made a new extremum, a
   * value equal to it not counting as new. NaN until warm.
   */
  extremumTime(): number {
    if (!(this.now - this.first >= this.windowMs)) return Number.NaN;
    const cut = this.now - this.windowMs;
    const q = this.q;
    if (q.length === 0 || this.sign * this.carry.value() >= q.valueAt(0)) return cut;
    return q.timeAt(0);
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
 * σ (sample standard deviation) of the lagged log return ln(p(b) / p(b − lagMs)), sampled at every
 * boundary b (a multiple of `sampleMs` since the epoch), over the last `samples` samples. p(x) is the
 * state in effect at x (the last observation at or before x); a boundary is sampled once time has
 * moved past it, so a sample uses only data at or before its boundary. A boundary where either price
 * is unknown (before the first observation, or not > 0) gives no sample. NaN until `samples` samples
 * exist (the window is fully warm).
 *
 * With sampleMs 1 s, lagMs 5 s and 3600 samples this is the RULEBOOK's sigma5s: the standard
 * deviation of move5s = ln(mid / mid 5 s ago) sampled once a second over 1 h (NULL until 1 h of
 * samples). The sample at b equals `ret5s` as published at time b.
 *
 * O(1) amortised: the last lag/sample + 1 boundary prices in a ring, the samples in a fixed ring with
 * a running shifted sum and sum of squares (shift = the mean at the last re-sum, so squares do not
 * cancel), re-summed exactly once per ring turn (no drift). After a long silence only the last
 * `samples + lag/sample` boundaries are replayed: the earlier ones would be evicted anyway.
 */
export class MoveSigma {
  private readonly prices: Float64Array;
  private readonly r: Float64Array;
  private readonly lagSteps: number;
  private pHead = 0;
  private head = 0;
  private count = 0;
  private shift = 0;
  private sum = 0;
  private sumSq = 0;
  private pushes = 0;
  private cur = Number.NaN;
  /** The next boundary not yet sampled; NaN before the first observation. */
  private nextB = Number.NaN;
  private now = Number.NEGATIVE_INFINITY;

  constructor(
    readonly sampleMs: number,
    readonly lagMs: number,
    readonly samples: number,
  ) {
    const steps = lagMs / sampleMs;
    if (!(sampleMs > 0) || !Number.isInteger(steps) || steps < 1 || !Number.isInteger(samples) || samples < 2)
      throw new Error(
        `MoveSigma: lag ${lagMs} ms must be a whole number ≥ 1 of samples of ${sampleMs} ms, ≥ 2 samples`,
      );
    this.lagSteps = steps;
    this.prices = new Float64Array(steps + 1).fill(Number.NaN);
    this.r = new Float64Array(samples);
  }

  observe(t: number, v: number): void {
    if (Number.isNaN(this.nextB)) this.nextB = Math.ceil(t / this.sampleMs) * this.sampleMs;
    this.advance(t);
    this.cur = v;
  }

  advance(now: number): void {
    if (now <= this.now) return;
    this.now = now;
    const nb = this.nextB;
    if (!(nb < now)) return;
    const S = this.sampleMs;
    const last = Math.ceil(now / S) * S - S; // the largest boundary strictly before now
    let n = Math.round((last - nb) / S) + 1;
    const cap = this.samples + this.lagSteps;
    if (n > cap) n = cap;
    const v = this.cur;
    for (let k = 0; k < n; k++) this.sample(v);
    this.nextB = last + S;
  }

  /** Record the price at the next boundary and the lagged return ending there. */
  private sample(p: number): void {
    const ring = this.prices;
    const len = ring.length;
    ring[this.pHead] = p;
    this.pHead = this.pHead + 1 === len ? 0 : this.pHead + 1;
    // the ring holds lagSteps + 1 prices: the oldest (now at pHead) is the one lagSteps boundaries back
    const q = ring[this.pHead]!;
    if (p > 0 && q > 0) this.push(Math.log(p / q));
  }

  private push(x: number): void {
    const r = this.r;
    const n = this.samples;
    const y = x - this.shift;
    if (this.count === n) {
      const old = r[this.head]! - this.shift;
      this.sum -= old;
      this.sumSq -= old * old;
    } else this.count++;
    r[this.head] = x;
    this.head = this.head + 1 === n ? 0 : this.head + 1;
    this.sum += y;
    this.sumSq += y * y;
    if (++this.pushes >= n) {
      this.pushes = 0;
      const c = this.count;
      let m = 0;
      for (let k = 0; k < c; k++) m += r[k]!;
      m /= c;
      let s = 0;
      let q = 0;
      for (let k = 0; k < c; k++) {
        const d = r[k]! - m;
        s += d;
        q += d * d;
      }
      this.shift = m;
      this.sum = s;
      this.sumSq = q;
    }
  }

  value(): number {
    const n = this.count;
    if (n < this.samples) return Number.NaN;
    const v = (this.sumSq - (this.sum * this.sum) / n) / (n - 1);
    return Math.sqrt(Math.max(v, 0));
  }
}
