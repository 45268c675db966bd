/**
 * The seeded market engine: blocks on a simulated clock, one persistent L2 book per coin with a
 * depth profile that grows away from mid, aggressive trades from a wallet population, OI, funding,
 * oracle/mark/premium, and regime segments with ground-truth labels.
 *
 * Ground truth: every second, per coin, the RULEBOOK regime formulas are applied to the scenario's
 * *planned* features (OI and funding as planned, the book skew the plan asked for, averaged over
 * 5 s), not to the emitted frames. The emitted stream is a noisy realisation of that plan; the
 * tests recompute the formulas from the frames and measure the agreement.
 *
 * Strategy events (sim/events.ts): the engine also labels the moments each strategy exists for — the
 * exhaustion spikes and cascades it plays, and the absorption episodes at a sideways range's edges —
 * each with its window, outcome and side, emitted when it is over.
 */
import { writeFileSync } from 'node:fs';
import { formatDecimal, formatScaled, tickDecimals } from './format.ts';
import type { StrategyEvent, StrategyEventKind } from './events.ts';
import { Rng } from './rng.ts';
import { getScenario, type Segment, SegmentPlan, type SegmentKind, type SpikeOutcome } from './scenarios.ts';
import {
  BUILD_MS,
  type ManipulatorEpisode,
  type PlannedCascade,
  type PlantedWallet,
  WalletPlanter,
} from './wallets.ts';

export interface CoinDef {
  name: string;
  szDecimals: number;
  maxLeverage: number;
  /** Typical price (the seed jitters it by ±3 %). */
  px: number;
  /** Typical open interest in coins. */
  oi: number;
  /** Notional (USD) of a book level 10 bps from mid, before noise. */
  levelNotional: number;
  /** Median aggressive order notional (USD). */
  tradeNotional: number;
  /** Aggressive orders per second in a calm market. */
  ordersPerSec: number;
  /** Notional used for impactPxs. */
  impactNotional: number;
  /** Price bounds that keep the tick size constant (same decade). */
  minPx: number;
  maxPx: number;
}

export const COIN_DEFS: Record<string, CoinDef> = {
  BTC: {
    name: 'BTC',
    szDecimals: 5,
    maxLeverage: 40,
    px: 106_200,
    oi: 30_000,
    levelNotional: 60_000,
    tradeNotional: 4_000,
    ordersPerSec: 8,
    impactNotional: 100_000,
    minPx: 10_001,
    maxPx: 10_000_000,
  },
  ETH: {
    name: 'ETH',
    szDecimals: 4,
    maxLeverage: 25,
    px: 3_500,
    oi: 600_000,
    levelNotional: 30_000,
    tradeNotional: 2_500,
    ordersPerSec: 6,
    impactNotional: 50_000,
    minPx: 1_001,
    maxPx: 9_990,
  },
  SOL: {
    name: 'SOL',
    szDecimals: 2,
    maxLeverage: 20,
    px: 150,
    oi: 3_000_000,
    levelNotional: 12_000,
    tradeNotional: 1_200,
    ordersPerSec: 5,
    impactNotional: 20_000,
    minPx: 100.1,
    maxPx: 999,
  },
};

export const DEFAULT_COINS = ['BTC', 'ETH', 'SOL'];
/** 2026-01-01T00:00:00Z: the default start of a reproducible stream. */
export const SIM_EPOCH = 1_767_225_600_000;
export const FUNDING_BASELINE = 0.0000125;

export type Regime = 'SIDEWAYS' | 'EXPANSION' | 'DISABLED';

export interface GroundTruthLabel {
  t: number;
  coin: string;
  regime: Regime;
  cascade: boolean;
  segment: SegmentKind;
}

export interface CascadeEvent {
  t: number;
  coin: string;
  event: 'cascadeStart' | 'cascadeEnd';
  /** 'long' = longs liquidated (price falls, sells aggress, bids thin); 'short' the mirror. */
  liquidated: 'long' | 'short';
}

export interface GroundTruth {
  labels: GroundTruthLabel[];
  events: CascadeEvent[];
  /** Labelled strategy events, in the order they ended. */
  strategyEvents: StrategyEvent[];
  /** The planted wallets and their roles (sim/wallets.ts); every other wallet is a noise trader. */
  wallets?: PlantedWallet[];
  /** The planted manipulator's episodes (a build before a cascade, the exit after it), in the order they ended. */
  walletEpisodes?: ManipulatorEpisode[];
}

export interface Level {
  /** Price in ticks. */
  p: number;
  /** Base size in lots before the side factor. */
  b: number;
  /** Displayed size in lots. */
  q: number;
  n: number;
}

export interface SimTrade {
  side: 'A' | 'B';
  pxTicks: number;
  lots: number;
  hash: string;
  tid: number;
  buyer: string;
  seller: string;
}

export interface EngineOptions {
  seed: number;
  scenario?: string;
  coins?: string[];
  /** ms since epoch of the first block; default SIM_EPOCH. */
  startTime?: number;
  /** Keep ground truth in memory (default true). */
  keepGroundTruth?: boolean;
}

// Level spacing grows with distance from mid: mean gap (bps) = GAP0 + GAP1 × distance.
const GAP0 = 1.5;
const GAP1 = 0.09;
const NEAR_BPS = 25;
const MAX_LEVELS = 48;
const MIN_LEVELS = 32;
const MIN_SPAN_BPS = 95;

function levelNotionalAt(base: number, dBps: number): number {
  return base * (0.35 + dBps / 22);
}

/** Fraction of the within-50-bps notional that sits within NEAR_BPS (for the planned depth skew). */
const NEAR_WEIGHT = (() => {
  let near = 0;
  let all = 0;
  for (let d = 0.05; d < 50; d += 0.1) {
    const w = (0.35 + d / 22) / (GAP0 + GAP1 * d);
    all += w;
    if (d <= NEAR_BPS) near += w;
  }
  return near / all;
})();

/** Expected depth asymmetry within 50 bps for skew `a` and near-mid thinning factors. */
export function plannedAsym(a: number, thinBid: number, thinAsk: number): number {
  const b = (1 + a) * (NEAR_WEIGHT * thinBid + 1 - NEAR_WEIGHT);
  const k = (1 - a) * (NEAR_WEIGHT * thinAsk + 1 - NEAR_WEIGHT);
  return (b - k) / (b + k);
}

