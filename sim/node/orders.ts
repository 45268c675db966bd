/**
 * The order-level view of the seeded market (issue 17): individual orders — oids, owners, price-time
 * queues — whose aggregate is the engine's L2 book after every block, and the per-block events a
 * non-validating node writes about them (fills, order statuses, raw book diffs).
 *
 * The engine (sim/engine.ts) keeps levels (price, displayed size, order count) and, per block, the
 * aggressive trades that took liquidity from the front of the book. This model mirrors it:
 * - each engine trade fills the orders at the front of its level's queue, one fill pair (taker +
 *   maker) per maker order touched: a maker order emptied is `filled` (diff `remove`), one left with
 *   size gets an `update` diff. The first fill of an engine trade keeps its `tid`; the taker order
 *   (one per engine `hash`) gets an oid and a `filled` status. Price, size and hash are the engine's;
 *   the maker of each fill is the owner of the order it hit (the engine's trade names one maker).
 * - then every level is brought to the engine's (size, count): a level gone has all its orders
 *   canceled; a level whose size alone moved has its last order modified in place (an `update`
 *   diff, no status: the engine re-sizes nearly every level every block, and a cancel + new for
 *   each would be four events instead of one); a level whose count differs has orders canceled
 *   from the back of its queue until the rest can be completed, then new orders added at the back;
 *   a new level gets new orders. All cancels of a block come before all adds, so no add crosses a
 *   level about to go.
 * An order count can only be met when the size allows one lot per order: the model keeps
 * `min(n, q)` orders at a level of q lots (the engine's count is a statistic, not orders), counted in
 * `stats.countsCapped`.
 *
 * The engine's book can also change between blocks (sim accounts trading against it through
 * sim/exchange.ts); whatever differs at the next block is reconciled like any other change, and a
 * trade the model could not fill (its level gone) is counted, never thrown.
 */
import type { CoinMarket, Engine, Level, SimTrade } from '../engine.ts';
import { formatDecimal } from '../format.ts';
import { Rng } from '../rng.ts';

export type NodeSide = 'A' | 'B';

export interface NodeBookOrder {
  oid: number;
  user: string;
  coin: string;
  side: NodeSide;
  pxTicks: number;
  lots: number;
  origLots: number;
  /** ms: when the order was placed. */
  timestamp: number;
  tif: 'Gtc' | 'Alo' | 'Ioc';
  cloid: string | null;
}

/** The order as an order status carries it: strings as the node prints them. */
export interface NodeOrderView {
  coin: string;
  side: NodeSide;
  limitPx: string;
  sz: string;
  oid: number;
  timestamp: number;
  origSz: string;
  tif: 'Gtc' | 'Alo' | 'Ioc';
  cloid: string | null;
}

export interface NodeStatusEvent {
  /** ms of the status (the block's time). */
  time: number;
  user: string;
  status: 'open' | 'filled' | 'canceled';
  order: NodeOrderView;
}

export type NodeDiffKind =
  | { kind: 'new'; sz: string }
  | { kind: 'update'; origSz: string; newSz: string }
  | { kind: 'remove' };

export interface NodeDiffEvent {
  user: string;
  oid: number;
  coin: string;
  side: NodeSide;
  px: string;
  diff: NodeDiffKind;
}

export interface NodeFillEvent {
  user: string;
  coin: string;
  px: string;
  sz: string;
  side: NodeSide;
  time: number;
  startPosition: string;
  dir: string;
  closedPnl: string;
  hash: string;
  oid: number;
  crossed: boolean;
  fee: string;
  tid: number;
}

/** One block as the node sees it: events in execution order. */
export interface NodeBlock {
  height: number;
  time: number;
  fills: NodeFillEvent[];
  statuses: NodeStatusEvent[];
  diffs: NodeDiffEvent[];
}

export interface OrderModelStats {
  blocks: number;
  ordersOpened: number;
  ordersCanceled: number;
  ordersFilled: number;
  /** Orders whose size was changed in place (an `update` diff without a fill). */
  ordersModified: number;
  fills: number;
  /** Levels whose engine count exceeded their size in lots (kept at one order per lot). */
  countsCapped: number;
  /** Engine trade lots the model found no order for (book changed outside the engine's trades). */
  unmatchedLots: number;
}

/** Per-user position, for a fill's startPosition / dir / closedPnl. */
interface Position {
  lots: number;
  entryPx: number;
}

