/**
 * The book against a brute-force reference on random snapshots and bbo pushes: top of book from the
 * fresher source, mid, depth within 10/20/50 bps; stale snapshots dropped; malformed ones rejected
 * without touching the held book.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Apply, Book, TopSource } from '../../state/book.ts';
import type { WsBbo, WsBook, WsLevel } from '../../state/inputs.ts';
import { close } from './reference.ts';

const lvl = (px: number, sz: number): WsLevel => ({ px: String(px), sz: String(sz), n: 1 });

/** A random book around `center`: distinct tick prices, bids below asks. */
const bookArb = fc
  .record({
    center: fc.integer({ min: 1_000, max: 200_000 }),
    tick: fc.constantFrom(0.1, 0.5, 1, 5),
    bidOffsets: fc.uniqueArray(fc.integer({ min: 1, max: 120 }), { maxLength: 25 }),
    askOffsets: fc.uniqueArray(fc.integer({ min: 1, max: 120 }), { maxLength: 25 }),
    sizes: fc.array(fc.double({ min: 0.0001, max: 50, noNaN: true }), { minLength: 50, maxLength: 50 }),
    time: fc.integer({ min: 1, max: 1_000 }),
  })
  .map(({ center, tick, bidOffsets, askOffsets, sizes, time }) => {
    const bids = [...bidOffsets]
      .sort((a, b) => a - b)
      .map((o, i) => lvl(+(center - o * tick).toFixed(4), sizes[i]!));
    const asks = [...askOffsets]
      .sort((a, b) => a - b)
      .map((o, i) => lvl(+(center + o * tick).toFixed(4), sizes[25 + i]!));
    return { coin: 'X', time, levels: [bids, asks] } as WsBook;
  });

function refDepth(levels: readonly WsLevel[], mid: number, bps: number, side: 'bid' | 'ask'): number {
  let s = 0;
  for (const l of levels) {
    const px = Number(l.px);
    const inBand = side === 'bid' ? px >= mid * (1 - bps / 1e4) : px <= mid * (1 + bps / 1e4);
    if (inBand) s += px * Number(l.sz);
  }
  return s;
}

