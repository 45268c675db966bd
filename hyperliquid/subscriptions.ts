/**
 * Subscription identity and venue limits (doc §1.3, §1.4, §1.7, §1.8): canonical keys, the channel
 * each subscription's pushes arrive on, matching of normalised echoes, and the venue's exact WS
 * error strings as builders (shared by the client and the simulator).
 */
import type { Subscription, SubscriptionEcho, SubscriptionType } from './ws-schemas.ts';
import type { DataChannel } from './parse.ts';

export type { Subscription, SubscriptionEcho, SubscriptionType } from './ws-schemas.ts';

// ---------------------------------------------------------------------------------------------
// Limits (per IP unless noted)
// ---------------------------------------------------------------------------------------------

/** Max subscriptions in total. */
export const MAX_SUBSCRIPTIONS = 1000;
/** Max unique users across user-specific subscriptions (docs say 10; NK 2026 uses 15: design for 10). */
export const MAX_UNIQUE_USERS = 10;
/** Max messages sent to the venue per minute, across all WS connections. */
export const MAX_MESSAGES_PER_MINUTE = 2000;
/** Max `post` requests in flight at once, across all connections. */
export const MAX_INFLIGHT_POSTS = 100;
/** Max simultaneous WS connections. */
export const MAX_WS_CONNECTIONS = 10;
/** Max new WS connections per minute. */
export const MAX_NEW_CONNECTIONS_PER_MINUTE = 30;
/** The server closes a connection it has sent nothing to for this long. */
export const IDLE_TIMEOUT_MS = 60_000;
/** Recommended ping interval and pong deadline (doc §1.6). */
export const PING_INTERVAL_MS = 30_000;
export const PONG_TIMEOUT_MS = 10_000;
/** REST weight budget per minute (shared by /info and /exchange). */
export const REST_WEIGHT_PER_MINUTE = 1200;
/** Max open orders by default (grows with volume up to 5000). */
export const DEFAULT_MAX_OPEN_ORDERS = 1000;

export const VENUE_LIMITS = {
  maxSubscriptions: MAX_SUBSCRIPTIONS,
  maxUniqueUsers: MAX_UNIQUE_USERS,
  maxMessagesPerMinute: MAX_MESSAGES_PER_MINUTE,
  maxInflightPosts: MAX_INFLIGHT_POSTS,
  maxWsConnections: MAX_WS_CONNECTIONS,
  maxNewConnectionsPerMinute: MAX_NEW_CONNECTIONS_PER_MINUTE,
  idleTimeoutMs: IDLE_TIMEOUT_MS,
  restWeightPerMinute: REST_WEIGHT_PER_MINUTE,
  defaultMaxOpenOrders: DEFAULT_MAX_OPEN_ORDERS,
} as const;

const INFO_WEIGHT_2 = new Set([
  'l2Book',
  'allMids',
  'clearinghouseState',
  'orderStatus',
  'spotClearinghouseState',
  'exchangeStatus',
]);
/** Per-item weighted info requests: extra weight per this many returned items. */
const INFO_PER_ITEMS: Record<string, number> = {
  recentTrades: 20,
  historicalOrders: 20,
  userFills: 20,
  userFillsByTime: 20,
  fundingHistory: 20,
  userFunding: 20,
  userNonFundingLedgerUpdates: 20,
  candleSnapshot: 60,
};

/**
 * REST weight of an info request (doc §1.8). `items` is the number of items returned, for the
 * request types whose weight grows with the response (one extra unit per 20 items, 60 for candles).
 */
export function infoRequestWeight(type: string, items = 0): number {
  if (INFO_WEIGHT_2.has(type)) return 2;
  if (type === 'userRole') return 60;
  const per = INFO_PER_ITEMS[type];
  return per === undefined ? 20 : 20 + Math.floor(items / per);
}

/** REST weight of an exchange action carrying `batchLength` orders/cancels: 1 + floor(n / 40). */
export function exchangeActionWeight(batchLength: number): number {
  return 1 + Math.floor(Math.max(0, batchLength) / 40);
}

