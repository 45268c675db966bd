/**
 * The hot-state memory layout: one SharedArrayBuffer holding
 *   [header 64 B: published-update counter (Uint32 lo, hi)]
 *   [one Int32 seqlock per coin, each on its own 64-byte line (odd = being written)]
 *   [per coin a slot of SLOT_FLOATS Float64 fields, padded to 64 bytes]
 * Field offsets inside a slot are the named constants `F.*` (NaN = NULL: not known / still warming up).
 * The layout descriptor is plain data (postMessage-able) so readers in other threads can attach.
 */

/** Top levels a side copied into each slot. */
export const TOP_N = 10;

const SPEC = [
  // identity and clocks
  ['nodeTime', 1], // venue `time` of the message that caused this publish
  ['recvTime', 1], // receive time (journal clock) of that message
  ['sequence', 1], // journal sequence of that message (NaN when not given)
  ['version', 1], // global publish counter after this publish
  ['slotVersion', 1], // publishes of this coin (0 = never published)
  ['publishTime', 1], // clock time of the publish: age = now − publishTime
  ['checksum', 1], // hash of every other field (see slotChecksum)
  ['coinIndex', 1],
  // per-channel freshness
  ['bookTime', 1],
  ['bboTime', 1],
  ['ctxTime', 1],
  ['tradeTime', 1],
  ['bookRecvTime', 1],
  ['bboRecvTime', 1],
  ['ctxRecvTime', 1],
  ['tradeRecvTime', 1],
  // top of book (freshest of bbo and l2Book)
  ['bestBid', 1],
  ['bestBidSz', 1],
  ['bestAsk', 1],
  ['bestAskSz', 1],
  ['mid', 1],
  ['spreadBps', 1],
  ['topSource', 1], // 0 none, 1 l2Book, 2 bbo
  ['bboBidPx', 1],
  ['bboBidSz', 1],
  ['bboAskPx', 1],
  ['bboAskSz', 1],
  // levels from the l2Book snapshot, best first; unused levels NaN
  ['bidLevels', 1],
  ['askLevels', 1],
  ['bidPx', TOP_N],
  ['bidSz', TOP_N],
  ['askPx', TOP_N],
  ['askSz', TOP_N],
  // activeAssetCtx
  ['mark', 1],
  ['oracle', 1],
  ['venueMid', 1],
  ['premium', 1],
  ['oi', 1],
  ['funding', 1],
  ['impactBid', 1],
  ['impactAsk', 1],
  ['prevDayPx', 1],
  ['dayNtlVlm', 1],
  ['dayBaseVlm', 1],
  // depth: notional USD within b bps of mid
  ['depthBid10', 1],
  ['depthBid20', 1],
  ['depthBid50', 1],
  ['depthAsk10', 1],
  ['depthAsk20', 1],
  ['depthAsk50', 1],
  ['depthAsym50', 1], // (bid50 − ask50) / (bid50 + ask50), now
  ['depthAsym1s', 1], // time-weighted means of depthAsym50 over each window
  ['depthAsym5s', 1],
  ['depthAsym15m', 1],
  ['depthAsym1h', 1],
  ['depthBid20Mean5s', 1],
  ['depthAsk20Mean5s', 1],
  // open interest (coin units; ratios unitless)
  ['oiMax10s', 1],
  ['oiDrop10s', 1],
  ['oiMin15m', 1],
  // ms since OI last made a new low: now − the time the 15 m minimum was first attained (an OI equal to
  // the minimum is not a new low; a minimum carried in from before the window counts from its start,
  // so the value is in [0, 15 m]). NaN until the 15 m window is warm
  ['oiLowAgeMs', 1],
  ['oiMax15m', 1],
  ['oiRange15m', 1],
  ['oiMin1h', 1],
  ['oiMax1h', 1],
  ['oiBuild1h', 1],
  ['oiChg1s', 1], // OI / OI w ago − 1
  ['oiChg5s', 1],
  ['oiChg15m', 1],
  ['oiChg1h', 1],
  // funding (hourly rate)
  ['fundingDev', 1], // |funding − 0.0000125|
  ['fundingDrift1s', 1], // funding − funding w ago
  ['fundingDrift5s', 1],
  ['fundingDrift15m', 1],
  ['fundingDrift1h', 1],
  ['fundingVelocity', 1], // change of funding per hour over 1 h
  ['fundingAccel', 1], // 15 m drift per hour − 1 h velocity
  // aggressor flow, USD notional (B = buy, A = sell)
  ['buyNtl1s', 1],
  ['sellNtl1s', 1],
  ['buyNtl5s', 1],
  ['sellNtl5s', 1],
  ['buyNtl15m', 1],
  ['sellNtl15m', 1],
  ['buyNtl1h', 1],
  ['sellNtl1h', 1],
  ['buyMean5s1h', 1], // 1 h mean of buy notional per 5 s
  ['sellMean5s1h', 1],
  ['buyShare1s', 1], // buy / (buy + sell) over 1 s (NaN while warming or with no trade)
  ['buyShare5s', 1], // buy / (buy + sell) over 5 s (likewise)
  ['lastTradePx', 1],
  ['lastTradeSz', 1],
  ['lastTradeSide', 1], // +1 buy aggressor, −1 sell aggressor
  // price kinematics
  ['rangeHigh15m', 1],
  ['rangeLow15m', 1],
  ['midMax5s', 1], // max and min of mid over the last 5 s (Kinematics: the move's frozen extreme)
  ['midMin5s', 1],
  ['mid1sAgo', 1],
  ['mid2sAgo', 1],
  ['mid5sAgo', 1],
  ['mid10sAgo', 1], // the mid in effect 10 s ago (NaN until 10 s of history)
  ['ret1s', 1], // ln(mid / mid 1 s ago)
  ['ret5s', 1], // ln(mid / mid 5 s ago): the RULEBOOK's move5s
  ['accel1s', 1], // ret1s − ln(mid 1 s ago / mid 2 s ago)
  ['sigma5s1h', 1], // σ of ret5s (move5s) sampled once a second over 1 h; NaN until 3600 samples
  // ratios
  ['depthOiRatio20', 1], // (depthBid20 + depthAsk20) / (OI × mark)
  // sweeps and refills (depth within 20 bps)
  ['sweepActiveBid', 1],
  ['sweepActiveAsk', 1],
  ['sweepStartBid', 1],
  ['sweepStartAsk', 1],
  ['preSweepBid', 1],
  ['preSweepAsk', 1],
  ['lastRefillMsBid', 1],
  ['lastRefillMsAsk', 1],
  // counters (since start)
  ['staleBooks', 1],
  ['staleBbos', 1],
  ['badInputs', 1],
  ['dupTrades', 1],
  ['bookRejects', 1], // l2Book snapshots rejected as malformed, crossed or unsorted (state/book.ts)
  ['bboRejects', 1], // bbo pushes rejected likewise
  // book sanity gate: 1 from a rejected l2Book until the next valid l2Book; 1 from a rejected bbo
  // until the next valid bbo or l2Book. While either is set the coin's book is not valid (HotView.bookInvalid)
  ['bookRejected', 1],
  ['bboRejected', 1],
  // wallet flags (state/wallets.ts, written by the state builder; 0 while the tracker is off or before
  // any manipulator is classified): a wallet classed `manipulator` holds a large position on the coin
  ['isManipulatorActive', 1], // 1 active, 0 not
  ['manipulatorDirection', 1], // +1 LONG, −1 SHORT, 0 NONE (the largest active manipulator's side)
  ['manipulatorCount', 1], // manipulators active on the coin
  ['manipulatorNotional', 1], // USD value of the largest one's position (0 when none)
] as const;

