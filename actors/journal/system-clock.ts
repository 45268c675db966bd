/**
 * The real clock (wall time, real timers) behind the `Clock` interface, for the live writer, the tools'
 * follow mode and ×N replay pacing. The one place in the journal code that touches global timers.
 */
import type { Clock, TimerId } from '../../state/clock.ts';

export class SystemClock implements Clock {
  private readonly handles = new Map<number, ReturnType<typeof setTimeout>>();
  private nextId = 1;

  /** ms since the epoch with sub-ms resolution. */
  now(): number {
    return performance.timeOrigin + performance.now();
  }

  setTimeout(fn: () => void, ms: number): TimerId {
    const id = this.nextId++;
    const h = setTimeout(() => {
      this.handles.delete(id);
      fn();
    }, ms);
    this.handles.set(id, h);
    return id;
  }

  clearTimeout(id: TimerId): void {
    const h = this.handles.get(id);
    if (h !== undefined) {
      clearTimeout(h);
      this.handles.delete(id);
    }
  }
}
