import { describe, expect, it } from 'vitest';
import { parseServerFrame } from '../../hyperliquid/parse.ts';
import {
  MAX_INFLIGHT_POSTS,
  MAX_MESSAGES_PER_MINUTE,
  MAX_SUBSCRIPTIONS,
  MAX_UNIQUE_USERS,
  alreadySubscribedError,
  alreadyUnsubscribedError,
  classifyWsError,
  exchangeActionWeight,
  infoRequestWeight,
  invalidSubscriptionError,
  matchesEcho,
  parseError,
  subscriptionChannel,
  subscriptionKey,
  tooManyMessagesError,
  tooManyPendingPostsError,
  tooManySubscriptionsError,
  tooManyUsersError,
  userOf,
  type Subscription,
} from '../../hyperliquid/subscriptions.ts';
import { classifyExchangeError, ORDER_ERRORS, unknownSignerError } from '../../hyperliquid/errors.ts';
import { fixtureText } from './fixtures.ts';

const USER = '0xCC0a3b6e3267c84361e91d8230868eea53431e4b';

describe('subscriptionKey', () => {
  it('canonical and stable', () => {
    expect(subscriptionKey({ type: 'l2Book', coin: 'BTC' })).toBe('l2Book:BTC');
    expect(
      subscriptionKey({ type: 'l2Book', coin: 'BTC', nSigFigs: null, mantissa: null, fast: false }),
    ).toBe('l2Book:BTC');
    expect(subscriptionKey({ type: 'l2Book', coin: 'BTC', fast: true, nSigFigs: 5 })).toBe(
      'l2Book:BTC:nSigFigs=5:fast=true',
    );
    expect(subscriptionKey({ type: 'candle', coin: 'ETH', interval: '1m' })).toBe('candle:ETH:1m');
    expect(subscriptionKey({ type: 'allMids' })).toBe('allMids');
    expect(subscriptionKey({ type: 'allMids', dex: 'xyz' })).toBe('allMids:dex=xyz');
    expect(subscriptionKey({ type: 'userEvents', user: USER })).toBe(`userEvents:${USER.toLowerCase()}`);
    expect(subscriptionKey({ type: 'userFills', user: USER, aggregateByTime: true })).toBe(
      `userFills:${USER.toLowerCase()}:aggregateByTime=true`,
    );
  });
});

describe('subscriptionChannel and userOf', () => {
  it('maps each subscription to the channel its pushes arrive on', () => {
    const cases: [Subscription, string][] = [
      [{ type: 'l2Book', coin: 'BTC' }, 'l2Book'],
      [{ type: 'bbo', coin: 'BTC' }, 'bbo'],
      [{ type: 'trades', coin: 'BTC' }, 'trades'],
      [{ type: 'activeAssetCtx', coin: 'BTC' }, 'activeAssetCtx'],
      [{ type: 'activeAssetCtx', coin: '@107' }, 'activeSpotAssetCtx'],
      [{ type: 'activeAssetCtx', coin: 'PURR/USDC' }, 'activeSpotAssetCtx'],
      [{ type: 'allMids' }, 'allMids'],
      [{ type: 'candle', coin: 'BTC', interval: '1h' }, 'candle'],
      [{ type: 'orderUpdates', user: USER }, 'orderUpdates'],
      [{ type: 'userFills', user: USER }, 'userFills'],
      [{ type: 'userEvents', user: USER }, 'user'],
      [{ type: 'clearinghouseState', user: USER }, 'clearinghouseState'],
      [{ type: 'openOrders', user: USER }, 'openOrders'],
    ];
    for (const [sub, ch] of cases) expect(subscriptionChannel(sub)).toBe(ch);
    expect(userOf({ type: 'userEvents', user: USER })).toBe(USER.toLowerCase());
    expect(userOf({ type: 'trades', coin: 'BTC' })).toBeUndefined();
  });
});

