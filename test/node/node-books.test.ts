/**
 * The node's L4 book drives the hot-state book (issue 17, state/node-books.ts), through the ingest pipeline
 * exactly as live and replay run it:
 *  - from the simulator's order_book_server over loopback (l4Book snapshot + per-block updates): after every
 *    block the L4 book's L2 view equals the server's own l2Book of that block, and the hot-state book is it;
 *    the public l2Book of a driven coin is not applied; a skipped block and a lost connection take the books
 *    out of service (a GAP, the public book drives again) until the server's next snapshots;
 *  - from the simulator's node files (statuses + diffs paired by height) with L4 snapshots: a snapshot loads
 *    the books (catching up from the blocks held since), later ones check them, a skipped block breaks them
 *    until the next snapshot; after every block the hot book equals the simulator's own aggregate.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRingBuffer, RingConsumer, RingProducer } from '../../actors/feed/ring.ts';
import { Stamper } from '../../actors/feed/stamper.ts';
import { startBookServer } from '../../actors/node/book-server.ts';
import { startNodeTail } from '../../actors/node/tail.ts';
import { Engine, SIM_EPOCH } from '../../sim/engine.ts';
import { NodeSim, startNodeSim } from '../../sim/node/node-sim.ts';
import { obsBookOrderJson } from '../../sim/node/wire.ts';
import { StateBuilder } from '../../state/builder.ts';
import { ManualClock } from '../../state/clock.ts';
import { l4ConfigProblem, l4SourceOf } from '../../state/node-books.ts';
import { IngestPipeline } from '../../state/pipeline.ts';
import { bytesJson, type JournalRecord, jsonBytes, RecordKind } from '../../state/records.ts';

const TIMINGS = {
  connectTimeoutMs: 10_000,
  subscribeTimeoutMs: 15_000,
  pingAfterMs: 20_000,
  pongTimeoutMs: 10_000,
  receiveTimeoutMs: 45_000,
  stableAfterMs: 30_000,
  backoff: { baseMs: 500, maxMs: 30_000, minMs: 100 },
};

const dirs: string[] = [];
let nodeSim: NodeSim | null = null;
afterEach(async () => {
  await nodeSim?.close();
  nodeSim = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The `run.start` record a run with these node settings journals first (its config, as the pipeline reads it). */
function runStart(node: Record<string, unknown>, time: number): JournalRecord {
  return {
    seq: 0,
    time,
    epoch: 0,
    kind: RecordKind.Decision,
    channel: 'run.start',
    data: jsonBytes({ run: { config: { sources: ['public', 'node'], node } } }),
  };
}

/** The hot-state book of a coin as [px, sz] per level, best first. */
function hotLevels(b: StateBuilder, coin: string): [string[], string[]] {
  const book = b.coin(coin)!.book;
  const side = (s: { n: number; px: Float64Array; sz: Float64Array }) =>
    Array.from({ length: s.n }, (_, i) => `${s.sz[i]}@${s.px[i]}`);
  return [side(book.bids), side(book.asks)];
}

/** The same from a WsBook. */
function wsLevels(levels: readonly (readonly { px: string; sz: string }[])[]): [string[], string[]] {
  const side = (s: readonly { px: string; sz: string }[]) => s.map((l) => `${Number(l.sz)}@${Number(l.px)}`);
  return [side(levels[0] ?? []), side(levels[1] ?? [])];
}

/** The node's L4 snapshot file of the simulator's model now (`[height, [[coin, [bids, asks]]…]]`). */
function fileSnapshotOf(sim: NodeSim, coins: readonly string[], height: number): unknown {
  return [
    height,
    coins.map((coin) => {
      const m = sim.model.market(coin);
      const [bids, asks] = sim.model.orders(coin);
      const pairs = (os: typeof bids) =>
        os.map((o) => {
          const { user, ...order } = JSON.parse(
            obsBookOrderJson(o, m.formatPx(o.pxTicks), m.formatSz(o.lots)),
          );
          return [user, order];
        });
      return [coin, [pairs(bids), pairs(asks)]];
    }),
  ];
}

