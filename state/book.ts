/**
 * Per-coin L2 book: the authoritative levels, replaced whole by each `l2Book` snapshot (a snapshot
 * whose venue `time` is older than the one held is dropped), plus the latest `bbo`. The top of book is
 * taken from the fresher of the two (by venue time; a tie goes to `bbo`), both sides from the same
 * source so the two never mix. Depth = notional (px × sz, USD) resting within 10/20/50 bps of mid.
 * Each level's decimals are parsed once, on arrival; nothing allocates per snapshot once the arrays
 * have grown to the venue's depth.
 *
 * Book sanity (issue 20 item 6) lives here, after validation, so the zod path and the in-place
 * validator (hyperliquid/hot-validate.ts, which mirrors zod's shapes only) both pass through it: a
 * snapshot or bbo with a non-finite, zero or negative price or size, a side out of order (bids
 * strictly descending, asks strictly ascending), two levels at one price, or best bid ≥ best ask is
 * rejected whole with a `BookRejectReason` and leaves the held book untouched. The checks allocate
 * nothing for a sane message; only a rejection builds its message string.
 */
import { parseDecimal, type WsBbo, type WsBook, type WsLevel } from './inputs.ts';

/** Outcome of applying a venue message. */
export const Apply = { Ok: 0, Stale: 1, Invalid: 2 } as const;
export type Apply = (typeof Apply)[keyof typeof Apply];

/**
 * Why a book message was rejected. `malformed`: not the venue's shape (the parser lets none through;
 * the builder is also fed directly by tools and tests); `non_finite`: a price or size that is not a
 * finite number (a decimal string too long for float64); `non_positive_px` / `non_positive_sz`: ≤ 0;
 * `unsorted`: bids not strictly descending or asks not strictly ascending; `duplicate_level`: two
 * levels of one side at the same price; `crossed`: best bid ≥ best ask (locked counts as crossed).
 */
export type BookRejectReason =
  | 'malformed'
  | 'non_finite'
  | 'non_positive_px'
  | 'non_positive_sz'
  | 'unsorted'
  | 'duplicate_level'
  | 'crossed';

