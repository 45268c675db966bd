/**
 * The simulator's view of time: structurally the same as `state/clock.ts`'s `Clock` (sim/ may not
 * import state/), so tests pass a `ManualClock` and production passes `realtimeClock`.
 */
export interface SimClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): number;
  clearTimeout(id: number): void;
}