/** Sliding-window max or min over (t, v) samples. */
class MonoDeque {
  private ts: number[] = [];
  private vs: number[] = [];
  private head = 0;
  constructor(private readonly isMax: boolean) {}
  push(t: number, v: number): void {
    while (this.vs.length > this.head) {
      const last = this.vs[this.vs.length - 1]!;
      if (this.isMax ? last <= v : last >= v) {
        this.vs.pop();
        this.ts.pop();
      } else break;
    }
    this.ts.push(t);
    this.vs.push(v);
  }
  /** Drop samples with time <= `after`. */
  expire(after: number): void {
    while (this.head < this.ts.length && this.ts[this.head]! <= after) this.head++;
    if (this.head > 4096) {
      this.ts = this.ts.slice(this.head);
      this.vs = this.vs.slice(this.head);
      this.head = 0;
    }
  }
  value(): number {
    return this.head < this.vs.length ? this.vs[this.head]! : Number.NaN;
  }
}

interface Cascade {
  id: string;
  /** The staged model (see SegmentSpec.stagedCascades). */
  staged: boolean;
  /** Staged: when the hit side starts to thin (OI has fallen most of the way by then). */
  thinAt: number;
  start: number;
  dropEnd: number;
  end: number;
  /** Price direction: −1 = long liquidation (down). */
  side: 1 | -1;
  oiFrom: number;
  oiDrop: number;
  pxFrom: number;
  pxMoveBps: number;
}

/**
 * An exhaustion spike in a sideways range: a calm pause at the origin (so "the mid 5 s ago" is the
 * origin when the move is seen), a sharp run away from it with aggression in its direction, a stall
 * (the price eases back) while that aggression keeps coming, then the outcome — back through the
 * origin, or on through the extreme. Prices follow ln(fair / origin) = dir × bps / 1e4.
 *
 * The run starts 20 ms after a whole second of the sim clock and lasts 120–250 ms (two or three
 * blocks), so a control tick on whole seconds sees it done: the move's extreme, frozen when a strategy
 * arms at the next tick, is the spike's top (bottom), not a point on the way up. (A tick on another
 * phase of the second catches a run half-way at most one time in five.)
 */
interface Spike {
  id: string;
  /** When the calm pause began. */
  planned: number;
  /** The run's start: the event's start. */
  start: number;
  runEnd: number;
  stallEnd: number;
  /** When the price is back at the origin (revert) or at its new level (breakout). */
  resolveEnd: number;
  /** The event's end: `resolveEnd`, or after a breakout once its own 5 s move has aged out of the window. */
  end: number;
  dir: 1 | -1;
  outcome: SpikeOutcome;
  origin: number;
  sizeBps: number;
  /** How far the stall eases back from the extreme (bps). */
  backBps: number;
  /** Breakout: how far beyond the extreme the price goes (bps). */
  extBps: number;
  /** The range position when the spike began (restored after it, so the range goes on from there). */
  x0: number;
}

/** A labelled absorption episode at a sideways range's edge. */
interface EdgeEpisode {
  id: string;
  start: number;
  side: 'A' | 'B';
  fromPx: number;
}

/** Per-coin market state. */
export class CoinMarket {
  readonly def: CoinDef;
  readonly tickDec: number;
  readonly tick: number;
  readonly lot: number;
  readonly rng: Rng;
  fair: number;
  bids: Level[] = [];
  asks: Level[] = [];
  oi: number;
  funding = FUNDING_BASELINE;
  oraclePx: number;
  markTicks = 0;
  prevDayTicks: number;
  dayNtlVlm: number;
  dayBaseVlm: number;
  /** Planned (smoothed) book skew in [−1, 1]. */
  asym = 0;
  thinBid = 1;
  thinAsk = 1;
  trades: SimTrade[] = [];
  /** Whether the top of book changed in the last block. */
  bboChanged = true;
  lastOracleUpdate = -1;

  // segment state
  segStart = -1;
  seg: Segment | null = null;
  segOi0 = 0;
  center = 0;
  halfWidthBps = 40;
  x = 0;
  phase = 0;
  periodMs = 300_000;
  lowVisited = false;
  highVisited = false;
  absorption: { side: 'A' | 'B'; until: number } | null = null;
  oiDev = 0;
  fDev = 0;
  aDev = 0;
  chopSign: 1 | -1 = 1;
  chopAsym = 0.25;
  chopAsymUntil = 0;
  chopPeriod = 600_000;
  cascFactor = 1;
  cascade: Cascade | null = null;
  cascadesDone = new Set<number>();
  spike: Spike | null = null;
  spikesDone = new Set<number>();
  edge: EdgeEpisode | null = null;
  /** Labelled events so far per kind (for their ids). */
  readonly eventSeq = new Map<StrategyEventKind, number>();

  // ground-truth windows
  readonly oiMax15 = new MonoDeque(true);
  readonly oiMin15 = new MonoDeque(false);
  readonly oiMin1h = new MonoDeque(false);
  readonly asymT: number[] = [];
  readonly asymV: number[] = [];
  asymHead = 0;
  asymSum = 0;

  constructor(def: CoinDef, seed: number, scenario: string) {
    this.def = def;
    this.rng = Rng.derive(seed, `coin:${scenario}:${def.name}`);
    this.fair = def.px * (1 + this.rng.range(-0.03, 0.03));
    this.tickDec = tickDecimals(def.px, def.szDecimals);
    this.tick = 10 ** -this.tickDec;
    this.lot = 10 ** -def.szDecimals;
    this.oi = def.oi * (1 + this.rng.range(-0.1, 0.1));
    this.oraclePx = this.fair;
    this.prevDayTicks = Math.round((this.fair * (1 + this.rng.range(-0.02, 0.02))) / this.tick);
    this.dayNtlVlm = def.ordersPerSec * def.tradeNotional * 1.65 * 86_400 * this.rng.range(0.8, 1.2);
    this.dayBaseVlm = this.dayNtlVlm / this.fair;
  }

  get bestBid(): Level | undefined {
    return this.bids[0];
  }
  get bestAsk(): Level | undefined {
    return this.asks[0];
  }

  /** Mid in ticks (may be a half tick), NaN when a side is empty. */
  midTicks(): number {
    const b = this.bids[0];
    const a = this.asks[0];
    return b && a ? (b.p + a.p) / 2 : Number.NaN;
  }

  formatPx(ticks: number): string {
    return formatScaled(ticks, this.tickDec);
  }

  formatSz(lots: number): string {
    return formatScaled(lots, this.def.szDecimals);
  }

  /** Mid as the venue prints it (one extra decimal for half ticks). */
  formatMid(): string {
    const m = this.midTicks();
    if (!Number.isFinite(m)) return this.formatPx(this.markTicks);
    return formatScaled(Math.round(m * 10), this.tickDec + 1);
  }
}

export interface BlockResult {
  time: number;
  height: number;
}

