import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GapTracker, type TradeLike } from '../../state/gaps.ts';

describe('gap tracker: local sequence and epochs', () => {
  it('contiguous sequence: no gap; a hole: one gap with the missing count; a regression is flagged', () => {
    const g = new GapTracker();
    expect(g.record({ seq: 5, epoch: 1 })).toEqual([]);
    expect(g.record({ seq: 6, epoch: 1 })).toEqual([]);
    const gaps = g.record({ seq: 10, epoch: 1 });
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ kind: 'sequence', key: '*', missing: 3 });
    expect(gaps[0]!.reason).toContain('from 6 to 10');
    expect(g.record({ seq: 10, epoch: 1 })[0]).toMatchObject({ kind: 'sequence' });
    expect(g.counters).toMatchObject({ sequenceGaps: 1, missingRecords: 3, sequenceRegressions: 1 });
  });

  it('firstSeq makes a missing start a gap', () => {
    const g = new GapTracker({ firstSeq: 1 });
    expect(g.record({ seq: 3, epoch: 1 })[0]).toMatchObject({ missing: 2 });
  });

  it('every new epoch is a gap for every channel', () => {
    const g = new GapTracker();
    g.record({ seq: 1, epoch: 1 });
    expect(g.record({ seq: 2, epoch: 2 })).toEqual([
      { kind: 'epoch', key: '*', reason: 'connection epoch 1 → 2: every channel' },
    ]);
    expect(g.record({ seq: 3, epoch: 2 })).toEqual([]);
    expect(g.counters.epochGaps).toBe(1);
  });

  it('fast-check: the missing counts add up to the records removed from a contiguous stream', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 500 }), (keep) => {
        const g = new GapTracker({ firstSeq: 1 });
        let removed = 0;
        keep.forEach((k, i) => {
          if (k) g.record({ seq: i + 1, epoch: 1 });
          else removed++;
        });
        g.record({ seq: keep.length + 1, epoch: 1 }); // a final record closes any trailing hole
        expect(g.counters.missingRecords).toBe(removed);
      }),
    );
  });
});

describe('gap tracker: venue time', () => {
  it('drops and counts an l2Book whose time goes backwards, per coin; equal time is kept', () => {
    const g = new GapTracker();
    const book = (coin: string, time: number) => ({
      channel: 'l2Book',
      data: { coin, time, levels: [[], []] },
    });
    expect(g.frame(book('BTC', 1000)).keep).toBe(true);
    expect(g.frame(book('ETH', 500)).keep).toBe(true); // another coin has its own clock
    expect(g.frame(book('BTC', 1000)).keep).toBe(true);
    const v = g.frame(book('BTC', 999));
    expect(v.keep).toBe(false);
    expect(v.dropReason).toContain('l2Book:BTC: time 999 is before the last accepted 1000');
    expect(g.frame(book('BTC', 1500)).keep).toBe(true);
    expect(g.counters.timeRegressions).toBe(1);
  });

  it('bbo regressions are dropped too; other channels and malformed frames pass through', () => {
    const g = new GapTracker();
    g.frame({ channel: 'bbo', data: { coin: 'BTC', time: 10 } });
    expect(g.frame({ channel: 'bbo', data: { coin: 'BTC', time: 9 } }).keep).toBe(false);
    expect(g.frame({ channel: 'activeAssetCtx', data: { coin: 'BTC', ctx: {} } }).keep).toBe(true);
    expect(g.frame({ channel: 'l2Book', data: null } as never).keep).toBe(true);
    expect(g.frame({ channel: 'trades', data: 'nope' } as never).keep).toBe(true);
  });
});

