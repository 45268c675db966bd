/**
 * Labelled strategy events: the simulator's ground truth of the moments each strategy exists for —
 * exhaustion spikes in sideways ranges (Kinematics), liquidation cascades in expansions (Cascade),
 * absorption at a range edge (Geometry). Each names its coin, its window on the simulated clock, the
 * side the strategy's rules take and how the move resolved, so a validation can match a strategy's
 * entries to them: an entry is inside an event when its coin is the event's and its time is in
 * [start, end].
 *
 * In the ground-truth JSONL each event is one line `{"event":"strategyEvent", …the fields below}`,
 * written when the event is over (ordered by `end` among the labels).
 */
import { z } from 'zod';

export const STRATEGY_EVENT_KINDS = ['exhaustion', 'cascade', 'range-edge'] as const;
export type StrategyEventKind = (typeof STRATEGY_EVENT_KINDS)[number];

/**
 * How the move resolved: `revert` back to its origin (exhaustion, range edge), `breakout` on through its
 * extreme (exhaustion), `continue` with the flow (cascade).
 */
export const STRATEGY_EVENT_OUTCOMES = ['revert', 'breakout', 'continue'] as const;
export type StrategyEventOutcome = (typeof STRATEGY_EVENT_OUTCOMES)[number];

export type StrategyName = 'geometry' | 'kinematics' | 'cascade';
export type EventSide = 'LONG' | 'SHORT';

/** The strategy each kind of event is for, and the regime that strategy trades in. */
export const EVENT_STRATEGY: Readonly<
  Record<StrategyEventKind, { strategy: StrategyName; regime: 'SIDEWAYS' | 'EXPANSION' }>
> = {
  exhaustion: { strategy: 'kinematics', regime: 'SIDEWAYS' },
  cascade: { strategy: 'cascade', regime: 'EXPANSION' },
  'range-edge': { strategy: 'geometry', regime: 'SIDEWAYS' },
};

export const StrategyEventSchema = z.object({
  /** `<coin>-<kind>-<n>`, n counting from 1 per coin and kind. */
  id: z.string(),
  kind: z.enum(STRATEGY_EVENT_KINDS),
  coin: z.string(),
  /** Window on the simulated clock (ms since epoch), both ends included. */
  start: z.number(),
  end: z.number(),
  outcome: z.enum(STRATEGY_EVENT_OUTCOMES),
  /**
   * The side the strategy's rules take in this event: against an exhaustion spike (an up-spike is
   * SHORT, whether it then reverts or breaks out), with a cascade's flow, away from the edge.
   */
  side: z.enum(['LONG', 'SHORT']),
  /** The strategy the event is for (EVENT_STRATEGY[kind].strategy). */
  strategy: z.enum(['geometry', 'kinematics', 'cascade']),
  /** The planned (fair) price the move starts from: the spike's origin, the cascade's start price, the mid at the edge. */
  fromPx: z.number(),
  /** The planned extreme: the spike's top (bottom), where a cascade's run ends, the edge an absorption holds. */
  extremePx: z.number(),
  notes: z.string(),
});
export type StrategyEvent = z.infer<typeof StrategyEventSchema>;

/** One ground-truth JSONL line holding a strategy event. */
export const StrategyEventLineSchema = StrategyEventSchema.extend({ event: z.literal('strategyEvent') });

/** Whether an entry of `coin` at `t` (ms, sim clock) is inside the event. */
export function isInside(e: StrategyEvent, coin: string, t: number): boolean {
  return e.coin === coin && t >= e.start && t <= e.end;
}

/** The first event (of `kind`, if given) an entry of `coin` at `t` is inside, if any. */
export function eventAt(
  events: readonly StrategyEvent[],
  coin: string,
  t: number,
  kind?: StrategyEventKind,
): StrategyEvent | undefined {
  return events.find((e) => (kind === undefined || e.kind === kind) && isInside(e, coin, t));
}

export interface EntryMatch<E extends { coin: string; time: number }> {
  /** Each entry with the event it is inside (null: outside every event of the kinds asked for). */
  entries: { entry: E; event: StrategyEvent | null }[];
  /** Entries inside an event / all entries (1 when there are none). */
  precision: number;
  /** Events with at least one entry inside / events (1 when there are none). */
  recall: number;
  /** Ids of the events taken. */
  taken: string[];
  events: number;
}

/** Match a strategy's entries to the events of the given kinds (precision and recall). */
export function matchEntries<E extends { coin: string; time: number }>(
  events: readonly StrategyEvent[],
  entries: readonly E[],
  kinds: readonly StrategyEventKind[],
): EntryMatch<E> {
  const mine = events.filter((e) => kinds.includes(e.kind));
  const taken = new Set<string>();
  const out = entries.map((entry) => {
    const event = eventAt(mine, entry.coin, entry.time) ?? null;
    if (event) taken.add(event.id);
    return { entry, event };
  });
  const inside = out.filter((x) => x.event !== null).length;
  return {
    entries: out,
    precision: entries.length === 0 ? 1 : inside / entries.length,
    recall: mine.length === 0 ? 1 : taken.size / mine.length,
    taken: [...taken].sort(),
    events: mine.length,
  };
}
