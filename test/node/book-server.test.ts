/** The order_book_server source against a loopback WebSocket server that speaks its protocol (§6.3). */
import { afterEach, describe, expect, it } from 'vitest';
import { createRingBuffer, RingConsumer, RingProducer } from '../../actors/feed/ring.ts';
import { Stamper } from '../../actors/feed/stamper.ts';
import { bookServerSubscriptions, l4HeightOf, startBookServer } from '../../actors/node/book-server.ts';
import { Engine, SIM_EPOCH } from '../../sim/engine.ts';
import { type NodeSim, startNodeSim } from '../../sim/node/node-sim.ts';
import { StateBuilder } from '../../state/builder.ts';
import { ManualClock } from '../../state/clock.ts';
import { IngestPipeline } from '../../state/pipeline.ts';
import { bytesJson, type ConnEvent, type JournalRecord, jsonBytes, RecordKind } from '../../state/records.ts';
import { type LocalVenue, startLocalVenue, until } from '../feed/local-venue.ts';

const TIMINGS = {
  connectTimeoutMs: 10_000,
  subscribeTimeoutMs: 15_000,
  pingAfterMs: 20_000,
  pongTimeoutMs: 10_000,
  receiveTimeoutMs: 45_000,
  stableAfterMs: 30_000,
  backoff: { baseMs: 500, maxMs: 30_000, minMs: 100 },
};

let server: LocalVenue | null = null;
let nodeSim: NodeSim | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
  await nodeSim?.close();
  nodeSim = null;
});

/** order_book_server has no ping handler: it answers a ping with an error frame that echoes it. */
async function startBookServerLike(): Promise<LocalVenue> {
  const v = await startLocalVenue();
  v.answerPings = false;
  return v;
}

function rig(url: string) {
  const clock = new ManualClock(1_764_057_600_000);
  const sab = createRingBuffer(1 << 20);
  const consumer = new RingConsumer(sab);
  // the feed's stamper is the one inlet: the book server's records share its sequence and queue
  const stamper = new Stamper({ clock, sink: new RingProducer(sab) });
  stamper.setEpoch(7);
  const src = startBookServer({
    url,
    coins: ['BTC', 'ETH'],
    nLevels: 50,
    clock,
    inlet: stamper,
    timings: TIMINGS,
    seed: 3,
    activityGranularityMs: 0,
  });
  const records: JournalRecord[] = [];
  const read = () => {
    for (let r = consumer.readOne(); r !== null; r = consumer.readOne()) records.push({ ...r });
    return records;
  };
  const live = () => src.actor.getSnapshot().matches({ session: 'live' });
  return { clock, stamper, src, read, live };
}

const l4 = (data: unknown) => JSON.stringify({ channel: 'l4Book', data });

