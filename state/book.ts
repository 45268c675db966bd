/**
 * Per-coin L2 book: the authoritative levels, replaced whole by each `l2Book` snapshot (a snapshot
 * whose venue `time` is older than the one held is dropped), plus the latest `bbo`. The top of book is
 * taken from the fresher of the two (by venue time; a tie goes to `bbo`), both sides from the same
 * source so the two never mix. Depth = notional (px × sz, USD) resting within 10/20/50 bps of mid.
 * Each level's decimals are parsed once, on arrival; nothing allocates per snapshot once the arrays
 * have grown to the venue's depth.
 */
import { parseDecimal, type WsBbo, type WsBook, type WsLevel } from './inputs.ts';

/** Outcome of applying a venue message. */
export const Apply = { Ok: 0, Stale: 1, Invalid: 2 } as const;
export type Apply = (typeof Apply)[keyof typeof Apply];

/** Where the current top of book came from. */
export const TopSource = { None: 0, Book: 1, Bbo: 2 } as const;
export type TopSource = (typeof TopSource)[keyof typeof TopSource];

/** The depth bands, in bps of mid. */
export const DEPTH_BPS = [10, 20, 50] as const;

class Side {
  px: Float64Array;
  sz: Float64Array;
  ntl: Float64Array;
  n = 0;
  constructor(cap: number) {
    this.px = new Float64Array(cap);
    this.sz = new Float64Array(cap);
    this.ntl = new Float64Array(cap);
  }
  ensure(cap: number): void {
    if (this.px.length >= cap) return;
    let c = this.px.length * 2;
    while (c < cap) c *= 2;
    this.px = new Float64Array(c);
    this.sz = new Float64Array(c);
    this.ntl = new Float64Array(c);
  }
}

export class Book {
  /** The held levels (best first) and the scratch side a new snapshot is parsed into. */
  bids = new Side(32);
  asks = new Side(32);
  private nextBids = new Side(32);
  private nextAsks = new Side(32);

  /** Venue time of the held book / bbo (NaN = none yet). */
  bookTime = Number.NaN;
  bboTime = Number.NaN;
  bboBidPx = Number.NaN;
  bboBidSz = Number.NaN;
  bboAskPx = Number.NaN;
  bboAskSz = Number.NaN;

  topSource: TopSource = TopSource.None;
  bestBid = Number.NaN;
  bestBidSz = Number.NaN;
  bestAsk = Number.NaN;
  bestAskSz = Number.NaN;
  mid = Number.NaN;
  depthBid10 = Number.NaN;
  depthBid20 = Number.NaN;
  depthBid50 = Number.NaN;
  depthAsk10 = Number.NaN;
  depthAsk20 = Number.NaN;
  depthAsk50 = Number.NaN;

  /** Why the last message was rejected (for the error counter's log line); '' when accepted. */
  lastError = '';

  /** Replace the book with a snapshot. Stale (older `time`) and malformed snapshots leave it untouched. */
  applyBook(d: WsBook): Apply {
    const time = d.time;
    if (typeof time !== 'number' || !Number.isFinite(time))
      return this.reject('l2Book: time is not a number');
    if (time < this.bookTime) {
      this.lastError = `l2Book: time ${time} older than held ${this.bookTime}`;
      return Apply.Stale;
    }
    const lv = d.levels;
    if (!Array.isArray(lv) || !Array.isArray(lv[0]) || !Array.isArray(lv[1]))
      return this.reject('l2Book: levels is not [bids[], asks[]]');
    const eb = parseSide(lv[0], this.nextBids, -1);
    if (eb !== '') return this.reject(`l2Book bids: ${eb}`);
    const ea = parseSide(lv[1], this.nextAsks, 1);
    if (ea !== '') return this.reject(`l2Book asks: ${ea}`);
    const b = this.bids;
    this.bids = this.nextBids;
    this.nextBids = b;
    const a = this.asks;
    this.asks = this.nextAsks;
    this.nextAsks = a;
    this.bookTime = time;
    this.lastError = '';
    this.recompute();
    return Apply.Ok;
  }

  /** Take a `bbo` push. Older than the held bbo: dropped. A null side means that side is empty. */
  applyBbo(d: WsBbo): Apply {
    const time = d.time;
    if (typeof time !== 'number' || !Number.isFinite(time)) return this.reject('bbo: time is not a number');
    if (time < this.bboTime) {
      this.lastError = `bbo: time ${time} older than held ${this.bboTime}`;
      return Apply.Stale;
    }
    const pair = d.bbo;
    if (!Array.isArray(pair) || pair.length !== 2) return this.reject('bbo: bbo is not [bid|null, ask|null]');
    const b = pair[0];
    const a = pair[1];
    let bpx = Number.NaN;
    let bsz = Number.NaN;
    let apx = Number.NaN;
    let asz = Number.NaN;
    if (b !== null) {
      bpx = parseDecimal(b?.px);
      bsz = parseDecimal(b?.sz);
      if (!(bpx > 0 && bsz >= 0)) return this.reject(`bbo: bad bid level ${levelText(b)}`);
    }
    if (a !== null) {
      apx = parseDecimal(a?.px);
      asz = parseDecimal(a?.sz);
      if (!(apx > 0 && asz >= 0)) return this.reject(`bbo: bad ask level ${levelText(a)}`);
    }
    this.bboTime = time;
    this.bboBidPx = bpx;
    this.bboBidSz = bsz;
    this.bboAskPx = apx;
    this.bboAskSz = asz;
    this.lastError = '';
    this.recompute();
    return Apply.Ok;
  }

