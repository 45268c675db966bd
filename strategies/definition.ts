/**
 * What a strategy is, for the registry: one file in `strategies/` exports one `StrategyDefinition`
 * (as its `strategy` export) and nothing else needs to change for the system to gate it, tick it,
 * journal it, configure it and report it (issue 15).
 *
 * A definition is data plus pure rules over a hot-state view:
 * - `name`, `family` (the RULEBOOK's SLBRS / EFFCS — the regime that enables it follows from it);
 * - `params`: a zod schema of its parameters with the RULEBOOK defaults (config `strategies.<name>.*`,
 *   env `HLT_STRATEGIES__<NAME>__<PARAM>`), including its lifecycle timings and `enabled`;
 * - `view`: what it reads of one coin's hot state, as named numbers (NaN = NULL);
 * - `setup` / `trigger` / `exit` / `size`: the RULEBOOK's rules. `holds` (optional) says whether an armed
 *   setup still stands; by default it does while `setup` still finds one on the held side.
 *
 * The lifecycle itself (DISABLED → SCANNING → ARMED → ENTERED → EXITED → COOLDOWN, timeouts, exits,
 * retries) is the one shared machine in `machines/strategy.machine.ts`; `evaluate` below turns a
 * definition's rules into the machine's per-tick verdict. Strategies never see execution, keys or I/O.
 */
import { z } from 'zod';
import type { Family } from '../machines/regime.types.ts';
import type { ExitReason, SetupInfo, StrategyEval } from '../machines/strategy.types.ts';
import type { HotView } from '../state/hotview.ts';

export type LifecyclePhase = 'DISABLED' | 'SCANNING' | 'ARMED' | 'ENTERED' | 'EXITED' | 'COOLDOWN';

/** The regime a family trades in (RULEBOOK "Regime controller": gates). */
export const FAMILY_REGIME = { SLBRS: 'SIDEWAYS', EFFCS: 'EXPANSION' } as const;

/** What every exit rule is told beside the view. */
export interface ExitContext {
  healthy: boolean;
  stale: boolean;
}

/** The parameters every strategy has (the lifecycle's per-strategy timings and the on/off switch). */
export interface BaseParams {
  enabled: boolean;
  /** ARMED → SCANNING when the trigger has not come within this (ms). */
  armTimeoutMs: number;
  /** ENTERED → EXITED after holding this long (ms). */
  maxHoldMs: number;
  /** COOLDOWN length (ms). */
  cooldownMs: number;
  /**
   * The wallet filter (issue 18; default off): an entry against the direction of a manipulator active on
   * the coin (hot-state `isManipulatorActive` / `manipulatorDirection`) is refused. A strategy declares it
   * in its parameter schema as `walletFilter: walletFilterParam`.
   */
  walletFilter?: boolean;
}

/** The wallet filter's parameter (default off). */
export const walletFilterParam = z.boolean().default(false);

/** The wallet flags of a coin's slot, as the filter reads them. */
export interface WalletFlagsView {
  /** 1 while a manipulator is active on the coin. */
  isManipulatorActive: number;
  /** +1 LONG, −1 SHORT, 0 NONE. */
  manipulatorDirection: number;
}

/**
 * The wallet filter's verdict on an entry: the reason it is refused (against an active manipulator's
 * direction), or null when it may go ahead (filter off, no manipulator active, or the same direction).
 */
export function walletFilterRefusal(
  enabled: boolean | undefined,
  side: 'LONG' | 'SHORT',
  flags: WalletFlagsView | undefined,
): string | null {
  if (enabled !== true || flags === undefined || flags.isManipulatorActive !== 1) return null;
  const d = flags.manipulatorDirection;
  const against = (side === 'LONG' && d === -1) || (side === 'SHORT' && d === 1);
  return against
    ? `wallet filter: ${side} entry refused, a manipulator is active ${d === 1 ? 'LONG' : 'SHORT'} on the coin`
    : null;
}

export interface TriggerVerdict {
  fired: boolean;
  /** The evidence, with the numbers (logged with the entry intent). */
  reason: string;
  /**
   * Stop and target fixed at the trigger, for a strategy whose levels depend on the entry (Cascade's
   * target is measured from the entry). Absent: the ones frozen at arming.
   */
  levels?: { stop: number; target: number };
}

export interface ExitVerdict {
  reason: ExitReason;
  detail: string;
}