export class Engine {
  readonly seed: number;
  readonly scenario: string;
  readonly coins: string[];
  readonly startTime: number;
  readonly markets: Map<string, CoinMarket> = new Map();
  readonly wallets: string[];
  /** Renames the buyer or seller of some trades to planted wallets (the market itself is unchanged). */
  readonly planter: WalletPlanter;
  private readonly coinIdx = new Map<string, number>();
  private readonly cascadeAhead = new Map<string, { next: PlannedCascade | null; horizon: number }>();
  private readonly rng: Rng;
  private readonly plans: Map<string, SegmentPlan> = new Map();
  private readonly keepGt: boolean;
  private readonly labels: GroundTruthLabel[] = [];
  private readonly events: CascadeEvent[] = [];
  private readonly strategyEvents: StrategyEvent[] = [];
  private nextLabelT: number;
  /** Listeners for streaming ground truth. */
  onLabel: ((l: GroundTruthLabel) => void) | null = null;
  onEvent: ((e: CascadeEvent) => void) | null = null;
  /** Called with each labelled strategy event when it is over. */
  onStrategyEvent: ((e: StrategyEvent) => void) | null = null;
  time: number;
  height = 0;
  private nextT: number;
  /** Increments on every block; frame caches key on it. */
  version = 0;

  constructor(opts: EngineOptions) {
    this.seed = opts.seed;
    this.scenario = opts.scenario ?? 'default';
    const spec = getScenario(this.scenario);
    this.coins = [...(opts.coins ?? DEFAULT_COINS)];
    for (const c of this.coins) {
      if (COIN_DEFS[c] === undefined) {
        throw new Error(`unknown coin "${c}"; known: ${Object.keys(COIN_DEFS).join(', ')}`);
      }
    }
    this.startTime = opts.startTime ?? SIM_EPOCH;
    this.keepGt = opts.keepGroundTruth ?? true;
    this.rng = Rng.derive(this.seed, `engine:${this.scenario}`);
    const wr = Rng.derive(this.seed, 'wallets');
    this.wallets = Array.from({ length: 400 }, () => '0x' + wr.hex(20));
    this.planter = new WalletPlanter(this.seed);
    for (let i = 0; i < this.coins.length; i++) this.coinIdx.set(this.coins[i]!, i);
    for (const c of this.coins) {
      const m = new CoinMarket(COIN_DEFS[c]!, this.seed, this.scenario);
      this.markets.set(c, m);
      this.plans.set(c, new SegmentPlan(spec, this.seed, c, this.startTime));
    }
    this.time = this.startTime;
    this.nextLabelT = Math.ceil(this.startTime / 1000) * 1000;
    // block 0: the initial state at startTime
    for (const m of this.markets.values()) {
      this.updateFeatures(m, this.startTime, 0);
      this.rebuildBook(m);
      this.updateOracle(m, this.startTime, true);
    }
    this.nextT = this.startTime + this.blockGap();
  }

  private blockGap(): number {
    return 70 + this.rng.int(31);
  }

  market(coin: string): CoinMarket {
    const m = this.markets.get(coin);
    if (m === undefined) throw new Error(`coin "${coin}" is not simulated`);
    return m;
  }

  /** Time of the next block. */
  nextBlockTime(): number {
    return this.nextT;
  }

  /** The segment a coin is in at time t. */
  segmentAt(coin: string, t: number): Segment {
    return this.plans.get(coin)!.at(t);
  }

  /** Produce the next block. */
  step(): BlockResult {
    const t = this.nextT;
    while (this.nextLabelT < t) {
      this.label(this.nextLabelT);
      this.nextLabelT += 1000;
    }
    const dt = t - this.time;
    this.time = t;
    this.height++;
    this.version++;
    for (const m of this.markets.values()) {
      this.updateFeatures(m, t, dt);
      this.runTrades(m, t, dt);
      const b0 = m.bids[0];
      const a0 = m.asks[0];
      const before = b0 && a0 ? `${b0.p}|${b0.q}|${b0.n}|${a0.p}|${a0.q}|${a0.n}` : '';
      this.rebuildBook(m);
      const b1 = m.bids[0];
      const a1 = m.asks[0];
      const after = b1 && a1 ? `${b1.p}|${b1.q}|${b1.n}|${a1.p}|${a1.q}|${a1.n}` : '';
      m.bboChanged = before !== after;
      this.updateOracle(m, t, false);
    }
    this.nextT = t + this.blockGap();
    return { time: t, height: this.height };
  }

  // ---------------------------------------------------------------- features

  private enterSegment(m: CoinMarket, seg: Segment, t: number): void {
    if (m.edge !== null) this.endEdge(m, t, 'cut short by the end of the segment');
    // a spike never outlasts its segment (planned at least 90 s before its end, it lasts under a minute);
    // should one, it is dropped unlabelled: its outcome never happened
    m.spike = null;
    const r = m.rng;
    m.seg = seg;
    m.segStart = seg.start;
    m.segOi0 = m.oi;
    m.cascFactor = 1;
    m.center = m.fair;
    m.x = 0;
    m.halfWidthBps = r.range(30, 55);
    m.phase = 0;
    m.periodMs = r.range(180_000, 420_000) * rangeSlowdown(seg);
    m.lowVisited = false;
    m.highVisited = false;
    m.absorption = null;
    m.oiDev = 0;
    m.chopSign = r.chance(0.5) ? 1 : -1;
    m.chopPeriod = r.range(480_000, 720_000);
    m.chopAsymUntil = t;
  }

  private ou(v: number, dt: number, tau: number, std: number, r: Rng): number {
    const k = dt / tau;
    return v - v * k + Math.sqrt(2 * k) * std * r.normal();
  }

