/**
 * Named scenarios: a warm-up hour followed by regime segments. Each coin gets its own jittered copy
 * of the plan (durations ±15 %, trend directions, cascade and spike timing), drawn from the seed; after
 * the listed segments the non-warm-up part repeats, so a server can run for ever.
 *
 * The warm-up hour is quiet sideways history: the longest windows of the hot state (OI 1 h, the σ of
 * 5 s moves over 1 h) are warm when the listed segments begin.
 */
import { Rng } from './rng.ts';

export type SegmentKind = 'warmup' | 'sideways' | 'expansion' | 'chop';

/** How a planned exhaustion spike resolves: back to its origin, or on through its extreme. */
export type SpikeOutcome = 'revert' | 'breakout';

export interface SpikeSpec {
  /** Minutes from the segment's start (jittered like the segment). */
  at: number;
  outcome: SpikeOutcome;
}

export interface SegmentSpec {
  kind: SegmentKind;
  minutes: number;
  /** Cascades inside an expansion segment, in minutes from its start. */
  cascadesAt?: number[];
  /**
   * Expansion only: cascades staged as the RULEBOOK's Cascade reads them — the book is lighter on the
   * side the cascade will hit (so the skew deepens, never flips, and the regime holds through it);
   * OI falls and the flow turns one-sided first, the hit side thins after, the price runs, then OI stops
   * falling and the book refills. Without it, the original model (the hit side thins from the first
   * block and the skew flips sign, so the regime inputs pass through DISABLED during the drop).
   */
  stagedCascades?: boolean;
  /** Sideways only: exhaustion spikes, each with its outcome. */
  spikes?: SpikeSpec[];
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
  exhaustion: {
    name: 'exhaustion',
    description:
      'a quiet hour, then a sideways range with exhaustion spikes: sharp moves that stall while aggression ' +
      'keeps pushing, then revert to their origin or break out',
    segments: [
      { kind: 'warmup', minutes: 60 },
      {
        kind: 'sideways',
        minutes: 36,
        spikes: [
          { at: 4, outcome: 'revert' },
          { at: 9, outcome: 'breakout' },
          { at: 14, outcome: 'revert' },
          { at: 19, outcome: 'revert' },
          { at: 24, outcome: 'breakout' },
          { at: 29, outcome: 'revert' },
        ],
      },
    ],
  },
  cascade: {
    name: 'cascade',
    description:
      'a quiet hour, then expansions (OI building, funding and book skewed) each ending in a staged ' +
      'liquidation cascade: OI drops and the flow turns one-sided, the hit side of the book thins, the ' +
      'price runs, then OI stops falling and the book refills',
    segments: [
      { kind: 'warmup', minutes: 60 },
      { kind: 'expansion', minutes: 14, cascadesAt: [10], stagedCascades: true },
      { kind: 'expansion', minutes: 12, cascadesAt: [8], stagedCascades: true },
      { kind: 'expansion', minutes: 12, cascadesAt: [8], stagedCascades: true },
      // room for the last cascade of a coin whose plan is stretched by the jitter
      { kind: 'chop', minutes: 6 },
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
  /** Whether this segment's cascades (and its book skew) follow the staged model. */
  staged: boolean;
  /** Absolute planned start times of exhaustion spikes in this segment, with their outcomes. */
  spikes: { t: number; outcome: SpikeOutcome }[];
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
    // spikes draw from the plan only when a segment has some (the older scenarios' plans are unchanged)
    const spikes = (s.spikes ?? []).map((sp) => ({
      t: Math.round(
        start + Math.min(len - 90_000, sp.at * 60_000 * jitter + this.rng.range(-20_000, 20_000)),
      ),
      outcome: sp.outcome,
    }));
    this.segs.push({
      kind: s.kind,
      start,
      end: start + len,
      dir,
      cascades,
      staged: s.stagedCascades === true,
      spikes,
    });
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
