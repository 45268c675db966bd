/**
 * Per-coin L4 book (issue 17): every resting order (oid, user, side, px, sz, time) in price-time
 * priority, built from an order_book_server `l4Book` Snapshot and advanced one block at a time by its
 * `Updates`, or by a block of the node's `node_order_statuses_by_block` + `node_raw_book_diffs_by_block`
 * lines. It yields the L2 view exactly as OBS's `l2Book` reports it (so it can feed state/book.ts
 * `Book`), the queue ahead of an order or of a (side, px, time), and per-side order-count /
 * size-change flow per block.
 *
 * Block semantics follow hyperliquid-dex/order_book_server @ bf5f6bceec3ebc36209bef1ad407de98c3550c70,
 * server/src/listeners/order_book/state.rs `apply_updates`: a block must be the held height + 1
 * (lower = already applied, ignored; higher = a gap: the book refuses further blocks until a new
 * snapshot); the statuses that put an order on the book (`is_inserted_into_book`) are keyed by oid;
 * then the diffs are applied in order: `new` inserts the order of its status with the diff's size
 * at the order's limit price (a trigger order takes the status time as its time, `convert_trigger`), `update`
 * sets `newSz` (to 0 too: the order stays until its `remove`, as in OBS), `remove` deletes. Where
 * OBS would abort, this book skips the one impossible diff and counts its reason (unknown oid, a
 * `new` without an inserting status, a duplicate oid, a `new` that would cross the other side, a
 * number it cannot hold exactly), so the rest of the block still applies; the caller sees the
 * counts and may ask for a new snapshot.
 *
 * Numbers: prices and sizes are held as integers in units of 10^-decimals (OBS uses 10^-8, the
 * default here), so level sums are exact and formatting matches OBS's `Px::to_str` / `Sz::to_str`
 * (`"106217"`, `"0.001"`); a value with more decimals or beyond 2^53 units is refused (`bad_number`).
 * The hot path allocates nothing per diff beyond the order node itself: Maps keyed by oid and by
 * price, an intrusive FIFO list per price, sorted price arrays per side.
 */
import type { WsBook, WsLevel } from './inputs.ts';
import type {
  NodeBookDiff,
  NodeBookDiffsBlock,
  NodeL4FileSnapshot,
  NodeOrder,
  NodeOrderStatus,
  NodeOrderStatusesBlock,
  ObsL4Snapshot,
  ObsL4Updates,
} from '../hyperliquid/node-schemas.ts';
import { isInsertedIntoBook, naiveTimeToMs, normaliseSide } from '../hyperliquid/node-schemas.ts';

/** Side index: 0 = bids ("B"), 1 = asks ("A"). */
export const BID = 0;
export const ASK = 1;
export type SideIx = typeof BID | typeof ASK;

/** Outcome of a block or a snapshot. */
export const L4Apply = { Ok: 0, Stale: 1, Gap: 2, NotReady: 3, Invalid: 4 } as const;
export type L4Apply = (typeof L4Apply)[keyof typeof L4Apply];

/**
 * Why a diff, a block or a snapshot was refused.
 * - `unknown_oid`: `update` / `remove` of an oid that is not on the book.
 * - `no_status`: a `new` whose oid has no status in the block that puts it on the book.
 * - `duplicate_oid`: a `new` (or a snapshot order) for an oid already on the book.
 * - `crossed`: a `new` at or through the best price of the other side (or a crossed snapshot).
 * - `bad_number`: a px / sz with more decimals than the book holds, beyond 2^53 units, or ≤ 0 px.
 * - `orig_sz_mismatch`: an `update` whose `origSz` is not the held size (applied all the same, as
 *   OBS does; counted because it means the book had drifted).
 * - `diff_mismatch`: a `new` whose diff px / side differ from its order's limitPx / side (the
 *   order's are used, as OBS does; counted).
 * - `height_gap`: a block beyond held height + 1 (not applied; the book needs a snapshot).
 * - `not_ready`: a block before any snapshot, or after a gap.
 * - `bad_snapshot`: a snapshot order on the wrong side, out of price order, or a block mismatch
 *   (statuses and diffs of different heights).
 */