  private updateFeatures(m: CoinMarket, t: number, dt: number): void {
    const seg = this.plans.get(m.def.name)!.at(t);
    if (seg.start !== m.segStart) this.enterSegment(m, seg, t);
    const r = m.rng;
    const kind = seg.kind;
    const sec = dt / 1000;

    // cascade start/end
    if (m.cascade === null && kind === 'expansion') {
      for (const cs of seg.cascades) {
        if (cs <= t && !m.cascadesDone.has(cs)) {
          m.cascadesDone.add(cs);
          const dropMs = Math.round(r.range(6_000, 9_000));
          const side: 1 | -1 = seg.dir === 1 ? -1 : 1;
          // the draws keep their original order (dropMs, refill, oiDrop, price move)
          const refillMs = Math.round(r.range(20_000, 30_000));
          const oiDrop = r.range(0.045, 0.065);
          // staged: the hit side starts to thin once OI is down ~3.4 % (the setup's 3 % and a margin)
          const thinF = Math.max(0.55, Math.min(0.8, 0.034 / oiDrop + 0.05));
          m.cascade = {
            id: this.nextId(m, 'cascade'),
            staged: seg.staged,
            thinAt: t + Math.round(thinF * dropMs),
            start: t,
            dropEnd: t + dropMs,
            end: t + dropMs + refillMs,
            side,
            oiFrom: m.oi,
            oiDrop,
            pxFrom: m.fair,
            pxMoveBps: r.range(90, 160),
          };
          this.emitEvent({
            t,
            coin: m.def.name,
            event: 'cascadeStart',
            liquidated: side === -1 ? 'long' : 'short',
          });
          break;
        }
      }
    }
    const c = m.cascade;
    if (c !== null && t >= c.end) {
      this.labelCascade(m, c, t);
      m.cascade = null;
      m.cascFactor *= 1 - c.oiDrop;
      m.thinBid = 1;
      m.thinAsk = 1;
      this.emitEvent({
        t,
        coin: m.def.name,
        event: 'cascadeEnd',
        liquidated: c.side === -1 ? 'long' : 'short',
      });
    }

    // slow noises
    if (dt > 0) {
      m.fDev = Math.max(-0.000012, Math.min(0.000012, this.ou(m.fDev, dt, 600_000, 0.000004, r)));
      m.aDev = Math.max(-0.12, Math.min(0.12, this.ou(m.aDev, dt, 60_000, 0.035, r)));
      m.oiDev = Math.max(-0.0025, Math.min(0.0025, this.ou(m.oiDev, dt, 120_000, 0.0007, r)));
    }

    let fundingTarget = FUNDING_BASELINE + m.fDev;
    // a range with spikes keeps its book closer to balanced (the spikes' aggression skews it a little)
    let asymGoal = seg.spikes.length > 0 ? m.aDev * 0.5 : m.aDev;
    let asymTau = 6_000;
    let oiTarget = m.segOi0 * (1 + m.oiDev);
    const el = t - seg.start;

    if (kind === 'expansion') {
      fundingTarget = FUNDING_BASELINE + seg.dir * 0.00006 + m.fDev * 0.5;
      // staged: the book is lighter on the side the cascade will hit, so the hit deepens the skew
      // instead of flipping it (|depthAsym5s| stays above the EXPANSION bound through the cascade)
      asymGoal = (seg.staged ? -seg.dir : seg.dir) * 0.55 + m.aDev * 0.5;
      oiTarget = m.segOi0 * (1 + 0.06 * (1 - Math.exp(-el / 720_000))) * m.cascFactor * (1 + m.oiDev * 0.5);
    } else if (kind === 'chop') {
      fundingTarget = FUNDING_BASELINE + m.chopSign * 0.00003 + m.fDev * 0.25;
      if (t >= m.chopAsymUntil) {
        m.chopAsym = (r.chance(0.5) ? 1 : -1) * r.range(0.12, 0.35);
        m.chopAsymUntil = t + r.range(40_000, 120_000);
      }
      asymGoal = m.chopAsym;
      oiTarget = m.segOi0 * (1 + 0.006 * Math.sin((2 * Math.PI * el) / m.chopPeriod) + m.oiDev);
    }

    // fair price
    let dBps = 0;
    if (c !== null && t < c.end) {
      if (t < c.dropEnd && c.staged) {
        // OI falls and the flow turns one-sided first (30 % of the run); the hit side thins from
        // `thinAt`, and the price runs the rest through the thin book
        const f = (t - c.start) / (c.dropEnd - c.start);
        const fThin = (c.thinAt - c.start) / (c.dropEnd - c.start);
        const g = f < fThin ? (0.3 * f) / fThin : 0.3 + (0.7 * (f - fThin)) / (1 - fThin);
        m.fair = c.pxFrom * (1 + (c.side * c.pxMoveBps * g) / 1e4);
        oiTarget = c.oiFrom * (1 - c.oiDrop * f);
        if (t >= c.thinAt) {
          const k = 1 - Math.exp(-dt / 400);
          if (c.side === -1) m.thinBid += (0.2 - m.thinBid) * k;
          else m.thinAsk += (0.2 - m.thinAsk) * k;
        }
        asymGoal = c.side * 0.65;
        asymTau = 1_200;
      } else if (t < c.dropEnd) {
        const f = (t - c.start) / (c.dropEnd - c.start);
        m.fair = c.pxFrom * (1 + (c.side * c.pxMoveBps * f) / 1e4);
        oiTarget = c.oiFrom * (1 - c.oiDrop * f);
        const k = 1 - Math.exp(-dt / 800);
        if (c.side === -1) m.thinBid += (0.2 - m.thinBid) * k;
        else m.thinAsk += (0.2 - m.thinAsk) * k;
        asymGoal = c.side * 0.65;
        asymTau = 1_200;
      } else {
        const f = (t - c.dropEnd) / (c.end - c.dropEnd);
        const thin = 0.2 + 0.8 * f;
        if (c.side === -1) m.thinBid = thin;
        else m.thinAsk = thin;
        // staged: OI stays at or above the cascade's low (it stops making new lows)
        oiTarget = c.oiFrom * (1 - c.oiDrop) * (1 + (c.staged ? Math.abs(m.oiDev) : m.oiDev) * 0.3);
        dBps = 0.6 * r.normal() * Math.sqrt(sec);
        asymTau = 4_000;
      }
    } else if (kind === 'warmup' || kind === 'sideways') {
      if (m.spike !== null && t >= m.spike.end) this.endSpike(m, m.spike);
      if (m.spike === null && m.absorption === null && seg.spikes.length > 0) this.maybeStartSpike(m, seg, t);
      if (m.spike !== null) this.spikePath(m, m.spike, t, sec);
      else this.rangePath(m, kind, t, dt, sec);
    } else if (kind === 'expansion') {
      const len = seg.end - seg.start;
      dBps = (seg.dir * 220 * dt) / len + 1.0 * r.normal() * Math.sqrt(sec);
    } else {
      // chop: noisy, mean-reverting to its centre, with occasional jumps
      const dev = (m.fair / m.center - 1) * 1e4;
      dBps = -dev * (dt / 180_000) + 1.8 * r.normal() * Math.sqrt(sec);
      if (r.chance(0.002)) dBps += (r.chance(0.5) ? 1 : -1) * r.range(10, 20);
    }
    if (dBps !== 0) m.fair *= 1 + dBps / 1e4;
    if (m.fair < m.def.minPx * 1.02) m.fair = m.def.minPx * 1.02;
    if (m.fair > m.def.maxPx * 0.98) m.fair = m.def.maxPx * 0.98;

    // smooth planned features
    if (dt > 0) {
      m.funding += (fundingTarget - m.funding) * (1 - Math.exp(-dt / 60_000));
      m.asym += (asymGoal - m.asym) * (1 - Math.exp(-dt / asymTau));
    } else {
      m.funding = fundingTarget;
      m.asym = asymGoal;
    }
    m.oi = oiTarget;

    // planned depth skew window (5 s), for the ground truth
    const pa = plannedAsym(m.asym, m.thinBid, m.thinAsk);
    m.asymT.push(t);
    m.asymV.push(pa);
    m.asymSum += pa;
    while (m.asymHead < m.asymT.length && m.asymT[m.asymHead]! <= t - 5_000) {
      m.asymSum -= m.asymV[m.asymHead]!;
      m.asymHead++;
    }
    if (m.asymHead > 1024) {
      m.asymT.splice(0, m.asymHead);
      m.asymV.splice(0, m.asymHead);
      m.asymHead = 0;
      m.asymSum = m.asymV.reduce((a, b) => a + b, 0);
    }
  }