// ---------------------------------------------------------------------------------------------
// Identity
// ---------------------------------------------------------------------------------------------

/** Optional fields of each subscription type, with the default the server fills in. */
const OPTION_DEFAULTS: Record<SubscriptionType, Record<string, unknown>> = {
  l2Book: { nSigFigs: null, mantissa: null, fast: false },
  bbo: {},
  trades: {},
  activeAssetCtx: {},
  allMids: { dex: '' },
  candle: {},
  orderUpdates: {},
  userFills: { aggregateByTime: false },
  userEvents: {},
  clearinghouseState: { dex: '' },
  openOrders: { dex: '' },
};
/** Identity fields of each type, in key order. */
const IDENTITY_FIELDS: Record<SubscriptionType, readonly string[]> = {
  l2Book: ['coin'],
  bbo: ['coin'],
  trades: ['coin'],
  activeAssetCtx: ['coin'],
  allMids: [],
  candle: ['coin', 'interval'],
  orderUpdates: ['user'],
  userFills: ['user'],
  userEvents: ['user'],
  clearinghouseState: ['user'],
  openOrders: ['user'],
};

function isDefault(type: SubscriptionType, field: string, v: unknown): boolean {
  if (v === undefined) return true;
  const defaults = OPTION_DEFAULTS[type];
  return field in defaults && defaults[field] === v;
}

function norm(field: string, v: unknown): unknown {
  return field === 'user' && typeof v === 'string' ? v.toLowerCase() : v;
}

/**
 * Canonical, stable key of a subscription: `type:identity…` then every non-default option in a fixed
 * order as `:name=value`, e.g. `l2Book:BTC`, `l2Book:BTC:nSigFigs=5:fast=true`, `candle:ETH:1m`,
 * `userEvents:0xabc…` (users lowercased), `allMids`.
 */
export function subscriptionKey(sub: Subscription): string {
  const rec: Readonly<Record<string, unknown>> = sub;
  let key: string = sub.type;
  for (const f of IDENTITY_FIELDS[sub.type]) key += `:${String(norm(f, rec[f]))}`;
  for (const f of Object.keys(OPTION_DEFAULTS[sub.type])) {
    const v = rec[f];
    if (!isDefault(sub.type, f, v)) key += `:${f}=${String(v)}`;
  }
  return key;
}

function isSpotCoin(coin: string): boolean {
  return coin.startsWith('@') || coin.includes('/');
}

/**
 * The channel a subscription's pushes arrive on: userEvents → `user`; activeAssetCtx on a spot coin
 * (`@107`, `PURR/USDC`) → `activeSpotAssetCtx`; otherwise the type itself.
 */
export function subscriptionChannel(sub: Subscription): DataChannel {
  switch (sub.type) {
    case 'userEvents':
      return 'user';
    case 'activeAssetCtx':
      return isSpotCoin(sub.coin) ? 'activeSpotAssetCtx' : 'activeAssetCtx';
    default:
      return sub.type;
  }
}

/** The user address a subscription counts against the unique-user limit, or undefined. */
export function userOf(sub: Subscription): string | undefined {
  return 'user' in sub ? sub.user.toLowerCase() : undefined;
}

/** True for subscriptions that carry a user (count toward MAX_UNIQUE_USERS). */
export function isUserSubscription(sub: Subscription): boolean {
  return 'user' in sub;
}

/**
 * Does the server's (normalised) echo acknowledge this request? Subset match as NK does, made
 * exact for the known options: every field of the request equals the echo's (a field at its default
 * equals a missing one, users compare case-insensitively), and every known option the echo sets to a
 * non-default value was requested. Unknown extra echo fields are ignored.
 */