export type L4RejectReason =
  | 'unknown_oid'
  | 'no_status'
  | 'duplicate_oid'
  | 'crossed'
  | 'bad_number'
  | 'orig_sz_mismatch'
  | 'diff_mismatch'
  | 'height_gap'
  | 'not_ready'
  | 'bad_snapshot';

export const L4_REJECT_REASONS: readonly L4RejectReason[] = [
  'unknown_oid',
  'no_status',
  'duplicate_oid',
  'crossed',
  'bad_number',
  'orig_sz_mismatch',
  'diff_mismatch',
  'height_gap',
  'not_ready',
  'bad_snapshot',
];

/** One resting order, as read from outside (real numbers; `user` in lowercase hex). */
export interface L4OrderView {
  oid: number;
  user: string;
  side: 'B' | 'A';
  px: number;
  sz: number;
  time: number;
}

/** Orders ahead in the queue at one price: how many and their total size. */
export interface QueueAhead {
  n: number;
  sz: number;
}

/**
 * Flow of one side over one block: orders added (and their size), removed (of which by a fill,
 * when the block has a `filled` status for the oid), and resized by `update` (net size change).
 */
export interface SideFlow {
  added: number;
  addedSz: number;
  removed: number;
  removedSz: number;
  filled: number;
  filledSz: number;
  updated: number;
  updatedSz: number;
}

/** The flow of the last applied block, both sides, and the diffs of it that were refused. */
export interface BlockFlow {
  height: number;
  time: number;
  bids: SideFlow;
  asks: SideFlow;
  rejected: number;
}

/** L2 view options, as OBS's `l2Book` subscription takes them. */
export interface L2Options {
  /** Levels per side (OBS default 20, max 100); Infinity for all. */
  nLevels?: number;
  /** 2–5 significant figures, or absent for full precision. */
  nSigFigs?: number | null;
  /** 2 or 5 (only with nSigFigs 5). */
  mantissa?: number | null;
}

class OrderNode {
  prev: OrderNode | null = null;
  next: OrderNode | null = null;
  constructor(
    readonly oid: number,
    readonly user: string,
    readonly side: SideIx,
    readonly px: number,
    public sz: number,
    readonly time: number,
    public level: PriceLevel,
  ) {}
}

class PriceLevel {
  head: OrderNode | null = null;
  tail: OrderNode | null = null;
  n = 0;
  sz = 0;
  constructor(readonly px: number) {}
}

class BookSide {
  readonly levels = new Map<number, PriceLevel>();
  /** Prices best first: bids descending, asks ascending. */
  readonly prices: number[] = [];
  constructor(readonly ix: SideIx) {}

  /** Index where `px` is, or where it would go to keep `prices` best-first. */
  search(px: number): number {
    const a = this.prices;
    let lo = 0;
    let hi = a.length;
    const bid = this.ix === BID;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = a[mid] as number;
      if (bid ? p > px : p < px) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  levelFor(px: number): PriceLevel {
    let lv = this.levels.get(px);
    if (lv === undefined) {
      lv = new PriceLevel(px);
      this.levels.set(px, lv);
      this.prices.splice(this.search(px), 0, px);
    }
    return lv;
  }

  dropLevel(lv: PriceLevel): void {
    this.levels.delete(lv.px);
    const i = this.search(lv.px);
    if (this.prices[i] === lv.px) this.prices.splice(i, 1);
  }

  best(): number {
    return this.prices.length > 0 ? (this.prices[0] as number) : Number.NaN;
  }

  clear(): void {
    this.levels.clear();
    this.prices.length = 0;
  }
}

function newSideFlow(): SideFlow {
  return { added: 0, addedSz: 0, removed: 0, removedSz: 0, filled: 0, filledSz: 0, updated: 0, updatedSz: 0 };
}
function resetSideFlow(f: SideFlow): void {
  f.added = 0;
  f.addedSz = 0;
  f.removed = 0;
  f.removedSz = 0;
  f.filled = 0;
  f.filledSz = 0;
  f.updated = 0;
  f.updatedSz = 0;
}

export class L4Book {
  readonly coin: string;
  /** Decimal places held (prices and sizes are integers of 10^-decimals). */
  readonly decimals: number;
  private readonly scale: number;
  private readonly sides: [BookSide, BookSide] = [new BookSide(BID), new BookSide(ASK)];
  private readonly orders = new Map<number, OrderNode>();

