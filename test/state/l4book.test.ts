/**
 * state/l4book.ts: snapshot, per-block updates (OBS `Updates` and the node's by-block lines), the
 * L2 view as OBS reports it (bucketing values from order_book_server @ bf5f6bc :
 * server/src/order_book/multi_book.rs `test_l4_snapshot_to_l2_snapshot`), queue ahead, flow per
 * block, and the refusals. The property test runs random order flows through the L4 book (both
 * input paths) and through a naive reference model written here, and compares the L2 view, the
 * order lists, the queue ahead of every order and the flow after every block. It prints its reach.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  NodeBookDiff,
  NodeBookDiffsBlock,
  NodeL4FileSnapshot,
  NodeOrder,
  NodeOrderStatusesBlock,
  NodeOrderStatus,
  ObsL4Snapshot,
  ObsL4Updates,
} from '../../hyperliquid/node-schemas.ts';
import { parseNodeBlockLine } from '../../hyperliquid/node-parse.ts';
import { Apply, Book } from '../../state/book.ts';
import { ASK, BID, L4Apply, L4Book, L4Books, l4SnapshotFromFile, type SideIx } from '../../state/l4book.ts';

const U1 = '0x1111111111111111111111111111111111111111';
const U2 = '0x2222222222222222222222222222222222222222';

function order(
  oid: number,
  side: 'A' | 'B',
  px: string,
  sz: string,
  timestamp = 1000 + oid,
  extra: Partial<NodeOrder> = {},
): NodeOrder {
  return {
    user: U1,
    coin: 'BTC',
    side,
    limitPx: px,
    sz,
    oid,
    timestamp,
    triggerCondition: 'N/A',
    isTrigger: false,
    triggerPx: '0.0',
    isPositionTpsl: false,
    reduceOnly: false,
    orderType: 'Limit',
    tif: 'Gtc',
    cloid: null,
    ...extra,
  };
}

function snapshot(bids: NodeOrder[], asks: NodeOrder[], height = 100, coin = 'BTC'): ObsL4Snapshot {
  return { coin, time: 5000, height, levels: [bids, asks] };
}

function status(o: NodeOrder, st = 'open', time = '2026-06-02T09:59:59.398971110'): NodeOrderStatus {
  const { user: _u, ...rest } = o;
  return { time, user: o.user ?? U1, status: st, order: rest };
}

function diff(oid: number, px: string, raw: NodeBookDiff['raw_book_diff'], coin = 'BTC'): NodeBookDiff {
  return { user: U1, oid, coin, px, raw_book_diff: raw };
}

function updates(
  height: number,
  statuses: NodeOrderStatus[],
  diffs: NodeBookDiff[],
  time = 6000,
): ObsL4Updates {
  return { time, height, order_statuses: statuses, book_diffs: diffs };
}

describe('L4 book: snapshot and L2 view', () => {
  it('loads a snapshot and reports L2 levels as OBS formats them', () => {
    const b = new L4Book('BTC');
    expect(
      b.loadSnapshot(
        snapshot(
          [
            order(1, 'B', '106217.0', '0.001'),
            order(2, 'B', '106217.0', '0.5'),
            order(3, 'B', '106215.0', '1.25'),
          ],
          [order(4, 'A', '106233.0', '0.26739'), order(5, 'A', '106258.0', '2')],
        ),
      ),
    ).toBe(L4Apply.Ok);
    expect(b.ready).toBe(true);
    expect(b.height).toBe(100);
    expect(b.size).toBe(5);
    expect(b.l2()).toEqual({
      coin: 'BTC',
      time: 5000,
      levels: [
        [
          { px: '106217', sz: '0.501', n: 2 },
          { px: '106215', sz: '1.25', n: 1 },
        ],
        [
          { px: '106233', sz: '0.26739', n: 1 },
          { px: '106258', sz: '2', n: 1 },
        ],
      ],
    });
    expect(b.l2({ nLevels: 1 }).levels).toEqual([
      [{ px: '106217', sz: '0.501', n: 2 }],
      [{ px: '106233', sz: '0.26739', n: 1 }],
    ]);
    expect(b.bestBid()).toBe(106217);
    expect(b.bestAsk()).toBe(106233);
    // It feeds the existing L2 Book.
    const book = new Book();
    expect(book.applyBook(b.l2())).toBe(Apply.Ok);
    expect(book.bestBid).toBe(106217);
    expect(book.bestAsk).toBe(106233);
  });

  it('buckets by nSigFigs / mantissa exactly as order_book_server (multi_book.rs test values)', () => {
    // setup_book: buys 4×100@34.01, 2×200@34.5, 1×300@34.6; sells 4×100@35, 2×200@35.1, 1×300@35.5.
    const b = new L4Book('X');
    let oid = 1;
    const mk = (n: number, sz: string, px: string, side: 'A' | 'B'): NodeOrder[] =>
      Array.from({ length: n }, () => ({ ...order(oid++, side, px, sz), coin: 'X' }));
    const bids = [...mk(1, '300', '34.6', 'B'), ...mk(2, '200', '34.5', 'B'), ...mk(4, '100', '34.01', 'B')];
    const asks = [...mk(4, '100', '35', 'A'), ...mk(2, '200', '35.1', 'A'), ...mk(1, '300', '35.5', 'A')];
    expect(b.loadSnapshot(snapshot(bids, asks, 1, 'X'))).toBe(L4Apply.Ok);
    expect(b.l2({ nLevels: 2, nSigFigs: 2, mantissa: 1 }).levels).toEqual([
      [{ px: '34', sz: '1100', n: 7 }],
      [
        { px: '35', sz: '400', n: 4 },
        { px: '36', sz: '700', n: 3 },
      ],
    ]);
    expect(b.l2({ nLevels: 2, nSigFigs: 3, mantissa: 5 }).levels).toEqual([
      [
        { px: '34.5', sz: '700', n: 3 },
        { px: '34', sz: '400', n: 4 },
      ],
      [
        { px: '35', sz: '400', n: 4 },
        { px: '35.5', sz: '700', n: 3 },
      ],
    ]);
  });

  it('counts the digits of a 15-digit price exactly when bucketing (log10 rounds 999999999999999 up)', () => {
    const b = new L4Book('BTC');
    b.loadSnapshot(
      snapshot([order(1, 'B', '9999999.99999999', '1')], [order(2, 'A', '10000000.00000001', '1')]),
    );
    expect(b.l2({ nSigFigs: 5 }).levels).toEqual([
      [{ px: '9999900', sz: '1', n: 1 }],
      [{ px: '10001000', sz: '1', n: 1 }],
    ]);
  });

  it('refuses a bad snapshot whole and keeps the held book', () => {
    const b = new L4Book('BTC');
    expect(b.loadSnapshot(snapshot([order(1, 'B', '10', '1')], [order(2, 'A', '11', '1')]))).toBe(L4Apply.Ok);
    const cases: [ObsL4Snapshot, string][] = [
      [snapshot([order(3, 'B', '10', '1'), order(4, 'B', '10.5', '1')], []), 'bad_snapshot'],
      [snapshot([order(3, 'B', '12', '1')], [order(4, 'A', '11', '1')]), 'crossed'],
      [snapshot([order(3, 'A', '10', '1')], []), 'bad_snapshot'],
      [snapshot([order(3, 'B', '10', '1'), order(3, 'B', '9', '1')], []), 'duplicate_oid'],
      [snapshot([order(3, 'B', '10.123456789', '1')], []), 'bad_number'],
      [snapshot([], [], 100, 'ETH'), 'bad_snapshot'],
    ];
    for (const [s, reason] of cases) {
      expect(b.loadSnapshot(s)).toBe(L4Apply.Invalid);
      expect(b.lastReason).toBe(reason);
    }
    expect(b.size).toBe(2);
    expect(b.bestBid()).toBe(10);
    expect(b.rejects.bad_snapshot).toBe(3);
    // An untriggered trigger order is not on a book: skipped.
    expect(b.loadSnapshot(snapshot([order(9, 'B', '10', '1', 1, { isTrigger: true })], []))).toBe(L4Apply.Ok);
    expect(b.size).toBe(0);
  });
});

describe('L4 book: blocks', () => {
  function base(): L4Book {
    const b = new L4Book('BTC');
    b.loadSnapshot(
      snapshot(
        [order(1, 'B', '100', '1', 10), order(2, 'B', '100', '2', 20), order(3, 'B', '99', '3', 30)],
        [order(4, 'A', '101', '1', 40), order(5, 'A', '102', '5', 50)],
      ),
    );
    return b;
  }

  it('applies new / update / remove, with flow per side and queue ahead', () => {
    const b = base();
    const o6 = order(6, 'B', '100', '0.5', 60);
    const o7 = order(7, 'A', '101', '4', 70);
    const u = updates(
      101,
      [status(o6), status(o7), status({ ...order(4, 'A', '101', '0'), user: U2 }, 'filled')],
      [
        diff(6, '100', { new: { sz: '0.5' } }),
        diff(2, '100', { update: { origSz: '2', newSz: '1.5' } }),
        diff(4, '101', 'remove'),
        diff(5, '102', 'remove'),
        diff(7, '101', { new: { sz: '4' } }),
      ],
    );
    expect(b.applyUpdates(u)).toBe(L4Apply.Ok);
    expect(b.height).toBe(101);
    expect(b.time).toBe(6000);
    expect(b.l2().levels).toEqual([
      [
        { px: '100', sz: '3', n: 3 },
        { px: '99', sz: '3', n: 1 },
      ],
      [{ px: '101', sz: '4', n: 1 }],
    ]);
    expect(b.flowOf(BID)).toEqual({
      added: 1,
      addedSz: 0.5,
      removed: 0,
      removedSz: 0,
      filled: 0,
      filledSz: 0,
      updated: 1,
      updatedSz: -0.5,
    });
    expect(b.flowOf(ASK)).toEqual({
      added: 1,
      addedSz: 4,
      removed: 2,
      removedSz: 6,
      filled: 1,
      filledSz: 1,
      updated: 0,
      updatedSz: 0,
    });
    expect(b.flow.rejected).toBe(0);
    expect(b.queueAheadOf(1)).toEqual({ n: 0, sz: 0 });
    expect(b.queueAheadOf(2)).toEqual({ n: 1, sz: 1 });
    expect(b.queueAheadOf(6)).toEqual({ n: 2, sz: 2.5 });
    expect(b.queueAheadOf(4)).toBeUndefined();
    // A hypothetical bid at 100 placed at t=25 has orders 1 (t10) and 2 (t20) ahead of it.
    expect(b.queueAheadAt(BID, 100, 25)).toEqual({ n: 2, sz: 2.5 });
    expect(b.queueAheadAt(BID, '100', 60)).toEqual({ n: 3, sz: 3 });
    expect(b.queueAheadAt(BID, 98, 60)).toEqual({ n: 0, sz: 0 });
    expect(b.ordersOf(BID).map((o) => o.oid)).toEqual([1, 2, 6, 3]);
    expect(b.order(7)).toEqual({ oid: 7, user: U1, side: 'A', px: 101, sz: 4, time: 70 });
  });

  it('a triggered order enters at its status time; IOC and untriggered statuses back no insert', () => {
    const b = base();
    const trig = order(8, 'B', '98', '1', 1, { isTrigger: true, tif: null });
    const ioc = order(9, 'B', '97', '1', 2, { tif: 'Ioc' });
    const r = b.applyUpdates(
      updates(
        101,
        [status(trig, 'triggered', '2026-06-02T10:00:00.123456'), status(ioc)],
        [diff(8, '98', { new: { sz: '1' } }), diff(9, '97', { new: { sz: '1' } })],
      ),
    );
    expect(r).toBe(L4Apply.Ok);
    expect(b.order(8)?.time).toBe(Date.UTC(2026, 5, 2, 10, 0, 0, 123));
    expect(b.order(9)).toBeUndefined();
    expect(b.rejects.no_status).toBe(1);
    expect(b.flow.rejected).toBe(1);
  });

  it("a new order goes in at its order's price and side (as OBS); a diff saying otherwise is counted", () => {
    const b = base();
    const o6 = order(6, 'B', '99.5', '1', 60);
    b.applyNodeBlock(
      {
        local_time: '2026-01-01T00:00:00',
        block_time: '2026-01-01T00:00:00',
        block_number: 101,
        events: [status(o6)],
      },
      {
        local_time: '2026-01-01T00:00:00',
        block_time: '2026-01-01T00:00:00',
        block_number: 101,
        events: [{ ...diff(6, '99.0', { new: { sz: '1' } }), side: 'Ask' }],
      },
    );
    expect(b.order(6)).toMatchObject({ side: 'B', px: 99.5 });
    expect(b.rejects.diff_mismatch).toBe(1);
    expect(b.flow.rejected).toBe(0);
  });

  it('insertBefore puts a new order ahead of the named one at its price', () => {
    const b = base();
    const o6 = order(6, 'B', '100', '0.5', 60);
    b.applyUpdates(updates(101, [status(o6)], [diff(6, '100', { new: { sz: '0.5', insertBefore: 2 } })]));
    expect(b.ordersOf(BID).map((o) => o.oid)).toEqual([1, 6, 2, 3]);
    expect(b.queueAheadOf(2)).toEqual({ n: 2, sz: 1.5 });
  });

  it('skips and counts impossible diffs; the rest of the block applies', () => {
    const b = base();
    const cross = order(10, 'B', '101', '1');
    const dup = order(1, 'B', '100', '1');
    const r = b.applyUpdates(
      updates(
        101,
        [status(cross), status(dup)],
        [
          diff(77, '100', 'remove'),
          diff(78, '100', { update: { origSz: '1', newSz: '0.5' } }),
          diff(10, '101', { new: { sz: '1' } }),
          diff(1, '100', { new: { sz: '1' } }),
          diff(79, '100', { new: { sz: '1' } }),
          diff(3, '99', { update: { origSz: '2', newSz: '2.5' } }),
          diff(5, '102', { update: { origSz: '5', newSz: '0.000000001' } }),
          diff(1, '100', 'remove'),
        ],
      ),
    );
    expect(r).toBe(L4Apply.Ok);
    expect(b.rejects).toMatchObject({
      unknown_oid: 2,
      crossed: 1,
      duplicate_oid: 1,
      no_status: 1,
      orig_sz_mismatch: 1,
      bad_number: 1,
    });
    expect(b.flow.rejected).toBe(6);
    expect(b.order(3)?.sz).toBe(2.5);
    expect(b.order(1)).toBeUndefined();
    expect(b.bestAsk()).toBe(101);
    expect(b.lastError).toContain('oid');
  });

  it('heights: stale blocks are ignored, a gap is reported with its range and stops the book until a snapshot', () => {
    const b = new L4Book('BTC');
    expect(b.applyUpdates(updates(5, [], []))).toBe(L4Apply.NotReady);
    b.loadSnapshot(snapshot([order(1, 'B', '100', '1')], [], 100));
    expect(b.applyUpdates(updates(100, [], [diff(1, '100', 'remove')]))).toBe(L4Apply.Stale);
    expect(b.size).toBe(1);
    expect(b.applyUpdates(updates(101, [], []))).toBe(L4Apply.Ok);
    expect(b.applyUpdates(updates(104, [], []))).toBe(L4Apply.Gap);
    expect([b.gapFrom, b.gapTo]).toEqual([102, 103]);
    expect(b.lastError).toContain('102-103');
    expect(b.ready).toBe(false);
    expect(b.applyUpdates(updates(102, [], []))).toBe(L4Apply.NotReady);
    expect(b.rejects).toMatchObject({ height_gap: 1, not_ready: 2 });
    b.loadSnapshot(snapshot([], [], 110));
    expect(b.applyUpdates(updates(111, [], []))).toBe(L4Apply.Ok);
  });

  it('applies the node by-block lines (real JTO status + diff lines, then a zero-size update)', () => {
    const STATUS =
      '{"local_time":"2026-06-02T10:00:00.854461191","block_time":"2026-06-02T09:59:59.398971110","block_number":1019927125,"events":[{"time":"2026-06-02T09:59:59.398971110","user":"0x31ca8395cf837de08b24da3f660e77761dfb974b","hash":null,"builder":null,"status":"open","order":{"coin":"JTO","side":"A","limitPx":"0.65313","sz":"1096.0","oid":452916385917,"timestamp":1780394399398,"triggerCondition":"N/A","isTrigger":false,"triggerPx":"0.0","children":[],"isPositionTpsl":false,"reduceOnly":false,"orderType":"Limit","origSz":"1096.0","tif":"Gtc","cloid":null}}]}';
    const DIFF =
      '{"local_time":"2026-06-02T10:00:00.854322306","block_time":"2026-06-02T09:59:59.398971110","block_number":1019927125,"events":[{"user":"0x31ca8395cf837de08b24da3f660e77761dfb974b","oid":452916385917,"coin":"JTO","side":"A","px":"0.65313","raw_book_diff":{"new":{"sz":"1096.0"}}}]}';
    const s = parseNodeBlockLine('node_order_statuses_by_block', STATUS);
    const d = parseNodeBlockLine('node_raw_book_diffs_by_block', DIFF);
    if (!s.ok || !d.ok) throw new Error('fixture lines do not parse');
    const b = new L4Book('JTO');
    b.loadSnapshot({ coin: 'JTO', time: 0, height: 1019927124, levels: [[], []] });
    expect(b.applyNodeBlock(s.value, d.value)).toBe(L4Apply.Ok);
    expect(b.time).toBe(Date.UTC(2026, 5, 2, 9, 59, 59, 398));
    expect(b.l2().levels).toEqual([[], [{ px: '0.65313', sz: '1096', n: 1 }]]);
    expect(b.order(452916385917)).toMatchObject({
      user: '0x31ca8395cf837de08b24da3f660e77761dfb974b',
      side: 'A',
      time: 1780394399398,
    });
    const zero = {
      ...d.value,
      block_number: 1019927126,
      events: [
        {
          ...(d.value.events[0] as NodeBookDiff),
          raw_book_diff: { update: { origSz: '1096.0', newSz: '0.0' } },
        },
      ],
    };
    expect(b.applyNodeBlock({ ...s.value, block_number: 1019927126, events: [] }, zero)).toBe(L4Apply.Ok);
    // As in OBS, the order stays (size 0) until its remove.
    expect(b.l2().levels[1]).toEqual([{ px: '0.65313', sz: '0', n: 1 }]);
    expect(b.applyNodeBlock({ ...s.value, block_number: 9, events: [] }, zero)).toBe(L4Apply.Invalid);
  });

  it('decimals: a book of 2 decimals refuses finer numbers; formatting trims like OBS', () => {
    const b = new L4Book('BTC', { decimals: 2 });
    expect(b.toUnits('1.50')).toBe(150);
    expect(b.toUnits('1.505')).toBeNaN();
    expect(b.toUnits('99999999999999999')).toBeNaN();
    expect(b.fmt(150)).toBe('1.5');
    expect(b.fmt(100)).toBe('1');
    expect(b.fmt(5)).toBe('0.05');
    expect(() => new L4Book('BTC', { decimals: 13 })).toThrow(RangeError);
    const b8 = new L4Book('BTC');
    for (const bad of ['', '1.', '.5', '1e5', '12a', '1.2.3', '-', '0.000000001', '1.5x'])
      expect(b8.toUnits(bad)).toBeNaN();
    expect(b8.toUnits('1.500000000000')).toBe(150_000_000);
    expect(b8.toUnits('-1.5')).toBe(-150_000_000);
    expect(b8.toUnits('0.00000001')).toBe(1);
    expect(b8.toUnits('90071992.54740991')).toBe(9007199254740991);
    expect(b8.toUnits('90071992.54740992')).toBeNaN();
  });

  it('toUnits agrees with exact BigInt arithmetic and inverts fmt (property)', () => {
    let exact = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }),
        fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.bigInt({ min: 0n, max: 10n ** 17n })),
        fc.integer({ min: 0, max: 11 }),
        fc.integer({ min: 0, max: 3 }),
        (decimals, mant, fracLen, trailing) => {
          const b = new L4Book('X', { decimals });
          const digits = mant.toString().padStart(fracLen + 1, '0');
          const cut = digits.length - fracLen;
          const str = `${digits.slice(0, cut)}${fracLen > 0 ? `.${digits.slice(cut)}` : ''}${fracLen > 0 ? '0'.repeat(trailing) : ''}`;
          // Exact: units = mant × 10^(decimals − fracLen) when that is an integer.
          let want: number;
          if (fracLen <= decimals) want = Number(mant * 10n ** BigInt(decimals - fracLen));
          else {
            const div = 10n ** BigInt(fracLen - decimals);
            want = mant % div === 0n ? Number(mant / div) : Number.NaN;
          }
          if (!Number.isSafeInteger(want)) want = Number.NaN;
          const got = b.toUnits(str);
          if (Number.isNaN(want)) {
            refused++;
            expect(got).toBeNaN();
          } else {
            exact++;
            expect(got).toBe(want);
            expect(b.toUnits(b.fmt(got))).toBe(got);
          }
        },
      ),
      { numRuns: 2000, seed: 8 },
    );
    console.log(`toUnits property: ${exact} exact, ${refused} refused`);
    expect(exact).toBeGreaterThan(400);
    expect(refused).toBeGreaterThan(200);
  });
});

describe('L4 books of several coins and the snapshot file', () => {
  it('a snapshot file coin loads into a book (users from the [user, order] pairs)', () => {
    const file: NodeL4FileSnapshot = [
      100,
      [
        ['BTC', [[[U1, order(1, 'B', '100', '1')]], [[U2, order(2, 'A', '101', '2')]]]],
        ['ETH', [[], []]],
      ],
    ];
    const snap = l4SnapshotFromFile(file, 'BTC', 777);
    if (snap === undefined) throw new Error('no BTC');
    const b = new L4Book('BTC');
    expect(b.loadSnapshot(snap)).toBe(L4Apply.Ok);
    expect(b.height).toBe(100);
    expect(b.time).toBe(777);
    expect(b.order(2)?.user).toBe(U2);
    // A checksummed (OBS) spelling is held in lowercase, as the node's files write it.
    const mixed = '0x7A146EE9d212816c31a0a93531e23d4359aade10';
    b.loadSnapshot(snapshot([{ ...order(3, 'B', '99', '1'), user: mixed }], []));
    expect(b.order(3)?.user).toBe(mixed.toLowerCase());
    expect(l4SnapshotFromFile(file, 'SOL')).toBeUndefined();
  });

  it('L4Books splits each node block by coin; every book advances, others are ignored', () => {
    const books = new L4Books(['BTC', 'ETH']);
    const btc = books.get('BTC') as L4Book;
    const eth = books.get('ETH') as L4Book;
    btc.loadSnapshot(snapshot([order(1, 'B', '100', '1')], [], 10));
    eth.loadSnapshot(snapshot([], [], 10, 'ETH'));
    const ethOrder = { ...order(5, 'A', '3000', '2'), coin: 'ETH' };
    const solOrder = { ...order(6, 'A', '150', '2'), coin: 'SOL' };
    const line = (events: unknown[]) => ({
      local_time: '2026-06-02T10:00:00.5',
      block_time: '2026-06-02T10:00:00.25',
      block_number: 11,
      events,
    });
    const statuses = line([status(ethOrder), status(solOrder)]) as NodeOrderStatusesBlock;
    const diffs = line([
      diff(1, '100', { update: { origSz: '1', newSz: '0.25' } }),
      { ...diff(5, '3000', { new: { sz: '2' } }), coin: 'ETH', side: 'Ask' },
      { ...diff(6, '150', { new: { sz: '2' } }), coin: 'SOL', side: 'A' },
    ]) as NodeBookDiffsBlock;
    expect(books.applyNodeBlock(statuses, diffs)).toBe(0);
    expect([btc.height, eth.height]).toEqual([11, 11]);
    expect(btc.time).toBe(Date.UTC(2026, 5, 2, 10, 0, 0, 250));
    expect(btc.order(1)?.sz).toBe(0.25);
    expect(eth.l2().levels).toEqual([[], [{ px: '3000', sz: '2', n: 1 }]]);
    expect(books.get('SOL')).toBeUndefined();
    // A block with nothing for ETH still advances it; a skipped height is refused by both.
    expect(
      books.applyNodeBlock(
        { ...statuses, block_number: 12, events: [] },
        { ...diffs, block_number: 12, events: [] },
      ),
    ).toBe(0);
    expect(eth.height).toBe(12);
    expect(
      books.applyNodeBlock(
        { ...statuses, block_number: 14, events: [] },
        { ...diffs, block_number: 14, events: [] },
      ),
    ).toBe(2);
    expect([btc.gapFrom, eth.gapTo]).toEqual([13, 13]);
    expect(books.applyNodeBlock({ ...statuses, block_number: 15 }, diffs)).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: random flows, L4 book vs a naive reference
// ---------------------------------------------------------------------------------------------

interface RefOrder {
  oid: number;
  user: string;
  side: 'A' | 'B';
  px: number; // units of 1e-8
  sz: number;
  time: number;
}

/** The naive model: one array in priority-insertion order; everything else recomputed by scanning. */
class RefBook {
  orders: RefOrder[] = [];
  find(oid: number): RefOrder | undefined {
    return this.orders.find((o) => o.oid === oid);
  }
  best(side: 'A' | 'B'): number | undefined {
    const ps = this.orders.filter((o) => o.side === side).map((o) => o.px);
    if (ps.length === 0) return undefined;
    return side === 'B' ? Math.max(...ps) : Math.min(...ps);
  }
  l2(side: 'A' | 'B'): { px: string; sz: string; n: number }[] {
    const byPx = new Map<number, { sz: number; n: number }>();
    for (const o of this.orders) {
      if (o.side !== side) continue;
      const e = byPx.get(o.px) ?? { sz: 0, n: 0 };
      e.sz += o.sz;
      e.n++;
      byPx.set(o.px, e);
    }
    const pxs = [...byPx.keys()].sort((a, b) => (side === 'B' ? b - a : a - b));
    return pxs.map((p) => {
      const e = byPx.get(p) as { sz: number; n: number };
      return { px: refFmt(p), sz: refFmt(e.sz), n: e.n };
    });
  }
  sideList(side: 'A' | 'B'): number[] {
    const pxs = [...new Set(this.orders.filter((o) => o.side === side).map((o) => o.px))].sort((a, b) =>
      side === 'B' ? b - a : a - b,
    );
    return pxs.flatMap((p) => this.orders.filter((o) => o.side === side && o.px === p).map((o) => o.oid));
  }
  ahead(oid: number): { n: number; sz: number } {
    const t = this.find(oid) as RefOrder;
    const same = this.orders.filter((o) => o.side === t.side && o.px === t.px);
    const i = same.indexOf(t);
    return { n: i, sz: same.slice(0, i).reduce((a, o) => a + o.sz, 0) / 1e8 };
  }
}

