/**
 * Derived events: facts with their evidence, not signals. Each detector is edge-triggered — it emits
 * once when its condition becomes true and re-arms when it is false again — and a condition that needs
 * a NULL (NaN) input is false. Detectors read the coin's slot image after the builder has filled it;
 * the sweep tracker writes its own fields (sweep flags, pre-sweep level, last refill time) back.
 */
import { F } from './hotstate-layout.ts';

export interface DetectorConfig {
  /** "OI dropped X in 10 s": oiDrop10s ≥ this fraction. */
  oiDropFrac: number;
  /** "bid/ask depth < N within 20 bps": USD notional. */
  lowDepthUsd: number;
  /** "depth thinning": depth within 20 bps below this fraction of its 5 s mean. */
  thinningFrac: number;
  /** "aggressive buying/selling failed to move price": 5 s aggressor notional ≥ this × its 1 h mean per 5 s … */
  flowMult: number;
  /** … and at least this much USD … */
  flowMinUsd: number;
  /** … while mid moved no more than this (bps over 5 s) in the flow's direction. */
  flowMaxMoveBps: number;
  /** "funding acceleration": |15 m funding drift per hour − 1 h velocity| ≥ this (hourly rate per hour). */
  fundingAccelPerHour: number;
  /** A sweep starts when depth within 20 bps falls below this fraction of its 5 s mean … */
  sweepFrac: number;
  /** … and the book has refilled when it is back to this fraction of the pre-sweep level. */
  refillFrac: number;
}

export const DEFAULT_DETECTORS: Readonly<DetectorConfig> = Object.freeze({
  oiDropFrac: 0.02,
  lowDepthUsd: 100_000,
  thinningFrac: 0.5,
  flowMult: 2,
  flowMinUsd: 10_000,
  flowMaxMoveBps: 2,
  fundingAccelPerHour: 0.00001,
  sweepFrac: 0.5,
  refillFrac: 1,
});

export type DerivedEventType =
  | 'oiDrop'
  | 'lowDepth'
  | 'depthThinning'
  | 'flowFailedToMovePrice'
  | 'fundingAcceleration'
  | 'bookRefilled';

export interface DerivedEvent {
  type: DerivedEventType;
  coin: string;
  /** Receive time (journal clock) of the record that made the condition true. */
  time: number;
  evidence: Record<string, number | string>;
}

/** Per-coin detector memory (edge states and open sweeps). */
export class DetectorState {
  oiDrop = false;
  lowBid = false;
  lowAsk = false;
  thinBid = false;
  thinAsk = false;
  flowBuy = false;
  flowSell = false;
  fundingAccel = false;
}