  /** The sideways range: a slow oscillation between its edges, with absorption episodes at them. */
  private rangePath(m: CoinMarket, kind: SegmentKind, t: number, dt: number, sec: number): void {
    const r = m.rng;
    const H = m.halfWidthBps;
    const s = Math.sin(m.phase);
    if (m.absorption !== null && t >= m.absorption.until) {
      if (m.edge !== null) this.endEdge(m, m.absorption.until, '');
      m.absorption = null;
    }
    if (m.absorption === null) {
      m.phase += (2 * Math.PI * dt) / m.periodMs;
      if (m.phase > 2 * Math.PI) {
        m.phase -= 2 * Math.PI;
        m.periodMs = r.range(180_000, 420_000) * rangeSlowdown(m.seg);
      }
      if (s < -0.9 && !m.lowVisited) {
        m.lowVisited = true;
        if (r.chance(0.75)) m.absorption = { side: 'A', until: t + r.range(6_000, 9_000) };
      } else if (s > 0.9 && !m.highVisited) {
        m.highVisited = true;
        if (r.chance(0.75)) m.absorption = { side: 'B', until: t + r.range(6_000, 9_000) };
      }
      if (m.absorption !== null && kind === 'sideways')
        m.edge = { id: this.nextId(m, 'range-edge'), start: t, side: m.absorption.side, fromPx: m.fair };
      if (s > 0) m.lowVisited = false;
      if (s < 0) m.highVisited = false;
    }
    const goal = m.absorption !== null ? (m.absorption.side === 'A' ? -0.88 : 0.88) * H : 0.85 * H * s;
    m.x += (goal - m.x) * (1 - Math.exp(-dt / 4_000)) + 0.7 * r.normal() * Math.sqrt(sec);
    m.x = Math.max(-H - 2, Math.min(H + 2, m.x));
    m.fair = m.center * (1 + m.x / 1e4);
  }

  /** Start the next planned spike that is due (a spike waits for an absorption episode to end). */
  private maybeStartSpike(m: CoinMarket, seg: Segment, t: number): void {
    for (const ps of seg.spikes) {
      if (ps.t > t || m.spikesDone.has(ps.t)) continue;
      m.spikesDone.add(ps.t);
      const r = m.rng;
      const dir: 1 | -1 = r.chance(0.5) ? 1 : -1;
      const sizeBps = r.range(30, 42);
      const start = Math.ceil((t + 6_000) / 1_000) * 1_000 + 20;
      const runEnd = start + Math.round(r.range(120, 250));
      const stallEnd = runEnd + Math.round(r.range(4_000, 6_000));
      const backBps = sizeBps * r.range(0.1, 0.2);
      const revert = ps.outcome === 'revert';
      const resolveEnd = stallEnd + Math.round(revert ? r.range(20_000, 35_000) : r.range(6_000, 10_000));
      // a breakout holds its new level for 6 s: its own sharp move is part of the event until it is
      // older than the 5 s window
      const end = revert ? resolveEnd : resolveEnd + 6_000;
      m.spike = {
        id: this.nextId(m, 'exhaustion'),
        planned: t,
        start,
        runEnd,
        stallEnd,
        resolveEnd,
        end,
        dir,
        outcome: ps.outcome,
        origin: m.fair,
        sizeBps,
        backBps,
        extBps: revert ? 0 : sizeBps * r.range(0.7, 1.0),
        x0: m.x,
      };
      return;
    }
  }

  /** The spike's planned displacement from its origin (bps, in its direction) at `t`. */
  private spikeBps(sp: Spike, t: number): number {
    if (t < sp.start) return 0;
    if (t < sp.runEnd) return (sp.sizeBps * (t - sp.start)) / (sp.runEnd - sp.start);
    if (t < sp.stallEnd) return sp.sizeBps - (sp.backBps * (t - sp.runEnd)) / (sp.stallEnd - sp.runEnd);
    const u = Math.min(1, (t - sp.stallEnd) / (sp.resolveEnd - sp.stallEnd));
    const held = sp.sizeBps - sp.backBps;
    // a revert ends 2 bps through the origin (the target is reached, not approached)
    return sp.outcome === 'revert' ? held - (held + 2) * u : held + (sp.backBps + sp.extBps) * u;
  }

  private spikePath(m: CoinMarket, sp: Spike, t: number, sec: number): void {
    const jitter = 0.15 * m.rng.normal() * Math.min(1, Math.sqrt(sec));
    m.fair = sp.origin * Math.exp((sp.dir * this.spikeBps(sp, t) + jitter) / 1e4);
  }

  /** The spike is over: the range goes on from where it was (around a new centre after a breakout). */
  private endSpike(m: CoinMarket, sp: Spike): void {
    const last = sp.origin * Math.exp((sp.dir * this.spikeBps(sp, sp.end)) / 1e4);
    m.x = sp.x0;
    m.center = last / (1 + sp.x0 / 1e4);
    m.fair = last;
    m.spike = null;
    const extreme = sp.origin * Math.exp((sp.dir * sp.sizeBps) / 1e4);
    const move = sp.dir === 1 ? 'up' : 'down';
    const aggressor = sp.dir === 1 ? 'buy' : 'sell';
    const how =
      sp.outcome === 'revert'
        ? `reverts through the origin in ${((sp.resolveEnd - sp.stallEnd) / 1000).toFixed(1)} s`
        : `breaks out ${sp.extBps.toFixed(1)} bps beyond the extreme in ${((sp.resolveEnd - sp.stallEnd) / 1000).toFixed(1)} s, ` +
          `then holds there ${((sp.end - sp.resolveEnd) / 1000).toFixed(0)} s`;
    this.emitStrategyEvent({
      id: sp.id,
      kind: 'exhaustion',
      coin: m.def.name,
      start: sp.start,
      end: sp.end,
      outcome: sp.outcome,
      side: sp.dir === 1 ? 'SHORT' : 'LONG',
      strategy: 'kinematics',
      fromPx: px(sp.origin),
      extremePx: px(extreme),
      notes:
        `${move}-spike of ${sp.sizeBps.toFixed(1)} bps in ${((sp.runEnd - sp.start) / 1000).toFixed(2)} s after ` +
        `${((sp.start - sp.planned) / 1000).toFixed(1)} s calm at the origin; ` +
        `stalls ${((sp.stallEnd - sp.runEnd) / 1000).toFixed(1)} s (eases back ${sp.backBps.toFixed(1)} bps) ` +
        `while ${aggressor} aggression keeps coming; ${how}`,
    });
  }

