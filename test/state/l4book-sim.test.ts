/**
 * The L4 book against the simulator's node (issue 17, "Done when"): over seeded runs, the book built
 * from the simulator's order_book_server frames (l4Book Snapshot, then per-block Updates) and the one
 * built from its by-block node lines both equal the simulator's own order model order for order after
 * every block, and their L2 views equal the simulator's l2Book views (every nSigFigs / mantissa
 * view OBS keeps, derived the way sim/node/l2.ts derives them). Everything goes through the real
 * bytes and the parsers (hyperliquid/node-parse.ts). Prints its reach.
 */
import { describe, expect, it } from 'vitest';
import { parseNodeBlockLine, parseObsMessage } from '../../hyperliquid/node-parse.ts';
import type { ObsL4Snapshot } from '../../hyperliquid/node-schemas.ts';
import { Engine, SIM_EPOCH } from '../../sim/engine.ts';
import { naiveTime, obsFormat, obsScaled } from '../../sim/node/format.ts';
import { type ObsSides, obsL2Views } from '../../sim/node/l2.ts';
import { type NodeBookOrder, OrderModel } from '../../sim/node/orders.ts';
import {
  nodeBlockLine,
  nodeDiffJson,
  nodeStatusJson,
  obsBookOrderJson,
  obsDiffJson,
  obsL2Frame,
  obsL4SnapshotFrame,
  obsL4UpdatesFrame,
  obsStatusJson,
} from '../../sim/node/wire.ts';
import { ASK, BID, L4Apply, L4Book, L4Books, type L4OrderView } from '../../state/l4book.ts';

function orderKey(o: L4OrderView): string {
  return `${o.oid}:${o.user.toLowerCase()}:${o.px}:${o.sz}`;
}

