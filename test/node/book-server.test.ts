/** The order_book_server source against a loopback WebSocket server that speaks its protocol (§6.3). */
import { afterEach, describe, expect, it } from 'vitest';
import { createRingBuffer, RingConsumer, RingProducer } from '../../actors/feed/ring.ts';
import { Stamper } from '../../actors/feed/stamper.ts';
import { bookServerSubscriptions, startBookServer } from '../../actors/node/book-server.ts';
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
afterEach(async () => {
  await server?.close();
  server = null;
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
});
