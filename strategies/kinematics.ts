/**
 * Kinematics (SLBRS family, SIDEWAYS): fade exhaustion — a sharp move whose acceleration has turned while
 * aggressive flow in its direction fails to extend it (RULEBOOK "Kinematics"). Pure functions over a
 * hot-state view, exported as the registry's definition (`strategy`); the shared lifecycle machine does
 * the rest. A NULL (NaN) input makes the rule that needs it false, never "assume zero".
 *
 * Choices the RULEBOOK leaves to the implementation, and why:
 * - The move's extreme ("max mid over 5 s" for an up-move) is the hot state's `midMax5s` (`midMin5s` for a
 *   down-move): the max (min) of every mid over the last 5 s, the mid in effect 5 s ago included, so a
 *   top made between control ticks, or 3–4 s before the arming tick, is the extreme. NULL (less than 5 s
 *   of mid) → no setup; a window extreme short of mid itself contradicts its own window (bad input) → no
 *   setup. It is frozen at arming (with the origin, the mid 5 s ago) and never follows the rolling window
 *   afterwards.
 * - "Setup gone" while ARMED (`holds`): the 5 s move ages out of its window within 5 s, and the trigger
 *   needs the move to have stalled, so re-running the setup on the rolling window would disarm exactly
 *   when the trigger could fire (a move that stalls at its top shrinks `move5s` as the 5 s-ago mid climbs
 *   after it). The armed setup is the frozen move, origin → extreme; it is gone when the market leaves
 *   it: mid back at or past the origin (the move undone, nothing left to fade) or at or beyond the stop
 *   (the move extended past the extreme: not exhausted), or mid NULL. The 5 s max (min) of mid at or
 *   beyond the stop is the same extension made between control ticks: gone too (entering there would be
 *   invalidated on the next tick by "a new extreme beyond the stop"); a NULL 5 s extreme is no evidence.
 *   Between the two the trigger's own "not back past half of it" decides; `armTimeout` (10 s) bounds the
 *   wait.
 * - "Mid still within the move" at the trigger: at or beyond half-way from the origin to the extreme,
 *   and short of the stop (an entry at or past its own stop would be stopped at once).
 * - "A new extreme beyond the stop" while ENTERED: mid at or through the stop is the stop itself; the
 *   invalidation is the 5 s max (min) of mid at or beyond the stop while mid itself is back inside it —
 *   the move made a new extreme past the stop between control ticks. A NULL 5 s extreme is no
 *   invalidation.
 * - `sigma5s` = 0 (an hour without a single 5 s move) puts any non-zero move at ≥ 3 σ, as written; a
 *   zero move has no direction and never arms.
 */
import { z } from 'zod';
import type { ExitReason, SetupInfo, Side, StrategyEval } from '../machines/strategy.types.ts';
import type { HotView } from '../state/hotview.ts';
import {
  type ExitContext,
  evaluate,
  fraction,
  positive,
  RULEBOOK_RISK_PER_TRADE,
  finite,
  type LifecyclePhase,
  r6,
  type StrategyDefinition,
  walletFilterParam,
} from './definition.ts';

/** What Kinematics reads from one coin's hot state (NaN = NULL). */
export interface KinematicsView {
  mid: number;
  /** move5s = ln(mid / mid 5 s ago). */
  move5s: number;
  /** σ of move5s sampled once a second over 1 h. */
  sigma5s: number;
  /** The mid 1 s ago (v1s = mid − mid1sAgo). */
  mid1sAgo: number;
  /** Max and min of mid over the last 5 s (the mid in effect 5 s ago included): the move's extreme. */
  midMax5s: number;
  midMin5s: number;
  /** The move's origin: the mid 5 s ago. */
  mid5sAgo: number;
  buyNotional1s: number;
  sellNotional1s: number;
  depthBid20: number;
  depthAsk20: number;
  depthBid20Mean5s: number;
  depthAsk20Mean5s: number;
  oiDrop10s: number;
}

/** Kinematics' parameters with the RULEBOOK defaults (config `strategies.kinematics.*`). */
export const kinematicsParams = z
  .object({
    enabled: z.boolean().default(true),
    /** Refuse an entry against an active manipulator's direction (issue 18; default off). */
    walletFilter: walletFilterParam,
    /** ARMED → SCANNING without a trigger within this. */
    armTimeoutMs: positive.default(10_000),
    maxHoldMs: positive.default(5 * 60_000),
    cooldownMs: positive.default(60_000),
    /** Setup: |move5s| ≥ this × sigma5s. */
    sigmaMult: positive.default(3),
    /** Trigger: aggShare1s of the move's side at or above this. */
    aggShareMin: fraction.default(0.6),
    /** Trigger: mid not back past this fraction of the move (from the extreme towards the origin). */
    retraceMax: fraction.default(0.5),
    /** Stop beyond the frozen extreme (bps). */
    stopBps: positive.default(10),
    /** Depth-thinning invalidation: defended depth(20) below this fraction of its 5 s mean. */
    thinningFraction: fraction.default(0.5),
    /** OI-drop invalidation: oiDrop10s at or above this. */
    oiDropExit: fraction.default(0.02),
  })
  .strict();