const TAKER_FEE = 0.00045;
const MAKER_FEE = 0.00015;
/** Mainnet-like oids (100 billion and up). */
const FIRST_OID = 100_000_000_000;

class CoinBook {
  readonly bids = new Map<number, NodeBookOrder[]>();
  readonly asks = new Map<number, NodeBookOrder[]>();
  constructor(readonly m: CoinMarket) {}

  side(s: NodeSide): Map<number, NodeBookOrder[]> {
    return s === 'B' ? this.bids : this.asks;
  }

  /** Orders best price first, time priority within a price. */
  ordered(s: NodeSide): NodeBookOrder[] {
    const map = this.side(s);
    const prices = [...map.keys()].sort((a, b) => (s === 'B' ? b - a : a - b));
    const out: NodeBookOrder[] = [];
    for (const p of prices) out.push(...map.get(p)!);
    return out;
  }
}

/** Split `total` lots into `k` positive parts (seeded), `k ≤ total`. */
function split(rng: Rng, total: number, k: number): number[] {
  if (k <= 1) return [total];
  const w = Array.from({ length: k }, () => rng.exp(1) + 0.05);
  const sum = w.reduce((a, b) => a + b, 0);
  const spare = total - k;
  const parts = w.map((x) => 1 + Math.floor((spare * x) / sum));
  let left = total - parts.reduce((a, b) => a + b, 0);
  for (let i = 0; left > 0; i = (i + 1) % k, left--) parts[i]!++;
  return parts;
}

export class OrderModel {
  readonly stats: OrderModelStats = {
    blocks: 0,
    ordersOpened: 0,
    ordersCanceled: 0,
    ordersFilled: 0,
    ordersModified: 0,
    fills: 0,
    countsCapped: 0,
    unmatchedLots: 0,
  };
  private readonly books = new Map<string, CoinBook>();
  private readonly byOid = new Map<number, NodeBookOrder>();
  private readonly positions = new Map<string, Position>();
  private readonly rng: Rng;
  private nextOid = FIRST_OID;

  /** Build the orders of the engine's current book (they predate the first block: no events). */
  constructor(
    readonly engine: Engine,
    seed = engine.seed,
  ) {
    this.rng = Rng.derive(seed, 'node-orders');
    for (const coin of engine.coins) {
      const b = new CoinBook(engine.market(coin));
      this.books.set(coin, b);
      const sink: NodeBlock = {
        height: engine.height,
        time: engine.time,
        fills: [],
        statuses: [],
        diffs: [],
      };
      this.reconcileCoin(b, engine.time, sink);
    }
  }

  /** Call after each `engine.step()`: the block's events; the model then mirrors the engine's book. */
  onBlock(): NodeBlock {
    const e = this.engine;
    const block: NodeBlock = { height: e.height, time: e.time, fills: [], statuses: [], diffs: [] };
    for (const coin of e.coins) {
      const b = this.books.get(coin)!;
      this.applyTrades(b, b.m.trades, e.time, block);
      this.reconcileCoin(b, e.time, block);
    }
    this.stats.blocks++;
    return block;
  }

  /** The coin's orders: [bids best first, asks best first], time priority within a price. */
  orders(coin: string): [NodeBookOrder[], NodeBookOrder[]] {
    const b = this.book(coin);
    return [b.ordered('B'), b.ordered('A')];
  }

  /** Aggregate of one side, best first: price ticks, lots and order count per level. */
  levels(coin: string, side: NodeSide): { p: number; q: number; n: number }[] {
    const b = this.book(coin);
    const map = b.side(side);
    const prices = [...map.keys()].sort((x, y) => (side === 'B' ? y - x : x - y));
    return prices.map((p) => {
      const list = map.get(p)!;
      return { p, q: list.reduce((a, o) => a + o.lots, 0), n: list.length };
    });
  }

  order(oid: number): NodeBookOrder | undefined {
    return this.byOid.get(oid);
  }

  market(coin: string): CoinMarket {
    return this.book(coin).m;
  }

  private book(coin: string): CoinBook {
    const b = this.books.get(coin);
    if (b === undefined) throw new Error(`coin "${coin}" is not simulated`);
    return b;
  }

  // ------------------------------------------------------------------ trades

  private applyTrades(b: CoinBook, trades: readonly SimTrade[], t: number, block: NodeBlock): void {
    let i = 0;
    while (i < trades.length) {
      // one taker order per engine hash (the engine walks the book for one aggressive order)
      const hash = trades[i]!.hash;
      let j = i;
      while (j < trades.length && trades[j]!.hash === hash) j++;
      this.takerOrder(b, trades.slice(i, j), t, block);
      i = j;
    }
  }