describe('gap tracker: trade dedupe on (coin, time, tid)', () => {
  const t = (coin: string, time: number, tid: number): TradeLike => ({ coin, time, tid });

  it('removes repeats (as after a resubscribe), keeps new trades, and keys on all three fields', () => {
    const g = new GapTracker();
    const first = g.frame({ channel: 'trades', data: [t('BTC', 1000, 1), t('BTC', 1000, 2)] });
    expect(first.trades).toHaveLength(2);
    const again = g.frame({
      channel: 'trades',
      data: [t('BTC', 1000, 2), t('BTC', 1001, 2), t('ETH', 1000, 1)],
    });
    expect(again.keep).toBe(true);
    expect(again.trades).toEqual([t('BTC', 1001, 2), t('ETH', 1000, 1)]);
    const dup = g.frame({ channel: 'trades', data: [t('BTC', 1000, 1)] });
    expect(dup.keep).toBe(false);
    expect(g.counters.duplicateTrades).toBe(2);
  });

  it('memory stays bounded by the window; trades older than the window are dropped as already covered', () => {
    const g = new GapTracker({ dedupeWindowMs: 60_000, bucketMs: 1_000 });
    for (let i = 0; i < 100_000; i++) g.frame({ channel: 'trades', data: [t('BTC', i * 10, i)] });
    // 100 trades per second over 1000 s; the window holds at most 61 one-second buckets of 100
    expect(g.rememberedTrades()).toBeLessThanOrEqual(61 * 100);
    expect(g.rememberedTrades()).toBeGreaterThanOrEqual(60 * 100);
    const old = g.frame({ channel: 'trades', data: [t('BTC', 5, 999_999)] });
    expect(old.keep).toBe(false);
    expect(g.counters.tradesBeyondWindow).toBe(1);
    // a repeat inside the window is still caught
    expect(g.frame({ channel: 'trades', data: [t('BTC', 999_990, 99_999)] }).keep).toBe(false);
  });

  it('fast-check: output = input with exact repeats removed (within the window)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            coin: fc.constantFrom('A', 'B'),
            time: fc.integer({ min: 0, max: 50 }),
            tid: fc.integer({ min: 0, max: 5 }),
          }),
          {
            maxLength: 200,
          },
        ),
        (trades) => {
          const g = new GapTracker();
          const out: TradeLike[] = [];
          for (const x of trades) out.push(...(g.frame({ channel: 'trades', data: [x] }).trades ?? []));
          const seen = new Set<string>();
          const want = trades.filter((x) => {
            const k = `${x.coin}|${x.time}|${x.tid}`;
            if (seen.has(k)) return false;
            seen.add(k);
            return true;
          });
          expect(out).toEqual(want);
        },
      ),
    );
  });
});

describe('gap tracker: block heights (order_book_server l4Book)', () => {
  const snap = (height: number) => ({
    channel: 'l4Book',
    data: { Snapshot: { coin: 'BTC', time: 1, height, levels: [[], []] } },
  });
  const upd = (height: number) => ({
    channel: 'l4Book',
    data: { Updates: { time: 1, height, order_statuses: [], book_diffs: [] } },
  });

  it('contiguous heights pass; a skipped height is a gap with the count; a stale height is dropped', () => {
    const g = new GapTracker();
    expect(g.frame(snap(100)).gaps).toEqual([]);
    expect(g.frame(upd(101)).gaps).toEqual([]);
    const v = g.frame(upd(104));
    expect(v.keep).toBe(true);
    expect(v.gaps).toEqual([
      {
        kind: 'height',
        key: 'l4Book:',
        missing: 2,
        reason: 'l4Book:: block height jumped from 101 to 104: 2 block(s) missing',
      },
    ]);
    expect(g.frame(upd(104)).keep).toBe(false);
    expect(g.counters).toMatchObject({ heightGaps: 1, missingHeights: 2, staleHeights: 1 });
  });

  it('a snapshot (as after a reconnect) resets the base, and a new epoch forgets the old heights', () => {
    const g = new GapTracker();
    g.record({ seq: 1, epoch: 1 });
    g.frame(upd(10), 'BTC');
    g.frame(upd(10), 'ETH'); // separate coins, separate sequences
    expect(g.counters.staleHeights).toBe(0);
    g.record({ seq: 2, epoch: 2 });
    expect(g.frame(upd(50), 'BTC').gaps).toEqual([]); // the epoch gap already covers the reconnect
    expect(g.frame(snap(80), 'BTC').gaps).toEqual([]);
    expect(g.frame(upd(81), 'BTC').gaps).toEqual([]);
  });
});