export type FieldName = (typeof SPEC)[number][0];
/** Names of the one-float fields (everything but the TOP_N level arrays). */
export type ScalarFieldName = Extract<(typeof SPEC)[number], readonly [string, 1]>[0];

function offsets(): { F: Readonly<Record<FieldName, number>>; n: number } {
  const F = {} as Record<FieldName, number>;
  let at = 0;
  for (const [name, width] of SPEC) {
    F[name] = at;
    at += width;
  }
  return { F: Object.freeze(F), n: at };
}

const built = offsets();

/**
 * Field offsets inside a slot (`slot[F.mid]`); arrays start at their offset (`slot[F.bidPx + i]`).
 * `walletFlags` names the four wallet-flag fields as a block (`slot[F.walletFlags + i]`, i < WALLET_FLAGS).
 */
export const F: Readonly<Record<FieldName | 'walletFlags', number>> = Object.freeze({
  ...built.F,
  walletFlags: built.F.isManipulatorActive,
});
/** Fields in the wallet-flag block. */
export const WALLET_FLAGS = 4;
/** Float64 fields a slot uses. */
export const SLOT_FIELDS = built.n;
/** Float64 fields a slot occupies (padded to a 64-byte multiple). */
export const SLOT_FLOATS = Math.ceil(built.n / 8) * 8;
/** Names and widths in layout order (for dumps and the dashboard). */
export const FIELD_SPEC: ReadonlyArray<readonly [FieldName, number]> = SPEC;