export type KinematicsParams = z.infer<typeof kinematicsParams>;

export const DEFAULT_KINEMATICS: KinematicsParams = kinematicsParams.parse({});

export function kinematicsView(h: HotView): KinematicsView {
  return {
    mid: h.mid,
    move5s: h.ret5s,
    sigma5s: h.sigma5s1h,
    mid1sAgo: h.mid1sAgo,
    midMax5s: h.midMax5s,
    midMin5s: h.midMin5s,
    mid5sAgo: h.mid5sAgo,
    buyNotional1s: h.buyNtl1s,
    sellNotional1s: h.sellNtl1s,
    depthBid20: h.depthBid20,
    depthAsk20: h.depthAsk20,
    depthBid20Mean5s: h.depthBid20Mean5s,
    depthAsk20Mean5s: h.depthAsk20Mean5s,
    oiDrop10s: h.oiDrop10s,
  };
}

/** +1 for an up-move (faded SHORT), −1 for a down-move (faded LONG). */
const moveSign = (side: Side): 1 | -1 => (side === 'SHORT' ? 1 : -1);
const flip = (sign: 1 | -1): 1 | -1 => (sign === 1 ? -1 : 1);

/** The move's side: an up-move is pushed by buyers, a down-move by sellers. */
const moveFlow = (side: Side): 'buy' | 'sell' => (side === 'SHORT' ? 'buy' : 'sell');

/** aggShare1s(side) = that side's share of aggressor notional over 1 s; NaN (NULL) with no trade at all. */
export function aggShare1s(v: KinematicsView, flow: 'buy' | 'sell'): number {
  const total = v.buyNotional1s + v.sellNotional1s;
  if (!finite(total) || !(total > 0)) return Number.NaN;
  return (flow === 'buy' ? v.buyNotional1s : v.sellNotional1s) / total;
}

/** The furthest mid over the last 5 s in the direction `sign` (+1: `midMax5s`, −1: `midMin5s`); NaN = NULL. */
export function windowExtreme(v: KinematicsView, sign: 1 | -1): number {
  return sign > 0 ? v.midMax5s : v.midMin5s;
}

const levelOf = (s: SetupInfo, name: 'extreme' | 'origin'): number => {
  const x = s.levels[name];
  if (x === undefined) throw new Error(`kinematics: setup without ${name} (${s.reason})`);
  return x;
};

/** Setup (SCANNING → ARMED): |move5s| ≥ 3 σ; side against the move; extreme and origin frozen. */
export function kinematicsSetup(
  v: KinematicsView,
  p: KinematicsParams = DEFAULT_KINEMATICS,
): SetupInfo | null {
  if (!finite(v.move5s, v.sigma5s, v.mid, v.mid5sAgo) || v.sigma5s < 0 || v.mid <= 0 || v.mid5sAgo <= 0)
    return null;
  if (v.move5s === 0 || !(Math.abs(v.move5s) >= p.sigmaMult * v.sigma5s)) return null;
  const sign: 1 | -1 = v.move5s > 0 ? 1 : -1;
  const origin = v.mid5sAgo;
  // the origin must lie behind mid in the move's direction (a move5s inconsistent with its own origin is bad input)
  if (!((v.mid - origin) * sign > 0)) return null;
  const extreme = windowExtreme(v, sign);
  // the window holds mid itself: an extreme short of mid (or no price) is bad input, never a stop inside the move
  if (!finite(extreme) || extreme <= 0 || (extreme - v.mid) * sign < 0) return null;
  const side: Side = sign > 0 ? 'SHORT' : 'LONG';
  const stop = extreme * (1 + (sign * p.stopBps) / 1e4);
  return {
    side,
    stop,
    target: origin,
    ref: v.mid,
    levels: { extreme, origin },
    reason: `${side} fade: move5s ${r6(v.move5s)} ${sign > 0 ? '≥' : '≤ −'}${p.sigmaMult} × sigma5s ${r6(v.sigma5s)}, origin ${r6(origin)}, extreme ${r6(extreme)}`,
  };
}

/** How far mid has come back from the frozen extreme towards the frozen origin (0 at the extreme, 1 at the origin). */
export function retraced(s: SetupInfo, mid: number): number {
  const extreme = levelOf(s, 'extreme');
  const origin = levelOf(s, 'origin');
  return (extreme - mid) / (extreme - origin);
}

/** True when `mid` is at or beyond `level` in the move's direction. */
const atOrBeyond = (sign: 1 | -1, mid: number, level: number) => (mid - level) * sign >= 0;

/**
 * Whether the armed setup still stands (see the file comment): mid is strictly between the frozen origin
 * and the stop, and the 5 s extreme (when known) short of the stop.
 */
