import { afterEach, describe, expect, it } from 'vitest';
import { startFeed } from '../../actors/feed/connection.ts';
import { subscriptionKey } from '../../actors/feed/registry.ts';
import { createRingBuffer, RingConsumer, RingProducer } from '../../actors/feed/ring.ts';
import { ManualClock } from '../../state/clock.ts';
import { bytesJson, type ConnEvent, type JournalRecord, RecordKind } from '../../state/records.ts';
import { type LocalVenue, startLocalVenue, until } from './local-venue.ts';

const SUBS = [
  { type: 'l2Book', coin: 'BTC' },
  { type: 'trades', coin: 'BTC' },
  { type: 'bbo', coin: 'ETH' },
];
const TIMINGS = {
  connectTimeoutMs: 10_000,
  subscribeTimeoutMs: 15_000,
  pingAfterMs: 20_000,
  pongTimeoutMs: 10_000,
  receiveTimeoutMs: 45_000,
  stableAfterMs: 30_000,
  backoff: { baseMs: 500, maxMs: 30_000, minMs: 100 },
};

let venue: LocalVenue | null = null;
afterEach(async () => {
  await venue?.close();
  venue = null;
});

function rig(url: string, opts: { capacity?: number; overflowRecords?: number } = {}) {
  const clock = new ManualClock(1_750_000_000_000);
  const sab = createRingBuffer(opts.capacity ?? 1 << 20);
  const consumer = new RingConsumer(sab);
  const config: Parameters<typeof startFeed>[0]['config'] = {
    timings: TIMINGS,
    seed: 5,
    activityGranularityMs: 0,
  };
  if (opts.overflowRecords !== undefined) config.overflowRecords = opts.overflowRecords;
  const feed = startFeed({ url, subscriptions: SUBS, clock, producer: new RingProducer(sab), config });
  const records: JournalRecord[] = [];
  const read = () => {
    let r: JournalRecord | null;
    while ((r = consumer.readOne()) !== null) records.push(r);
    return records;
  };
  const conns = () =>
    read()
      .filter((r) => r.kind === RecordKind.Conn)
      .map((r) => ({ epoch: r.epoch, ...bytesJson<ConnEvent>(r.data) }));
  const live = () => feed.actor.getSnapshot().matches({ session: 'live' });
  return { clock, feed, consumer, read, conns, live };
}