export function matchesEcho(requested: Subscription, echoed: SubscriptionEcho | Subscription): boolean {
  if (echoed.type !== requested.type) return false;
  const type = requested.type;
  const req: Readonly<Record<string, unknown>> = requested;
  const echo: Readonly<Record<string, unknown>> = echoed;
  for (const f of IDENTITY_FIELDS[type]) {
    if (norm(f, req[f]) !== norm(f, echo[f])) return false;
  }
  for (const f of Object.keys(OPTION_DEFAULTS[type])) {
    const a = isDefault(type, f, req[f]) ? undefined : req[f];
    const b = isDefault(type, f, echo[f]) ? undefined : echo[f];
    if (a !== b) return false;
  }
  // Fields of the request that are neither identity nor known options (none today) must match too.
  for (const f of Object.keys(req)) {
    if (f === 'type' || IDENTITY_FIELDS[type].includes(f) || f in OPTION_DEFAULTS[type]) continue;
    if (req[f] !== undefined && req[f] !== echo[f]) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// WS error strings (doc §1.7), exactly as the venue sends them in {"channel":"error","data":…}
// ---------------------------------------------------------------------------------------------

export const tooManyUsersError = (limit: number = MAX_UNIQUE_USERS): string =>
  `Cannot track more than ${limit} total users.`;
export const tooManySubscriptionsError = (limit: number = MAX_SUBSCRIPTIONS): string =>
  `Cannot subscribe to more than ${limit} channels.`;
export const tooManyMessagesError = (limit: number = MAX_MESSAGES_PER_MINUTE): string =>
  `Cannot send more than ${limit} messages per minute.`;
export const tooManyPendingPostsError = (id: number): string => `too many pending post requests id=${id}`;
export const alreadySubscribedError = (sub: SubscriptionEcho | Subscription): string =>
  `Already subscribed: ${JSON.stringify(sub)}`;
export const alreadyUnsubscribedError = (sub: SubscriptionEcho | Subscription): string =>
  `Already unsubscribed: ${JSON.stringify(sub)}`;
/** Note: no colon after "subscription" in the public API's string (doc §1.7). */
export const invalidSubscriptionError = (sub: SubscriptionEcho | Subscription | unknown): string =>
  `Invalid subscription ${JSON.stringify(sub)}`;
/** `echo` is the offending request text as received. */
export const parseError = (echo: string): string =>
  `Error parsing JSON into valid websocket request: ${echo}`;

export type WsErrorKind =
  | 'tooManyUsers'
  | 'tooManySubscriptions'
  | 'tooManyMessages'
  | 'tooManyPendingPosts'
  | 'alreadySubscribed'
  | 'alreadyUnsubscribed'
  | 'invalidSubscription'
  | 'parseError'
  | 'other';

export interface ClassifiedWsError {
  kind: WsErrorKind;
  /** The echoed subscription (parsed JSON) for already/invalid subscription errors, when parseable. */
  subscription?: unknown;
  /** The post id for tooManyPendingPosts. */
  id?: number;
  text: string;
}

/** Classify an `error` channel string. Never throws. */
export function classifyWsError(text: string): ClassifiedWsError {
  const withSub = (kind: WsErrorKind, rest: string): ClassifiedWsError => {
    try {
      return { kind, subscription: JSON.parse(rest), text };
    } catch {
      return { kind, text };
    }
  };
  if (/^Cannot track more than \d+ total users\.$/.test(text)) return { kind: 'tooManyUsers', text };
  if (/^Cannot subscribe to more than \d+ channels\.$/.test(text))
    return { kind: 'tooManySubscriptions', text };
  if (/^Cannot send more than \d+ messages per minute\.$/.test(text))
    return { kind: 'tooManyMessages', text };
  const pending = /^too many pending post requests id=(\d+)$/.exec(text);
  if (pending) return { kind: 'tooManyPendingPosts', id: Number(pending[1]), text };
  if (text.startsWith('Already subscribed: ')) return withSub('alreadySubscribed', text.slice(20));
  if (text.startsWith('Already unsubscribed: ')) return withSub('alreadyUnsubscribed', text.slice(22));
  if (text.startsWith('Invalid subscription')) {
    return withSub('invalidSubscription', text.slice(20).replace(/^:?\s*/, ''));
  }
  if (text.startsWith('Error parsing JSON into valid websocket request')) return { kind: 'parseError', text };
  return { kind: 'other', text };
}