  private endEdge(m: CoinMarket, end: number, why: string): void {
    const e = m.edge!;
    m.edge = null;
    const low = e.side === 'A';
    this.emitStrategyEvent({
      id: e.id,
      kind: 'range-edge',
      coin: m.def.name,
      start: e.start,
      end,
      outcome: 'revert',
      side: low ? 'LONG' : 'SHORT',
      strategy: 'geometry',
      fromPx: px(e.fromPx),
      extremePx: px(m.fair),
      notes:
        `absorption at the range ${low ? 'low' : 'high'}: ${low ? 'sell' : 'buy'} aggression at 2.6× ` +
        `the calm rate while the edge holds, then the range swings back` +
        (why === '' ? '' : ` (${why})`),
    });
  }

  private labelCascade(m: CoinMarket, c: Cascade, end: number): void {
    const long = c.side === -1;
    this.emitStrategyEvent({
      id: c.id,
      kind: 'cascade',
      coin: m.def.name,
      start: c.start,
      end,
      outcome: 'continue',
      side: long ? 'SHORT' : 'LONG',
      strategy: 'cascade',
      fromPx: px(c.pxFrom),
      extremePx: px(c.pxFrom * (1 + (c.side * c.pxMoveBps) / 1e4)),
      notes:
        `${long ? 'longs' : 'shorts'} liquidated: OI −${(c.oiDrop * 100).toFixed(1)} % in ` +
        `${((c.dropEnd - c.start) / 1000).toFixed(1)} s, ${long ? 'sell' : 'buy'} flow one-sided, price ` +
        `${long ? '−' : '+'}${c.pxMoveBps.toFixed(0)} bps, then OI flat and the ${long ? 'bid' : 'ask'} side refills; ` +
        (c.staged
          ? `staged: the ${long ? 'bid' : 'ask'} side thins from ${((c.thinAt - c.start) / 1000).toFixed(1)} s`
          : 'original model: the hit side thins from the start and the book skew flips sign (the regime inputs pass through DISABLED)'),
    });
  }

  // ---------------------------------------------------------------- trades

  private pickWallet(): string {
    const u = this.rng.next();
    return this.wallets[Math.floor(u * u * this.wallets.length)]!;
  }

  private runTrades(m: CoinMarket, t: number, dt: number): void {
    m.trades = [];
    const r = m.rng;
    const seg = m.seg!;
    let buyMult = 0.5;
    let sellMult = 0.5;
    let sizeMult = 1;
    const c = m.cascade;
    if (c !== null && t < c.dropEnd) {
      const hot = 4.0;
      const cold = 0.08;
      buyMult = c.side === 1 ? hot : cold;
      sellMult = c.side === 1 ? cold : hot;
      sizeMult = 1.5;
    } else if (c !== null) {
      buyMult = 0.6;
      sellMult = 0.6;
    } else if (m.spike !== null) {
      // the run and the stall: aggression in the move's direction; then against it (revert) or with it
      // (moderate sizes in the long phases: what aggression takes from the book stays taken until the
      // level is refreshed, and the book's skew must stay inside the SIDEWAYS bound)
      const sp = m.spike;
      let withMult = 2.4;
      let againstMult = 0.25;
      sizeMult = 0.8;
      if (t < sp.start || t >= sp.resolveEnd) {
        withMult = 0.5;
        againstMult = 0.5;
        sizeMult = 1;
      } else if (t < sp.runEnd) {
        withMult = 6;
        sizeMult = 1.5;
      } else if (t >= sp.stallEnd && sp.outcome === 'revert') {
        withMult = 0.45;
        againstMult = 1.0;
        sizeMult = 1;
      } else if (t >= sp.stallEnd) {
        againstMult = 0.35;
        sizeMult = 1;
      }
      buyMult = sp.dir === 1 ? withMult : againstMult;
      sellMult = sp.dir === 1 ? againstMult : withMult;
    } else if (m.absorption !== null) {
      if (m.absorption.side === 'A') sellMult = 2.6;
      else buyMult = 2.6;
    } else if (seg.kind === 'expansion') {
      buyMult = seg.dir === 1 ? 0.62 : 0.45;
      sellMult = seg.dir === 1 ? 0.45 : 0.62;
    } else if (seg.kind === 'chop') {
      buyMult = 0.55;
      sellMult = 0.55;
    }
    const base = (m.def.ordersPerSec * dt) / 1000;
    const nBuy = r.poisson(base * buyMult);
    const nSell = r.poisson(base * sellMult);
    const total = nBuy + nSell;
    if (total === 0) return;
    // interleave buys and sells in a seeded order
    let b = nBuy;
    let s = nSell;
    for (let i = 0; i < total; i++) {
      const isBuy = r.next() * (b + s) < b;
      if (isBuy) b--;
      else s--;
      const notional = Math.min(25, Math.exp(r.normal())) * m.def.tradeNotional * sizeMult;
      this.aggress(m, isBuy, notional);
    }
  }

  private aggress(m: CoinMarket, isBuy: boolean, notional: number): void {
    const side = isBuy ? m.asks : m.bids;
    const r = m.rng;
    const px0 = side[0] ? side[0].p * m.tick : m.fair;
    let rem = Math.max(1, Math.round(notional / px0 / m.lot));
    const seg = m.seg;
    const trend = seg !== null && seg.kind === 'expansion' && m.cascade === null ? seg.dir : 0;
    const taker = this.planter.taker(
      m.def.name,
      this.coinIdx.get(m.def.name) ?? 0,
      this.time,
      isBuy,
      rem,
      px0,
      m.lot,
      m.def.tradeNotional / px0 / m.lot,
      this.plannedCascade(m.def.name, this.time),
      trend,
      this.pickWallet(),
    );
    const hash = '0x' + r.hex(32);
    let walked = 0;
    while (rem > 0 && side.length > 1 && walked < 8) {
      const lvl = side[0]!;
      const take = Math.min(rem, lvl.q);
      if (take <= 0) break;
      const maker = this.planter.maker(m.def.name, this.time, isBuy, take, this.pickWallet());
      m.trades.push({
        side: isBuy ? 'B' : 'A',
        pxTicks: lvl.p,
        lots: take,
        hash,
        tid: r.u50(),
        buyer: isBuy ? taker : maker,
        seller: isBuy ? maker : taker,
      });
      const px = lvl.p * m.tick;
      m.dayNtlVlm += take * m.lot * px;
      m.dayBaseVlm += take * m.lot;
      rem -= take;
      const f = lvl.q > 0 ? lvl.b / lvl.q : 1;
      lvl.q -= take;
      lvl.b = lvl.q * f;
      if (lvl.q <= 0) side.shift();
      walked++;
    }
  }

