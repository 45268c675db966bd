/**
 * Cascade (EFFCS family, EXPANSION): ride forced flow — liquidations push price through a thinning book
 * (RULEBOOK "Cascade"). Pure functions over a hot-state view, exported as the registry's definition
 * (`strategy`); the shared lifecycle machine does the rest. A NULL (NaN) input makes the rule that needs
 * it false, never "assume zero".
 *
 * Choices the RULEBOOK leaves to the implementation, and why:
 * - The side the flow hits: sell-dominated flow (SHORT) hits the bid, buy-dominated flow (LONG) the ask.
 *   The frozen pre-cascade depth is that side's 5 s mean of depth within 20 bps at arming; a NULL or zero
 *   one cannot measure thinning, so it never arms.
 * - The target depends on the entry, so the trigger fixes it (`TriggerVerdict.levels`): entry = mid at
 *   the trigger, target = entry moved with the flow by 2 × |entry − start|. The setup's own target is
 *   provisional (the same rule as if entered at arming, never against the flow) and is replaced at the trigger.
 * - "Setup gone" while ARMED (`holds`): the setup still found on the held side, or — when the rolling
 *   setup window has lapsed (a 10 s OI drop ages out in 10 s, a 5 s flow share flickers) — OI still making
 *   new lows (`oiLowAgeMs` < 5 s, the measure whose lapse ends a cascade trade). A setup found on the
 *   other side means the flow has turned: gone. Re-arming mid-cascade would freeze an already thinned
 *   depth as the "pre-cascade" one, which is what freezing exists to prevent.
 * - A fixed target at or below 0 (a move of a third of the price within 10 s) is no target: no trigger.
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
  type TriggerVerdict,
  walletFilterParam,
} from './definition.ts';

/** What Cascade reads from one coin's hot state (NaN = NULL). */
export interface CascadeView {
  mid: number;
  /** The cascade start price when arming now: the mid 10 s ago. */
  mid10sAgo: number;
  buyNotional5s: number;
  sellNotional5s: number;
  oiDrop10s: number;
  /** ms since OI last made a new low (over the 15 m window). */
  oiLowAgeMs: number;
  depthBid20: number;
  depthAsk20: number;
  depthBid20Mean5s: number;
  depthAsk20Mean5s: number;
}

/** Cascade's parameters with the RULEBOOK defaults (config `strategies.cascade.*`). */
export const cascadeParams = z
  .object({
    enabled: z.boolean().default(true),
    /** Refuse an entry against an active manipulator's direction (issue 18; default off). */
    walletFilter: walletFilterParam,
    /** ARMED → SCANNING without a trigger within this. */
    armTimeoutMs: positive.default(10_000),
    maxHoldMs: positive.default(5 * 60_000),
    cooldownMs: positive.default(120_000),
    /** Setup: oiDrop10s at or above this. */
    oiDropMin: fraction.default(0.03),
    /** Setup: one side's share of 5 s aggressor notional at or above this (more than half: one-sided). */
    flowShareMin: z.number().gt(0.5).max(1).default(0.8),
    /** Trigger: hit-side depth(20) below this fraction of the frozen pre-cascade depth. */
    thinFraction: fraction.default(0.5),
    /** Exit: hit-side depth(20) refilled above this fraction of the frozen pre-cascade depth. */
    refillFraction: fraction.default(0.8),
    /** Stop beyond the frozen start price (bps). */
    stopBps: positive.default(10),
    /** Target: entry moved with the flow by this × the distance travelled from the start price. */
    targetMult: positive.default(2),
    /** Exit: OI has not made a new low for this long (ms). */
    oiStallMs: positive.default(5_000),
  })
  .strict();

export type CascadeParams = z.infer<typeof cascadeParams>;

export const DEFAULT_CASCADE: CascadeParams = cascadeParams.parse({});