/** Run every detector over `slot` at time `now`; append what fired to `out`. */
export function detect(
  slot: Float64Array,
  st: DetectorState,
  cfg: DetectorConfig,
  coin: string,
  now: number,
  out: DerivedEvent[],
): void {
  // OI dropped
  const drop = slot[F.oiDrop10s]!;
  const oiDrop = drop >= cfg.oiDropFrac;
  if (oiDrop && !st.oiDrop)
    out.push({
      type: 'oiDrop',
      coin,
      time: now,
      evidence: { oiDrop10s: drop, oiMax10s: slot[F.oiMax10s]!, oi: slot[F.oi]!, threshold: cfg.oiDropFrac },
    });
  st.oiDrop = oiDrop;

  // low depth within 20 bps
  const bid20 = slot[F.depthBid20]!;
  const ask20 = slot[F.depthAsk20]!;
  const lowBid = bid20 < cfg.lowDepthUsd;
  if (lowBid && !st.lowBid) out.push(lowDepth(coin, now, 'bid', bid20, slot[F.mid]!, cfg.lowDepthUsd));
  st.lowBid = lowBid;
  const lowAsk = ask20 < cfg.lowDepthUsd;
  if (lowAsk && !st.lowAsk) out.push(lowDepth(coin, now, 'ask', ask20, slot[F.mid]!, cfg.lowDepthUsd));
  st.lowAsk = lowAsk;

  // depth thinning against its own 5 s mean
  const bidMean = slot[F.depthBid20Mean5s]!;
  const askMean = slot[F.depthAsk20Mean5s]!;
  const thinBid = bid20 < cfg.thinningFrac * bidMean;
  if (thinBid && !st.thinBid) out.push(thinning(coin, now, 'bid', bid20, bidMean, cfg.thinningFrac));
  st.thinBid = thinBid;
  const thinAsk = ask20 < cfg.thinningFrac * askMean;
  if (thinAsk && !st.thinAsk) out.push(thinning(coin, now, 'ask', ask20, askMean, cfg.thinningFrac));
  st.thinAsk = thinAsk;

  // aggressive flow that failed to move price
  const ret5s = slot[F.ret5s]!;
  const maxMove = cfg.flowMaxMoveBps / 1e4;
  const buy5 = slot[F.buyNtl5s]!;
  const buyMean = slot[F.buyMean5s1h]!;
  const flowBuy = buy5 >= cfg.flowMult * buyMean && buy5 >= cfg.flowMinUsd && ret5s <= maxMove;
  if (flowBuy && !st.flowBuy) out.push(failedFlow(coin, now, 'buy', buy5, buyMean, ret5s));
  st.flowBuy = flowBuy;
  const sell5 = slot[F.sellNtl5s]!;
  const sellMean = slot[F.sellMean5s1h]!;
  const flowSell = sell5 >= cfg.flowMult * sellMean && sell5 >= cfg.flowMinUsd && ret5s >= -maxMove;
  if (flowSell && !st.flowSell) out.push(failedFlow(coin, now, 'sell', sell5, sellMean, ret5s));
  st.flowSell = flowSell;

  // funding acceleration
  const accel = slot[F.fundingAccel]!;
  const fa = Math.abs(accel) >= cfg.fundingAccelPerHour;
  if (fa && !st.fundingAccel)
    out.push({
      type: 'fundingAcceleration',
      coin,
      time: now,
      evidence: {
        funding: slot[F.funding]!,
        drift15mPerHour: slot[F.fundingDrift15m]! * 4,
        velocity1h: slot[F.fundingVelocity]!,
        accel,
        threshold: cfg.fundingAccelPerHour,
      },
    });
  st.fundingAccel = fa;

  // sweeps and refills
  sweep(
    slot,
    cfg,
    coin,
    now,
    out,
    bid20,
    bidMean,
    F.sweepActiveBid,
    F.sweepStartBid,
    F.preSweepBid,
    F.lastRefillMsBid,
    'bid',
  );
  sweep(
    slot,
    cfg,
    coin,
    now,
    out,
    ask20,
    askMean,
    F.sweepActiveAsk,
    F.sweepStartAsk,
    F.preSweepAsk,
    F.lastRefillMsAsk,
    'ask',
  );
}

function sweep(
  slot: Float64Array,
  cfg: DetectorConfig,
  coin: string,
  now: number,
  out: DerivedEvent[],
  depth: number,
  mean: number,
  fActive: number,
  fStart: number,
  fPre: number,
  fRefill: number,
  side: 'bid' | 'ask',
): void {
  if (slot[fActive] !== 1) {
    if (depth < cfg.sweepFrac * mean) {
      slot[fActive] = 1;
      slot[fStart] = now;
      slot[fPre] = mean;
    }
    return;
  }
  const pre = slot[fPre]!;
  if (depth >= cfg.refillFrac * pre) {
    const refillMs = now - slot[fStart]!;
    slot[fActive] = 0;
    slot[fRefill] = refillMs;
    out.push({
      type: 'bookRefilled',
      coin,
      time: now,
      evidence: { side, refillMs, sweepStart: slot[fStart]!, preSweepDepth20: pre, depth20: depth },
    });
  }
}

function lowDepth(
  coin: string,
  now: number,
  side: string,
  depth: number,
  mid: number,
  thr: number,
): DerivedEvent {
  return { type: 'lowDepth', coin, time: now, evidence: { side, depth20: depth, mid, threshold: thr } };
}

function thinning(
  coin: string,
  now: number,
  side: string,
  depth: number,
  mean: number,
  frac: number,
): DerivedEvent {
  return {
    type: 'depthThinning',
    coin,
    time: now,
    evidence: { side, depth20: depth, mean5s: mean, ratio: depth / mean, threshold: frac },
  };
}

function failedFlow(
  coin: string,
  now: number,
  side: string,
  notional5s: number,
  mean5s1h: number,
  ret5s: number,
): DerivedEvent {
  return {
    type: 'flowFailedToMovePrice',
    coin,
    time: now,
    evidence: { side, notional5s, mean5s1h, multiple: notional5s / mean5s1h, moveBps: ret5s * 1e4 },
  };
}
