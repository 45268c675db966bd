/**
 * Named scenarios: a warm-up hour followed by regime segments. Each coin gets its own jittered copy
 * of the plan (durations ±15 %, trend directions, cascade timing), drawn from the seed; after the
 * listed segments the non-warm-up part repeats, so a server can run for ever.
 */
import { Rng } from './rng.ts';

export type SegmentKind = 'warmup' | 'sideways' | 'expansion' | 'chop';

export interface SegmentSpec {
  kind: SegmentKind;
  minutes: number;
  /** Cascades inside an expansion segment, in minutes from its start. */
  cascadesAt?: number[];
}

export interface ScenarioSpec {
  name: string;
  description: string;
  segments: SegmentSpec[];
}

export const SCENARIOS: Record<string, ScenarioSpec> = {
  default: {
    name: 'default',
    description:
      'a mix of all regimes: sideways, chop, an expansion with a liquidation cascade, sideways again',
    segments: [
      { kind: 'warmup', minutes: 60 },
      { kind: 'sideways', minutes: 30 },
      { kind: 'chop', minutes: 15 },
      { kind: 'expansion', minutes: 35, cascadesAt: [26] },
      { kind: 'sideways', minutes: 40 },
    ],
  },
  sideways: {
    name: 'sideways',
    description: 'a long range with absorption episodes at the edges',
    segments: [
      { kind: 'warmup', minutes: 60 },
      { kind: 'sideways', minutes: 90 },
    ],
  },
  'expansion-cascade': {
    name: 'expansion-cascade',
    description: 'OI building with skewed funding and book, two liquidation cascades, then chop',
    segments: [
      { kind: 'warmup', minutes: 60 },
      { kind: 'expansion', minutes: 30, cascadesAt: [22] },
      { kind: 'expansion', minutes: 25, cascadesAt: [16] },
      { kind: 'chop', minutes: 15 },
    ],
  },
  chop: {
    name: 'chop',
    description: 'ambiguous chop: funding in the dead zone, OI wobbling, book skew flipping',
    segments: [
      { kind: 'warmup', minutes: 60 },
      { kind: 'chop', minutes: 75 },
    ],
  },
};

export function scenarioNames(): string[] {
  return Object.keys(SCENARIOS);
}

export function getScenario(name: string): ScenarioSpec {
  const s = SCENARIOS[name];
  if (s === undefined) {
    throw new Error(`unknown scenario "${name}"; known: ${scenarioNames().join(', ')}`);
  }
  return s;
}

/** Planned length of a scenario in ms (before jitter), i.e. one pass over its segments. */
export function scenarioDurationMs(name: string): number {
  return getScenario(name).segments.reduce((a, s) => a + s.minutes * 60_000, 0);
}

export interface Segment {
  kind: SegmentKind;
  start: number;
  end: number;
  /** Trend direction for expansion (+1 up: longs crowd in; −1 down). */
  dir: 1 | -1;
  /** Absolute start times of cascades in this segment. */
  cascades: number[];
}

/** A coin's lazily extended segment plan. */
export class SegmentPlan {
  private readonly segs: Segment[] = [];
  private readonly rng: Rng;
  private cursor = 0;
  private idx = 0;

  constructor(
    private readonly spec: ScenarioSpec,
    seed: number,
    coin: string,
    private readonly startTime: number,
  ) {
    this.rng = Rng.derive(seed, `plan:${spec.name}:${coin}`);
  }

  private extend(): void {
    const list = this.spec.segments;
    const firstPass = this.idx < list.length;
    const i = firstPass
      ? this.idx
      : list.length === 1
        ? 0
        : 1 + ((this.idx - list.length) % (list.length - 1));
    const s = list[i]!;
    this.idx++;
    // warm-up keeps its exact length so "after the 1 h warm-up" means the same for every coin
    const jitter = s.kind === 'warmup' ? 1 : 0.85 + 0.3 * this.rng.next();
    const len = Math.round(s.minutes * 60_000 * jitter);
    const start = this.segs.length === 0 ? this.startTime : this.segs[this.segs.length - 1]!.end;
    const dir: 1 | -1 = this.rng.chance(0.5) ? 1 : -1;
    const cascades = (s.cascadesAt ?? []).map((m) =>
      Math.round(start + Math.min(len - 60_000, m * 60_000 * jitter + this.rng.range(-30_000, 30_000))),
    );
    this.segs.push({ kind: s.kind, start, end: start + len, dir, cascades });
  }

  /** The segment covering time `t` (t must not go backwards between calls for speed). */
  at(t: number): Segment {
    while (this.segs.length === 0 || this.segs[this.segs.length - 1]!.end <= t) this.extend();
    if (this.cursor >= this.segs.length || this.segs[this.cursor]!.start > t) this.cursor = 0;
    while (this.segs[this.cursor]!.end <= t) this.cursor++;
    return this.segs[this.cursor]!;
  }

  /** Segments planned so far. */
  segments(): readonly Segment[] {
    return this.segs;
  }
}
