/**
 * Geometry (SLBRS family, SIDEWAYS): range-edge reversion confirmed by the book (RULEBOOK "Geometry").
 * Pure functions over a hot-state view, exported as the registry's definition (`strategy`); the shared
 * lifecycle machine does the rest. A NULL (NaN) input makes the rule that needs it false, never
 * "assume zero".
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
  type LifecyclePhase,
  riskSize,
  type StrategyDefinition,
  walletFilterParam,
} from './definition.ts';

export type { ExitContext, LifecyclePhase } from './definition.ts';

/** What Geometry reads from one coin's hot state (NaN = NULL). */
export interface GeometryView {
  mid: number;
  rangeHigh15m: number;
  rangeLow15m: number;
  depthBid20: number;
  depthAsk20: number;
  /** Mean of depthBid(20) / depthAsk(20) over the 5 s window. */
  depthBid20Mean5s: number;
  depthAsk20Mean5s: number;
  sellNotional5s: number;
  buyNotional5s: number;
  /** 1 h mean of aggressor sell / buy notional per 5 s. */
  sellNotional5sMean1h: number;
  buyNotional5sMean1h: number;
  oiDrop10s: number;
}

/** Geometry's parameters with the RULEBOOK defaults (config `strategies.geometry.*`). */
export const geometryParams = z
  .object({
    enabled: z.boolean().default(true),
    /** Refuse an entry against an active manipulator's direction (issue 18; default off). */
    walletFilter: walletFilterParam,
    /** ARMED → SCANNING without a trigger within this. */
    armTimeoutMs: positive.default(30_000),
    maxHoldMs: positive.default(15 * 60_000),
    cooldownMs: positive.default(60_000),
    rangeMinBps: positive.default(20),
    rangeMaxBps: positive.default(150),
    /** Edge zone as a fraction of the range width. */
    edgeZone: fraction.default(0.15),
    /** Absorption: flow against the edge ≥ this × its 1 h mean per 5 s. */
    absorptionMult: positive.default(2),
    /** Mid may not go beyond the edge by more than this (bps) for a trigger; beyond it the range is broken. */
    breakBps: positive.default(5),
    /** Stop beyond the edge (bps). */
    stopBps: positive.default(10),
    /** Depth-thinning invalidation: defended depth(20) below this fraction of its 5 s mean. */
    thinningFraction: fraction.default(0.5),
    /** OI-drop invalidation: oiDrop10s at or above this. */
    oiDropExit: fraction.default(0.02),
  })
  .strict();

export type GeometryParams = z.infer<typeof geometryParams>;

export const DEFAULT_GEOMETRY: GeometryParams = geometryParams.parse({});

export function geometryView(h: HotView): GeometryView {
  return {
    mid: h.mid,
    rangeHigh15m: h.rangeHigh15m,
    rangeLow15m: h.rangeLow15m,
    depthBid20: h.depthBid20,
    depthAsk20: h.depthAsk20,
    depthBid20Mean5s: h.depthBid20Mean5s,
    depthAsk20Mean5s: h.depthAsk20Mean5s,
    sellNotional5s: h.sellNtl5s,
    buyNotional5s: h.buyNtl5s,
    sellNotional5sMean1h: h.sellMean5s1h,
    buyNotional5sMean1h: h.buyMean5s1h,
    oiDrop10s: h.oiDrop10s,
  };
}

const ok = (...xs: number[]) => xs.every((x) => Number.isFinite(x));
const r6 = (x: number) => Number(x.toPrecision(6));

export function rangeBps(v: GeometryView): number {
  if (!ok(v.rangeHigh15m, v.rangeLow15m, v.mid) || v.mid <= 0) return Number.NaN;
  return ((v.rangeHigh15m - v.rangeLow15m) / v.mid) * 1e4;
}

/** Setup (SCANNING → ARMED): a valid range, mid in an edge zone, and the defended side of the book holds. */
export function geometrySetup(v: GeometryView, p: GeometryParams = DEFAULT_GEOMETRY): SetupInfo | null {
  const width = rangeBps(v);
  if (!(width >= p.rangeMinBps && width <= p.rangeMaxBps)) return null;
  if (!ok(v.depthBid20, v.depthAsk20)) return null;
  const w = v.rangeHigh15m - v.rangeLow15m;
  const zone = p.edgeZone * w;
  const target = (v.rangeHigh15m + v.rangeLow15m) / 2;
  const range = `range ${r6(v.rangeLow15m)}–${r6(v.rangeHigh15m)} (${r6(width)} bps)`;
  if (v.mid <= v.rangeLow15m + zone && v.depthBid20 >= v.depthAsk20) {
    const stop = v.rangeLow15m * (1 - p.stopBps / 1e4);
    return {
      side: 'LONG',
      stop,
      target,
      ref: v.mid,
      levels: { edge: v.rangeLow15m },
      reason: `LONG edge: mid ${r6(v.mid)} within ${p.edgeZone * 100}% of low, ${range}, depthBid20 ${r6(v.depthBid20)} ≥ depthAsk20 ${r6(v.depthAsk20)}`,
    };
  }
  if (v.mid >= v.rangeHigh15m - zone && v.depthAsk20 >= v.depthBid20) {
    const stop = v.rangeHigh15m * (1 + p.stopBps / 1e4);
    return {
      side: 'SHORT',
      stop,
      target,
      ref: v.mid,
      levels: { edge: v.rangeHigh15m },
      reason: `SHORT edge: mid ${r6(v.mid)} within ${p.edgeZone * 100}% of high, ${range}, depthAsk20 ${r6(v.depthAsk20)} ≥ depthBid20 ${r6(v.depthBid20)}`,
    };
  }
  return null;
}