  /**
   * The next planned cascade of a coin within the planter's build window of `t` (null: none). Cached per
   * coin: the earliest planned cascade after t stays the answer until t passes it (segments are planned in
   * time order, so a later-planned one is later); with none planned, it is looked for again once the build
   * window reaches past the plan.
   */
  private plannedCascade(coin: string, t: number): PlannedCascade | null {
    let c = this.cascadeAhead.get(coin);
    if (
      c === undefined ||
      (c.next !== null && c.next.t <= t) ||
      (c.next === null && t + BUILD_MS >= c.horizon)
    ) {
      const plan = this.plans.get(coin)!;
      plan.at(t + BUILD_MS);
      const segs = plan.segments();
      let next: PlannedCascade | null = null;
      for (const seg of segs) {
        if (seg.kind !== 'expansion' || seg.end <= t) continue;
        for (const cs of seg.cascades)
          if (cs > t && (next === null || cs < next.t)) next = { t: cs, dir: seg.dir === 1 ? -1 : 1 };
      }
      c = { next, horizon: segs[segs.length - 1]!.end };
      this.cascadeAhead.set(coin, c);
    }
    return c.next !== null && c.next.t - t <= BUILD_MS ? c.next : null;
  }

  // ---------------------------------------------------------------- book

  private newLevel(m: CoinMarket, p: number): Level {
    const r = m.rng;
    const px = p * m.tick;
    const d = (Math.abs(px - m.fair) / m.fair) * 1e4;
    const ntl = levelNotionalAt(m.def.levelNotional, d) * Math.exp(0.3 * r.normal());
    const b = Math.max(1, ntl / px / m.lot);
    return { p, b, q: 0, n: 1 + r.poisson(Math.min(12, ntl / (m.def.levelNotional * 0.5))) };
  }

  private meanGapTicks(m: CoinMarket, dBps: number): number {
    return ((GAP0 + GAP1 * dBps) * m.fair) / 1e4 / m.tick;
  }

  private maintainSide(m: CoinMarket, side: Level[], isBid: boolean, best: number): void {
    const r = m.rng;
    const dir = isBid ? -1 : 1;
    // drop levels that would cross the new top
    let i = 0;
    while (i < side.length && (isBid ? side[i]!.p > best : side[i]!.p < best)) i++;
    if (i > 0) side.splice(0, i);
    if (side.length === 0 || side[0]!.p !== best) side.unshift(this.newLevel(m, best));
    // refresh some levels
    for (const lvl of side) {
      if (r.chance(0.15)) {
        const fresh = this.newLevel(m, lvl.p);
        lvl.b = fresh.b;
        lvl.n = fresh.n;
      }
    }
    // keep the spacing profile: levels packed too tightly (price moved through them) are merged
    // away, and a hole much wider than the profile gets a level now and then
    for (let k = 1; k < side.length; ) {
      const a = side[k - 1]!;
      const z = side[k]!;
      const dBps = (Math.abs(z.p * m.tick - m.fair) / m.fair) * 1e4;
      if (Math.abs(z.p - a.p) < 0.6 * this.meanGapTicks(m, dBps)) side.splice(k, 1);
      else k++;
    }
    for (let k = 0; k + 1 < side.length && k < 30; k++) {
      const a = side[k]!;
      const gap = Math.abs(side[k + 1]!.p - a.p);
      const dBps = (Math.abs(a.p * m.tick - m.fair) / m.fair) * 1e4;
      const mg = this.meanGapTicks(m, dBps);
      if (gap >= 2 && gap > 1.6 * mg) {
        const p = a.p + dir * Math.min(gap - 1, Math.max(1, Math.round(gap * r.range(0.4, 0.6))));
        side.splice(k + 1, 0, this.newLevel(m, p));
      }
    }
    // extend outwards
    for (;;) {
      const last = side[side.length - 1]!;
      const lastBps = (Math.abs(last.p * m.tick - m.fair) / m.fair) * 1e4;
      if (side.length >= MAX_LEVELS || (side.length >= MIN_LEVELS && lastBps >= MIN_SPAN_BPS)) break;
      const gap = Math.max(1, Math.round(this.meanGapTicks(m, lastBps) * r.range(0.8, 1.25)));
      const p = last.p + dir * gap;
      if (p <= 0) break;
      side.push(this.newLevel(m, p));
    }
    if (side.length > MAX_LEVELS) side.length = MAX_LEVELS;
    // displayed sizes: base × planned skew × near-mid thinning
    const skew = isBid ? 1 + m.asym : 1 - m.asym;
    const thin = isBid ? m.thinBid : m.thinAsk;
    for (const lvl of side) {
      const dBps = (Math.abs(lvl.p * m.tick - m.fair) / m.fair) * 1e4;
      const f = Math.max(0.02, skew * (dBps <= NEAR_BPS ? thin : 1));
      lvl.q = Math.max(1, Math.round(lvl.b * f));
    }
  }

  private rebuildBook(m: CoinMarket): void {
    const midT = m.fair / m.tick;
    const spread = 1 + (m.rng.chance(0.3) ? 1 : 0);
    const bb = Math.floor(midT - spread / 2);
    const ba = bb + spread;
    this.maintainSide(m, m.bids, true, bb);
    this.maintainSide(m, m.asks, false, ba);
  }

  private updateOracle(m: CoinMarket, t: number, force: boolean): void {
    if (force || t - m.lastOracleUpdate >= 3_000) {
      m.oraclePx = Math.round((m.fair * (1 + 0.0001 * m.rng.normal())) / m.tick) * m.tick;
      m.lastOracleUpdate = t;
    }
    const o = Math.round(m.oraclePx / m.tick);
    const b = m.bids[0]?.p ?? o;
    const a = m.asks[0]?.p ?? o;
    m.markTicks = [o, b, a].sort((x, y) => x - y)[1]!;
  }

  /** Impact bid/ask in ticks for the coin's impact notional. */
  impactTicks(m: CoinMarket): [number, number] {
    const walk = (side: Level[]): number => {
      let ntl = 0;
      let p = side[0]?.p ?? m.markTicks;
      for (const l of side) {
        p = l.p;
        ntl += l.q * m.lot * l.p * m.tick;
        if (ntl >= m.def.impactNotional) break;
      }
      return p;
    };
    return [walk(m.bids), walk(m.asks)];
  }