/** The fields that are counts of things since start (initialised 0, not NaN). */
export const ZERO_INIT: readonly FieldName[] = [
  'slotVersion',
  'version',
  'staleBooks',
  'staleBbos',
  'badInputs',
  'dupTrades',
  'bookRejects',
  'bboRejects',
  'bookRejected',
  'bboRejected',
  'sweepActiveBid',
  'sweepActiveAsk',
];

export const LAYOUT_MAGIC = 'hl-hotstate/3';
const HEADER_BYTES = 64;
const LOCK_STRIDE_BYTES = 64;

/** Everything a reader needs to attach to the buffer (plain data). */
export interface HotStateLayout {
  magic: string;
  coins: string[];
  slotFloats: number;
  slotFields: number;
  topN: number;
  /** Uint32 index of the published counter's low and high words. */
  versionLoIndex: number;
  versionHiIndex: number;
  /** Int32 index of coin i's seqlock = lockBase + i × lockStride. */
  lockBase: number;
  lockStride: number;
  /** Byte offset of coin 0's slot; coin i's slot starts at dataOffset + i × slotFloats × 8. */
  dataOffset: number;
  byteLength: number;
}

export function makeLayout(coins: readonly string[]): HotStateLayout {
  const uniq = new Set(coins);
  if (uniq.size !== coins.length) throw new Error(`hot-state layout: duplicate coin in ${coins.join(',')}`);
  const lockBytes = coins.length * LOCK_STRIDE_BYTES;
  const dataOffset = HEADER_BYTES + lockBytes;
  return {
    magic: LAYOUT_MAGIC,
    coins: [...coins],
    slotFloats: SLOT_FLOATS,
    slotFields: SLOT_FIELDS,
    topN: TOP_N,
    versionLoIndex: 0,
    versionHiIndex: 1,
    lockBase: HEADER_BYTES / 4,
    lockStride: LOCK_STRIDE_BYTES / 4,
    dataOffset,
    byteLength: dataOffset + coins.length * SLOT_FLOATS * 8,
  };
}

/** Throws unless `layout` describes this code's slot layout and fits `sab`. */
export function checkLayout(sab: SharedArrayBuffer, layout: HotStateLayout): void {
  if (layout.magic !== LAYOUT_MAGIC)
    throw new Error(`hot-state layout: magic ${layout.magic} ≠ ${LAYOUT_MAGIC}`);
  if (layout.slotFloats !== SLOT_FLOATS || layout.slotFields !== SLOT_FIELDS || layout.topN !== TOP_N)
    throw new Error(
      `hot-state layout: slot ${layout.slotFields}/${layout.slotFloats} fields, top ${layout.topN} ≠ this build's ${SLOT_FIELDS}/${SLOT_FLOATS}, ${TOP_N}`,
    );
  if (sab.byteLength < layout.byteLength)
    throw new Error(`hot-state layout: buffer ${sab.byteLength} B < layout ${layout.byteLength} B`);
}

/** Coin → index in the layout (-1 when absent). */
export function coinIndexOf(layout: HotStateLayout, coin: string): number {
  return layout.coins.indexOf(coin);
}

const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer);

/**
 * Hash of every field of a slot but `checksum`: FNV-1a over the 32-bit words (each step is a
 * bijection of the state, so a copy differing from the published image in any single word always
 * hashes differently), NaN hashed as one canonical value. A reader recomputes it over its copy to
 * prove the copy is untorn.
 */
export function slotChecksum(slot: Float64Array): number {
  let h = 0x811c9dc5 | 0;
  const n = SLOT_FLOATS;
  const skip = F.checksum;
  for (let i = 0; i < n; i++) {
    if (i === skip) continue;
    const x = slot[i]!;
    if (Number.isNaN(x)) {
      h = Math.imul(h, 0x01000193);
      h = Math.imul(h ^ 0x7ff80000, 0x01000193);
    } else {
      scratch[0] = x;
      h = Math.imul(h ^ words[0]!, 0x01000193);
      h = Math.imul(h ^ words[1]!, 0x01000193);
    }
  }
  return h >>> 0;
}

/** A fresh slot image: NaN everywhere, counters 0, wallet flags 0. */
export function newSlot(): Float64Array {
  const s = new Float64Array(SLOT_FLOATS).fill(Number.NaN);
  for (const f of ZERO_INIT) s[F[f]] = 0;
  for (let i = 0; i < WALLET_FLAGS; i++) s[F.walletFlags + i] = 0;
  for (let i = SLOT_FIELDS; i < SLOT_FLOATS; i++) s[i] = 0;
  return s;
}
