/**
 * The order model (sim/node/orders.ts) over seeded runs: after every block its aggregate equals the
 * engine's L2 book level for level, and its events (order statuses + raw book diffs, applied the way
 * order_book_server's `apply_updates` does) rebuild exactly its orders, in queue order.
 */
import { describe, expect, it } from 'vitest';
import { Engine, SIM_EPOCH } from '../../sim/engine.ts';
import { type NodeBlock, type NodeBookOrder, OrderModel } from '../../sim/node/orders.ts';

interface MiniOrder {
  oid: number;
  user: string;
  side: 'A' | 'B';
  px: string;
  sz: string;
}

/** OBS `apply_updates` on a plain per-coin book: `new` needs an inserted status, update/remove an order. */
class ReplayBook {
  readonly levels = new Map<string, Map<string, MiniOrder[]>>();
  readonly where = new Map<number, { coin: string; key: string }>();
  errors: string[] = [];

  apply(block: NodeBlock): void {
    const opened = new Map<number, (typeof block.statuses)[number]>();
    for (const s of block.statuses)
      if (s.status === 'open' && s.order.tif !== 'Ioc') opened.set(s.order.oid, s);
    for (const d of block.diffs) {
      const coinBook = this.levels.get(d.coin) ?? new Map<string, MiniOrder[]>();
      this.levels.set(d.coin, coinBook);
      if (d.diff.kind === 'new') {
        const s = opened.get(d.oid);
        if (s === undefined) {
          this.errors.push(`new without open status: ${d.oid}`);
          continue;
        }
        opened.delete(d.oid);
        const key = `${s.order.side}|${s.order.limitPx}`;
        const q = coinBook.get(key) ?? [];
        q.push({ oid: d.oid, user: s.user, side: s.order.side, px: s.order.limitPx, sz: d.diff.sz });
        coinBook.set(key, q);
        this.where.set(d.oid, { coin: d.coin, key });
        continue;
      }
      const w = this.where.get(d.oid);
      const q = w === undefined ? undefined : this.levels.get(w.coin)?.get(w.key);
      const i = q === undefined ? -1 : q.findIndex((o) => o.oid === d.oid);
      if (w === undefined || q === undefined || i < 0) {
        this.errors.push(`${d.diff.kind} of unknown order ${d.oid}`);
        continue;
      }
      if (d.diff.kind === 'update') {
        if (q[i]!.sz !== d.diff.origSz) this.errors.push(`update origSz ${d.diff.origSz} != ${q[i]!.sz}`);
        q[i]!.sz = d.diff.newSz;
      } else {
        q.splice(i, 1);
        this.where.delete(d.oid);
        if (q.length === 0) this.levels.get(w.coin)!.delete(w.key);
      }
    }
  }

  /** Orders of a coin side as `oid:px:sz`, best price first then queue order. */
  side(coin: string, side: 'A' | 'B'): string[] {
    const book = this.levels.get(coin) ?? new Map<string, MiniOrder[]>();
    const keys = [...book.keys()].filter((k) => k.startsWith(side + '|'));
    keys.sort((a, b) => {
      const pa = Number(a.slice(2));
      const pb = Number(b.slice(2));
      return side === 'B' ? pb - pa : pa - pb;
    });
    return keys.flatMap((k) => book.get(k)!.map((o) => `${o.oid}:${o.px}:${o.sz}`));
  }
}

function seedReplay(model: OrderModel, coins: string[]): ReplayBook {
  const r = new ReplayBook();
  for (const coin of coins) {
    const [bids, asks] = model.orders(coin);
    const m = model.market(coin);
    const book = new Map<string, MiniOrder[]>();
    for (const o of [...bids, ...asks] as NodeBookOrder[]) {
      const key = `${o.side}|${m.formatPx(o.pxTicks)}`;
      const q = book.get(key) ?? [];
      q.push({ oid: o.oid, user: o.user, side: o.side, px: m.formatPx(o.pxTicks), sz: m.formatSz(o.lots) });
      book.set(key, q);
      r.where.set(o.oid, { coin, key });
    }
    r.levels.set(coin, book);
  }
  return r;
}

function modelSide(model: OrderModel, coin: string, side: 'A' | 'B'): string[] {
  const m = model.market(coin);
  const [bids, asks] = model.orders(coin);
  return (side === 'B' ? bids : asks).map((o) => `${o.oid}:${m.formatPx(o.pxTicks)}:${m.formatSz(o.lots)}`);
}