  /** Premium as the venue defines it: impact prices vs oracle. */
  premium(m: CoinMarket): number {
    const [ib, ia] = this.impactTicks(m);
    const o = m.oraclePx;
    return (Math.max(ib * m.tick - o, 0) - Math.max(o - ia * m.tick, 0)) / o;
  }

  /** The activeAssetCtx `ctx` object as JSON text, keys in the venue's order. */
  ctxJson(coin: string): string {
    const m = this.market(coin);
    const [ib, ia] = this.impactTicks(m);
    return (
      `{"funding":"${formatDecimal(m.funding, 10)}","openInterest":"${formatDecimal(m.oi, m.def.szDecimals)}",` +
      `"prevDayPx":"${m.formatPx(m.prevDayTicks)}","dayNtlVlm":"${formatDecimal(m.dayNtlVlm, 4)}",` +
      `"premium":"${formatDecimal(this.premium(m), 10)}","oraclePx":"${formatDecimal(m.oraclePx, m.tickDec)}",` +
      `"markPx":"${m.formatPx(m.markTicks)}","midPx":"${m.formatMid()}",` +
      `"impactPxs":["${m.formatPx(ib)}","${m.formatPx(ia)}"],"dayBaseVlm":"${formatDecimal(m.dayBaseVlm, m.def.szDecimals)}"}`
    );
  }

  // ---------------------------------------------------------------- ground truth

  private nextId(m: CoinMarket, kind: StrategyEventKind): string {
    const n = (m.eventSeq.get(kind) ?? 0) + 1;
    m.eventSeq.set(kind, n);
    return `${m.def.name}-${kind}-${n}`;
  }

  private emitStrategyEvent(e: StrategyEvent): void {
    if (this.keepGt) this.strategyEvents.push(e);
    this.onStrategyEvent?.(e);
  }

  private emitEvent(e: CascadeEvent): void {
    if (this.keepGt) this.events.push(e);
    this.onEvent?.(e);
  }

  private label(t: number): void {
    for (const m of this.markets.values()) {
      m.oiMax15.push(t, m.oi);
      m.oiMin15.push(t, m.oi);
      m.oiMin1h.push(t, m.oi);
      m.oiMax15.expire(t - 900_000);
      m.oiMin15.expire(t - 900_000);
      m.oiMin1h.expire(t - 3_600_000);
      const warm15 = t - this.startTime >= 900_000;
      const warm1h = t - this.startTime >= 3_600_000;
      const n = m.asymT.length - m.asymHead;
      const asym5 = n > 0 && t - this.startTime >= 5_000 ? m.asymSum / n : Number.NaN;
      const fundingDev = Math.abs(m.funding - FUNDING_BASELINE);
      const oiRange = warm15 ? (m.oiMax15.value() - m.oiMin15.value()) / m.oiMin15.value() : Number.NaN;
      const oiBuild = warm1h ? (m.oiMax15.value() - m.oiMin1h.value()) / m.oiMin1h.value() : Number.NaN;
      const regime = classify(oiRange, oiBuild, fundingDev, asym5);
      const c = m.cascade;
      const l: GroundTruthLabel = {
        t,
        coin: m.def.name,
        regime,
        cascade: c !== null && t >= c.start && t < c.end,
        segment: this.plans.get(m.def.name)!.at(t).kind,
      };
      if (this.keepGt) this.labels.push(l);
      this.onLabel?.(l);
    }
  }

  /** Whether a labelled event (a spike, a cascade, an edge episode) is under way in some coin. */
  eventsUnderWay(): boolean {
    for (const m of this.markets.values())
      if (m.spike !== null || m.cascade !== null || m.edge !== null) return true;
    return false;
  }

  /** Labels, cascade events and strategy events so far. */
  groundTruth(): GroundTruth {
    return {
      labels: this.labels,
      events: this.events,
      strategyEvents: this.strategyEvents,
      wallets: this.planter.planted(),
      walletEpisodes: this.planter.episodes,
    };
  }

  /** Ground truth as JSONL: labels, cascade events and strategy events (at their end) merged in time order. */
  groundTruthJsonl(): string {
    return groundTruthToJsonl(this.groundTruth());
  }

  writeGroundTruth(path: string): void {
    writeFileSync(path, this.groundTruthJsonl());
  }
}

/** The RULEBOOK regime table. NaN (a window still warming up) makes every rule false. */
export function classify(
  oiRange15m: number,
  oiBuild1h: number,
  fundingDev: number,
  depthAsym5s: number,
): Regime {
  const sideways = oiRange15m <= 0.006 && fundingDev <= 0.00002 && Math.abs(depthAsym5s) <= 0.25;
  const expansion = oiBuild1h >= 0.02 && fundingDev >= 0.00004 && Math.abs(depthAsym5s) >= 0.3;
  if (sideways && !expansion) return 'SIDEWAYS';
  if (expansion && !sideways) return 'EXPANSION';
  return 'DISABLED';
}

/** A strategy event as its ground-truth JSONL line. */
export function strategyEventLine(e: StrategyEvent): string {
  return JSON.stringify({ event: 'strategyEvent', ...e });
}

export function groundTruthToJsonl(gt: GroundTruth): string {
  const lines: string[] = [];
  const se = [...gt.strategyEvents].sort((a, b) => a.end - b.end);
  const we = [...(gt.walletEpisodes ?? [])].sort((a, b) => a.exitEnd - b.exitEnd);
  const weLine = (e: ManipulatorEpisode) => JSON.stringify({ event: 'manipulatorEpisode', ...e });
  let j = 0;
  let k = 0;
  let w = 0;
  for (const l of gt.labels) {
    while (j < gt.events.length && gt.events[j]!.t <= l.t) lines.push(JSON.stringify(gt.events[j++]));
    while (k < se.length && se[k]!.end <= l.t) lines.push(strategyEventLine(se[k++]!));
    while (w < we.length && we[w]!.exitEnd <= l.t) lines.push(weLine(we[w++]!));
    lines.push(JSON.stringify(l));
  }
  while (j < gt.events.length) lines.push(JSON.stringify(gt.events[j++]));
  while (k < se.length) lines.push(strategyEventLine(se[k++]!));
  while (w < we.length) lines.push(weLine(we[w++]!));
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}

/**
 * A sideways segment with exhaustion spikes swings between its edges 1.5× slower than the others: its
 * own 5 s moves stay well inside 3 σ, so the spikes are what a move-based setup sees.
 */
function rangeSlowdown(seg: Segment | null): number {
  return seg !== null && seg.spikes.length > 0 ? 1.5 : 1;
}

/** A price for a label: 8 significant figures. */
function px(x: number): number {
  return Number(x.toPrecision(8));
}