describe('which L4 input a run uses', () => {
  it('auto: the book server where set, else the files where they can be (dir, info server, both streams), else off', () => {
    const S = ['public', 'node'];
    expect(l4SourceOf(['public'], { bookServer: 'ws://x/ws' })).toBe('off');
    expect(l4SourceOf(S, { bookServer: 'ws://x/ws', dir: '/d', infoUrl: 'http://i/info' })).toBe('book');
    expect(l4SourceOf(S, { dir: '/d', infoUrl: 'http://i/info' })).toBe('files');
    expect(l4SourceOf(S, { dir: '/d' })).toBe('off');
    expect(l4SourceOf(S, { dir: '/d', infoUrl: 'http://i/info', streams: ['node_fills_by_block'] })).toBe(
      'off',
    );
    expect(l4SourceOf(S, { l4: 'files', bookServer: 'ws://x/ws', dir: '/d', infoUrl: 'http://i/info' })).toBe(
      'files',
    );
    expect(l4SourceOf(S, { l4: 'off', bookServer: 'ws://x/ws' })).toBe('off');
    expect(l4ConfigProblem(S, { l4: 'book' })).toMatch(/node.bookServer \(--book-server\) is not set/);
    expect(l4ConfigProblem(S, { l4: 'files', dir: '/d' })).toMatch(/node.infoUrl \(--node-info/);
    expect(l4ConfigProblem(S, { l4: 'auto' })).toBeNull();
  });
});

describe('the order_book_server l4Book drives the hot-state book', () => {
  it('after every block the L4 view equals the server’s l2Book and the hot book is it; a skipped block and a restart break it until the next snapshot', async () => {
    const engine = new Engine({ seed: 11, startTime: SIM_EPOCH });
    const clock = new ManualClock(SIM_EPOCH);
    nodeSim = await startNodeSim({ engine, clock });
    const sim = nodeSim;
    const coins = ['BTC', 'ETH'];
    const sab = createRingBuffer(1 << 24);
    const consumer = new RingConsumer(sab);
    const stamper = new Stamper({ clock, sink: new RingProducer(sab) });
    const src = startBookServer({
      url: sim.server!.url,
      coins,
      clock,
      inlet: stamper,
      timings: TIMINGS,
      seed: 3,
      activityGranularityMs: 0,
    });
    const builder = new StateBuilder({ coins });
    const p = new IngestPipeline({ builder });
    p.process(runStart({ bookServer: sim.server!.url, nLevels: 20, l4: 'auto' }, clock.now()));
    expect(p.nodeBooks?.from).toBe('book');
    const nb = p.nodeBooks!;
    const gaps: string[] = [];
    let compared = 0;
    let publicSent = 0;
    const mismatches: string[] = [];
    const read = () => {
      for (let r = consumer.readOne(); r !== null; r = consumer.readOne()) {
        const rec = { ...r };
        p.process(rec);
        if (rec.source === 'book' && rec.channel === 'l2Book') {
          // the server's own l2Book of this block: the L4 book of the coin must show the same levels
          const d = bytesJson<{
            data: { coin: string; time: number; levels: { px: string; sz: string }[][] };
          }>(rec.data).data;
          if (!nb.drives(d.coin)) continue;
          compared++;
          const mine = nb.l2(d.coin);
          if (JSON.stringify(mine.levels) !== JSON.stringify(d.levels))
            mismatches.push(
              `${d.coin} at ${d.time}: ${JSON.stringify(mine.levels[0]?.[0])} vs ${JSON.stringify(d.levels[0]?.[0])}`,
            );
          // and the hot-state book is the L4 view
          expect(hotLevels(builder, d.coin)).toEqual(wsLevels(d.levels));
          // the public feed's l2Book of a driven coin (through the same inlet) is not applied
          stamper.frame(
            jsonBytes({
              channel: 'l2Book',
              data: {
                coin: d.coin,
                time: d.time,
                levels: [[{ px: '1', sz: '1', n: 1 }], [{ px: '2', sz: '1', n: 1 }]],
              },
            }),
          );
          publicSent++;
        }
      }
      for (const e of p.drainEvents()) if (e.type === 'GAP') gaps.push(`${e.key} | ${e.reason}`);
    };
    const settle = async (cond: () => boolean, what: string) => {
      for (let i = 0; i < 200_000; i++) {
        read();
        if (cond()) return;
        if (src.actor.getSnapshot().value === 'backoff')
          clock.advance(src.actor.getSnapshot().context.backoffMs);
        await new Promise<void>((r) => setImmediate(r));
      }
      throw new Error(`timed out waiting for: ${what}`);
    };
    await settle(() => coins.every((c) => nb.drives(c)), 'both snapshots');
    /** One block; unless the server skips it, wait until its l2Book frames (the block's last) were compared. */
    const step = async (sent = true) => {
      const before = compared;
      engine.step();
      sim.onBlock();
      clock.advanceTo(Math.max(clock.now(), engine.time));
      if (sent) await settle(() => compared >= before + coins.length, 'the block compared');
    };
    const BLOCKS = 150;
    for (let i = 0; i < BLOCKS; i++) await step();
    await settle(() => compared >= BLOCKS * coins.length, 'every block compared');
    expect(mismatches).toEqual([]);
    expect(compared).toBe(BLOCKS * coins.length);
    expect(p.counters.l2Shadowed).toBe(publicSent);
    expect(publicSent).toBe(compared);
    expect(nb.counters.quietAdvances + nb.counters.blocks).toBeGreaterThan(0);
    expect(gaps).toEqual([]);
    console.log(
      `l4Book → hot book: ${compared} block×coin views equal the server's l2Book; ${nb.counters.blocks} updates, ${nb.counters.quietAdvances} quiet advances, ${p.counters.l2Shadowed} public l2Books shadowed`,
    );

    // a block the server never sends: a GAP per coin, the public book drives again
    sim.faults.skipBlock({ files: false });
    await step(false);
    await step(false);
    await settle(() => gaps.some((g) => g.startsWith('book:l4Book:BTC')), 'the books broken');
    const skipped = engine.height - 1;
    expect(gaps).toContain(`book:l4Book | height ${skipped} missing on book:l4Book`);
    expect(gaps.filter((g) => g.startsWith('book:l4Book:'))).toEqual(
      coins.map(
        (c) =>
          `book:l4Book:${c} | ${c}: height ${skipped} missing on book:l4Book: its L4 book waits for a new snapshot`,
      ),
    );
    expect(coins.some((c) => nb.drives(c))).toBe(false);
    const shadowedBefore = p.counters.l2Shadowed;
    stamper.frame(
      jsonBytes({
        channel: 'l2Book',
        data: {
          coin: 'BTC',
          time: engine.time + 1,
          levels: [[{ px: '1', sz: '1', n: 1 }], [{ px: '2', sz: '1', n: 1 }]],
        },
      }),
    );
    await settle(() => builder.coin('BTC')!.book.bestBid === 1, 'the public book applied');
    expect(p.counters.l2Shadowed).toBe(shadowedBefore);

    // the source saw the hole too and asked for new snapshots (unsubscribe, subscribe): whole again, no restart
    await settle(() => coins.every((c) => nb.drives(c)), 'whole again after the resync');
    expect(src.counters().l4Resyncs).toBe(1);
    const c1 = compared;
    for (let i = 0; i < 10; i++) await step();
    expect(compared).toBe(c1 + 10 * coins.length);
    expect(mismatches).toEqual([]);

    // the server restarts: new snapshots make the books whole again, and they drive once more
    const restarted = sim.faults.restartBookServer({ downMs: 1_000, notReadyMs: 0 });
    await settle(() => src.actor.getSnapshot().value === 'backoff', 'dropped');
    let listening = false;
    void restarted.then(() => {
      listening = true;
    });
    await settle(() => listening, 'listening again');
    await settle(() => coins.every((c) => nb.drives(c)), 'whole again');
    const c0 = compared;
    for (let i = 0; i < 10; i++) await step();
    await settle(() => compared >= c0 + 10 * coins.length, 'compared again');
    expect(mismatches).toEqual([]);
    expect(nb.counters.snapshots).toBe(6);
    expect(src.counters().l4Resyncs).toBe(1);
    src.stop();
  });
});

describe('the node files drive the hot-state book from L4 snapshots', () => {
  it('a snapshot loads the books (catching up), later ones check them; every block equals the simulator; a skipped block breaks them until the next snapshot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'node-books-'));
    dirs.push(dir);
    const coins = ['BTC', 'ETH', 'SOL'];
    const engine = new Engine({ seed: 5, startTime: SIM_EPOCH });
    const sim = new NodeSim(engine, dir);
    const clock = new ManualClock(engine.time);
    const builder = new StateBuilder({ coins });
    const p = new IngestPipeline({ builder });
    p.process(runStart({ dir, infoUrl: 'http://127.0.0.1:3001/info', nLevels: 20, l4: 'auto' }, clock.now()));
    expect(p.nodeBooks?.from).toBe('files');
    const nb = p.nodeBooks!;
    let seq = 0;
    const gaps: string[] = [];
    const expected = new Map<number, Map<string, [string[], string[]]>>();
    sim.onNodeBlock = (b) => {
      const byCoin = new Map<string, [string[], string[]]>();
      for (const coin of coins) {
        const m = sim.model.market(coin);
        const side = (s: 'B' | 'A') =>
          sim.model
            .levels(coin, s)
            .slice(0, 20)
            .map((l) => `${Number(m.formatSz(l.q))}@${Number(m.formatPx(l.p))}`);
        byCoin.set(coin, [side('B'), side('A')]);
      }
      expected.set(b.height, byCoin);
    };
    let compared = 0;
    const mismatches: string[] = [];
    const process = (r: Omit<JournalRecord, 'seq'>) => {
      p.process({ ...r, seq: ++seq });
      for (const e of p.drainEvents()) if (e.type === 'GAP') gaps.push(`${e.key} | ${e.reason}`);
      for (const coin of coins) {
        if (!nb.drives(coin)) continue;
        const want = expected.get(nb.book(coin)!.height)?.get(coin);
        if (want === undefined) continue;
        compared++;
        const got = hotLevels(builder, coin);
        if (JSON.stringify(got) !== JSON.stringify(want))
          mismatches.push(`${coin} @${nb.book(coin)!.height}`);
      }
    };
    startNodeTail({
      dir,
      clock,
      pollMs: 50,
      startAt: 'begin',
      streams: ['node_order_statuses_by_block', 'node_raw_book_diffs_by_block'],
      emit: (l) =>
        process({
          time: clock.now(),
          epoch: 0,
          kind: RecordKind.Frame,
          channel: l.stream,
          data: l.bytes,
          source: 'node',
        }),
    });
    const snapshot = (height: number) =>
      process({
        time: clock.now(),
        epoch: 0,
        kind: RecordKind.Frame,
        channel: 'l4Snapshot',
        data: jsonBytes(fileSnapshotOf(sim, coins, height)),
        source: 'node',
      });
    const step = (n = 1) => {
      for (let i = 0; i < n; i++) {
        engine.step();
        sim.onBlock();
        clock.advanceTo(engine.time);
      }
    };
    step(20);
    expect(coins.some((c) => nb.drives(c))).toBe(false);
    // a snapshot of the node at the last block while the tail has read up to it: loads as is
    snapshot(engine.height);
    expect(coins.every((c) => nb.drives(c))).toBe(true);
    expect(nb.counters.snapshots).toBe(3);
    step(100);
    // a later snapshot taken now but read after more blocks: a check at its height, through the held blocks
    const file = fileSnapshotOf(sim, coins, engine.height);
    step(10);
    process({
      time: clock.now(),
      epoch: 0,
      kind: RecordKind.Frame,
      channel: 'l4Snapshot',
      data: jsonBytes(file),
      source: 'node',
    });
    expect(nb.counters.checks).toBe(coins.length);
    expect(nb.counters.mismatches).toBe(0);
    expect(gaps).toEqual([]);
    // a skipped block: the books break (a GAP per coin) and the public book drives until the next snapshot
    sim.faults.skipBlock();
    step(5);
    expect(gaps.filter((g) => g.startsWith('node:l4Book:')).map((g) => g.split(' | ')[0])).toEqual(
      coins.map((c) => `node:l4Book:${c}`),
    );
    expect(coins.some((c) => nb.drives(c))).toBe(false);
    snapshot(engine.height);
    expect(coins.every((c) => nb.drives(c))).toBe(true);
    step(50);
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(150 * coins.length);
    console.log(
      `node files → hot book: ${compared} block×coin views equal the simulator's book; ${nb.counters.snapshots} snapshots loaded, ${nb.counters.checks} checks, ${nb.counters.unpaired} unpaired`,
    );
  });
});