describe('L4 book vs the simulator node', () => {
  it('equals the order model order for order, and its L2 views equal OBS l2Book views, after every block', () => {
    const runs = [
      { seed: 7, scenario: 'default' },
      { seed: 11, scenario: 'cascade' },
    ];
    const BLOCKS = 80;
    const reach = {
      blocks: 0,
      bookChecks: 0,
      orders: 0,
      l2Views: 0,
      events: 0,
      added: 0,
      removed: 0,
      filled: 0,
      updated: 0,
    };
    for (const run of runs) {
      const engine = new Engine({ seed: run.seed, scenario: run.scenario, startTime: SIM_EPOCH });
      const model = new OrderModel(engine);
      const coins = engine.coins;
      const obsBooks = new Map<string, L4Book>();
      const nodeBooks = new L4Books(coins);
      for (const coin of coins) {
        const [bids, asks] = model.orders(coin);
        const m = model.market(coin);
        const j = (o: NodeBookOrder): string =>
          obsBookOrderJson(o, m.formatPx(o.pxTicks), m.formatSz(o.lots));
        const r = parseObsMessage(
          obsL4SnapshotFrame(coin, engine.time, engine.height, bids.map(j), asks.map(j)),
        );
        if (!r.ok) throw new Error(r.error.message);
        if (r.value.channel !== 'l4Book' || !('Snapshot' in r.value.data)) throw new Error('not a snapshot');
        const snap: ObsL4Snapshot = r.value.data.Snapshot;
        const b = new L4Book(coin);
        expect(b.loadSnapshot(snap)).toBe(L4Apply.Ok);
        obsBooks.set(coin, b);
        expect((nodeBooks.get(coin) as L4Book).loadSnapshot(snap)).toBe(L4Apply.Ok);
      }
      for (let i = 0; i < BLOCKS; i++) {
        engine.step();
        const blk = model.onBlock();
        reach.events += blk.statuses.length + blk.diffs.length;
        const t = naiveTime(blk.time);
        const sl = parseNodeBlockLine(
          'node_order_statuses_by_block',
          nodeBlockLine(t, t, blk.height, blk.statuses.map(nodeStatusJson)),
        );
        const dl = parseNodeBlockLine(
          'node_raw_book_diffs_by_block',
          nodeBlockLine(t, t, blk.height, blk.diffs.map(nodeDiffJson)),
        );
        if (!sl.ok) throw new Error(sl.error.message);
        if (!dl.ok) throw new Error(dl.error.message);
        expect(nodeBooks.applyNodeBlock(sl.value, dl.value)).toBe(0);
        for (const coin of coins) {
          const st = blk.statuses.filter((s) => s.order.coin === coin).map(obsStatusJson);
          const df = blk.diffs.filter((d) => d.coin === coin).map(obsDiffJson);
          const u = parseObsMessage(obsL4UpdatesFrame(blk.time, blk.height, st, df));
          if (!u.ok) throw new Error(u.error.message);
          if (u.value.channel !== 'l4Book' || !('Updates' in u.value.data)) throw new Error('not updates');
          const ob = obsBooks.get(coin) as L4Book;
          expect(ob.applyUpdates(u.value.data.Updates)).toBe(L4Apply.Ok);
          const nb = nodeBooks.get(coin) as L4Book;
          const m = model.market(coin);
          const [bids, asks] = model.orders(coin);
          const key = (o: NodeBookOrder): string =>
            `${o.oid}:${o.user.toLowerCase()}:${Number(m.formatPx(o.pxTicks))}:${Number(m.formatSz(o.lots))}`;
          const wantB = bids.map(key);
          const wantA = asks.map(key);
          // OBS l2Book views of the model's book: full, then each derived view.
          const full: ObsSides = [
            model
              .levels(coin, 'B')
              .map((l) => ({ px: obsScaled(m.formatPx(l.p)), sz: obsScaled(m.formatSz(l.q)), n: l.n })),
            model
              .levels(coin, 'A')
              .map((l) => ({ px: obsScaled(m.formatPx(l.p)), sz: obsScaled(m.formatSz(l.q)), n: l.n })),
          ];
          const views = obsL2Views(full);
          for (const b of [ob, nb]) {
            expect(b.flow.rejected).toBe(0);
            expect(b.height).toBe(blk.height);
            expect(b.time).toBe(blk.time);
            expect(b.ordersOf(BID).map(orderKey)).toEqual(wantB);
            expect(b.ordersOf(ASK).map(orderKey)).toEqual(wantA);
            reach.orders += wantB.length + wantA.length;
            // Every view on every 4th block (they are costly to compare), the default one always.
            for (const [key, sides] of i % 4 === 0 ? views : []) {
              const [sig, man] = key.split('|');
              const nSigFigs = sig === 'null' ? null : Number(sig);
              const mantissa = man === 'null' ? null : Number(man);
              const fmt = (s: ObsSides[0]) =>
                s.map((l) => ({ px: obsFormat(l.px), sz: obsFormat(l.sz), n: l.n }));
              expect(b.l2({ nLevels: Number.POSITIVE_INFINITY, nSigFigs, mantissa }).levels).toEqual([
                fmt(sides[0]),
                fmt(sides[1]),
              ]);
              reach.l2Views++;
            }
            // The default subscription's frame (20 levels), parsed, is the book's default view.
            const f = parseObsMessage(obsL2Frame(coin, blk.time, full[0].slice(0, 20), full[1].slice(0, 20)));
            if (!f.ok || f.value.channel !== 'l2Book') throw new Error('l2Book frame');
            expect(b.l2()).toEqual(f.value.data);
            reach.bookChecks++;
          }
          const fb = ob.flow;
          reach.added += fb.bids.added + fb.asks.added;
          reach.removed += fb.bids.removed + fb.asks.removed;
          reach.filled += fb.bids.filled + fb.asks.filled;
          reach.updated += fb.bids.updated + fb.asks.updated;
        }
        reach.blocks++;
      }
    }
    console.log('l4book vs sim node:', JSON.stringify(reach));
    expect(reach.blocks).toBe(160);
    expect(reach.l2Views).toBeGreaterThan(1000);
    expect(reach.added).toBeGreaterThan(800);
    expect(reach.removed).toBeGreaterThan(800);
    expect(reach.filled).toBeGreaterThan(30);
    expect(reach.updated).toBeGreaterThan(500);
  });
});
