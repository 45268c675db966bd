import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { healthMachine } from '../../machines/health.machine.ts';
import { FAST_BOOK } from '../../machines/health.types.ts';
import { StateBuilder } from '../../state/builder.ts';
import { blockStamp, HeightTracker, nodeTimeMs, tradesOfFills } from '../../state/heights.ts';
import { type TickEvent, IngestPipeline } from '../../state/pipeline.ts';
import { type JournalRecord, jsonBytes, RecordKind } from '../../state/records.ts';

const enc = new TextEncoder();
const FILLS = 'node_fills_by_block';
const BASE = Date.UTC(2025, 10, 25, 8);

function nodeIso(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '123456');
}

function nodeLine(height: number, blockMs = BASE + height * 100): Uint8Array {
  const t = nodeIso(blockMs);
  return enc.encode(`{"local_time":"${t}","block_time":"${t}","block_number":${height},"events":[]}`);
}

function book(coin: string, time: number, px = 100): Uint8Array {
  return jsonBytes({
    channel: 'l2Book',
    data: {
      coin,
      time,
      levels: [[{ px: String(px - 1), sz: '1', n: 1 }], [{ px: String(px + 1), sz: '1', n: 1 }]],
    },
  });
}

/** A journal written record by record, one sequence, as the inlet stamps it. */
function journal() {
  let seq = 0;
  const p = new IngestPipeline({ builder: new StateBuilder({ coins: ['BTC'] }), staleMs: 2_000 });
  const put = (r: Omit<JournalRecord, 'seq'>) => p.process({ ...r, seq: ++seq });
  return {
    p,
    feedFrame: (time: number, data: Uint8Array, epoch = 1) =>
      put({ time, epoch, kind: RecordKind.Frame, channel: 'l2Book', data }),
    feedConn: (time: number, type: string, epoch = 1) =>
      put({ time, epoch, kind: RecordKind.Conn, channel: type, data: jsonBytes({ type }) }),
    node: (time: number, height: number, blockMs?: number, channel = FILLS) =>
      put({
        time,
        epoch: 0,
        kind: RecordKind.Frame,
        channel,
        data: nodeLine(height, blockMs),
        source: 'node',
      }),
    nodeRaw: (time: number, data: Uint8Array) =>
      put({ time, epoch: 0, kind: RecordKind.Frame, channel: FILLS, data, source: 'node' }),
    book: (time: number, channel: string, value: unknown, epoch = 1) =>
      put({ time, epoch, kind: RecordKind.Frame, channel, data: jsonBytes(value), source: 'book' }),
    bookConn: (time: number, type: string, epoch: number, reason?: string) =>
      put({
        time,
        epoch,
        kind: RecordKind.Conn,
        channel: type,
        data: jsonBytes(reason ? { type, reason } : { type }),
        source: 'book',
      }),
    tick: (time: number) =>
      put({ time, epoch: 1, kind: RecordKind.Tick, channel: 'tick', data: jsonBytes({ cause: 'timer' }) }),
  };
}

const gaps = (events: TickEvent[]) =>
  events.filter((e) => e.type === 'GAP').map((e) => (e.type === 'GAP' ? `${e.key} | ${e.reason}` : ''));