export const BOOK_REJECT_REASONS: readonly BookRejectReason[] = [
  'malformed',
  'non_finite',
  'non_positive_px',
  'non_positive_sz',
  'unsorted',
  'duplicate_level',
  'crossed',
];

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

  /** Why the last message was dropped (for the error counter's log line); '' when accepted. */
  lastError = '';
  /** The class of the last rejection (Apply.Invalid); '' when the last message was accepted or stale. */
  lastReason: BookRejectReason | '' = '';

  /**
   * Replace the book with a snapshot. Stale (older `time`), malformed and insane snapshots (see the
   * file comment) leave it untouched.
   */
  applyBook(d: WsBook): Apply {
    const time = d.time;
    if (typeof time !== 'number' || !Number.isFinite(time))
      return this.reject('malformed', 'time is not a number');
    if (time < this.bookTime) {
      this.lastError = `l2Book: time ${time} older than held ${this.bookTime}`;
      this.lastReason = '';
      return Apply.Stale;
    }
    const lv = d.levels;
    if (!Array.isArray(lv) || !Array.isArray(lv[0]) || !Array.isArray(lv[1]))
      return this.reject('malformed', 'levels is not [bids[], asks[]]');
    const nb = this.nextBids;
    const na = this.nextAsks;
    if (!parseSide(lv[0], nb, -1, sideError)) return this.reject(sideError.reason, `bids: ${sideError.text}`);
    if (!parseSide(lv[1], na, 1, sideError)) return this.reject(sideError.reason, `asks: ${sideError.text}`);
    if (nb.n > 0 && na.n > 0 && !(nb.px[0]! < na.px[0]!))
      return this.reject('crossed', `crossed: best bid ${nb.px[0]} ≥ best ask ${na.px[0]}`);
    const b = this.bids;
    this.bids = nb;
    this.nextBids = b;
    const a = this.asks;
    this.asks = na;
    this.nextAsks = a;
    this.bookTime = time;
    this.lastError = '';
    this.lastReason = '';
    this.recompute();
    return Apply.Ok;
  }

  /**
   * Take a `bbo` push. Older than the held bbo: dropped. A null side means that side is empty. A side
   * that is not a finite positive price and size, or bid ≥ ask, is rejected and leaves the held bbo.
   */
  applyBbo(d: WsBbo): Apply {
    const time = d.time;
    if (typeof time !== 'number' || !Number.isFinite(time))
      return this.reject('malformed', 'time is not a number');
    if (time < this.bboTime) {
      this.lastError = `bbo: time ${time} older than held ${this.bboTime}`;
      this.lastReason = '';
      return Apply.Stale;
    }
    const pair = d.bbo;
    if (!Array.isArray(pair) || pair.length !== 2)
      return this.reject('malformed', 'bbo is not [bid|null, ask|null]');
    const b = pair[0];
    const a = pair[1];
    let bpx = Number.NaN;
    let bsz = Number.NaN;
    let apx = Number.NaN;
    let asz = Number.NaN;
    if (b !== null) {
      const r = levelReason(b);
      if (r !== '') return this.reject(r, `bid ${levelText(b)}: ${REASON_TEXT[r]}`);
      bpx = parseDecimal(b.px);
      bsz = parseDecimal(b.sz);
    }
    if (a !== null) {
      const r = levelReason(a);
      if (r !== '') return this.reject(r, `ask ${levelText(a)}: ${REASON_TEXT[r]}`);
      apx = parseDecimal(a.px);
      asz = parseDecimal(a.sz);
    }
    if (b !== null && a !== null && !(bpx < apx))
      return this.reject('crossed', `crossed: bid ${bpx} ≥ ask ${apx}`);
    this.bboTime = time;
    this.bboBidPx = bpx;
    this.bboBidSz = bsz;
    this.bboAskPx = apx;
    this.bboAskSz = asz;
    this.lastError = '';
    this.lastReason = '';
    this.recompute();
    return Apply.Ok;
  }

  private reject(reason: BookRejectReason, why: string): Apply {
    this.lastError = why;
    this.lastReason = reason;
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

const REASON_TEXT: { readonly [R in BookRejectReason]: string } = {
  malformed: 'not a {px, sz} level of decimal strings',
  non_finite: 'price or size is not a finite number',
  non_positive_px: 'price is not > 0',
  non_positive_sz: 'size is not > 0',
  unsorted: 'out of order',
  duplicate_level: 'a second level at the same price',
  crossed: 'crossed',
};

/** Why one level is not a finite, positive price and size ('' when it is one). */
function levelReason(l: WsLevel | null | undefined): BookRejectReason | '' {
  return valueReason(l?.px, 'non_positive_px') || valueReason(l?.sz, 'non_positive_sz');
}

/** One decimal: '' when finite and > 0; otherwise why not (`nonPositive` names the field). */
function valueReason(v: unknown, nonPositive: 'non_positive_px' | 'non_positive_sz'): BookRejectReason | '' {
  const x = parseDecimal(v);
  if (x > 0) return '';
  if (!Number.isNaN(x)) return nonPositive;
  // parseDecimal is NaN for a non-number and for a number that overflows float64: tell them apart
  if (typeof v === 'string' && v.length > 0) {
    const y = Number(v);
    if (y === Number.POSITIVE_INFINITY || y === Number.NEGATIVE_INFINITY) return 'non_finite';
  }
  if (typeof v === 'number') return 'non_finite';
  return 'malformed';
}

/** What was wrong with a side (filled only when `parseSide` returns false; reused, never allocated). */
interface SideError {
  reason: BookRejectReason;
  text: string;
}
const sideError: SideError = { reason: 'malformed', text: '' };

/**
 * Parse one side into `out`, checking each level (finite, px > 0, sz > 0) and the order (bids
 * strictly descending: dir −1, asks strictly ascending: dir +1; an equal price is a duplicate level).
 * True when sane; otherwise false with `err` filled.
 */
function parseSide(levels: readonly WsLevel[], out: Side, dir: number, err: SideError): boolean {
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
    if (!(p > 0) || !(s > 0)) {
      const r = levelReason(l);
      err.reason = r === '' ? 'malformed' : r;
      err.text = `level ${i} ${levelText(l)}: ${REASON_TEXT[err.reason]}`;
      return false;
    }
    if (i > 0 && !((p - prev) * dir > 0)) {
      err.reason = p === prev ? 'duplicate_level' : 'unsorted';
      err.text =
        p === prev
          ? `level ${i} px ${p}: a second level at the same price`
          : `level ${i} px ${p} out of order after ${prev}`;
      return false;
    }
    px[i] = p;
    sz[i] = s;
    ntl[i] = p * s;
    prev = p;
  }
  out.n = n;
  return true;
}

function levelText(l: unknown): string {
  try {
    return JSON.stringify(l)?.slice(0, 80) ?? String(l);
  } catch {
    return String(l);
  }
}