  private takerOrder(b: CoinBook, group: readonly SimTrade[], t: number, block: NodeBlock): void {
    const m = b.m;
    const first = group[0]!;
    const takerSide: NodeSide = first.side;
    const taker = takerSide === 'B' ? first.buyer : first.seller;
    const takerOid = this.nextOid++;
    const makerSide: NodeSide = takerSide === 'B' ? 'A' : 'B';
    let filled = 0;
    let lastPx = first.pxTicks;
    for (const tr of group) {
      const queue = b.side(makerSide).get(tr.pxTicks);
      let rem = tr.lots;
      let tid = tr.tid;
      while (rem > 0 && queue !== undefined && queue.length > 0) {
        const o = queue[0]!;
        const take = Math.min(rem, o.lots);
        this.fillPair(m, taker, takerOid, takerSide, o, tr.pxTicks, take, tr.hash, tid, t, block);
        tid = this.rng.u50();
        const before = o.lots;
        o.lots -= take;
        rem -= take;
        filled += take;
        lastPx = tr.pxTicks;
        if (o.lots === 0) {
          queue.shift();
          this.byOid.delete(o.oid);
          if (queue.length === 0) b.side(makerSide).delete(tr.pxTicks);
          this.stats.ordersFilled++;
          block.statuses.push({ time: t, user: o.user, status: 'filled', order: this.view(m, o) });
          block.diffs.push(this.diff(m, o, { kind: 'remove' }));
        } else {
          block.diffs.push(
            this.diff(m, o, { kind: 'update', origSz: m.formatSz(before), newSz: m.formatSz(o.lots) }),
          );
        }
      }
      if (rem > 0) this.stats.unmatchedLots += rem;
    }
    if (filled === 0) return;
    const takerOrder: NodeBookOrder = {
      oid: takerOid,
      user: taker,
      coin: m.def.name,
      side: takerSide,
      pxTicks: lastPx,
      lots: 0,
      origLots: filled,
      timestamp: t,
      tif: 'Ioc',
      cloid: null,
    };
    block.statuses.push({ time: t, user: taker, status: 'filled', order: this.view(m, takerOrder) });
  }

  private fillPair(
    m: CoinMarket,
    taker: string,
    takerOid: number,
    takerSide: NodeSide,
    maker: NodeBookOrder,
    pxTicks: number,
    lots: number,
    hash: string,
    tid: number,
    t: number,
    block: NodeBlock,
  ): void {
    const px = m.formatPx(pxTicks);
    const sz = m.formatSz(lots);
    const notional = pxTicks * m.tick * lots * m.lot;
    block.fills.push(
      this.fill(
        m,
        taker,
        takerSide,
        pxTicks,
        lots,
        px,
        sz,
        t,
        hash,
        takerOid,
        true,
        notional * TAKER_FEE,
        tid,
      ),
    );
    block.fills.push(
      this.fill(
        m,
        maker.user,
        maker.side,
        pxTicks,
        lots,
        px,
        sz,
        t,
        hash,
        maker.oid,
        false,
        notional * MAKER_FEE,
        tid,
      ),
    );
    this.stats.fills++;
  }

  private fill(
    m: CoinMarket,
    user: string,
    side: NodeSide,
    pxTicks: number,
    lots: number,
    px: string,
    sz: string,
    t: number,
    hash: string,
    oid: number,
    crossed: boolean,
    fee: number,
    tid: number,
  ): NodeFillEvent {
    const key = `${user}|${m.def.name}`;
    const pos = this.positions.get(key) ?? { lots: 0, entryPx: 0 };
    const start = pos.lots;
    const signed = side === 'B' ? lots : -lots;
    const price = pxTicks * m.tick;
    let closed = 0;
    let dir: string;
    if (start === 0 || Math.sign(start) === Math.sign(signed)) {
      dir = side === 'B' ? 'Open Long' : 'Open Short';
      const total = Math.abs(start) + lots;
      pos.entryPx = (pos.entryPx * Math.abs(start) + price * lots) / total;
    } else {
      const closing = Math.min(Math.abs(start), lots);
      closed = (price - pos.entryPx) * closing * m.lot * Math.sign(start);
      if (lots > Math.abs(start)) {
        dir = start > 0 ? 'Long > Short' : 'Short > Long';
        pos.entryPx = price;
      } else dir = start > 0 ? 'Close Long' : 'Close Short';
    }
    pos.lots = start + signed;
    if (pos.lots === 0) pos.entryPx = 0;
    this.positions.set(key, pos);
    return {
      user,
      coin: m.def.name,
      px,
      sz,
      side,
      time: t,
      startPosition: m.formatSz(start),
      dir,
      closedPnl: formatDecimal(closed, 6),
      hash,
      oid,
      crossed,
      fee: formatDecimal(fee, 6),
      tid,
    };
  }

