import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  LimitError,
  matchesBySubset,
  parseControlFrame,
  SubscriptionRegistry,
  subscriptionKey,
  SlidingWindowLimiter,
} from '../../actors/feed/registry.ts';
import { ManualClock } from '../../state/clock.ts';
import { sniffChannel } from '../../state/records.ts';

const enc = new TextEncoder();
const control = (text: string) => {
  const b = enc.encode(text);
  return parseControlFrame(sniffChannel(b), b);
};

describe('control frames', () => {
  it('recognises subscriptionResponse, error and pong; ignores data frames and garbage', () => {
    const fixture = readFileSync(
      '/work/shared/fixtures/hyperliquid/ws/subscriptionResponse_l2Book_order_book_server_test.json',
    );
    expect(parseControlFrame(sniffChannel(fixture), fixture)).toEqual({
      kind: 'subscriptionResponse',
      method: 'subscribe',
      subscription: { type: 'l2Book', coin: 'BTC', nSigFigs: null, mantissa: null },
    });
    expect(control('{"channel":"pong"}')).toEqual({ kind: 'pong' });
    expect(
      control(
        '{"channel":"error","data":"Invalid subscription {\\"type\\":\\"l2Book\\",\\"coin\\":\\"NOPE\\"}"}',
      ),
    ).toEqual({
      kind: 'error',
      message: 'Invalid subscription {"type":"l2Book","coin":"NOPE"}',
      echo: { type: 'l2Book', coin: 'NOPE' },
    });
    expect(control('{"channel":"error","data":"Cannot track more than 10 total users."}')).toMatchObject({
      echo: null,
    });
    expect(control('{"channel":"trades","data":[]}')).toBeNull();
    expect(control('{"channel":"pong"')).toBeNull(); // truncated
    expect(control('Websocket connection established.')).toBeNull();
    expect(control('{"channel":"subscriptionResponse","data":42}')).toBeNull();
  });

  it('the parse-error echo carries the whole request: the subscription inside is what matches', () => {
    const f = control(
      '{"channel":"error","data":"Error parsing JSON into valid websocket request: {\\"method\\":\\"subscribe\\",\\"subscription\\":{\\"type\\":\\"webData2\\",\\"user\\":\\"0xabc\\"}}"}',
    );
    expect(f).toMatchObject({ kind: 'error', echo: { type: 'webData2', user: '0xabc' } });
  });
});

describe('subset matching', () => {
  it('every request field must equal the echo; the echo may add defaults', () => {
    const req = { type: 'l2Book', coin: 'BTC' };
    expect(
      matchesBySubset(req, { type: 'l2Book', coin: 'BTC', nSigFigs: null, mantissa: null, fast: false }),
    ).toBe(true);
    expect(matchesBySubset(req, { type: 'l2Book', coin: 'ETH', nSigFigs: null })).toBe(false);
    expect(matchesBySubset({ ...req, nSigFigs: 5 }, { type: 'l2Book', coin: 'BTC', nSigFigs: null })).toBe(
      false,
    );
    expect(matchesBySubset({ type: 'userFills', user: '0xABC' }, { type: 'userFills', user: '0xabc' })).toBe(
      true,
    );
  });

  it('keys are canonical (field order does not matter)', () => {
    expect(subscriptionKey({ type: 'trades', coin: 'BTC' })).toBe(
      subscriptionKey({ coin: 'BTC', type: 'trades' }),
    );
  });
});