export function cascadeView(h: HotView): CascadeView {
  return {
    mid: h.mid,
    mid10sAgo: h.mid10sAgo,
    buyNotional5s: h.buyNtl5s,
    sellNotional5s: h.sellNtl5s,
    oiDrop10s: h.oiDrop10s,
    oiLowAgeMs: h.oiLowAgeMs,
    depthBid20: h.depthBid20,
    depthAsk20: h.depthAsk20,
    depthBid20Mean5s: h.depthBid20Mean5s,
    depthAsk20Mean5s: h.depthAsk20Mean5s,
  };
}

/** Price direction of the flow: −1 for sell-dominated (SHORT), +1 for buy-dominated (LONG). */
const flowSign = (side: Side): 1 | -1 => (side === 'LONG' ? 1 : -1);

/** The book side the flow hits: sellers hit the bid, buyers the ask. */
export const hitSide = (side: Side): 'bid' | 'ask' => (side === 'SHORT' ? 'bid' : 'ask');

const hitDepth = (v: CascadeView, side: Side) => (side === 'SHORT' ? v.depthBid20 : v.depthAsk20);
const hitDepthMean = (v: CascadeView, side: Side) =>
  side === 'SHORT' ? v.depthBid20Mean5s : v.depthAsk20Mean5s;
const depthName = (side: Side) => (side === 'SHORT' ? 'depthBid20' : 'depthAsk20');

/** Each side's share of 5 s aggressor notional; NaN (NULL) with no trade at all. */
export function flowShares5s(v: CascadeView): { buy: number; sell: number } {
  const total = v.buyNotional5s + v.sellNotional5s;
  if (!finite(total) || !(total > 0)) return { buy: Number.NaN, sell: Number.NaN };
  return { buy: v.buyNotional5s / total, sell: v.sellNotional5s / total };
}

const levelOf = (s: SetupInfo, name: 'start' | 'preDepth'): number => {
  const x = s.levels[name];
  if (x === undefined) throw new Error(`cascade: setup without ${name} (${s.reason})`);
  return x;
};

/** The stop beyond the start price, against the position. */
export const stopFor = (side: Side, start: number, p: CascadeParams): number =>
  start * (1 - (flowSign(side) * p.stopBps) / 1e4);

/** The target for an entry at `entry`: moved with the flow by targetMult × the distance travelled from `start`. */
export function targetFor(side: Side, start: number, entry: number, p: CascadeParams): number {
  const travelled = Math.max(0, (entry - start) * flowSign(side));
  return entry + flowSign(side) * p.targetMult * travelled;
}

/** Setup (SCANNING → ARMED): OI dropping and the flow one-sided; side with the flow; start and pre-depth frozen. */
export function cascadeSetup(v: CascadeView, p: CascadeParams = DEFAULT_CASCADE): SetupInfo | null {
  if (!finite(v.oiDrop10s, v.mid, v.mid10sAgo) || v.mid <= 0 || v.mid10sAgo <= 0) return null;
  if (!(v.oiDrop10s >= p.oiDropMin)) return null;
  const shares = flowShares5s(v);
  // flowShareMin > 0.5: at most one side can reach it
  const side: Side | null =
    shares.sell >= p.flowShareMin ? 'SHORT' : shares.buy >= p.flowShareMin ? 'LONG' : null;
  if (side === null) return null;
  const preDepth = hitDepthMean(v, side);
  if (!finite(preDepth) || !(preDepth > 0)) return null;
  const start = v.mid10sAgo;
  const share = side === 'SHORT' ? shares.sell : shares.buy;
  return {
    side,
    stop: stopFor(side, start, p),
    target: targetFor(side, start, v.mid, p),
    ref: v.mid,
    levels: { start, preDepth },
    reason: `${side} cascade: oiDrop10s ${r6(v.oiDrop10s)} ≥ ${p.oiDropMin}, ${side === 'SHORT' ? 'sell' : 'buy'} share of 5s flow ${r6(share)} ≥ ${p.flowShareMin}, start ${r6(start)}, pre-cascade ${depthName(side)} ${r6(preDepth)}`,
  };
}