  /** Height and block time (ms) of the held book; NaN before the first snapshot. */
  height = Number.NaN;
  time = Number.NaN;
  /** False before a snapshot and after a height gap: blocks are refused until the next snapshot. */
  ready = false;

  /** Refusals since construction, by reason. */
  readonly rejects: Record<L4RejectReason, number> = {
    unknown_oid: 0,
    no_status: 0,
    duplicate_oid: 0,
    crossed: 0,
    bad_number: 0,
    orig_sz_mismatch: 0,
    diff_mismatch: 0,
    height_gap: 0,
    not_ready: 0,
    bad_snapshot: 0,
  };
  /** The last refusal: its reason and a line a person can act on ('' when none yet). */
  lastReason: L4RejectReason | '' = '';
  lastError = '';
  /** The missing heights of the last gap (inclusive), NaN when none. */
  gapFrom = Number.NaN;
  gapTo = Number.NaN;

  /** Flow of the last applied block (reused object). */
  readonly flow: BlockFlow = {
    height: Number.NaN,
    time: Number.NaN,
    bids: newSideFlow(),
    asks: newSideFlow(),
    rejected: 0,
  };

  // Per-block scratch, reused.
  private readonly inserting = new Map<number, NodeOrderStatus>();
  private readonly filledOids = new Set<number>();

  constructor(coin: string, opts: { decimals?: number } = {}) {
    const d = opts.decimals ?? 8;
    if (!Number.isInteger(d) || d < 0 || d > 12)
      throw new RangeError(`L4Book: decimals must be 0..12, got ${d}`);
    this.coin = coin;
    this.decimals = d;
    this.scale = 10 ** d;
  }

  // -------------------------------------------------------------------------------------------
  // Snapshot
  // -------------------------------------------------------------------------------------------

  /**
   * Replace the book with an l4Book snapshot (levels [bids, asks], each best first, time priority
   * within a price). Untriggered trigger orders are not on a book and are skipped. A snapshot with
   * an order on the wrong side or out of price order, a duplicate oid, an unreadable number, a
   * crossed result or another coin is refused whole and the held book is left as it was.
   */
  loadSnapshot(s: ObsL4Snapshot): L4Apply {
    if (s.coin !== this.coin)
      return this.refuse('bad_snapshot', `snapshot for ${s.coin}, book is ${this.coin}`, L4Apply.Invalid);
    const staged: [OrderNode[], OrderNode[]] = [[], []];
    const seen = new Set<number>();
    for (const ix of [BID, ASK] as const) {
      const want = ix === BID ? 'B' : 'A';
      let last = Number.NaN;
      for (const o of s.levels[ix]) {
        if (o.isTrigger) continue;
        if (o.side !== want || o.coin !== this.coin) {
          return this.refuse(
            'bad_snapshot',
            `snapshot: oid ${o.oid} (${o.coin} ${o.side}) in the ${want} levels`,
            L4Apply.Invalid,
          );
        }
        const px = this.toUnits(o.limitPx);
        const sz = this.toUnits(o.sz);
        if (!(px > 0) || !(sz >= 0)) {
          return this.refuse(
            'bad_number',
            `snapshot: oid ${o.oid} px ${o.limitPx} sz ${o.sz}`,
            L4Apply.Invalid,
          );
        }
        if (ix === BID ? px > last : px < last) {
          return this.refuse(
            'bad_snapshot',
            `snapshot: ${want} levels out of price order at oid ${o.oid}`,
            L4Apply.Invalid,
          );
        }
        last = px;
        if (seen.has(o.oid))
          return this.refuse('duplicate_oid', `snapshot: oid ${o.oid} twice`, L4Apply.Invalid);
        seen.add(o.oid);
        staged[ix].push(this.node(o, ix, px, sz, o.timestamp));
      }
    }
    const bb = staged[BID][0];
    const ba = staged[ASK][0];
    if (bb !== undefined && ba !== undefined && bb.px >= ba.px) {
      return this.refuse(
        'crossed',
        `snapshot: best bid ${this.fmt(bb.px)} >= best ask ${this.fmt(ba.px)}`,
        L4Apply.Invalid,
      );
    }
    this.orders.clear();
    this.sides[BID].clear();
    this.sides[ASK].clear();
    for (const ix of [BID, ASK] as const) {
      for (const n of staged[ix]) {
        n.level = this.sides[ix].levelFor(n.px);
        this.append(n);
      }
    }
    this.height = s.height;
    this.time = s.time;
    this.ready = true;
    return L4Apply.Ok;
  }