const USER = '0x0000000000000000000000000000000000000001';
function order(coin: string, side: 'B' | 'A', px: string, sz: string, oid: number, timestamp = 1) {
  return {
    coin,
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
  };
}
const snap = (coin: string, height: number, bids: unknown[], asks: unknown[], time = 1_000 + height) => ({
  Snapshot: { coin, time, height, levels: [bids, asks] },
});
/** One block's updates for a coin: `new` orders (with their opening status) and `remove`s. */
function upd(
  height: number,
  adds: ReturnType<typeof order>[],
  removes: { coin: string; oid: number; px: string }[] = [],
) {
  return {
    Updates: {
      time: 1_000 + height,
      height,
      order_statuses: adds.map((o) => ({
        time: '2026-01-01T00:00:00.000',
        user: USER,
        status: 'open',
        order: o,
      })),
      book_diffs: [
        ...adds.map((o) => ({
          user: USER,
          oid: o.oid,
          px: o.limitPx,
          coin: o.coin,
          raw_book_diff: { new: { sz: o.sz } },
        })),
        ...removes.map((r) => ({ user: USER, oid: r.oid, px: r.px, coin: r.coin, raw_book_diff: 'remove' })),
      ],
    },
  };
}

describe('the L4 books on hand-made messages (each rule)', () => {
  it('book server: quiet coins advance with the stream, stale and out-of-order updates, malformed frames, the public book takes over', async () => {
    const { NodeBooks } = await import('../../state/node-books.ts');
    const nb = new NodeBooks(['BTC', 'ETH'], 'book');
    const reach: Record<string, number> = {};
    const seen = (k: string) => {
      reach[k] = (reach[k] ?? 0) + 1;
    };
    nb.obsL4(snap('BTC', 10, [order('BTC', 'B', '100', '1', 1)], [order('BTC', 'A', '101', '1', 2)]));
    expect(nb.publish).toEqual(['BTC']);
    nb.obsL4(snap('ETH', 11, [order('ETH', 'B', '10', '1', 3)], [order('ETH', 'A', '11', '2', 4)]));
    expect(nb.drives('BTC') && nb.drives('ETH')).toBe(true);
    // in flight before ETH's snapshot (height 11): ignored
    nb.obsL4(upd(11, [order('ETH', 'B', '10.5', '1', 5)]));
    expect(nb.counters.stale).toBe(1);
    seen('stale');
    // height 12: BTC only (BTC had nothing at 11: advanced over it); 13: ETH only (ETH advanced over 12)
    nb.obsL4(upd(12, [order('BTC', 'B', '100.5', '1', 6)]));
    expect(nb.publish).toEqual(['BTC']);
    nb.obsL4(upd(13, [order('ETH', 'A', '10.9', '1', 7)]));
    // the stream reached 13: ETH had nothing at 12 → it is as of 12 (no change), then applies 13
    expect(nb.book('ETH')!.height).toBe(13);
    expect(nb.book('BTC')!.height).toBe(12);
    nb.obsL4(upd(14, [order('ETH', 'A', '10.8', '1', 8)]));
    // BTC was quiet at 13: advanced to it, published again with block 13's time
    expect(nb.book('BTC')!.height).toBe(13);
    expect(nb.book('BTC')!.time).toBe(1_013);
    expect(nb.publish).toEqual(['BTC', 'ETH']);
    expect(nb.counters.quietAdvances).toBe(3);
    seen('quiet');
    expect(nb.l2('BTC').levels[0]).toEqual([
      { px: '100.5', sz: '1', n: 1 },
      { px: '100', sz: '1', n: 1 },
    ]);
    // an ETH update below its held height (14) but above its snapshot (11): out of order, in doubt
    nb.obsL4(upd(13, [order('ETH', 'B', '9', '1', 9)]));
    expect(nb.counters.outOfOrder).toBe(1);
    expect(nb.problems.map((p) => p.coin)).toEqual(['ETH']);
    expect(nb.problems[0]!.reason).toMatch(/height 13 after 14 \(out of order\)/);
    expect(nb.drives('ETH')).toBe(false);
    expect(nb.drives('BTC')).toBe(true);
    seen('outOfOrder');
    // later ETH updates wait for a snapshot
    nb.obsL4(upd(15, [order('ETH', 'B', '9', '1', 10)]));
    expect(nb.counters.notReady).toBe(1);
    // a frame that is neither: every book in doubt
    nb.obsL4({ Updates: { height: 'x' } });
    expect(nb.counters.malformed).toBe(1);
    expect(nb.problems.map((p) => p.coin)).toEqual(['BTC']);
    expect(nb.drives('BTC')).toBe(false);
    seen('malformed');
    // a new snapshot makes a coin whole again
    nb.obsL4(snap('ETH', 20, [order('ETH', 'B', '10', '1', 3)], [order('ETH', 'A', '11', '2', 4)]));
    expect(nb.drives('ETH')).toBe(true);
    // a snapshot that crosses is refused and the coin stays out
    nb.obsL4(snap('BTC', 21, [order('BTC', 'B', '102', '1', 1)], [order('BTC', 'A', '101', '1', 2)]));
    expect(nb.counters.snapshotsRefused).toBe(1);
    expect(nb.drives('BTC')).toBe(false);
    seen('refused');
    // a coin not traded here
    nb.obsL4(snap('SOL', 21, [], []));
    nb.obsL4(upd(22, [order('SOL', 'B', '1', '1', 11)]));
    expect(nb.counters.foreign).toBe(2);
    console.log(`book-server rules reached: ${JSON.stringify(reach)}`);
    expect(Object.keys(reach).sort()).toEqual(['malformed', 'outOfOrder', 'quiet', 'refused', 'stale']);
  });

  it('files: blocks pair by height (a one-sided height is dropped and the books see the hole); a snapshot ahead of the files is checked when they reach it; a differing one replaces the book', async () => {
    const { NodeBooks } = await import('../../state/node-books.ts');
    const nb = new NodeBooks(['BTC'], 'files');
    const t = (h: number) => `2026-01-01T00:00:${String(h % 60).padStart(2, '0')}.000`;
    const statuses = (h: number, adds: ReturnType<typeof order>[]) => ({
      local_time: t(h),
      block_time: t(h),
      block_number: h,
      events: adds.map((o) => ({ time: t(h), user: USER, status: 'open', order: o })),
    });
    const diffs = (h: number, adds: ReturnType<typeof order>[]) => ({
      local_time: t(h),
      block_time: t(h),
      block_number: h,
      events: adds.map((o) => ({
        user: USER,
        oid: o.oid,
        px: o.limitPx,
        coin: o.coin,
        side: o.side,
        raw_book_diff: { new: { sz: o.sz } },
      })),
    });
    const file = (h: number, bids: ReturnType<typeof order>[], asks: ReturnType<typeof order>[]) =>
      [h, [['BTC', [bids.map((o) => [USER, o]), asks.map((o) => [USER, o])]]]] as never;
    const b1 = order('BTC', 'B', '100', '1', 1);
    const a1 = order('BTC', 'A', '101', '1', 2);
    nb.statusesBlock(statuses(1, [b1]) as never);
    nb.diffsBlock(diffs(1, [b1]) as never);
    expect(nb.drives('BTC')).toBe(false);
    // the snapshot of height 1 (the held block 1 gives it its time)
    nb.fileSnapshot(file(1, [b1], []));
    expect(nb.drives('BTC')).toBe(true);
    expect(nb.book('BTC')!.time).toBe(Date.parse('2026-01-01T00:00:01Z'));
    // diffs first, then statuses: paired by height
    nb.diffsBlock(diffs(2, [a1]) as never);
    expect(nb.book('BTC')!.height).toBe(1);
    nb.statusesBlock(statuses(2, [a1]) as never);
    expect(nb.book('BTC')!.height).toBe(2);
    expect(nb.publish).toEqual(['BTC']);
    // a snapshot of height 4 while the files are at 2: held, checked when they reach 4 (it differs: replaced)
    const b2 = order('BTC', 'B', '99', '3', 3);
    nb.fileSnapshot(file(4, [b1, b2], [a1]));
    expect(nb.counters.checks).toBe(0);
    nb.statusesBlock(statuses(3, []) as never);
    nb.diffsBlock(diffs(3, []) as never);
    nb.statusesBlock(statuses(4, []) as never);
    nb.diffsBlock(diffs(4, []) as never);
    expect(nb.counters.checks).toBe(1);
    expect(nb.counters.mismatches).toBe(1);
    expect(nb.problems[0]!.reason).toMatch(
      /differs from the node's snapshot at height 4: bids: 1 orders, expected 2/,
    );
    expect(
      nb
        .book('BTC')!
        .ordersOf(0)
        .map((o) => o.oid),
    ).toEqual([1, 3]);
    expect(nb.drives('BTC')).toBe(true);
    // height 5 only in the statuses, 6 in both: 5 is dropped, the book sees the hole and waits
    nb.statusesBlock(statuses(5, []) as never);
    nb.statusesBlock(statuses(6, []) as never);
    nb.diffsBlock(diffs(6, []) as never);
    expect(nb.counters.unpaired).toBe(1);
    expect(nb.problems[0]!.reason).toMatch(/heights 5-5 missing|height 5/);
    expect(nb.drives('BTC')).toBe(false);
  });
});
