/**
 * Test helper: the RULEBOOK's Kinematics and Cascade conditions evaluated on hot-state samples
 * (hot-probe.ts) for one labelled strategy event, and the rate of setups far from every event.
 * Written from the RULEBOOK, independently of strategies/.
 */
import type { StrategyEvent } from '../../sim/events.ts';
import type { HotSample } from './hot-probe.ts';

/** "Far outside": more than this from every event of the coin (a 5 s move and a 10 s window age out). */
export const FAR_MS = 15_000;
/** Outside ticks are counted once the 1 h windows are warm and the regime has settled. */
export const WARM_MS = 3_600_000 + 60_000;

const sign = (e: StrategyEvent): 1 | -1 =>
  e.kind === 'exhaustion' ? (e.side === 'SHORT' ? 1 : -1) : e.side === 'SHORT' ? -1 : 1;

function inWindow(ss: readonly HotSample[], from: number, to: number): HotSample[] {
  return ss.filter((s) => s.t >= from && s.t <= to);
}

/** The sample in force at `t` (the last one at or before it). */
function sampleAt(ss: readonly HotSample[], t: number): HotSample | undefined {
  let lo = 0;
  let hi = ss.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (ss[m]!.t <= t) lo = m + 1;
    else hi = m;
  }
  return lo === 0 ? undefined : ss[lo - 1];
}

/** Kinematics setup on one tick: SIDEWAYS and |move5s| ≥ 3 σ (NULL σ: false). */
export function kinematicsSetup(s: HotSample): boolean {
  return s.regime === 'SIDEWAYS' && Number.isFinite(s.sigma5s1h) && Math.abs(s.ret5s) >= 3 * s.sigma5s1h;
}

/** Cascade setup on one tick: EXPANSION, oiDrop10s ≥ 0.03 and one side ≥ 80 % of the 5 s notional. */
export function cascadeSetup(s: HotSample): boolean {
  const tot = s.buyNtl5s + s.sellNtl5s;
  return (
    s.regime === 'EXPANSION' &&
    s.oiDrop10s >= 0.03 &&
    tot > 0 &&
    Math.max(s.buyNtl5s, s.sellNtl5s) / tot >= 0.8
  );
}

export interface ExhaustionCheck {
  setup: boolean;
  setupSideOk: boolean;
  trigger: boolean;
  resolved: boolean;
  regimeHeld: boolean;
  setupTicks: number;
  ticks: number;
}

/** RULEBOOK Kinematics on one labelled exhaustion event, from the hot-state samples. */
export function checkExhaustion(ss: readonly HotSample[], e: StrategyEvent): ExhaustionCheck {
  const dir = sign(e);
  const win = inWindow(ss, e.start, e.end);
  const out: ExhaustionCheck = {
    setup: false,
    setupSideOk: false,
    trigger: false,
    resolved: false,
    regimeHeld: win.length > 0 && win.every((s) => s.regime === 'SIDEWAYS'),
    setupTicks: win.filter(kinematicsSetup).length,
    ticks: win.length,
  };
  const armed = win.find(kinematicsSetup);
  if (!armed) return out;
  out.setup = true;
  out.setupSideOk = Math.sign(armed.ret5s) === dir;
  // frozen at arming: the origin (mid 5 s ago) and the extreme (furthest mid over the last 5 s)
  const origin = armed.mid5sAgo;
  const last5 = inWindow(ss, armed.t - 5_000, armed.t).map((s) => s.mid);
  const extreme = dir === 1 ? Math.max(...last5) : Math.min(...last5);
  // trigger within armTimeout 10 s: stalled or turned, aggression still pushing, not back past half
  const trig = inWindow(ss, armed.t, armed.t + 10_000).find((s) => {
    const v1s = s.mid - s.mid1sAgo;
    const tot = s.buyNtl1s + s.sellNtl1s;
    const share = tot > 0 ? (dir === 1 ? s.buyNtl1s : s.sellNtl1s) / tot : Number.NaN;
    const within = dir * (s.mid - origin) >= 0.5 * dir * (extreme - origin);
    return s.regime === 'SIDEWAYS' && v1s * dir <= 0 && share >= 0.6 && within;
  });
  if (!trig) return out;
  out.trigger = true;
  // the outcome, after the trigger and by the end of the window: the target (the origin, within 2 bps)
  // for a revert, beyond the stop (the extreme by 10 bps) for a breakout
  const after = inWindow(ss, trig.t, e.end + 2_000);
  out.resolved =
    e.outcome === 'revert'
      ? after.some((s) => (dir * (s.mid - origin)) / origin <= 2e-4)
      : after.some((s) => dir * (s.mid - extreme * (1 + dir * 0.001)) > 0);
  return out;
}

export interface CascadeCheck {
  setup: boolean;
  setupSideOk: boolean;
  trigger: boolean;
  oiStopped: boolean;
  refilled: boolean;
  regimeHeld: boolean;
  setupTicks: number;
  ticks: number;
}