/** How far mid is beyond the edge against the position, in bps (positive = beyond). */
export function beyondEdgeBps(side: Side, edge: number, mid: number): number {
  return side === 'LONG' ? ((edge - mid) / edge) * 1e4 : ((mid - edge) / edge) * 1e4;
}

/** Trigger (ARMED → ENTERED): absorption at the edge without a break. */
export function geometryTrigger(
  v: GeometryView,
  s: SetupInfo,
  p: GeometryParams = DEFAULT_GEOMETRY,
): { fired: boolean; reason: string } {
  const against = s.side === 'LONG' ? v.sellNotional5s : v.buyNotional5s;
  const mean = s.side === 'LONG' ? v.sellNotional5sMean1h : v.buyNotional5sMean1h;
  if (!ok(against, mean, v.mid)) return { fired: false, reason: 'flow NULL' };
  // RULEBOOK: "A 1 h mean of 0 (no flow at all in the hour) never triggers"
  if (mean <= 0) return { fired: false, reason: `1 h mean ${r6(mean)}: no flow in the hour, never triggers` };
  const beyond = beyondEdgeBps(s.side, edgeOf(s), v.mid);
  const absorbed = against >= p.absorptionMult * mean;
  const held = beyond <= p.breakBps;
  return {
    fired: absorbed && held,
    reason: `absorption: ${s.side === 'LONG' ? 'sell' : 'buy'}Notional5s ${r6(against)} vs ${p.absorptionMult}× 1h mean ${r6(mean)}, mid ${r6(beyond)} bps beyond edge (limit ${p.breakBps})`,
  };
}

/** Size as a fraction of equity such that (entry − stop) × size = riskPerTrade × equity. */
export function sizeFraction(entry: number, stop: number, riskPerTrade = RULEBOOK_RISK_PER_TRADE): number {
  return riskSize(entry, stop, riskPerTrade);
}

/** The defended edge frozen at arming. */
function edgeOf(s: SetupInfo): number {
  const e = s.levels.edge;
  if (e === undefined) throw new Error(`geometry: setup without an edge (${s.reason})`);
  return e;
}

/** While ENTERED: target, stop or an invalidation, else null. */
export function geometryExit(
  v: GeometryView,
  s: SetupInfo,
  ctx: ExitContext,
  p: GeometryParams = DEFAULT_GEOMETRY,
): { reason: ExitReason; detail: string } | null {
  if (!ctx.healthy) return { reason: 'invalidation', detail: 'health not HEALTHY' };
  if (ctx.stale) return { reason: 'invalidation', detail: 'hot state stale' };
  if (!ok(v.mid)) return { reason: 'invalidation', detail: 'mid NULL' };
  const long = s.side === 'LONG';
  if (long ? v.mid >= s.target : v.mid <= s.target)
    return { reason: 'target', detail: `mid ${r6(v.mid)} reached target ${r6(s.target)}` };
  if (long ? v.mid <= s.stop : v.mid >= s.stop)
    return { reason: 'stop', detail: `mid ${r6(v.mid)} through stop ${r6(s.stop)}` };
  const beyond = beyondEdgeBps(s.side, edgeOf(s), v.mid);
  if (beyond > p.breakBps)
    return {
      reason: 'invalidation',
      detail: `range broke: mid ${r6(beyond)} bps beyond edge ${r6(edgeOf(s))}`,
    };
  const depth = long ? v.depthBid20 : v.depthAsk20;
  const mean = long ? v.depthBid20Mean5s : v.depthAsk20Mean5s;
  if (ok(depth, mean) && depth < p.thinningFraction * mean)
    return {
      reason: 'invalidation',
      detail: `defended depth thinning: ${long ? 'depthBid20' : 'depthAsk20'} ${r6(depth)} < ${p.thinningFraction} × 5s mean ${r6(mean)}`,
    };
  if (ok(v.oiDrop10s) && v.oiDrop10s >= p.oiDropExit)
    return { reason: 'invalidation', detail: `oiDrop10s ${r6(v.oiDrop10s)} ≥ ${p.oiDropExit}` };
  return null;
}

/** The verdict for one control tick (the registry's shared `evaluate` over Geometry's rules). */
export function evaluateGeometry(
  v: GeometryView,
  phase: LifecyclePhase,
  held: SetupInfo | null,
  ctx: ExitContext,
  p: GeometryParams = DEFAULT_GEOMETRY,
  riskPerTrade = RULEBOOK_RISK_PER_TRADE,
): StrategyEval {
  return evaluate(strategy, v, phase, held, ctx, p, riskPerTrade, v.mid);
}

export const strategy: StrategyDefinition<GeometryParams, GeometryView> = {
  name: 'geometry',
  family: 'SLBRS',
  summary: 'range-edge reversion confirmed by the book (SIDEWAYS)',
  params: geometryParams,
  view: geometryView,
  setup: geometrySetup,
  trigger: geometryTrigger,
  exit: geometryExit,
};