describe('block heights as sequence', () => {
  it('a missing height is a gap reported with its range; a repeated one is a duplicate', () => {
    const h = new HeightTracker();
    expect(h.block('node', FILLS, 1000, BASE, 0)).toEqual({ keep: true, gap: null });
    const v = h.block('node', FILLS, 1004, BASE, 1);
    expect(v.keep).toBe(true);
    expect(v.gap).toMatchObject({ from: 1001, to: 1003, missing: 3 });
    expect(v.gap?.reason).toBe('heights 1001-1003 missing on node:node_fills_by_block');
    expect(h.block('node', FILLS, 1006, BASE, 2).gap?.reason).toBe(
      'height 1005 missing on node:node_fills_by_block',
    );
    expect(h.block('node', FILLS, 1006, BASE, 3)).toEqual({ keep: false, gap: null });
    expect(h.block('node', FILLS, 900, BASE, 3)).toEqual({ keep: false, gap: null });
    // each stream is its own sequence
    expect(h.block('node', 'node_order_statuses_by_block', 5, BASE, 4).gap).toBeNull();
    h.reset('node');
    expect(h.block('node', FILLS, 2000, BASE, 5).gap).toBeNull();
    expect(h.counters).toMatchObject({ blocks: 5, gaps: 2, missingHeights: 4, duplicates: 2 });
  });

  it('a source whose block time trails the freshest beyond the bound, or that goes silent, is stale', () => {
    const h = new HeightTracker({ staleMs: 1_000 });
    h.observe('feed', 10_000, 0, false);
    h.block('node', FILLS, 1, 9_500, 0);
    expect(h.stale(0)).toEqual([]);
    h.observe('feed', 11_000, 100, false);
    expect(h.stale(100)).toEqual([
      { source: 'node', reason: 'source node stale: block time 1500 ms behind feed (bound 1000 ms)' },
    ]);
    h.block('node', FILLS, 2, 10_900, 150);
    expect(h.stale(150)).toEqual([]);
    // the public feed (a reference) goes quiet: it is not judged here; the node going quiet is
    expect(h.stale(1_150)).toEqual([]);
    expect(h.stale(1_151)).toEqual([
      { source: 'node', reason: 'source node stale: nothing for 1001 ms (bound 1000 ms)' },
    ]);
    expect(h.counters.staleTransitions).toBe(2);
  });

  it('reads a by-block line’s height and block time from its head (node times are naive UTC, ns)', () => {
    expect(nodeTimeMs('2025-06-24T02:56:36.172847427')).toBeCloseTo(
      Date.UTC(2025, 5, 24, 2, 56, 36, 172) + 0.847427,
      6,
    );
    expect(nodeTimeMs('2025-06-24T02:56:36')).toBe(Date.UTC(2025, 5, 24, 2, 56, 36));
    expect(nodeTimeMs('yesterday')).toBeNaN();
    const real =
      '{"local_time":"2025-11-25T08:00:00.101","block_time":"2025-11-25T08:00:00.049","block_number":812345678,"events":[]}';
    expect(blockStamp(real)).toEqual({ height: 812345678, blockTime: BASE + 49 });
    expect(blockStamp('{"block_number":1.5}').height).toBeNaN();
    expect(blockStamp('{"block_number":"7"}').height).toBeNaN();
    const late = `{"events":[${'0,'.repeat(400)}0],"block_number":42}`;
    expect(blockStamp(late).height).toBe(42);
  });
});