  // -------------------------------------------------------------------------------------------
  // Blocks
  // -------------------------------------------------------------------------------------------

  /** One order_book_server `Updates` message (one block, this coin). */
  applyUpdates(u: ObsL4Updates): L4Apply {
    return this.applyBlock(u.height, u.time, u.order_statuses, u.book_diffs);
  }

  /**
   * One block from the node's files: the `node_order_statuses_by_block` line and the
   * `node_raw_book_diffs_by_block` line of the same height (other coins' events are skipped).
   */
  applyNodeBlock(statuses: NodeOrderStatusesBlock, diffs: NodeBookDiffsBlock): L4Apply {
    if (statuses.block_number !== diffs.block_number) {
      return this.refuse(
        'bad_snapshot',
        `block mismatch: statuses of ${statuses.block_number}, diffs of ${diffs.block_number}`,
        L4Apply.Invalid,
      );
    }
    const time = naiveTimeToMs(diffs.block_time);
    return this.applyBlock(diffs.block_number, time, statuses.events, diffs.events);
  }

  /** Apply one block's statuses and diffs (see the file comment). */
  applyBlock(
    height: number,
    time: number,
    statuses: readonly NodeOrderStatus[],
    diffs: readonly NodeBookDiff[],
  ): L4Apply {
    if (!this.ready)
      return this.refuse('not_ready', `block ${height}: no snapshot to apply it to`, L4Apply.NotReady);
    if (height <= this.height) return L4Apply.Stale;
    if (height > this.height + 1) {
      this.gapFrom = this.height + 1;
      this.gapTo = height - 1;
      this.ready = false;
      return this.refuse(
        'height_gap',
        `block ${height} after ${this.height}: heights ${this.gapFrom}-${this.gapTo} missing`,
        L4Apply.Gap,
      );
    }
    const coin = this.coin;
    const flow = this.flow;
    resetSideFlow(flow.bids);
    resetSideFlow(flow.asks);
    flow.rejected = 0;
    const inserting = this.inserting;
    const filled = this.filledOids;
    inserting.clear();
    filled.clear();
    for (let i = 0; i < statuses.length; i++) {
      const s = statuses[i] as NodeOrderStatus;
      if (s.order.coin !== coin) continue;
      if (isInsertedIntoBook(s)) inserting.set(s.order.oid, s);
      else if (s.status === 'filled') filled.add(s.order.oid);
    }
    for (let i = 0; i < diffs.length; i++) {
      const d = diffs[i] as NodeBookDiff;
      if (d.coin !== coin) continue;
      if (!this.applyDiff(d, height)) flow.rejected++;
    }
    this.height = height;
    this.time = time;
    flow.height = height;
    flow.time = time;
    return L4Apply.Ok;
  }

  /**
   * Blocks up to `height` had nothing for this coin: the held book is the book as of `height` (time `time`).
   * order_book_server sends a coin no `Updates` for a block without its events, and within one connection
   * nothing is dropped (a lagging client is disconnected), so a height it skipped for this coin is a quiet
   * block. False (nothing changed) when the book is not ready or already at or past `height`.
   */
  advanceTo(height: number, time: number): boolean {
    if (!this.ready || !(height > this.height)) return false;
    this.height = height;
    if (Number.isFinite(time)) this.time = time;
    return true;
  }

  /** Mark the book as no longer whole (a lost block, a connection loss): blocks are refused until a snapshot. */
  invalidate(): void {
    this.ready = false;
  }