describe('subscription registry', () => {
  const clock = () => new ManualClock(0);

  it('yields every subscribe message on each connect and matches normalised acks to the most specific request', () => {
    const r = new SubscriptionRegistry(clock());
    r.add({ type: 'l2Book', coin: 'BTC' });
    r.add({ type: 'l2Book', coin: 'BTC', nSigFigs: 5 });
    r.add({ type: 'trades', coin: 'BTC' });
    r.onConnect();
    const msgs = r.takeMessages().map((m) => JSON.parse(m));
    expect(msgs).toEqual([
      { method: 'subscribe', subscription: { type: 'l2Book', coin: 'BTC' } },
      { method: 'subscribe', subscription: { type: 'l2Book', coin: 'BTC', nSigFigs: 5 } },
      { method: 'subscribe', subscription: { type: 'trades', coin: 'BTC' } },
    ]);
    expect(r.settled()).toBe(false);
    const ack = (sub: object) =>
      r.handle({
        kind: 'subscriptionResponse',
        method: 'subscribe',
        subscription: sub as Record<string, unknown>,
      });
    expect(ack({ type: 'l2Book', coin: 'BTC', nSigFigs: 5, mantissa: null, fast: false })).toEqual({
      kind: 'subscribed',
      key: subscriptionKey({ type: 'l2Book', coin: 'BTC', nSigFigs: 5 }),
    });
    expect(ack({ type: 'l2Book', coin: 'BTC', nSigFigs: null, mantissa: null, fast: false })).toEqual({
      kind: 'subscribed',
      key: subscriptionKey({ type: 'l2Book', coin: 'BTC' }),
    });
    expect(r.settled()).toBe(false);
    ack({ type: 'trades', coin: 'BTC' });
    expect(r.settled()).toBe(true);
    expect(ack({ type: 'trades', coin: 'SOL' })).toMatchObject({ kind: 'unmatched' });
    // reconnect: everything again
    r.onConnect();
    expect(r.settled()).toBe(false);
    expect(r.takeMessages()).toHaveLength(3);
  });

  it('surfaces error frames per subscription: rejected vs already subscribed vs venue-wide', () => {
    const r = new SubscriptionRegistry(clock());
    r.add({ type: 'l2Book', coin: 'NOPE' });
    r.add({ type: 'trades', coin: 'BTC' });
    r.onConnect();
    r.takeMessages();
    const err = (text: string) => r.handle(control(JSON.stringify({ channel: 'error', data: text }))!);
    expect(err('Invalid subscription {"type":"l2Book","coin":"NOPE"}')).toEqual({
      kind: 'rejected',
      key: subscriptionKey({ type: 'l2Book', coin: 'NOPE' }),
      message: 'Invalid subscription {"type":"l2Book","coin":"NOPE"}',
    });
    expect(err('Already subscribed: {"type":"trades","coin":"BTC"}')).toMatchObject({
      kind: 'alreadySubscribed',
    });
    expect(r.settled()).toBe(true);
    expect(r.list().find((e) => e.sub.coin === 'NOPE')).toMatchObject({
      state: 'rejected',
      error: expect.stringContaining('Invalid'),
    });
    expect(err('Cannot send more than 2000 messages per minute.')).toEqual({
      kind: 'venueError',
      message: 'Cannot send more than 2000 messages per minute.',
    });
    expect(r.counters).toMatchObject({ rejected: 1, acks: 1, venueErrors: 1 });
  });

  it('enforces 1000 subscriptions and 10 unique users client-side, with a clear error', () => {
    const r = new SubscriptionRegistry(clock());
    for (let i = 0; i < 1000; i++) r.add({ type: 'trades', coin: `C${i}` });
    expect(() => r.add({ type: 'trades', coin: 'ONE_MORE' })).toThrow(LimitError);
    expect(() => r.add({ type: 'trades', coin: 'ONE_MORE' })).toThrow(/limit 1000/);
    r.add({ type: 'trades', coin: 'C0' }); // idempotent: not a new one

    const u = new SubscriptionRegistry(clock());
    for (let i = 0; i < 10; i++) u.add({ type: 'userFills', user: `0x${i}` });
    u.add({ type: 'orderUpdates', user: '0x3' }); // same user again: fine
    expect(() => u.add({ type: 'userFills', user: '0xnew' })).toThrow(/10 unique users/);
    u.remove({ type: 'userFills', user: '0x0' });
    u.add({ type: 'userFills', user: '0xnew' });
  });

  it('rate limit: never more than 2000 messages in any minute; the rest follow as tokens refill', () => {
    const c = clock();
    const r = new SubscriptionRegistry(c);
    for (let i = 0; i < 1000; i++) r.add({ type: 'trades', coin: `C${i}` });
    const sentAt: number[] = [];
    for (let conn = 0; conn < 5; conn++) {
      r.onConnect();
      for (let guard = 0; guard < 10_000 && r.hasUnsent(); guard++) {
        for (const _ of r.takeMessages()) sentAt.push(c.now());
        if (r.hasUnsent()) c.advance(r.msUntilNextSend());
      }
    }
    expect(sentAt).toHaveLength(5000);
    // sliding window check
    let lo = 0;
    for (let hi = 0; hi < sentAt.length; hi++) {
      while (sentAt[hi]! - sentAt[lo]! >= 60_000) lo++;
      expect(hi - lo + 1).toBeLessThanOrEqual(2000);
    }
    expect(r.counters.throttled).toBeGreaterThan(0);
  });

  it('the sliding window frees each slot exactly one window after its send, on the injected clock', () => {
    const c = clock();
    const b = new SlidingWindowLimiter(c, 2000, 60_000);
    expect(b.tryTake(1500)).toBe(true);
    c.advance(10_000);
    expect(b.tryTake(500)).toBe(true);
    expect(b.tryTake()).toBe(false);
    expect(b.msUntil(1)).toBe(50_000);
    c.advance(49_999);
    expect(b.tryTake()).toBe(false);
    c.advance(1);
    expect(b.available()).toBe(1500);
    expect(b.msUntil(1501)).toBe(10_000);
    c.advance(600_000);
    expect(b.available()).toBe(2000);
    expect(b.msUntil(2001)).toBe(Number.POSITIVE_INFINITY);
  });

  it('remove sends an unsubscribe only for what was sent; re-adding cancels a pending unsubscribe', () => {
    const r = new SubscriptionRegistry(clock());
    r.add({ type: 'trades', coin: 'BTC' });
    r.add({ type: 'trades', coin: 'ETH' });
    r.onConnect();
    r.takeMessages();
    expect(r.remove({ type: 'trades', coin: 'BTC' })).toBe(true);
    expect(r.remove({ type: 'trades', coin: 'BTC' })).toBe(false);
    expect(r.takeMessages().map((m) => JSON.parse(m))).toEqual([
      { method: 'unsubscribe', subscription: { type: 'trades', coin: 'BTC' } },
    ]);
    r.remove({ type: 'trades', coin: 'ETH' });
    r.add({ type: 'trades', coin: 'ETH' });
    expect(r.takeMessages().map((m) => JSON.parse(m).method)).toEqual(['subscribe']);
  });

  it('bad input never throws from handle()', () => {
    const r = new SubscriptionRegistry(clock());
    expect(() => r.add({} as never)).toThrow(TypeError);
    expect(r.handle({ kind: 'error', message: '', echo: null })).toMatchObject({ kind: 'venueError' });
    expect(r.handle({ kind: 'subscriptionResponse', method: 'unsubscribe', subscription: {} })).toMatchObject(
      {
        kind: 'unsubscribed',
      },
    );
  });
});