/** OBS `to_str` the way OBS does it: format with 8 decimals, trim zeros, trim dot. */
function refFmt(units: number): string {
  return (units / 1e8).toFixed(8).replace(/0+$/, '').replace(/\.$/, '');
}

type Op =
  | { k: 'add'; side: 'A' | 'B'; tick: number; lots: number; before: number | null }
  | { k: 'cross'; side: 'A' | 'B'; lots: number }
  | { k: 'cancel'; pick: number }
  | { k: 'partial'; pick: number; frac: number }
  | { k: 'fill'; pick: number }
  | { k: 'ghost'; pick: number }
  | { k: 'noStatus'; side: 'A' | 'B'; tick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant('add' as const),
      side: fc.constantFrom('A' as const, 'B' as const),
      tick: fc.integer({ min: 0, max: 12 }),
      lots: fc.integer({ min: 1, max: 5000 }),
      before: fc.option(fc.nat(50), { nil: null }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('cross' as const),
      side: fc.constantFrom('A' as const, 'B' as const),
      lots: fc.integer({ min: 1, max: 99 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('cancel' as const), pick: fc.nat(1000) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('partial' as const),
      pick: fc.nat(1000),
      frac: fc.integer({ min: 0, max: 99 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('fill' as const), pick: fc.nat(1000) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('ghost' as const), pick: fc.nat(1000) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('noStatus' as const),
      side: fc.constantFrom('A' as const, 'B' as const),
      tick: fc.integer({ min: 0, max: 12 }),
    }),
  },
);

type Flow8 = [number, number, number, number, number, number, number, number];

const TICK = 50_000_000; // 0.5 in units of 1e-8
const MID = 100 * 1e8;

describe('L4 book: property against a naive reference', () => {
  it('same L2 view, order lists, queue ahead and flow after every block, on both input paths', () => {
    const reach = {
      blocks: 0,
      adds: 0,
      insertBefore: 0,
      cancels: 0,
      partials: 0,
      fills: 0,
      crossRejected: 0,
      unknownRejected: 0,
      noStatusRejected: 0,
    };
    let seq = 0;
    fc.assert(
      fc.property(
        fc.array(fc.array(opArb, { minLength: 0, maxLength: 12 }), { minLength: 1, maxLength: 30 }),
        (blocks) => {
          const ref = new RefBook();
          const obs = new L4Book('BTC');
          const node = new L4Book('BTC');
          const snap = snapshot([], [], 1);
          obs.loadSnapshot(snap);
          node.loadSnapshot(snap);
          let height = 1;
          let nextOid = 1;
          for (const ops of blocks) {
            height++;
            const time = 1_700_000_000_000 + height * 1000;
            const statuses: NodeOrderStatus[] = [];
            const diffs: NodeBookDiff[] = [];
            const diffSides: ('A' | 'B')[] = [];
            // added, addedSz, removed, removedSz, filled, filledSz, updated, updatedSz (units)
            const expFlow: Record<'A' | 'B', Flow8> = {
              B: [0, 0, 0, 0, 0, 0, 0, 0],
              A: [0, 0, 0, 0, 0, 0, 0, 0],
            };
            let expRejected = 0;
            const live = (): RefOrder[] => ref.orders;
            for (const op of ops) {
              if (op.k === 'add' || op.k === 'cross' || op.k === 'noStatus') {
                const oid = nextOid++;
                const side = op.side;
                let px: number;
                if (op.k === 'cross') {
                  const opp = ref.best(side === 'B' ? 'A' : 'B');
                  if (opp === undefined) continue;
                  px = opp; // at the other side's best: locked, so refused
                } else {
                  // Bids from the mid down, asks from the mid + 1 tick up: only 'cross' can cross.
                  px = side === 'B' ? MID - op.tick * TICK : MID + (op.tick + 1) * TICK;
                }
                const lots = op.k === 'noStatus' ? 1 : op.lots;
                const szStr = (lots / 1000).toString();
                const sz = lots * 100_000;
                const o = { ...order(oid, side, refFmt(px), szStr, time + oid), user: U2 };
                if (op.k !== 'noStatus') statuses.push(status(o));
                let before: number | null = null;
                if (op.k === 'add' && op.before !== null) {
                  const same = live().filter((r) => r.side === side && r.px === px);
                  if (same.length > 0) before = (same[op.before % same.length] as RefOrder).oid;
                }
                diffs.push({
                  ...diff(oid, refFmt(px), {
                    new: before === null ? { sz: szStr } : { sz: szStr, insertBefore: before },
                  }),
                  user: U2,
                });
                diffSides.push(side);
                const opp = ref.best(side === 'B' ? 'A' : 'B');
                const crosses = opp !== undefined && (side === 'B' ? px >= opp : px <= opp);
                if (op.k === 'noStatus') {
                  reach.noStatusRejected++;
                  expRejected++;
                } else if (crosses) {
                  reach.crossRejected++;
                  expRejected++;
                } else {
                  const r: RefOrder = { oid, user: U2, side, px, sz, time: time + oid };
                  if (before === null) ref.orders.push(r);
                  else {
                    ref.orders.splice(
                      ref.orders.findIndex((x) => x.oid === before),
                      0,
                      r,
                    );
                    reach.insertBefore++;
                  }
                  reach.adds++;
                  const f = expFlow[side];
                  f[0]++;
                  f[1] += sz;
                }
                continue;
              }
              if (op.k === 'ghost') {
                diffs.push(
                  diff(
                    1_000_000 + op.pick,
                    '100',
                    op.pick % 2 === 0 ? 'remove' : { update: { origSz: '1', newSz: '2' } },
                  ),
                );
                diffSides.push('B');
                reach.unknownRejected++;
                expRejected++;
                continue;
              }
              if (live().length === 0) continue;
              const t = live()[op.pick % live().length] as RefOrder;
              const f = expFlow[t.side];
              if (op.k === 'cancel' || op.k === 'fill') {
                if (op.k === 'fill') {
                  statuses.push(
                    status({ ...order(t.oid, t.side, refFmt(t.px), '0'), user: t.user }, 'filled'),
                  );
                  f[4]++;
                  f[5] += t.sz;
                  reach.fills++;
                } else reach.cancels++;
                diffs.push(diff(t.oid, refFmt(t.px), 'remove'));
                diffSides.push(t.side);
                f[2]++;
                f[3] += t.sz;
                ref.orders.splice(ref.orders.indexOf(t), 1);
              } else {
                const newSz = Math.floor((t.sz * op.frac) / 100 / 100_000) * 100_000;
                diffs.push(
                  diff(t.oid, refFmt(t.px), { update: { origSz: refFmt(t.sz), newSz: refFmt(newSz) } }),
                );
                diffSides.push(t.side);
                f[6]++;
                f[7] += newSz - t.sz;
                t.sz = newSz;
                reach.partials++;
              }
            }
            // Path 1: an OBS Updates message (diffs without side). Path 2: the node's two lines
            // (diffs with side, spelled either way), ordered as written.
            expect(obs.applyUpdates(updates(height, statuses, diffs, time))).toBe(L4Apply.Ok);
            const naive = new Date(time)
              .toISOString()
              .replace('Z', '')
              .replace(/\.(\d{3})$/, '.$1000000');
            const nodeDiffs = diffs.map((d, i) => {
              const s = diffSides[i] as 'A' | 'B';
              return { ...d, side: d.oid % 2 === 0 ? s : s === 'B' ? ('Bid' as const) : ('Ask' as const) };
            });
            expect(
              node.applyNodeBlock(
                { local_time: naive, block_time: naive, block_number: height, events: statuses },
                { local_time: naive, block_time: naive, block_number: height, events: nodeDiffs },
              ),
            ).toBe(L4Apply.Ok);
            reach.blocks++;
            for (const b of [obs, node]) {
              expect(b.height).toBe(height);
              expect(b.time).toBe(time);
              expect(b.l2({ nLevels: Number.POSITIVE_INFINITY }).levels).toEqual([ref.l2('B'), ref.l2('A')]);
              expect(b.ordersOf(BID).map((o) => o.oid)).toEqual(ref.sideList('B'));
              expect(b.ordersOf(ASK).map((o) => o.oid)).toEqual(ref.sideList('A'));
              for (const r of ref.orders) expect(b.queueAheadOf(r.oid)).toEqual(ref.ahead(r.oid));
              expect(b.flow.rejected).toBe(expRejected);
              for (const [ix, s] of [
                [BID, 'B'],
                [ASK, 'A'],
              ] as [SideIx, 'A' | 'B'][]) {
                const f = ix === BID ? b.flow.bids : b.flow.asks;
                expect([
                  f.added,
                  f.addedSz,
                  f.removed,
                  f.removedSz,
                  f.filled,
                  f.filledSz,
                  f.updated,
                  f.updatedSz,
                ]).toEqual(expFlow[s]);
              }
              // The queue ahead of a hypothetical order: probe each level at a time in the middle.
              for (const r of ref.orders.slice(0, 5)) {
                const probe = r.time;
                const exp = ref.orders.filter((o) => o.side === r.side && o.px === r.px && o.time <= probe);
                expect(b.queueAheadAt(r.side === 'B' ? BID : ASK, refFmt(r.px), probe)).toEqual({
                  n: exp.length,
                  sz: exp.reduce((a, o) => a + o.sz, 0) / 1e8,
                });
              }
            }
            // The L2 view feeds the L2 Book whenever both sides are non-empty.
            if (obs.levelCount(BID) > 0 && obs.levelCount(ASK) > 0 && ref.orders.every((o) => o.sz > 0)) {
              const book = new Book();
              expect(book.applyBook(obs.l2())).toBe(Apply.Ok);
            }
          }
          seq++;
        },
      ),
      { numRuns: 150, seed: 1717 },
    );
    console.log(`l4book property: ${seq} runs`, JSON.stringify(reach));
    expect(reach.blocks).toBeGreaterThan(800);
    expect(reach.adds).toBeGreaterThan(1000);
    expect(reach.cancels).toBeGreaterThan(300);
    expect(reach.partials).toBeGreaterThan(200);
    expect(reach.fills).toBeGreaterThan(200);
    expect(reach.insertBefore).toBeGreaterThan(50);
    expect(reach.crossRejected).toBeGreaterThan(50);
    expect(reach.unknownRejected).toBeGreaterThan(50);
    expect(reach.noStatusRejected).toBeGreaterThan(50);
  });
});