/** Whether the armed cascade still stands (see the file comment). */
export function cascadeHolds(v: CascadeView, s: SetupInfo, p: CascadeParams = DEFAULT_CASCADE): boolean {
  const now = cascadeSetup(v, p);
  if (now) return now.side === s.side;
  return finite(v.oiLowAgeMs) && v.oiLowAgeMs < p.oiStallMs;
}

/** Trigger (ARMED → ENTERED): the hit side thinning below half the frozen pre-depth, mid moved with the flow. */
export function cascadeTrigger(
  v: CascadeView,
  s: SetupInfo,
  p: CascadeParams = DEFAULT_CASCADE,
): TriggerVerdict {
  const depth = hitDepth(v, s.side);
  if (!finite(depth, v.mid)) return { fired: false, reason: `${depthName(s.side)} or mid NULL` };
  const start = levelOf(s, 'start');
  const preDepth = levelOf(s, 'preDepth');
  const sign = flowSign(s.side);
  const travelled = (v.mid - start) * sign;
  const thin = depth < p.thinFraction * preDepth;
  const moved = travelled > 0;
  const reason = `thinning: ${depthName(s.side)} ${r6(depth)} vs ${p.thinFraction} × pre-cascade ${r6(preDepth)}, mid ${r6(v.mid)} moved ${r6(travelled)} with the flow from start ${r6(start)}`;
  if (!(thin && moved)) return { fired: false, reason };
  const target = targetFor(s.side, start, v.mid, p);
  if (!(target > 0)) return { fired: false, reason: `${reason}; target ${r6(target)} ≤ 0` };
  return { fired: true, reason, levels: { stop: s.stop, target } };
}

/** While ENTERED: target, stop or an exit rule, else null. */
export function cascadeExit(
  v: CascadeView,
  s: SetupInfo,
  ctx: ExitContext,
  p: CascadeParams = DEFAULT_CASCADE,
): { reason: ExitReason; detail: string } | null {
  if (!ctx.healthy) return { reason: 'invalidation', detail: 'health not HEALTHY' };
  if (ctx.stale) return { reason: 'invalidation', detail: 'hot state stale' };
  if (!finite(v.mid)) return { reason: 'invalidation', detail: 'mid NULL' };
  const sign = flowSign(s.side);
  if ((v.mid - s.target) * sign >= 0)
    return { reason: 'target', detail: `mid ${r6(v.mid)} reached target ${r6(s.target)}` };
  if ((s.stop - v.mid) * sign >= 0)
    return { reason: 'stop', detail: `mid ${r6(v.mid)} through stop ${r6(s.stop)}` };
  if (finite(v.oiLowAgeMs) && v.oiLowAgeMs >= p.oiStallMs)
    return {
      reason: 'invalidation',
      detail: `OI stopped falling: no new low for ${r6(v.oiLowAgeMs)} ms ≥ ${p.oiStallMs}`,
    };
  const depth = hitDepth(v, s.side);
  const preDepth = levelOf(s, 'preDepth');
  if (finite(depth) && depth > p.refillFraction * preDepth)
    return {
      reason: 'invalidation',
      detail: `${hitSide(s.side)} refilled: ${depthName(s.side)} ${r6(depth)} > ${p.refillFraction} × pre-cascade ${r6(preDepth)}`,
    };
  return null;
}

export const strategy: StrategyDefinition<CascadeParams, CascadeView> = {
  name: 'cascade',
  family: 'EFFCS',
  summary: 'ride a liquidation cascade through a thinning book (EXPANSION)',
  params: cascadeParams,
  view: cascadeView,
  setup: cascadeSetup,
  holds: cascadeHolds,
  trigger: cascadeTrigger,
  exit: cascadeExit,
};

/** The verdict for one control tick (the registry's shared `evaluate` over Cascade's rules). */
export function evaluateCascade(
  v: CascadeView,
  phase: LifecyclePhase,
  held: SetupInfo | null,
  ctx: ExitContext,
  p: CascadeParams = DEFAULT_CASCADE,
  riskPerTrade = RULEBOOK_RISK_PER_TRADE,
): StrategyEval {
  return evaluate(strategy, v, phase, held, ctx, p, riskPerTrade, v.mid);
}
