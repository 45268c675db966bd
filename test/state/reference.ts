/**
 * Brute-force reference implementations of the window maths: each rescans the whole history, the
 * slow obvious way, and defines the semantics the O(1) windows must match (see state/windows.ts).
 */
export interface Obs {
  t: number;
  v: number;
}

/** Sum of events with t in (now − W, now]; NaN until now − start ≥ W. */
export function refSum(events: readonly Obs[], start: number, now: number, W: number): number {
  if (!(now - start >= W)) return Number.NaN;
  let s = 0;
  for (const e of events) if (e.t > now - W && e.t <= now) s += e.v;
  return s;
}

/** The last observation at or before `at` (NaN if none). */
export function valueAt(obs: readonly Obs[], at: number): number {
  let v = Number.NaN;
  for (const o of obs) if (o.t <= at) v = o.v;
  return v;
}

export function refLag(obs: readonly Obs[], now: number, W: number): number {
  return valueAt(obs, now - W);
}

/** Max/min of the step function over [now − W, now]; NaN until now − first ≥ W. */
export function refExtremum(obs: readonly Obs[], now: number, W: number, kind: 'max' | 'min'): number {
  if (obs.length === 0 || !(now - obs[0]!.t >= W)) return Number.NaN;
  let best = valueAt(obs, now - W);
  for (const o of obs) {
    if (o.t > now - W && o.t <= now) best = kind === 'max' ? Math.max(best, o.v) : Math.min(best, o.v);
  }
  return best;
}

/** Time-weighted mean of the step function over [now − W, now]; NaN until now − first ≥ W. */
export function refTwm(obs: readonly Obs[], now: number, W: number): number {
  if (obs.length === 0 || !(now - obs[0]!.t >= W)) return Number.NaN;
  const lo = now - W;
  let integral = 0;
  for (let i = 0; i < obs.length; i++) {
    const a = obs[i]!.t;
    const b = i + 1 < obs.length ? obs[i + 1]!.t : now;
    const x = Math.max(a, lo);
    const y = Math.min(b, now);
    if (y > x) integral += obs[i]!.v * (y - x);
  }
  return integral / W;
}

/** Equal as numbers within a relative tolerance, with NaN equal to NaN only. */
export function close(a: number, b: number, rel = 1e-9, abs = 1e-9): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= Math.max(abs, rel * Math.max(Math.abs(a), Math.abs(b)));
}

/**
 * σ (sample standard deviation) of the lagged log return ln(p(b) / p(b − lag)) sampled at every
 * boundary b = kS with first ≤ b < now (p(x) = the observation in effect at x), over the last N
 * samples. A boundary where either price is unknown gives no sample. NaN until N samples exist.
 * With S = 1 s, lag = 5 s, N = 3600 this is the RULEBOOK's sigma5s: σ of move5s sampled once a
 * second over 1 h.
 */
export function refMoveSigma(obs: readonly Obs[], now: number, S: number, lag: number, N: number): number {
  if (obs.length === 0) return Number.NaN;
  const xs: number[] = [];
  let j = 0; // obs[0..j) at or before b
  let k = 0; // obs[0..k) at or before b − lag
  for (let b = Math.ceil(obs[0]!.t / S) * S; b < now; b += S) {
    while (j < obs.length && obs[j]!.t <= b) j++;
    while (k < obs.length && obs[k]!.t <= b - lag) k++;
    const p = j > 0 ? obs[j - 1]!.v : Number.NaN;
    const q = k > 0 ? obs[k - 1]!.v : Number.NaN;
    if (p > 0 && q > 0) xs.push(Math.log(p / q));
  }
  if (xs.length < N || N < 2) return Number.NaN;
  const last = xs.slice(-N);
  const mean = last.reduce((a, b) => a + b, 0) / N;
  const ss = last.reduce((a, b) => a + (b - mean) * (b - mean), 0);
  return Math.sqrt(ss / (N - 1));
}

/**
 * The time at which the step function first attains its max/min over [now − W, now]: the carry (the
 * value in effect at now − W) counts as attained at now − W, each observation inside (now − W, now]
 * at its time; ties go to the earliest (a value equal to the extremum is not a new extremum). NaN
 * until now − first ≥ W.
 */
export function refExtremumTime(obs: readonly Obs[], now: number, W: number, kind: 'max' | 'min'): number {
  const best = refExtremum(obs, now, W, kind);
  if (Number.isNaN(best)) return Number.NaN;
  if (valueAt(obs, now - W) === best) return now - W;
  for (const o of obs) if (o.t > now - W && o.t <= now && o.v === best) return o.t;
  return Number.NaN;
}