describe('order_book_server source', () => {
  it('subscribes l2Book (nLevels only when not the default 20), trades and l4Book per coin', () => {
    expect(bookServerSubscriptions(['BTC'])).toEqual([
      { type: 'l2Book', coin: 'BTC' },
      { type: 'trades', coin: 'BTC' },
      { type: 'l4Book', coin: 'BTC' },
    ]);
    expect(bookServerSubscriptions(['BTC'], 100)[0]).toEqual({ type: 'l2Book', coin: 'BTC', nLevels: 100 });
    expect(() => bookServerSubscriptions(['BTC'], 101)).toThrow(/nLevels 101: an integer from 1 to 100/);
  });

  it('reads an l4Book frame’s height from its head (Updates and Snapshot as the server serialises them), nothing else', () => {
    const enc = (t: string) => new TextEncoder().encode(t);
    expect(
      l4HeightOf(
        enc(
          l4({ Updates: { time: 1_700_000_000_000, height: 812_345, order_statuses: [], book_diffs: [] } }),
        ),
      ),
    ).toEqual({
      kind: 'updates',
      height: 812_345,
    });
    expect(l4HeightOf(enc(l4({ Snapshot: { coin: 'BTC', time: 1, height: 77, levels: [[], []] } })))).toEqual(
      {
        kind: 'snapshot',
        height: 77,
      },
    );
    expect(l4HeightOf(enc(l4({ Updates: { height: 5, time: 1 } })))).toEqual({
      kind: '',
      height: Number.NaN,
    });
    expect(l4HeightOf(enc('not json'))).toEqual({ kind: '', height: Number.NaN });
  });

  it('journals every frame and connection event tagged `book`, reconnects, resubscribes, and the loss is a gap', async () => {
    server = await startBookServerLike();
    const r = rig(server.url);
    const first = await server.connections(1);
    await server.messages(first, 'subscribe', 6);
    expect(first.received.map((m) => m.subscription)).toEqual([
      { type: 'l2Book', coin: 'BTC', nLevels: 50 },
      { type: 'trades', coin: 'BTC' },
      { type: 'l4Book', coin: 'BTC' },
      { type: 'l2Book', coin: 'ETH', nLevels: 50 },
      { type: 'trades', coin: 'ETH' },
      { type: 'l4Book', coin: 'ETH' },
    ]);
    await until(r.live, 'live');
    server.send(l4({ Snapshot: { coin: 'BTC', time: 1, height: 500, levels: [[], []] } }));
    server.send(l4({ Updates: { time: 2, height: 501, order_statuses: [], book_diffs: [] } }));
    server.send(l4({ Updates: { time: 3, height: 503, order_statuses: [], book_diffs: [] } }));
    await until(() => r.src.counters().frames === 6 + 3, 'frames');

    // silence: the client pings; the server's error echoing the ping proves it alive (no reconnect)
    r.clock.advance(20_000);
    await server.messages(first, 'ping', 1);
    server.send(
      JSON.stringify({
        channel: 'error',
        data: 'Error parsing JSON into valid websocket request: {"method":"ping"}',
      }),
    );
    await until(() => r.src.counters().socket.controlFrames === 7, 'ping echo');
    r.clock.advance(9_999);
    r.clock.advance(1);
    expect(r.live()).toBe(true);

    // the server restarts: reconnect after the backoff, every subscription again, a fresh snapshot
    first.ws.terminate();
    await until(() => r.src.actor.getSnapshot().value === 'backoff', 'backoff');
    r.clock.advance(r.src.actor.getSnapshot().context.backoffMs);
    const second = await server.connections(2);
    await server.messages(second, 'subscribe', 6);
    await until(r.live, 'live again');
    server.send(l4({ Snapshot: { coin: 'BTC', time: 4, height: 900, levels: [[], []] } }), second);
    server.send(l4({ Updates: { time: 5, height: 901, order_statuses: [], book_diffs: [] } }), second);
    await until(() => r.src.counters().frames === 6 + 3 + 1 + 6 + 2, 'frames again');
    r.src.stop();
    r.stamper.control(RecordKind.Tick, 'tick', jsonBytes({ cause: 'timer' }));

    const recs = r.read();
    // one sequence through the one inlet; every market record is the book server's
    expect(recs.map((x) => x.seq)).toEqual(recs.map((_, i) => i + 1));
    const market = recs.filter((x) => x.kind === RecordKind.Frame || x.kind === RecordKind.Conn);
    expect(market.every((x) => x.source === 'book')).toBe(true);
    expect(recs.at(-1)!.source).toBeUndefined();
    expect(recs.at(-1)!.epoch).toBe(7);
    const conns = market
      .filter((x) => x.kind === RecordKind.Conn)
      .map((x) => `${x.epoch}:${bytesJson<ConnEvent>(x.data).type}`);
    expect(conns.slice(0, 3)).toEqual(['1:connecting', '1:open', '1:subscribed']);
    expect(conns).toContain('1:closed');
    expect(conns).toContain('2:gap');
    expect(conns.filter((c) => c === '2:subscribed')).toHaveLength(6);
    const frames = market.filter((x) => x.kind === RecordKind.Frame);
    expect(frames.filter((x) => x.channel === 'l4Book').map((x) => x.epoch)).toEqual([1, 1, 1, 2, 2]);
    expect(r.src.counters().reconnects).toBe(1);

    // through the pipeline: the skipped block and the reconnect are gaps for the book's channels only;
    // the second session's snapshot is a new base (900 after 503 is no gap)
    const p = new IngestPipeline({ builder: new StateBuilder({ coins: ['BTC'] }) });
    for (const x of recs) p.process(x);
    const gaps = p
      .drainEvents()
      .map((e) => (e.type === 'GAP' ? `${e.key} | ${e.reason}` : e.type))
      .filter((g) => g.startsWith('book'));
    expect(gaps).toEqual([
      'book:l4Book | height 502 missing on book:l4Book',
      expect.stringMatching(/^book:\* \| book closed: .*a gap on its channels$/),
      'book:* | book: reconnect: epoch 2',
      'book:* | book closed: stopped by owner: a gap on its channels',
    ]);
    expect(p.counters.rejected).toBe(0);
    expect(p.conn.connected).toBe(false);
  });

  it('against the simulator’s order_book_server: a skipped block and a restart are gaps, the new snapshot a new base', async () => {
    const engine = new Engine({ seed: 4, startTime: SIM_EPOCH });
    const clock = new ManualClock(SIM_EPOCH);
    nodeSim = await startNodeSim({ engine, clock });
    const sim = nodeSim;
    const sab = createRingBuffer(1 << 22);
    const consumer = new RingConsumer(sab);
    const stamper = new Stamper({ clock, sink: new RingProducer(sab) });
    const src = startBookServer({
      url: sim.server!.url,
      coins: ['BTC'],
      clock,
      inlet: stamper,
      timings: TIMINGS,
      seed: 3,
      activityGranularityMs: 0,
    });
    const live = () => src.actor.getSnapshot().matches({ session: 'live' });
    const l4Heights = () => {
      const out: Array<number | string> = [];
      for (let r = consumer.readOne(); r !== null; r = consumer.readOne()) {
        records.push({ ...r });
      }
      for (const r of records) {
        if (r.kind !== RecordKind.Frame || r.channel !== 'l4Book') continue;
        const d = bytesJson<{ data: { Snapshot?: { height: number }; Updates?: { height: number } } }>(
          r.data,
        ).data;
        out.push(d.Snapshot ? `snapshot ${d.Snapshot.height}` : d.Updates!.height);
      }
      return out;
    };
    const records: JournalRecord[] = [];
    /** Yield to I/O; while the client waits out its backoff, let the clock run it out. */
    const settle = async (cond: () => boolean, what: string) => {
      for (let i = 0; i < 200_000; i++) {
        if (cond()) return;
        if (src.actor.getSnapshot().value === 'backoff')
          clock.advance(src.actor.getSnapshot().context.backoffMs);
        await new Promise<void>((r) => setImmediate(r));
      }
      throw new Error(`timed out waiting for: ${what}`);
    };
    await settle(live, 'live');
    await settle(() => l4Heights().length === 1, 'snapshot');
    const step = () => {
      engine.step();
      sim.onBlock();
    };
    for (let i = 0; i < 5; i++) step();
    sim.faults.skipBlock({ files: false });
    step();
    for (let i = 0; i < 3; i++) step();
    await settle(() => l4Heights().at(-1) === 9, 'height 9');
    // the source saw height 6 missing and asked for a new snapshot (unsubscribe, subscribe again)
    await settle(() => l4Heights().at(-1) === 'snapshot 9', 'the resync snapshot');
    expect(l4Heights()).toEqual(['snapshot 0', 1, 2, 3, 4, 5, 7, 8, 9, 'snapshot 9']);
    expect(src.counters().l4Resyncs).toBe(1);

    // the server restarts: down 2 s, then turning connections away until its snapshot is ready
    const restarted = sim.faults.restartBookServer({ downMs: 2_000, notReadyMs: 1_000 });
    await settle(() => src.actor.getSnapshot().value === 'backoff', 'dropped');
    step(); // blocks go on while it is down
    let listening = false;
    void restarted.then(() => {
      listening = true;
    });
    await settle(() => listening, 'the server listening again');
    await settle(live, 'live again');
    await settle(() => l4Heights().filter((h) => typeof h === 'string').length === 3, 'a new snapshot');
    step();
    await settle(() => l4Heights().at(-1) === 11, 'height 11');
    src.stop();
    const hs = l4Heights();
    expect(hs.slice(-2)).toEqual(['snapshot 10', 11]);
    expect(src.counters().reconnects).toBeGreaterThanOrEqual(1);

    const p = new IngestPipeline({ builder: new StateBuilder({ coins: ['BTC'] }) });
    for (const x of records) p.process(x);
    const gaps = p.drainEvents().flatMap((e) => (e.type === 'GAP' ? [`${e.key} | ${e.reason}`] : []));
    expect(gaps[0]).toBe('book:l4Book | height 6 missing on book:l4Book');
    expect(gaps[1]).toMatch(/^book:\* \| book closed: /);
    // after the restart no height gap: the new snapshot (10) is the base, 11 follows it
    expect(gaps.filter((g) => g.includes('missing'))).toHaveLength(1);
    expect(gaps.at(-1)).toBe('book:* | book closed: stopped by owner: a gap on its channels');
    expect(p.counters.rejected).toBe(0);
    // the book server's epochs are its own: never the feed's "every channel" epoch gap
    expect(gaps.filter((g) => g.startsWith('* |'))).toEqual([]);
    console.log(`book server vs simulator: ${records.length} records, gaps: ${gaps.join(' / ')}`);
  });
});