  private reject(why: string): Apply {
    this.lastError = why;
    return Apply.Invalid;
  }

  /** Top of book from the fresher source, mid, and depth within each band of mid. */
  private recompute(): void {
    const useBbo = !Number.isNaN(this.bboTime) && !(this.bookTime > this.bboTime);
    if (useBbo) {
      this.topSource = TopSource.Bbo;
      this.bestBid = this.bboBidPx;
      this.bestBidSz = this.bboBidSz;
      this.bestAsk = this.bboAskPx;
      this.bestAskSz = this.bboAskSz;
    } else if (!Number.isNaN(this.bookTime)) {
      this.topSource = TopSource.Book;
      const b = this.bids;
      const a = this.asks;
      this.bestBid = b.n > 0 ? b.px[0]! : Number.NaN;
      this.bestBidSz = b.n > 0 ? b.sz[0]! : Number.NaN;
      this.bestAsk = a.n > 0 ? a.px[0]! : Number.NaN;
      this.bestAskSz = a.n > 0 ? a.sz[0]! : Number.NaN;
    } else {
      this.topSource = TopSource.None;
    }
    const mid = (this.bestBid + this.bestAsk) / 2;
    this.mid = mid;
    if (Number.isNaN(mid) || Number.isNaN(this.bookTime)) {
      this.depthBid10 = this.depthBid20 = this.depthBid50 = Number.NaN;
      this.depthAsk10 = this.depthAsk20 = this.depthAsk50 = Number.NaN;
      return;
    }
    // bids: px ≥ mid·(1 − b/1e4); asks: px ≤ mid·(1 + b/1e4); sides are sorted, so stop at the 50 bps edge
    const lo10 = mid * (1 - 10 / 1e4);
    const lo20 = mid * (1 - 20 / 1e4);
    const lo50 = mid * (1 - 50 / 1e4);
    let d10 = 0;
    let d20 = 0;
    let d50 = 0;
    const b = this.bids;
    for (let i = 0; i < b.n; i++) {
      const px = b.px[i]!;
      if (px < lo50) break;
      const x = b.ntl[i]!;
      d50 += x;
      if (px >= lo20) d20 += x;
      if (px >= lo10) d10 += x;
    }
    this.depthBid10 = d10;
    this.depthBid20 = d20;
    this.depthBid50 = d50;
    const hi10 = mid * (1 + 10 / 1e4);
    const hi20 = mid * (1 + 20 / 1e4);
    const hi50 = mid * (1 + 50 / 1e4);
    d10 = 0;
    d20 = 0;
    d50 = 0;
    const a = this.asks;
    for (let i = 0; i < a.n; i++) {
      const px = a.px[i]!;
      if (px > hi50) break;
      const x = a.ntl[i]!;
      d50 += x;
      if (px <= hi20) d20 += x;
      if (px <= hi10) d10 += x;
    }
    this.depthAsk10 = d10;
    this.depthAsk20 = d20;
    this.depthAsk50 = d50;
  }
}

/**
 * Parse one side into `out`, checking each level and the order (bids strictly descending: dir −1,
 * asks strictly ascending: dir +1). Returns '' or what was wrong.
 */
function parseSide(levels: readonly WsLevel[], out: Side, dir: number): string {
  const n = levels.length;
  out.ensure(n);
  const px = out.px;
  const sz = out.sz;
  const ntl = out.ntl;
  let prev = Number.NaN;
  for (let i = 0; i < n; i++) {
    const l = levels[i];
    const p = parseDecimal(l?.px);
    const s = parseDecimal(l?.sz);
    if (!(p > 0) || !(s >= 0)) return `level ${i} ${levelText(l)} is not a positive price and size`;
    if (i > 0 && !((p - prev) * dir > 0)) return `level ${i} px ${p} out of order after ${prev}`;
    px[i] = p;
    sz[i] = s;
    ntl[i] = p * s;
    prev = p;
  }
  out.n = n;
  return '';
}

function levelText(l: unknown): string {
  try {
    return JSON.stringify(l)?.slice(0, 80) ?? String(l);
  } catch {
    return String(l);
  }
}