describe('matchesEcho', () => {
  it('matches the real normalised echo (nSigFigs:null, mantissa:null) and the 2026 fast:false', () => {
    const r = parseServerFrame(fixtureText('ws/subscriptionResponse_l2Book_order_book_server_test.json'));
    if (!r.ok || r.frame.channel !== 'subscriptionResponse') throw new Error('fixture');
    const echo = r.frame.data.subscription;
    expect(matchesEcho({ type: 'l2Book', coin: 'BTC' }, echo)).toBe(true);
    expect(matchesEcho({ type: 'l2Book', coin: 'BTC', fast: false }, echo)).toBe(true);
    expect(matchesEcho({ type: 'l2Book', coin: 'BTC' }, { ...echo, fast: false, newField: 1 })).toBe(true);
    expect(matchesEcho({ type: 'l2Book', coin: 'ETH' }, echo)).toBe(false);
    expect(matchesEcho({ type: 'l2Book', coin: 'BTC', fast: true }, echo)).toBe(false);
    expect(matchesEcho({ type: 'l2Book', coin: 'BTC' }, { ...echo, nSigFigs: 5 })).toBe(false);
    expect(matchesEcho({ type: 'trades', coin: 'BTC' }, echo)).toBe(false);
  });
  it('users compare case-insensitively', () => {
    expect(
      matchesEcho({ type: 'userEvents', user: USER }, { type: 'userEvents', user: USER.toLowerCase() }),
    ).toBe(true);
  });
});

describe('limits and weights', () => {
  it('venue limits', () => {
    expect([MAX_SUBSCRIPTIONS, MAX_UNIQUE_USERS, MAX_MESSAGES_PER_MINUTE, MAX_INFLIGHT_POSTS]).toEqual([
      1000, 10, 2000, 100,
    ]);
    expect(infoRequestWeight('l2Book')).toBe(2);
    expect(infoRequestWeight('meta')).toBe(20);
    expect(infoRequestWeight('userRole')).toBe(60);
    expect(infoRequestWeight('userFills', 45)).toBe(22);
    expect(infoRequestWeight('candleSnapshot', 130)).toBe(22);
    expect(exchangeActionWeight(1)).toBe(1);
    expect(exchangeActionWeight(40)).toBe(2);
  });
});

describe('WS error strings (doc §1.7)', () => {
  it('builders produce the exact venue strings, and classify() reads them back', () => {
    const sub = { type: 'trades', coin: 'SOL' };
    const cases: [string, string, string][] = [
      [tooManyUsersError(), 'Cannot track more than 10 total users.', 'tooManyUsers'],
      [tooManySubscriptionsError(), 'Cannot subscribe to more than 1000 channels.', 'tooManySubscriptions'],
      [tooManyMessagesError(), 'Cannot send more than 2000 messages per minute.', 'tooManyMessages'],
      [tooManyPendingPostsError(1234), 'too many pending post requests id=1234', 'tooManyPendingPosts'],
      [
        alreadySubscribedError(sub),
        'Already subscribed: {"type":"trades","coin":"SOL"}',
        'alreadySubscribed',
      ],
      [
        alreadyUnsubscribedError(sub),
        'Already unsubscribed: {"type":"trades","coin":"SOL"}',
        'alreadyUnsubscribed',
      ],
      [
        invalidSubscriptionError(sub),
        'Invalid subscription {"type":"trades","coin":"SOL"}',
        'invalidSubscription',
      ],
      [
        parseError('{"method":"x"}'),
        'Error parsing JSON into valid websocket request: {"method":"x"}',
        'parseError',
      ],
    ];
    for (const [built, exact, kind] of cases) {
      expect(built).toBe(exact);
      expect(classifyWsError(built).kind).toBe(kind);
    }
    expect(classifyWsError(tooManyPendingPostsError(77)).id).toBe(77);
    expect(classifyWsError(alreadySubscribedError(sub)).subscription).toEqual(sub);
    expect(classifyWsError('Invalid subscription: {bad').kind).toBe('invalidSubscription');
    expect(classifyWsError('something new').kind).toBe('other');
  });
  it('exchange error strings', () => {
    expect(classifyExchangeError(ORDER_ERRORS.tick)).toBe('tick');
    expect(classifyExchangeError('Order must have minimum value of $10.')).toBe('minTradeNtl');
    expect(classifyExchangeError(unknownSignerError('0x14791697260e4c9a71f18484c9f997b308e59325'))).toBe(
      'unknownSigner',
    );
    expect(classifyExchangeError('Post only order would have immediately matched, bbo was 1@2.')).toBe(
      'badAloPx',
    );
    expect(classifyExchangeError('???')).toBe('other');
  });
});
