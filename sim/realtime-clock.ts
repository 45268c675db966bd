/**
 * The wall clock for the simulator. The only file in sim/ that reads `Date.now` or touches the
 * global timers; everything else takes a `SimClock`.
 */
import type { SimClock } from './clock.ts';

class RealtimeClock implements SimClock {
  private nextId = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = this.nextId++;
    const h = setTimeout(
      () => {
        this.timers.delete(id);
        fn();
      },
      Math.max(0, ms),
    );
    this.timers.set(id, h);
    return id;
  }

  clearTimeout(id: number): void {
    const h = this.timers.get(id);
    if (h !== undefined) {
      clearTimeout(h);
      this.timers.delete(id);
    }
  }
}

/** A fresh wall-clock `SimClock`. */
export function realtimeClock(): SimClock {
  return new RealtimeClock();
}

/** Run `fn` after pending I/O (used by speed 'max' to let sockets drain between batches of blocks). */
export function afterIo(fn: () => void): { cancel(): void } {
  const h = setImmediate(fn);
  return { cancel: () => clearImmediate(h) };
}