describe('node and book sources in the ingest pipeline', () => {
  it('a skipped block on a node stream is a GAP with its range; the feed’s epoch is not disturbed', () => {
    const j = journal();
    j.feedConn(0, 'subscribed');
    j.node(1, 100);
    j.feedFrame(2, book('BTC', BASE));
    j.node(3, 101);
    j.node(4, 104);
    j.node(5, 104);
    expect(gaps(j.p.drainEvents())).toEqual([
      'node:node_fills_by_block | heights 102-103 missing on node:node_fills_by_block',
    ]);
    expect(j.p.counters).toMatchObject({ sourcedFrames: 4, dropped: 1, rejected: 0 });
    expect(j.p.gaps.counters.epochGaps).toBe(0);
  });

  it('a malformed node line is counted and never fatal, and the next height still checks', () => {
    const j = journal();
    j.node(1, 10);
    j.nodeRaw(2, enc.encode('{"local_time":"x","block_ti'));
    j.nodeRaw(3, new Uint8Array([0xff, 0xfe, 0x00]));
    j.node(4, 11);
    j.node(5, 13);
    expect(j.p.counters.rejectedByCode['node.malformed']).toBe(2);
    expect(j.p.counters.lastRejection).toMatch(/^record 3: node:node_fills_by_block: .*not JSON/);
    expect(gaps(j.p.drainEvents())).toEqual([
      'node:node_fills_by_block | height 12 missing on node:node_fills_by_block',
    ]);
  });

  it('order_book_server l4Book: a snapshot sets the base, updates follow (one per coin per block), a skip is a gap', () => {
    const j = journal();
    j.bookConn(0, 'subscribed', 1);
    j.book(1, 'l4Book', {
      channel: 'l4Book',
      data: { Snapshot: { coin: 'BTC', time: BASE, height: 50, levels: [[], []] } },
    });
    j.book(2, 'l4Book', {
      channel: 'l4Book',
      data: { Snapshot: { coin: 'ETH', time: BASE, height: 50, levels: [[], []] } },
    });
    const upd = (height: number) => ({
      channel: 'l4Book',
      data: { Updates: { time: BASE + height, height, order_statuses: [], book_diffs: [] } },
    });
    j.book(3, 'l4Book', upd(51));
    j.book(4, 'l4Book', upd(51));
    j.book(5, 'l4Book', upd(52));
    j.book(6, 'l4Book', upd(52));
    j.book(7, 'l4Book', upd(55));
    j.book(8, 'l4Book', { channel: 'l4Book', data: { Updates: { height: 'x' } } });
    expect(gaps(j.p.drainEvents())).toEqual(['book:l4Book | heights 53-54 missing on book:l4Book']);
    expect(j.p.counters.rejectedByCode['book.malformed']).toBe(1);
  });

  it('a journal whose first records are a further source’s: its epochs are still not the feed’s', () => {
    const j = journal();
    j.bookConn(0, 'connecting', 1);
    j.bookConn(1, 'closed', 1, 'refused');
    j.bookConn(2, 'connecting', 2);
    j.feedConn(3, 'connecting', 0);
    j.bookConn(4, 'closed', 2, 'refused');
    expect(gaps(j.p.drainEvents()).filter((g) => g.startsWith('* |'))).toEqual([]);
    expect(j.p.gaps.counters.epochGaps).toBe(0);
  });

  it('a book-server reconnect is a gap for its channels, not the feed’s connection loss; the new session is a new base', () => {
    const j = journal();
    j.feedConn(0, 'subscribed');
    j.bookConn(0, 'subscribed', 1);
    j.book(1, 'l4Book', {
      channel: 'l4Book',
      data: { Snapshot: { coin: 'BTC', time: BASE, height: 50, levels: [[], []] } },
    });
    j.p.drainEvents();
    j.bookConn(2, 'closed', 1, 'server went away');
    j.bookConn(3, 'connecting', 2);
    j.bookConn(4, 'subscribed', 2);
    j.book(5, 'l4Book', {
      channel: 'l4Book',
      data: { Snapshot: { coin: 'BTC', time: BASE, height: 90, levels: [[], []] } },
    });
    j.book(6, 'l4Book', {
      channel: 'l4Book',
      data: { Updates: { time: BASE, height: 91, order_statuses: [], book_diffs: [] } },
    });
    const events = j.p.drainEvents();
    expect(gaps(events)).toEqual(['book:* | book closed: server went away: a gap on its channels']);
    expect(events.some((e) => e.type === 'CONNECTION_LOST' || e.type === 'CONNECTION_LIVE')).toBe(false);
    expect(j.p.conn.connected).toBe(true);
    expect(j.p.gaps.counters.epochGaps).toBe(0);
  });

  it('height gaps and a stale node gate trading through the health machine, and it recovers after validation', () => {
    const j = journal();
    const health = createActor(healthMachine, {
      input: { channels: { 'l2Book:BTC': FAST_BOOK }, validationMs: 1_000 },
    });
    health.start();
    let last = 0;
    const status = () => health.getSnapshot().value;
    /** One 250 ms step: a public book, a node block (unless withheld), then a control tick. */
    let height = 0;
    let lastGaps: string[] = [];
    const step = (t: number, opts: { node?: boolean; skip?: number; nodeLagMs?: number } = {}) => {
      j.feedFrame(t, book('BTC', BASE + t));
      last = t;
      if (opts.node !== false) {
        height += 1 + (opts.skip ?? 0);
        j.node(t, height, BASE + t - (opts.nodeLagMs ?? 0));
      }
      j.tick(t);
      const events = j.p.drainEvents();
      lastGaps = gaps(events);
      for (const e of events) if (e.type !== 'WALLET_CLASS') health.send(e);
      health.send({ type: 'TICK', now: t, lastUpdate: { 'l2Book:BTC': last } });
    };
    j.feedConn(0, 'subscribed');
    for (let t = 0; t <= 1_500; t += 250) step(t);
    expect(status()).toBe('HEALTHY');
    // a skipped block: DEGRADED at once, HEALTHY again after the validation window
    step(1_750, { skip: 2 });
    expect(status()).toBe('DEGRADED');
    expect(health.getSnapshot().context.reason).toContain('heights');
    for (let t = 2_000; t <= 2_500; t += 250) step(t);
    expect(status()).toBe('DEGRADED');
    step(2_750);
    expect(status()).toBe('HEALTHY');
    step(3_000);
    // the node writer stalls: stale once nothing came for 2 s, and it stays gated while it stays stale
    let stalledAt = -1;
    for (let t = 3_250; t <= 8_000; t += 250) {
      step(t, { node: false });
      if (stalledAt < 0 && status() !== 'HEALTHY') stalledAt = t;
    }
    expect(stalledAt).toBe(5_250);
    expect(status()).toBe('DEGRADED');
    expect(health.getSnapshot().context.reason).toContain('source node stale: nothing for');
    // the writer is back, but its blocks trail the public feed by 3 s: still stale
    for (let t = 8_250; t <= 10_000; t += 250) step(t, { nodeLagMs: 3_000 });
    expect(status()).toBe('DEGRADED');
    expect(lastGaps).toEqual(['node:* | source node stale: block time 3000 ms behind feed (bound 2000 ms)']);
    // caught up: HEALTHY after the validation window
    for (let t = 10_250; t <= 10_750; t += 250) step(t);
    expect(status()).toBe('DEGRADED');
    step(11_000);
    expect(status()).toBe('HEALTHY');
    // counted per source for the summary: the skipped block, the stalled ticks, the lagging ticks
    expect(j.p.counters.sourceGaps).toEqual({ node: 1 + 12 + 8 });
    health.stop();
  });

  it('node fills become the venue’s trades (taker side, [buyer, seller]) and the public copy is deduplicated', () => {
    const buyer = `0x${'b'.repeat(40)}`;
    const seller = `0x${'5'.repeat(40)}`;
    const hash = `0x${'a'.repeat(64)}`;
    const fill = (side: 'B' | 'A', crossed: boolean, tid: number, time: number) => ({
      coin: 'BTC',
      px: '100.5',
      sz: '0.3',
      side,
      time,
      startPosition: '0',
      dir: side === 'B' ? 'Open Long' : 'Open Short',
      closedPnl: '0',
      hash,
      oid: tid * 10 + (side === 'B' ? 1 : 2),
      crossed,
      fee: '0.01',
      tid,
      feeToken: 'USDC',
      liquidation: null,
    });
    const t0 = BASE + 10_000;
    const events = [
      [buyer, fill('B', false, 7, t0)],
      [seller, fill('A', true, 7, t0)],
      [seller, fill('A', true, 8, t0)],
    ];
    const iso = nodeIso(t0);
    const line = enc.encode(JSON.stringify({ local_time: iso, block_time: iso, block_number: 5, events }));
    const j = journal();
    j.nodeRaw(1, line);
    expect(j.p.sources.counters).toMatchObject({ fillTrades: 1, unpairedFills: 1 });
    expect(j.p.counters.applied).toBe(1);
    expect(j.p.gaps.counters.tradesSeen).toBe(1);
    // the public feed's copy of the same trade comes later: deduplicated, not counted twice
    const pub = jsonBytes({
      channel: 'trades',
      data: [
        { coin: 'BTC', side: 'A', px: '100.5', sz: '0.3', time: t0, hash, tid: 7, users: [buyer, seller] },
      ],
    });
    j.feedFrame(2, pub);
    expect(j.p.gaps.counters.duplicateTrades).toBe(1);
    expect(j.p.counters.dropped).toBe(1);
    expect(j.p.counters.rejected).toBe(0);
    // the trade as the venue shows it
    expect(
      tradesOfFills([
        [buyer, { ...fill('B', false, 7, t0) }],
        [seller, { ...fill('A', true, 7, t0) }],
      ] as Parameters<typeof tradesOfFills>[0]).trades,
    ).toEqual([
      { coin: 'BTC', side: 'A', px: '100.5', sz: '0.3', time: t0, hash, tid: 7, users: [buyer, seller] },
    ]);
    // a line cut short (the writer's truncated last line) or failing the schema is unreadable: counted, and
    // its block counts as missing — the next height shows the hole
    j.p.drainEvents();
    j.nodeRaw(
      3,
      enc.encode(`{"local_time":"${iso}","block_time":"${iso}","block_number":6,"events":[[1,2]]}`),
    );
    j.nodeRaw(4, enc.encode(`{"local_time":"${iso}","block_time":"${iso}","block_number":7,"eve`));
    expect(j.p.counters.rejectedByCode['node.malformed']).toBe(2);
    expect(j.p.sources.heights.height('node', FILLS)).toBe(5);
    j.node(5, 8);
    expect(gaps(j.p.drainEvents())).toEqual([`node:${FILLS} | heights 6-7 missing on node:${FILLS}`]);
  });
});