describe('book', () => {
  it('top, mid and depth match the brute-force reference (book then bbo, freshest wins)', () => {
    fc.assert(
      fc.property(
        bookArb,
        fc.option(fc.record({ dt: fc.integer({ min: -5, max: 5 }), shift: fc.integer({ min: -3, max: 3 }) })),
        (d, bboSpec) => {
          const b = new Book();
          expect(b.applyBook(d)).toBe(Apply.Ok);
          const [bids, asks] = d.levels;
          let bestBid = bids.length > 0 ? Number(bids[0]!.px) : Number.NaN;
          let bestAsk = asks.length > 0 ? Number(asks[0]!.px) : Number.NaN;
          if (bboSpec !== null && bids.length > 0 && asks.length > 0) {
            const bb = Number(bids[0]!.px) + bboSpec.shift;
            const ba = Number(asks[0]!.px) + bboSpec.shift;
            const bbo: WsBbo = { coin: 'X', time: d.time + bboSpec.dt, bbo: [lvl(bb, 1), lvl(ba, 2)] };
            expect(b.applyBbo(bbo)).toBe(Apply.Ok);
            if (bbo.time >= d.time) {
              bestBid = bb;
              bestAsk = ba;
              expect(b.topSource).toBe(TopSource.Bbo);
            } else expect(b.topSource).toBe(TopSource.Book);
          }
          const mid = (bestBid + bestAsk) / 2;
          expect(close(b.bestBid, bestBid)).toBe(true);
          expect(close(b.bestAsk, bestAsk)).toBe(true);
          expect(close(b.mid, mid)).toBe(true);
          for (const [bps, gotB, gotA] of [
            [10, b.depthBid10, b.depthAsk10],
            [20, b.depthBid20, b.depthAsk20],
            [50, b.depthBid50, b.depthAsk50],
          ] as const) {
            const wantB = Number.isNaN(mid) ? Number.NaN : refDepth(bids, mid, bps, 'bid');
            const wantA = Number.isNaN(mid) ? Number.NaN : refDepth(asks, mid, bps, 'ask');
            expect(close(gotB, wantB, 1e-12, 1e-9), `bid ${bps}: ${gotB} vs ${wantB}`).toBe(true);
            expect(close(gotA, wantA, 1e-12, 1e-9), `ask ${bps}: ${gotA} vs ${wantA}`).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a snapshot older than the held book is dropped; equal or newer replaces it', () => {
    const b = new Book();
    const mk = (time: number, px: number): WsBook => ({
      coin: 'X',
      time,
      levels: [[lvl(px, 1)], [lvl(px + 2, 1)]],
    });
    expect(b.applyBook(mk(100, 50))).toBe(Apply.Ok);
    expect(b.applyBook(mk(99, 60))).toBe(Apply.Stale);
    expect(b.bestBid).toBe(50);
    expect(b.applyBook(mk(100, 70))).toBe(Apply.Ok);
    expect(b.bestBid).toBe(70);
    expect(b.applyBook(mk(101, 80))).toBe(Apply.Ok);
    expect(b.bestBid).toBe(80);
    // bbo: older than the held bbo is dropped; fresher than the book takes the top
    expect(b.applyBbo({ coin: 'X', time: 102, bbo: [lvl(81, 3), lvl(83, 4)] })).toBe(Apply.Ok);
    expect(b.mid).toBe(82);
    expect(b.applyBbo({ coin: 'X', time: 101, bbo: [lvl(10, 3), lvl(12, 4)] })).toBe(Apply.Stale);
    expect(b.mid).toBe(82);
    // a newer book takes the top back
    expect(b.applyBook(mk(103, 90))).toBe(Apply.Ok);
    expect(b.mid).toBe(91);
    // a null bbo side is an empty side: no mid
    expect(b.applyBbo({ coin: 'X', time: 104, bbo: [null, lvl(95, 1)] })).toBe(Apply.Ok);
    expect(b.bestBid).toBeNaN();
    expect(b.mid).toBeNaN();
    expect(b.depthBid20).toBeNaN();
  });

  it('malformed snapshots are rejected with a reason and leave the held book untouched', () => {
    const b = new Book();
    expect(b.applyBook({ coin: 'X', time: 1, levels: [[lvl(100, 1)], [lvl(101, 1)]] })).toBe(Apply.Ok);
    const bad: unknown[] = [
      { coin: 'X', time: 2, levels: [[{ px: 'abc', sz: '1', n: 1 }], []] },
      { coin: 'X', time: 2, levels: [[lvl(99, 1), lvl(100, 1)], []] }, // bids not descending
      { coin: 'X', time: 2, levels: [[], [lvl(102, 1), lvl(101, 1)]] }, // asks not ascending
      { coin: 'X', time: 2, levels: [[{ px: '', sz: '1', n: 1 }], []] },
      { coin: 'X', time: 2, levels: [[{ px: '100', sz: '-1', n: 1 }], []] },
      { coin: 'X', time: 2, levels: [[null], []] },
      { coin: 'X', time: 2, levels: null },
      { coin: 'X', time: 'soon', levels: [[], []] },
    ];
    for (const d of bad) {
      expect(b.applyBook(d as WsBook)).toBe(Apply.Invalid);
      expect(b.lastError).not.toBe('');
      expect(b.bestBid).toBe(100);
      expect(b.mid).toBe(100.5);
    }
    expect(b.applyBbo({ coin: 'X', time: 3, bbo: [{ px: 'x', sz: '1', n: 1 }, null] } as WsBbo)).toBe(
      Apply.Invalid,
    );
    expect(b.applyBbo({ coin: 'X', time: 3, bbo: null } as unknown as WsBbo)).toBe(Apply.Invalid);
    expect(b.mid).toBe(100.5);
  });
});