  /**
   * '' when this book holds the same orders as `other` (oid, side, price, size, in priority order), else the
   * first difference in words. Users and times are not compared (a node snapshot file carries no time).
   */
  differenceFrom(other: L4Book): string {
    for (const ix of [BID, ASK] as const) {
      const a = this.ordersOf(ix);
      const b = other.ordersOf(ix);
      const name = ix === BID ? 'bids' : 'asks';
      const n = Math.min(a.length, b.length);
      for (let i = 0; i < n; i++) {
        const x = a[i] as L4OrderView;
        const y = b[i] as L4OrderView;
        if (x.oid !== y.oid || x.px !== y.px || x.sz !== y.sz)
          return `${name}[${i}]: oid ${x.oid} ${x.sz}@${x.px}, expected oid ${y.oid} ${y.sz}@${y.px}`;
      }
      if (a.length !== b.length) return `${name}: ${a.length} orders, expected ${b.length}`;
    }
    return '';
  }

  private applyDiff(d: NodeBookDiff, height: number): boolean {
    const raw = d.raw_book_diff;
    const oid = d.oid;
    if (raw === 'remove') {
      const n = this.orders.get(oid);
      if (n === undefined)
        return this.skip('unknown_oid', `block ${height}: remove of oid ${oid}, not on the book`);
      const f = n.side === BID ? this.flow.bids : this.flow.asks;
      f.removed++;
      f.removedSz += n.sz;
      if (this.filledOids.has(oid)) {
        f.filled++;
        f.filledSz += n.sz;
      }
      this.unlink(n);
      return true;
    }
    if ('update' in raw) {
      const n = this.orders.get(oid);
      if (n === undefined)
        return this.skip('unknown_oid', `block ${height}: update of oid ${oid}, not on the book`);
      const newSz = this.toUnits(raw.update.newSz);
      if (!(newSz >= 0))
        return this.skip('bad_number', `block ${height}: oid ${oid} newSz ${raw.update.newSz}`);
      if (this.toUnits(raw.update.origSz) !== n.sz) {
        this.count(
          'orig_sz_mismatch',
          `block ${height}: oid ${oid} origSz ${raw.update.origSz}, held ${this.fmt(n.sz)}`,
        );
      }
      const f = n.side === BID ? this.flow.bids : this.flow.asks;
      f.updated++;
      f.updatedSz += newSz - n.sz;
      n.level.sz += newSz - n.sz;
      n.sz = newSz;
      return true;
    }
    // new
    if (this.orders.has(oid))
      return this.skip('duplicate_oid', `block ${height}: new oid ${oid} already on the book`);
    const st = this.inserting.get(oid);
    if (st === undefined)
      return this.skip('no_status', `block ${height}: new oid ${oid} without an opening status`);
    this.inserting.delete(oid);
    const o: NodeOrder = st.order;
    // As OBS (`InnerL4Order::try_from` of the status): side and price are the order's, the size the
    // diff's. The diff's own px / side (node files) must agree; a disagreement is counted.
    const ix: SideIx = o.side === 'B' ? BID : ASK;
    const px = this.toUnits(o.limitPx);
    const sz = this.toUnits(raw.new.sz);
    if (!(px > 0) || !(sz >= 0))
      return this.skip('bad_number', `block ${height}: new oid ${oid} px ${o.limitPx} sz ${raw.new.sz}`);
    if (this.toUnits(d.px) !== px || (d.side !== undefined && normaliseSide(d.side) !== o.side)) {
      this.count(
        'diff_mismatch',
        `block ${height}: new oid ${oid}: diff ${d.side ?? ''} ${d.px}, order ${o.side} ${o.limitPx}`,
      );
    }
    const opp = this.sides[ix === BID ? ASK : BID].best();
    if (ix === BID ? px >= opp : px <= opp) {
      return this.skip(
        'crossed',
        `block ${height}: new ${ix === BID ? 'bid' : 'ask'} oid ${oid} at ${d.px} crosses ${this.fmt(opp)}`,
      );
    }
    // OBS `convert_trigger`: a triggered order enters the book at its status time.
    const t = o.isTrigger ? naiveTimeToMs(st.time) : o.timestamp;
    const n = this.node(o, ix, px, sz, t, st.user);
    n.level = this.sides[ix].levelFor(px);
    const before = raw.new.insertBefore;
    const at = before === undefined || before === null ? undefined : this.orders.get(before);
    if (at !== undefined && at.level === n.level) this.insertBefore(n, at);
    else this.append(n);
    const f = ix === BID ? this.flow.bids : this.flow.asks;
    f.added++;
    f.addedSz += sz;
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Views
  // -------------------------------------------------------------------------------------------

  /** Best bid / ask price (NaN when that side is empty). */
  bestBid(): number {
    return this.sides[BID].best() / this.scale;
  }
  bestAsk(): number {
    return this.sides[ASK].best() / this.scale;
  }
  /** Number of resting orders. */
  get size(): number {
    return this.orders.size;
  }
  levelCount(side: SideIx): number {
    return this.sides[side].prices.length;
  }

  /**
   * The L2 view exactly as OBS's `l2Book` would report this book (levels/`to_l2_snapshot` and
   * `build_l2_level` in server/src/order_book/levels.rs): per price the total size and the number of
   * orders, best first, `nLevels` per side (default 20), bucketed by `nSigFigs` / `mantissa`.
   */
  l2(opts: L2Options = {}): WsBook {
    const nLevels = opts.nLevels ?? 20;
    return {
      coin: this.coin,
      time: this.time,
      levels: [this.l2Side(BID, nLevels, opts), this.l2Side(ASK, nLevels, opts)],
    };
  }

  private l2Side(ix: SideIx, nLevels: number, opts: L2Options): WsLevel[] {
    const out: WsLevel[] = [];
    const side = this.sides[ix];
    const sig = opts.nSigFigs ?? null;
    const m = opts.mantissa ?? 1;
    if (nLevels <= 0) return out;
    let curPx = Number.NaN;
    let curSz = 0;
    let curN = 0;
    let open = false;
    for (const px of side.prices) {
      const lv = side.levels.get(px) as PriceLevel;
      const fresh = !open || (ix === ASK ? px > curPx : px < curPx);
      if (fresh) {
        if (open) out.push({ px: this.fmt(curPx), sz: this.fmt(curSz), n: curN });
        if (out.length >= nLevels) return out;
        curPx = sig === null ? px : bucket(px, ix, sig, m);
        curSz = lv.sz;
        curN = lv.n;
        open = true;
      } else {
        curSz += lv.sz;
        curN += lv.n;
      }
    }
    if (open) out.push({ px: this.fmt(curPx), sz: this.fmt(curSz), n: curN });
    return out;
  }

  /** The order with this oid, or undefined. */
  order(oid: number): L4OrderView | undefined {
    const n = this.orders.get(oid);
    return n === undefined ? undefined : this.view(n);
  }

  /** Every resting order of a side in priority order (best price first, FIFO within a price). */
  ordersOf(side: SideIx): L4OrderView[] {
    const out: L4OrderView[] = [];
    const s = this.sides[side];
    for (const px of s.prices) {
      for (let n = (s.levels.get(px) as PriceLevel).head; n !== null; n = n.next) out.push(this.view(n));
    }
    return out;
  }

  /** Orders ahead of `oid` at its price (FIFO), undefined when the oid is not on the book. */
  queueAheadOf(oid: number): QueueAhead | undefined {
    const t = this.orders.get(oid);
    if (t === undefined) return undefined;
    let n = 0;
    let sz = 0;
    for (let o = t.level.head; o !== null && o !== t; o = o.next) {
      n++;
      sz += o.sz;
    }
    return { n, sz: sz / this.scale };
  }

  /**
   * Orders ahead of a new order placed at `time` (ms) on `side` at `px`: those resting at that price
   * whose time is at or before `time`. Zero when the price has no level (or `px` cannot be held).
   */
  queueAheadAt(side: SideIx, px: number | string, time: number): QueueAhead {
    const p = typeof px === 'string' ? this.toUnits(px) : Math.round(px * this.scale);
    const lv = this.sides[side].levels.get(p);
    let n = 0;
    let sz = 0;
    if (lv !== undefined) {
      for (let o = lv.head; o !== null; o = o.next) {
        if (o.time <= time) {
          n++;
          sz += o.sz;
        }
      }
    }
    return { n, sz: sz / this.scale };
  }

  /** A side's flow of the last block in real sizes (copies; the held `flow` is in book units). */
  flowOf(side: SideIx): SideFlow {
    const f = side === BID ? this.flow.bids : this.flow.asks;
    const k = this.scale;
    return {
      added: f.added,
      addedSz: f.addedSz / k,
      removed: f.removed,
      removedSz: f.removedSz / k,
      filled: f.filled,
      filledSz: f.filledSz / k,
      updated: f.updated,
      updatedSz: f.updatedSz / k,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Internals
  // -------------------------------------------------------------------------------------------

  /**
   * A decimal string as an integer of 10^-decimals; NaN when it has more (non-zero) decimals than
   * the book holds, is beyond 2^53 units, or is not a plain decimal. Read digit by digit: no strings
   * are built on the hot path.
   */
  toUnits(s: string): number {
    const len = s.length;
    let i = 0;
    const neg = len > 0 && s.charCodeAt(0) === 45;
    if (neg) i = 1;
    let v = 0;
    let intDigits = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
      intDigits++;
    }
    if (intDigits === 0) return Number.NaN;
    let fd = 0;
    if (i < len) {
      if (s.charCodeAt(i) !== 46 || i === len - 1) return Number.NaN;
      let zeros = 0;
      for (i++; i < len; i++) {
        const c = s.charCodeAt(i) - 48;
        if (c < 0 || c > 9) return Number.NaN;
        // Trailing zeros carry no value ("1096.0" at 0 decimals is 1096): held back until a digit.
        if (c === 0) zeros++;
        else {
          fd += zeros + 1;
          if (fd > this.decimals) return Number.NaN;
          v = v * 10 ** (zeros + 1) + c;
          zeros = 0;
        }
      }
    }
    v *= 10 ** (this.decimals - fd);
    if (!Number.isSafeInteger(v)) return Number.NaN;
    return neg ? -v : v;
  }

  /** OBS `to_str`: the value with `decimals` places, trailing zeros and dot trimmed. */
  fmt(units: number): string {
    if (!Number.isFinite(units)) return 'NaN';
    const neg = units < 0;
    const digits = String(Math.abs(units)).padStart(this.decimals + 1, '0');
    const cut = digits.length - this.decimals;
    let frac = digits.slice(cut);
    let end = frac.length;
    while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
    frac = frac.slice(0, end);
    const s = frac.length > 0 ? `${digits.slice(0, cut)}.${frac}` : digits.slice(0, cut);
    return neg ? `-${s}` : s;
  }

  private node(o: NodeOrder, ix: SideIx, px: number, sz: number, time: number, user?: string): OrderNode {
    // The level is set when the node is linked in.
    // OBS writes EIP-55 checksummed addresses, the node's files lowercase: one spelling here.
    return new OrderNode(o.oid, (user ?? o.user ?? '').toLowerCase(), ix, px, sz, time, DETACHED);
  }

  private view(n: OrderNode): L4OrderView {
    return {
      oid: n.oid,
      user: n.user,
      side: n.side === BID ? 'B' : 'A',
      px: n.px / this.scale,
      sz: n.sz / this.scale,
      time: n.time,
    };
  }

  private append(n: OrderNode): void {
    const lv = n.level;
    n.prev = lv.tail;
    n.next = null;
    if (lv.tail === null) lv.head = n;
    else lv.tail.next = n;
    lv.tail = n;
    lv.n++;
    lv.sz += n.sz;
    this.orders.set(n.oid, n);
  }

  private insertBefore(n: OrderNode, at: OrderNode): void {
    const lv = n.level;
    n.next = at;
    n.prev = at.prev;
    if (at.prev === null) lv.head = n;
    else at.prev.next = n;
    at.prev = n;
    lv.n++;
    lv.sz += n.sz;
    this.orders.set(n.oid, n);
  }

  private unlink(n: OrderNode): void {
    const lv = n.level;
    if (n.prev === null) lv.head = n.next;
    else n.prev.next = n.next;
    if (n.next === null) lv.tail = n.prev;
    else n.next.prev = n.prev;
    lv.n--;
    lv.sz -= n.sz;
    this.orders.delete(n.oid);
    if (lv.n === 0) this.sides[n.side].dropLevel(lv);
  }

  private count(reason: L4RejectReason, why: string): void {
    this.rejects[reason]++;
    this.lastReason = reason;
    this.lastError = `${this.coin}: ${why}`;
  }

  private skip(reason: L4RejectReason, why: string): false {
    this.count(reason, why);
    return false;
  }

  private refuse(reason: L4RejectReason, why: string, code: L4Apply): L4Apply {
    this.count(reason, why);
    return code;
  }
}

/**
 * One coin of the node's L4 snapshot file as an l4Book snapshot (the file's `[user, order]` pairs
 * become orders with their user; the file has no time, so the caller gives the block time it knows,
 * NaN when none). Undefined when the file holds no book for `coin`.
 */
export function l4SnapshotFromFile(
  file: NodeL4FileSnapshot,
  coin: string,
  time = Number.NaN,
): ObsL4Snapshot | undefined {
  const entry = file[1].find((e) => e[0] === coin);
  if (entry === undefined) return undefined;
  const [bids, asks] = entry[1];
  return {
    coin,
    time,
    height: file[0],
    levels: [bids.map(([user, o]) => ({ ...o, user })), asks.map(([user, o]) => ({ ...o, user }))],
  };
}

/** One coin's share of a node block: its order statuses and book diffs, in the block's order. */
export interface CoinShare {
  statuses: NodeOrderStatus[];
  diffs: NodeBookDiff[];
}

/**
 * Split a block's statuses and diffs by coin into `into` (appended to each coin's share, in order); events of
 * coins without a share are skipped.
 */
export function shareByCoin(
  statuses: readonly NodeOrderStatus[],
  diffs: readonly NodeBookDiff[],
  into: ReadonlyMap<string, CoinShare>,
): void {
  for (let i = 0; i < statuses.length; i++) {
    const s = statuses[i] as NodeOrderStatus;
    into.get(s.order.coin)?.statuses.push(s);
  }
  for (let i = 0; i < diffs.length; i++) {
    const d = diffs[i] as NodeBookDiff;
    into.get(d.coin)?.diffs.push(d);
  }
}

/**
 * The L4 books of several coins fed by the node's by-block lines, which hold every coin: each block's
 * statuses and diffs are split by coin once (into arrays reused from block to block) and each book
 * gets its share — an empty one too, so every book advances its height with every block.
 */
export class L4Books {
  readonly books = new Map<string, L4Book>();
  private readonly scratch = new Map<string, CoinShare>();

  constructor(coins: readonly string[], opts: { decimals?: number } = {}) {
    for (const c of coins) {
      this.books.set(c, new L4Book(c, opts));
      this.scratch.set(c, { statuses: [], diffs: [] });
    }
  }

  get(coin: string): L4Book | undefined {
    return this.books.get(coin);
  }

  /** Apply one block to every book; returns how many books refused it (gap, not ready, mismatch). */
  applyNodeBlock(statuses: NodeOrderStatusesBlock, diffs: NodeBookDiffsBlock): number {
    const sc = this.scratch;
    for (const v of sc.values()) {
      v.statuses.length = 0;
      v.diffs.length = 0;
    }
    shareByCoin(statuses.events, diffs.events, sc);
    let refused = 0;
    const mismatch = statuses.block_number !== diffs.block_number;
    const time = naiveTimeToMs(diffs.block_time);
    for (const [coin, book] of this.books) {
      const v = sc.get(coin) as CoinShare;
      const r = mismatch
        ? book.applyNodeBlock(statuses, diffs)
        : book.applyBlock(diffs.block_number, time, v.statuses, v.diffs);
      if (r !== L4Apply.Ok && r !== L4Apply.Stale) refused++;
    }
    return refused;
  }
}

/** A level object no order belongs to (a node's level before it is linked). */
const DETACHED = new PriceLevel(Number.NaN);

/** OBS `bucket` (levels.rs): round a price to `n` significant figures (× mantissa), outward. */
function bucket(px: number, ix: SideIx, n: number, m: number): number {
  // Digits of the integer by comparison, not log10 (which rounds 999999999999999 up to 15).
  let digits = 1;
  for (let t = 10; px >= t; t *= 10) digits++;
  const p = Math.max(0, digits - n);
  const inc = m * 10 ** p;
  return ix === ASK ? Math.ceil(px / inc) * inc : Math.floor(px / inc) * inc;
}