describe('feed over a real loopback socket', () => {
  it('connects, subscribes everything, goes live, hands every frame on raw and in order', async () => {
    venue = await startLocalVenue();
    const r = rig(venue.url);
    const conn = await venue.connections(1);
    await venue.messages(conn, 'subscribe', 3);
    await until(r.live, 'live');
    const frames = Array.from({ length: 500 }, (_, i) =>
      i % 7 === 3 ? `garbage ${i} {` : `{"channel":"trades","data":[{"coin":"BTC","tid":${i}}]}`,
    );
    for (const f of frames) venue.send(f);
    await until(() => r.feed.counters().framesReceived === 500 + 3, 'frames');
    const recs = r.read();
    // the three acks come first, then the 500 frames, byte for byte
    const frameTexts = recs
      .filter((x) => x.kind === RecordKind.Frame)
      .map((x) => new TextDecoder().decode(x.data));
    expect(frameTexts.slice(3)).toEqual(frames);
    expect(r.conns().map((c) => c.type)).toEqual([
      'connecting',
      'open',
      'subscribed',
      'subscribed',
      'subscribed',
    ]);
    const seqs = recs.map((x) => x.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(new Set(recs.map((x) => x.epoch))).toEqual(new Set([1]));
    expect(recs.every((x) => x.time === r.clock.now())).toBe(true);
    r.feed.stop();
  });

  it('the connection actor never calls the wall clock: Date.now / setTimeout / setInterval spied for a whole run', async () => {
    venue = await startLocalVenue();
    const realNow = Date.now;
    const realSetTimeout = globalThis.setTimeout;
    const realSetInterval = globalThis.setInterval;
    const nowCallers: string[] = [];
    const timerCalls: string[] = [];
    Date.now = () => {
      nowCallers.push(new Error().stack ?? '');
      return realNow();
    };
    const throwing = (name: string) =>
      ((..._a: unknown[]) => {
        const stack = new Error().stack ?? '';
        timerCalls.push(`${name}: ${stack}`);
        throw new Error(`wall-clock ${name} called`);
      }) as never;
    globalThis.setTimeout = throwing('setTimeout');
    globalThis.setInterval = throwing('setInterval');
    let r: ReturnType<typeof rig> | null = null;
    try {
      r = rig(venue.url);
      const c1 = await venue.connections(1);
      await venue.messages(c1, 'subscribe', 3);
      await until(r.live, 'live');
      venue.send('{"channel":"l2Book","data":{"coin":"BTC","time":1}}');
      await until(() => r!.feed.counters().framesReceived === 4, 'frame');
      r.clock.advance(20_000); // silence: ping, the venue answers
      await venue.messages(c1, 'ping', 1);
      await until(() => r!.feed.counters().socket.controlFrames === 4, 'pong');
      c1.ws.terminate(); // abrupt close
      await until(() => r!.feed.actor.getSnapshot().value === 'backoff', 'backoff');
      r.clock.advance(r.feed.actor.getSnapshot().context.backoffMs);
      const c2 = await venue.connections(2);
      await venue.messages(c2, 'subscribe', 3);
      await until(r.live, 'live again');
      r.feed.stop();
    } finally {
      Date.now = realNow;
      globalThis.setTimeout = realSetTimeout;
      globalThis.setInterval = realSetInterval;
    }
    expect(timerCalls).toEqual([]);
    // XState's scheduler stamps `startedAt: Date.now()` on each delayed event (metadata for persisted
    // snapshots; the delay itself runs on the injected clock). Anything else reading it is a failure.
    const callerOf = (s: string) => s.split('\n')[2] ?? '';
    const foreign = nowCallers.filter(
      (s) => !/at Object\.schedule .*node_modules\/xstate\/dist\/raise-/.test(callerOf(s)),
    );
    expect(foreign).toEqual([]);
    expect(r!.conns().map((c) => `${c.epoch}:${c.type}`)).toEqual([
      '1:connecting',
      '1:open',
      '1:subscribed',
      '1:subscribed',
      '1:subscribed',
      '1:closed',
      '2:gap',
      '2:connecting',
      '2:open',
      '2:subscribed',
      '2:subscribed',
      '2:subscribed',
      '2:closed',
    ]);
  });

  it('a rejected subscription is surfaced per subscription and does not block going live', async () => {
    venue = await startLocalVenue();
    venue.rejectCoins.add('ETH');
    const r = rig(venue.url);
    await until(r.live, 'live');
    const err = r.conns().find((c) => c.type === 'error');
    expect(err).toMatchObject({
      key: subscriptionKey(SUBS[2]!),
      reason: expect.stringContaining('Invalid subscription'),
    });
    expect(r.feed.registry.counts()).toEqual({ pending: 0, sent: 0, active: 2, rejected: 1 });
    r.feed.stop();
  });

  it('runtime subscribe/unsubscribe go out at once while live and are resubscribed after a reconnect', async () => {
    venue = await startLocalVenue();
    const r = rig(venue.url);
    const c1 = await venue.connections(1);
    await until(r.live, 'live');
    r.feed.subscribe({ type: 'activeAssetCtx', coin: 'SOL' });
    r.feed.unsubscribe({ type: 'trades', coin: 'BTC' });
    await venue.messages(c1, 'unsubscribe', 1);
    await venue.messages(c1, 'subscribe', 4);
    c1.ws.terminate();
    await until(() => r.feed.actor.getSnapshot().value === 'backoff', 'backoff');
    r.clock.advance(r.feed.actor.getSnapshot().context.backoffMs);
    const c2 = await venue.connections(2);
    await venue.messages(c2, 'subscribe', 3);
    await until(r.live, 'live again');
    expect(c2.received.map((m) => (m.subscription as { type: string }).type).sort()).toEqual([
      'activeAssetCtx',
      'bbo',
      'l2Book',
    ]);
    r.feed.stop();
  });

  it('pong withheld: reconnects 10 s after the ping; receive timeout catches a silent socket', async () => {
    venue = await startLocalVenue();
    venue.answerPings = false;
    const r = rig(venue.url);
    const c1 = await venue.connections(1);
    await until(r.live, 'live');
    r.clock.advance(20_000);
    await venue.messages(c1, 'ping', 1);
    r.clock.advance(9_999);
    expect(r.live()).toBe(true);
    r.clock.advance(1);
    expect(r.feed.actor.getSnapshot().context.lastCause).toBe('pongOverdue');
    expect(r.conns().at(-1)).toMatchObject({
      type: 'closed',
      reason: expect.stringContaining('pong overdue'),
    });
    r.feed.stop();
  });

  it('connection refused: backs off and keeps retrying, each attempt a journaled closed event', async () => {
    venue = await startLocalVenue();
    const url = venue.url;
    await venue.close();
    venue = null;
    const r = rig(url);
    for (let i = 1; i <= 3; i++) {
      await until(() => r.feed.actor.getSnapshot().value === 'backoff', `backoff ${i}`);
      r.clock.advance(r.feed.actor.getSnapshot().context.backoffMs);
    }
    const closed = r.conns().filter((c) => c.type === 'closed');
    expect(closed.length).toBeGreaterThanOrEqual(3);
    expect(closed[0]!.reason).toMatch(/ECONNREFUSED|1006/);
    expect(r.feed.counters().reconnects).toBeGreaterThanOrEqual(3);
    r.feed.stop();
  });

  it('a full ring never blocks the socket: 20 000 frames through a 64 KiB ring with a slow reader, none lost', async () => {
    venue = await startLocalVenue();
    const r = rig(venue.url, { capacity: 64 * 1024 });
    await until(r.live, 'live');
    const before = r.feed.counters().framesReceived;
    for (let i = 0; i < 20_000; i++)
      venue.send(`{"channel":"trades","data":[{"coin":"BTC","tid":${i},"pad":"${'x'.repeat(i % 200)}"}]}`);
    await until(() => r.feed.counters().framesReceived === before + 20_000, 'all frames received');
    const c = r.feed.counters();
    expect(c.overflowed).toBeGreaterThan(0); // the ring filled: frames waited in the overflow queue
    expect(c.lost).toBe(0);
    // now the reader catches up; the queue drains itself as space frees
    await until(() => {
      r.read();
      return r.feed.counters().queued === 0 && r.consumer.isEmpty();
    }, 'drained');
    const tids = r
      .read()
      .filter((x) => x.kind === RecordKind.Frame && x.channel === 'trades')
      .map((x) => JSON.parse(new TextDecoder().decode(x.data)).data[0].tid);
    expect(tids).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
    r.feed.stop();
  });
});