describe('sim/node order model', () => {
  it('aggregates to the engine L2 book after every block, and its events rebuild its orders (seeded runs)', () => {
    const runs = [
      { seed: 7, scenario: 'default' },
      { seed: 11, scenario: 'cascade' },
      { seed: 23, scenario: 'exhaustion' },
      { seed: 5, scenario: 'chop' },
    ];
    const BLOCKS = 400;
    let levelChecks = 0;
    let blocksChecked = 0;
    let events = 0;
    let maxCountGap = 0;
    const totals = { opened: 0, canceled: 0, filled: 0, fills: 0, capped: 0, unmatched: 0 };
    for (const run of runs) {
      const engine = new Engine({ seed: run.seed, scenario: run.scenario, startTime: SIM_EPOCH });
      const model = new OrderModel(engine);
      const replay = seedReplay(model, engine.coins);
      for (let i = 0; i < BLOCKS; i++) {
        const r = engine.step();
        const block = model.onBlock();
        expect(block.height).toBe(r.height);
        expect(block.time).toBe(r.time);
        events += block.fills.length + block.statuses.length + block.diffs.length;
        replay.apply(block);
        for (const coin of engine.coins) {
          const m = engine.market(coin);
          for (const side of ['B', 'A'] as const) {
            const eng = (side === 'B' ? m.bids : m.asks).filter((l) => l.q > 0);
            const got = model.levels(coin, side);
            expect(got.map((l) => [l.p, l.q])).toEqual(eng.map((l) => [l.p, l.q]));
            // the count is the engine's wherever one lot per order allows it
            expect(got.map((l) => l.n)).toEqual(eng.map((l) => Math.min(Math.max(1, l.n), l.q)));
            for (const l of eng) maxCountGap = Math.max(maxCountGap, l.n - Math.min(l.n, l.q));
            levelChecks += eng.length;
            expect(replay.side(coin, side)).toEqual(modelSide(model, coin, side));
          }
        }
        blocksChecked++;
      }
      expect(replay.errors).toEqual([]);
      const s = model.stats;
      totals.opened += s.ordersOpened;
      totals.canceled += s.ordersCanceled;
      totals.filled += s.ordersFilled;
      totals.fills += s.fills;
      totals.capped += s.countsCapped;
      totals.unmatched += s.unmatchedLots;
    }
    console.log(
      `node order model: ${runs.length} seeded runs, ${blocksChecked} blocks, ${levelChecks} level checks, ` +
        `${events} events; orders opened ${totals.opened}, canceled ${totals.canceled}, filled ${totals.filled}, ` +
        `fill pairs ${totals.fills}; counts capped at size ${totals.capped} (max gap ${maxCountGap}), unmatched lots ${totals.unmatched}`,
    );
    expect(blocksChecked).toBe(runs.length * BLOCKS);
    expect(totals.fills).toBeGreaterThan(1000);
    expect(totals.filled).toBeGreaterThan(100);
    expect(totals.canceled).toBeGreaterThan(1000);
    expect(totals.unmatched).toBe(0);
  }, 120_000);

  it('every engine trade is filled at the queue front: sizes, prices and hashes add up per trade', () => {
    const engine = new Engine({ seed: 3, scenario: 'cascade', startTime: SIM_EPOCH });
    const model = new OrderModel(engine);
    let trades = 0;
    let makerFills = 0;
    let firstTidKept = 0;
    for (let i = 0; i < 800; i++) {
      // the queues before the block: each engine trade must take from their fronts, in order
      const queues = new Map<string, { oid: number; lots: number }[]>();
      for (const coin of engine.coins) {
        const [bids, asks] = model.orders(coin);
        for (const o of [...bids, ...asks]) {
          const k = `${coin}|${o.side}|${o.pxTicks}`;
          const q = queues.get(k) ?? [];
          q.push({ oid: o.oid, lots: o.lots });
          queues.set(k, q);
        }
      }
      engine.step();
      const block = model.onBlock();
      for (const coin of engine.coins) {
        const m = engine.market(coin);
        const fills = block.fills.filter((f) => f.coin === coin);
        expect(fills.length % 2).toBe(0);
        let at = 0;
        for (const t of m.trades) {
          trades++;
          const px = m.formatPx(t.pxTicks);
          const q = queues.get(`${coin}|${t.side === 'B' ? 'A' : 'B'}|${t.pxTicks}`)!;
          let rem = t.lots;
          let first = true;
          while (rem > 0) {
            const front = q[0]!;
            const take = Math.min(rem, front.lots);
            const taker = fills[at]!;
            const maker = fills[at + 1]!;
            at += 2;
            expect([taker.crossed, maker.crossed]).toEqual([true, false]);
            expect(maker.oid).toBe(front.oid);
            expect([taker.px, taker.sz, taker.hash, maker.px, maker.sz, maker.hash]).toEqual([
              px,
              m.formatSz(take),
              t.hash,
              px,
              m.formatSz(take),
              t.hash,
            ]);
            expect(taker.user).toBe(t.side === 'B' ? t.buyer : t.seller);
            expect(taker.tid).toBe(maker.tid);
            if (first && maker.tid === t.tid) firstTidKept++;
            first = false;
            makerFills++;
            front.lots -= take;
            rem -= take;
            if (front.lots === 0) q.shift();
          }
        }
        expect(at).toBe(fills.length);
      }
    }
    console.log(
      `node order model: ${trades} engine trades checked against the queue fronts (${makerFills} maker fills), ` +
        `first fill keeps the engine tid in ${firstTidKept}`,
    );
    expect(trades).toBeGreaterThan(500);
    expect(firstTidKept).toBe(trades);
  });
});