export function kinematicsHolds(v: KinematicsView, s: SetupInfo, _p: KinematicsParams = DEFAULT_KINEMATICS) {
  if (!finite(v.mid)) return false;
  const sign = moveSign(s.side);
  if (atOrBeyond(sign, v.mid, s.stop) || atOrBeyond(flip(sign), v.mid, levelOf(s, 'origin'))) return false;
  // a NULL extreme compares false: no evidence of an extension
  return !atOrBeyond(sign, windowExtreme(v, sign), s.stop);
}

/** Trigger (ARMED → ENTERED): stalled or turned, aggression still pushing, mid still within the move. */
export function kinematicsTrigger(
  v: KinematicsView,
  s: SetupInfo,
  p: KinematicsParams = DEFAULT_KINEMATICS,
): { fired: boolean; reason: string } {
  if (!finite(v.mid, v.mid1sAgo)) return { fired: false, reason: 'mid or mid1sAgo NULL' };
  const sign = moveSign(s.side);
  const flow = moveFlow(s.side);
  const share = aggShare1s(v, flow);
  if (!finite(share)) return { fired: false, reason: `aggShare1s(${flow}) NULL` };
  const v1s = v.mid - v.mid1sAgo;
  const stalled = v1s * sign <= 0;
  const pushing = share >= p.aggShareMin;
  const back = retraced(s, v.mid);
  const within = back <= p.retraceMax && !atOrBeyond(sign, v.mid, s.stop);
  return {
    fired: stalled && pushing && within,
    reason: `exhaustion: v1s ${r6(v1s)} (${stalled ? 'stalled/turned' : 'still extending'}), aggShare1s(${flow}) ${r6(share)} vs ${p.aggShareMin}, retraced ${r6(back)} of the move (limit ${p.retraceMax})`,
  };
}

/** While ENTERED: target, stop or an invalidation, else null. */
export function kinematicsExit(
  v: KinematicsView,
  s: SetupInfo,
  ctx: ExitContext,
  p: KinematicsParams = DEFAULT_KINEMATICS,
): { reason: ExitReason; detail: string } | null {
  if (!ctx.healthy) return { reason: 'invalidation', detail: 'health not HEALTHY' };
  if (ctx.stale) return { reason: 'invalidation', detail: 'hot state stale' };
  if (!finite(v.mid)) return { reason: 'invalidation', detail: 'mid NULL' };
  const sign = moveSign(s.side);
  if (atOrBeyond(flip(sign), v.mid, s.target))
    return { reason: 'target', detail: `mid ${r6(v.mid)} reached target (origin) ${r6(s.target)}` };
  if (atOrBeyond(sign, v.mid, s.stop))
    return { reason: 'stop', detail: `mid ${r6(v.mid)} through stop ${r6(s.stop)}` };
  // the 5 s extreme past the stop while mid is back inside; NULL (NaN) compares false: no invalidation
  const recent = windowExtreme(v, sign);
  if (atOrBeyond(sign, recent, s.stop))
    return {
      reason: 'invalidation',
      detail: `new extreme ${r6(recent)} beyond the stop ${r6(s.stop)} (frozen extreme ${r6(levelOf(s, 'extreme'))})`,
    };
  const long = s.side === 'LONG';
  const depth = long ? v.depthBid20 : v.depthAsk20;
  const mean = long ? v.depthBid20Mean5s : v.depthAsk20Mean5s;
  if (finite(depth, mean) && depth < p.thinningFraction * mean)
    return {
      reason: 'invalidation',
      detail: `defended depth thinning: ${long ? 'depthBid20' : 'depthAsk20'} ${r6(depth)} < ${p.thinningFraction} × 5s mean ${r6(mean)}`,
    };
  if (finite(v.oiDrop10s) && v.oiDrop10s >= p.oiDropExit)
    return { reason: 'invalidation', detail: `oiDrop10s ${r6(v.oiDrop10s)} ≥ ${p.oiDropExit}` };
  return null;
}

export const strategy: StrategyDefinition<KinematicsParams, KinematicsView> = {
  name: 'kinematics',
  family: 'SLBRS',
  summary: 'fade a 3 σ move that stalls while aggression keeps pushing (SIDEWAYS)',
  params: kinematicsParams,
  view: kinematicsView,
  setup: kinematicsSetup,
  holds: kinematicsHolds,
  trigger: kinematicsTrigger,
  exit: kinematicsExit,
};

/** The verdict for one control tick (the registry's shared `evaluate` over Kinematics' rules). */
export function evaluateKinematics(
  v: KinematicsView,
  phase: LifecyclePhase,
  held: SetupInfo | null,
  ctx: ExitContext,
  p: KinematicsParams = DEFAULT_KINEMATICS,
  riskPerTrade = RULEBOOK_RISK_PER_TRADE,
): StrategyEval {
  return evaluate(strategy, v, phase, held, ctx, p, riskPerTrade, v.mid);
}