  // ------------------------------------------------------------------ levels

  private reconcileCoin(b: CoinBook, t: number, block: NodeBlock): void {
    const m = b.m;
    const adds: { side: NodeSide; p: number; sizes: number[] }[] = [];
    for (const side of ['B', 'A'] as const) {
      const target = new Map<number, Level>();
      for (const l of side === 'B' ? m.bids : m.asks) if (l.q > 0) target.set(l.p, l);
      const map = b.side(side);
      for (const [p, queue] of [...map]) {
        if (!target.has(p)) {
          for (const o of queue) this.cancel(m, o, t, block);
          map.delete(p);
        }
      }
      for (const [p, l] of target) {
        const q = l.q;
        let n = Math.max(1, l.n);
        if (n > q) {
          n = q;
          this.stats.countsCapped++;
        }
        const queue = map.get(p) ?? [];
        let total = queue.reduce((a, o) => a + o.lots, 0);
        if (total === q && queue.length === n) continue;
        const back = queue[queue.length - 1];
        if (queue.length === n && back !== undefined && back.lots + q - total >= 1) {
          // only the size moved: the last order of the queue is modified in place (an `update`)
          const before = back.lots;
          back.lots += q - total;
          this.stats.ordersModified++;
          block.diffs.push(
            this.diff(m, back, { kind: 'update', origSz: m.formatSz(before), newSz: m.formatSz(back.lots) }),
          );
          continue;
        }
        const feasible = (c: number, tot: number) =>
          c <= n && tot <= q && (c === n ? tot === q : q - tot >= n - c);
        while (!feasible(queue.length, total)) {
          const o = queue.pop()!;
          total -= o.lots;
          this.cancel(m, o, t, block);
        }
        if (queue.length === 0) map.delete(p);
        else map.set(p, queue);
        const k = n - queue.length;
        if (k > 0) adds.push({ side, p, sizes: split(this.rng, q - total, k) });
      }
    }
    // every cancel of the block before any add: an add never crosses a level that is going
    for (const a of adds) {
      const map = b.side(a.side);
      const queue = map.get(a.p) ?? [];
      for (const lots of a.sizes) {
        const o: NodeBookOrder = {
          oid: this.nextOid++,
          user: this.engine.wallets[this.rng.int(this.engine.wallets.length)]!,
          coin: m.def.name,
          side: a.side,
          pxTicks: a.p,
          lots,
          origLots: lots,
          timestamp: t,
          tif: this.rng.chance(0.7) ? 'Alo' : 'Gtc',
          cloid: this.rng.chance(0.3) ? '0x' + this.rng.hex(16) : null,
        };
        queue.push(o);
        this.byOid.set(o.oid, o);
        this.stats.ordersOpened++;
        block.statuses.push({ time: t, user: o.user, status: 'open', order: this.view(m, o) });
        block.diffs.push(this.diff(m, o, { kind: 'new', sz: m.formatSz(lots) }));
      }
      map.set(a.p, queue);
    }
  }

  private cancel(m: CoinMarket, o: NodeBookOrder, t: number, block: NodeBlock): void {
    this.byOid.delete(o.oid);
    this.stats.ordersCanceled++;
    block.statuses.push({ time: t, user: o.user, status: 'canceled', order: this.view(m, o) });
    block.diffs.push(this.diff(m, o, { kind: 'remove' }));
  }

  private view(m: CoinMarket, o: NodeBookOrder): NodeOrderView {
    return {
      coin: o.coin,
      side: o.side,
      limitPx: m.formatPx(o.pxTicks),
      sz: m.formatSz(o.lots),
      oid: o.oid,
      timestamp: o.timestamp,
      origSz: m.formatSz(o.origLots),
      tif: o.tif,
      cloid: o.cloid,
    };
  }

  private diff(m: CoinMarket, o: NodeBookOrder, diff: NodeDiffKind): NodeDiffEvent {
    return { user: o.user, oid: o.oid, coin: o.coin, side: o.side, px: m.formatPx(o.pxTicks), diff };
  }
}
