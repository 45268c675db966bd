/**
 * The one clock. Every component takes a `Clock`; nothing reads `Date.now()` or calls the global
 * `setTimeout` directly (see DESIGN.md, "one journal, one clock"). The shape is a superset of
 * XState v5's `Clock`, so the same object is passed as `createActor(machine, { clock })`.
 *
 * Times are milliseconds since the Unix epoch as float64: the fraction carries sub-millisecond
 * resolution (about 0.25 µs at today's epoch values).
 */
export type TimerId = number;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
}

interface Timer {
  id: number;
  due: number;
  fn: () => void;
}

/**
 * A manual (simulated) clock: time moves only when told. Unlike XState's SimulatedClock, each timer
 * fires with `now()` equal to its own due time, in due order (ties in creation order), so a
 * replay that advances in large steps sees exactly the same timer interleaving as a live run.
 */
export class ManualClock implements Clock {
  private t: number;
  private nextId = 1;
  private timers: Timer[] = [];

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerId {
    const id = this.nextId++;
    const due = this.t + Math.max(0, ms);
    const timer = { id, due, fn };
    // keep sorted by (due, id): binary search for the insertion point
    let lo = 0;
    let hi = this.timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timers[mid]!.due <= due) lo = mid + 1;
      else hi = mid;
    }
    this.timers.splice(lo, 0, timer);
    return id;
  }

  clearTimeout(id: TimerId): void {
    const i = this.timers.findIndex((x) => x.id === id);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Number of timers still pending. */
  pending(): number {
    return this.timers.length;
  }

  /** Due time of the next timer, or Infinity. */
  nextDue(): number {
    return this.timers.length > 0 ? this.timers[0]!.due : Number.POSITIVE_INFINITY;
  }

  /** Advance to absolute time `t`, firing every timer due at or before `t` at its own due time. */
  advanceTo(t: number): void {
    if (t < this.t) throw new Error(`ManualClock cannot go back in time: now=${this.t} requested=${t}`);
    for (;;) {
      const next = this.timers[0];
      if (next === undefined || next.due > t) break;
      this.timers.shift();
      this.t = next.due;
      next.fn();
    }
    this.t = t;
  }

  /** Advance by `ms`. */
  advance(ms: number): void {
    this.advanceTo(this.t + ms);
  }
}