/** RULEBOOK Cascade on one labelled cascade event, from the hot-state samples. */
export function checkCascade(ss: readonly HotSample[], e: StrategyEvent): CascadeCheck {
  const dir = sign(e); // −1: longs liquidated, sells hit the bids
  const win = inWindow(ss, e.start, e.end);
  const out: CascadeCheck = {
    setup: false,
    setupSideOk: false,
    trigger: false,
    oiStopped: false,
    refilled: false,
    regimeHeld: false,
    setupTicks: win.filter(cascadeSetup).length,
    ticks: win.length,
  };
  const armed = win.find(cascadeSetup);
  if (!armed) return out;
  out.setup = true;
  out.setupSideOk = (armed.buyNtl5s > armed.sellNtl5s ? 1 : -1) === dir;
  const hit = (s: HotSample) => (dir === -1 ? s.depthBid20 : s.depthAsk20);
  const pre = dir === -1 ? armed.depthBid20Mean5s : armed.depthAsk20Mean5s;
  const startPx = sampleAt(ss, armed.t - 10_000)?.mid ?? Number.NaN;
  const trig = inWindow(ss, armed.t, armed.t + 10_000).find(
    (s) => s.regime === 'EXPANSION' && hit(s) < 0.5 * pre && dir * (s.mid - startPx) > 0,
  );
  if (!trig) return out;
  out.trigger = true;
  out.regimeHeld = inWindow(ss, e.start, trig.t).every((s) => s.regime === 'EXPANSION');
  // then OI stops making new lows for 5 s, and the hit side refills above 80 % of the pre-cascade depth
  const after = inWindow(ss, trig.t, e.end + 5_000);
  let low = Number.POSITIVE_INFINITY;
  let lowAt = trig.t;
  for (const s of inWindow(ss, e.start, e.end + 5_000)) {
    if (s.oi < low) {
      low = s.oi;
      lowAt = s.t;
    }
    if (s.t > trig.t && s.t - lowAt >= 5_000) {
      out.oiStopped = true;
      break;
    }
  }
  out.refilled = after.some((s) => hit(s) >= 0.8 * pre);
  return out;
}

/** Ticks far from every event of the coin where `pred` holds, over all such ticks. */
export function outside(
  samples: Map<string, HotSample[]>,
  events: readonly StrategyEvent[],
  from: number,
  pred: (s: HotSample) => boolean,
): { hits: number; ticks: number } {
  let hits = 0;
  let ticks = 0;
  for (const [coin, ss] of samples) {
    const mine = events.filter((e) => e.coin === coin);
    for (const s of ss) {
      if (s.t < from) continue;
      if (mine.some((e) => s.t >= e.start - FAR_MS && s.t <= e.end + FAR_MS)) continue;
      ticks++;
      if (pred(s)) hits++;
    }
  }
  return { hits, ticks };
}

/** Geometry setup on one tick (RULEBOOK): SIDEWAYS, a valid range, mid in an edge zone, the defended side holds. */
export function geometrySetup(s: HotSample): 'LONG' | 'SHORT' | null {
  if (s.regime !== 'SIDEWAYS') return null;
  const hi = s.rangeHigh15m;
  const lo = s.rangeLow15m;
  const width = hi - lo;
  const bps = (width / s.mid) * 1e4;
  if (!(bps >= 20 && bps <= 150)) return null;
  if (s.mid <= lo + 0.15 * width && s.depthBid20 >= s.depthAsk20) return 'LONG';
  if (s.mid >= hi - 0.15 * width && s.depthAsk20 >= s.depthBid20) return 'SHORT';
  return null;
}

export interface RangeEdgeCheck {
  setup: boolean;
  trigger: boolean;
  regimeHeld: boolean;
  ticks: number;
  setupTicks: number;
}

/** RULEBOOK Geometry on one labelled range-edge event: setup on the event's side, then absorption within 30 s. */
export function checkRangeEdge(ss: readonly HotSample[], e: StrategyEvent): RangeEdgeCheck {
  const win = inWindow(ss, e.start, e.end);
  const out: RangeEdgeCheck = {
    setup: false,
    trigger: false,
    regimeHeld: win.length > 0 && win.every((s) => s.regime === 'SIDEWAYS'),
    ticks: win.length,
    setupTicks: win.filter((s) => geometrySetup(s) === e.side).length,
  };
  const armed = win.find((s) => geometrySetup(s) === e.side);
  if (!armed) return out;
  out.setup = true;
  const long = e.side === 'LONG';
  const edge = long ? armed.rangeLow15m : armed.rangeHigh15m;
  out.trigger = inWindow(ss, armed.t, Math.min(armed.t + 30_000, e.end + 5_000)).some((s) => {
    const against = long ? s.sellNtl5s : s.buyNtl5s;
    const mean = long ? s.sellMean5s1h : s.buyMean5s1h;
    const held = long ? s.mid >= edge * (1 - 5e-4) : s.mid <= edge * (1 + 5e-4);
    return s.regime === 'SIDEWAYS' && mean > 0 && against >= 2 * mean && held;
  });
  return out;
}

/** Geometry's setup with its absorption flow on one tick (the edge-hold part needs the frozen edge: see checkRangeEdge). */
export function geometryEntryFlow(s: HotSample): boolean {
  const side = geometrySetup(s);
  if (side === null) return false;
  const against = side === 'LONG' ? s.sellNtl5s : s.buyNtl5s;
  const mean = side === 'LONG' ? s.sellMean5s1h : s.buyMean5s1h;
  return mean > 0 && against >= 2 * mean;
}