export interface StrategyDefinition<P extends BaseParams = BaseParams, V = unknown> {
  /** Lower-case identifier: config key, journal and decision-log name. */
  name: string;
  family: Family;
  /** One line for `--help` and the dashboard. */
  summary: string;
  /** Parameters with the RULEBOOK defaults: `params.parse({})` gives them all. */
  params: z.ZodType<P>;
  /** The named hot-state inputs the rules read (NaN = NULL). */
  view(h: HotView): V;
  /** Setup (SCANNING → ARMED): the side and the levels frozen at arming, or null. */
  setup(v: V, p: P): SetupInfo | null;
  /** Whether an armed setup still stands (default: `setup` finds one on the held side). */
  holds?(v: V, held: SetupInfo, p: P): boolean;
  /** Trigger (ARMED → ENTERED) against the frozen setup. */
  trigger(v: V, held: SetupInfo, p: P): TriggerVerdict;
  /** While ENTERED: target, stop or an invalidation, else null. */
  exit(v: V, held: SetupInfo, ctx: ExitContext, p: P): ExitVerdict | null;
  /** Size as a fraction of equity for an entry at `entry` with `stop` (default: the 0.5 % risk rule). */
  size?(entry: number, stop: number, riskPerTrade: number, p: P): number;
}

/**
 * A definition whose parameter and view types are no longer known (the registry holds many). Its
 * functions are called only with the view and parameters that the same definition produced.
 */
export type AnyStrategy = StrategyDefinition<any, any>;

/** The RULEBOOK's sizing: (entry − stop) × size = riskPerTrade × equity, as a fraction of equity. */
export function riskSize(entry: number, stop: number, riskPerTrade: number): number {
  const dist = Math.abs(entry - stop);
  if (!(dist > 0) || !Number.isFinite(entry)) return 0;
  return (riskPerTrade * entry) / dist;
}

/** The RULEBOOK's risk per trade (0.5 %): the strategies' default when no `risk.riskPerTrade` is given. */
export const RULEBOOK_RISK_PER_TRADE = 0.005;

/** Parameter schemas the strategies share: a positive number, a fraction in (0, 1]. */
export const positive = z.number().positive();
export const fraction = z.number().positive().max(1);

/** Every value finite (a NaN is NULL: the rule that needs it is false). */
export const finite = (...xs: number[]): boolean => xs.every((x) => Number.isFinite(x));

/** Six significant figures, for reasons. */
export const r6 = (x: number): number => Number(x.toPrecision(6));

/**
 * The verdict for one control tick given the lifecycle phase and (while ARMED/ENTERED) the setup held.
 * Called by the decision side inside a try/catch: an exception becomes STRATEGY_ERROR.
 *
 * The setup, its side and its levels are frozen when the strategy arms (RULEBOOK "Strategy lifecycle"):
 * while ARMED the trigger measures against the held setup, never against this tick's rolling windows.
 * The setup must still stand on every ARMED tick (`holds`): when it does not ("setup gone"), the verdict
 * carries no setup and the lifecycle goes back to SCANNING; while it does, the verdict carries the held
 * setup unchanged, so the entry's levels are the frozen ones (or those the trigger fixes).
 *
 * `wallet` (the coin's wallet flags) is read only when the strategy's `walletFilter` is on: a trigger
 * against an active manipulator's direction is then no trigger, its `triggerReason` the refusal.
 */
export function evaluate<P extends BaseParams, V>(
  def: StrategyDefinition<P, V>,
  v: V,
  phase: LifecyclePhase,
  held: SetupInfo | null,
  ctx: ExitContext,
  p: P,
  riskPerTrade: number,
  mid: number,
  wallet?: WalletFlagsView,
): StrategyEval {
  const none: StrategyEval = { setup: null, trigger: false, exit: null, sizeFraction: 0 };
  if (phase === 'SCANNING' || phase === 'ARMED') {
    if (!ctx.healthy || ctx.stale) return none;
    if (phase === 'SCANNING') return { ...none, setup: def.setup(v, p) };
    if (!held) return none;
    const stands = def.holds ? def.holds(v, held, p) : def.setup(v, p)?.side === held.side;
    if (!stands) return none;
    const t = def.trigger(v, held, p);
    const refused = t.fired ? walletFilterRefusal(p.walletFilter, held.side, wallet) : null;
    if (refused !== null)
      return { setup: held, trigger: false, triggerReason: refused, exit: null, sizeFraction: 0 };
    const stop = t.levels?.stop ?? held.stop;
    const size = def.size ?? ((e: number, s: number, r: number) => riskSize(e, s, r));
    const out: StrategyEval = {
      setup: held,
      trigger: t.fired,
      triggerReason: t.reason,
      exit: null,
      sizeFraction: t.fired ? size(mid, stop, riskPerTrade, p) : 0,
    };
    if (t.fired && t.levels) out.entryLevels = t.levels;
    return out;
  }
  if (phase === 'ENTERED' && held) return { ...none, exit: def.exit(v, held, ctx, p) };
  return none;
}
