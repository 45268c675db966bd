/**
 * Client request parsing and subscription validation, with the venue's normalised echoes and
 * error strings (docs/hyperliquid-protocol.md §1.2–§1.7).
 */

export type MarketSubType = 'l2Book' | 'trades' | 'bbo' | 'activeAssetCtx' | 'allMids';
export const USER_SUB_TYPES = [
  'userFills',
  'orderUpdates',
  'userEvents',
  'userFundings',
  'userNonFundingLedgerUpdates',
  'notification',
  'webData3',
  'clearinghouseState',
  'openOrders',
  'twapStates',
  'userTwapSliceFills',
  'userTwapHistory',
  'activeAssetData',
] as const;
export type UserSubType = (typeof USER_SUB_TYPES)[number];

export interface Subscription {
  type: MarketSubType | UserSubType;
  coin?: string;
  user?: string;
  nSigFigs?: number | null;
  mantissa?: number | null;
  fast?: boolean;
  dex?: string;
  aggregateByTime?: boolean;
  /** The normalised echo as JSON text; also the subscription's identity. */
  key: string;
}

export type ClientRequest =
  | { kind: 'ping' }
  | { kind: 'subscribe' | 'unsubscribe'; sub: Subscription; echo: string }
  | { kind: 'invalid'; method: 'subscribe' | 'unsubscribe'; echo: string }
  | { kind: 'post'; id: number; request: unknown }
  | { kind: 'parseError'; echo: string };

export const ERR = {
  alreadySubscribed: (echo: string) => `Already subscribed: ${echo}`,
  invalidSubscription: (echo: string) => `Invalid subscription ${echo}`,
  alreadyUnsubscribed: (echo: string) => `Already unsubscribed: ${echo}`,
  parse: (echo: string) => `Error parsing JSON into valid websocket request: ${echo}`,
  users: (max: number) => `Cannot track more than ${max} total users.`,
  channels: (max: number) => `Cannot subscribe to more than ${max} channels.`,
  messages: (max: number) => `Cannot send more than ${max} messages per minute.`,
} as const;

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const MARKET_TYPES = new Set<string>(['l2Book', 'trades', 'bbo', 'activeAssetCtx', 'allMids']);
const USER_TYPES = new Set<string>(USER_SUB_TYPES);

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Parse one client text frame. `coins` are the coins the venue lists; a well-formed subscription
 * for another coin or with bad parameters is `invalid`, a malformed request is `parseError`.
 */
export function parseClientRequest(text: string, coins: ReadonlySet<string>): ClientRequest {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { kind: 'parseError', echo: text };
  }
  if (!isRecord(msg) || typeof msg.method !== 'string') return { kind: 'parseError', echo: text };
  if (msg.method === 'ping') return { kind: 'ping' };
  if (msg.method === 'post') {
    if (typeof msg.id !== 'number' || !Number.isInteger(msg.id) || !isRecord(msg.request)) {
      return { kind: 'parseError', echo: text };
    }
    return { kind: 'post', id: msg.id, request: msg.request };
  }
  if (msg.method !== 'subscribe' && msg.method !== 'unsubscribe') return { kind: 'parseError', echo: text };
  const method = msg.method;
  const s = msg.subscription;
  if (!isRecord(s) || typeof s.type !== 'string') return { kind: 'parseError', echo: text };
  const echo = JSON.stringify(s);
  const type = s.type;
  if (MARKET_TYPES.has(type)) {
    if (type === 'allMids') {
      if (s.dex !== undefined && typeof s.dex !== 'string') return { kind: 'parseError', echo: text };
      if (typeof s.dex === 'string' && s.dex !== '') return { kind: 'invalid', method, echo };
      const key = s.dex === undefined ? '{"type":"allMids"}' : `{"type":"allMids","dex":""}`;
      return { kind: method, sub: { type: 'allMids', key }, echo };
    }
    if (typeof s.coin !== 'string') return { kind: 'parseError', echo: text };
    const coin = s.coin;
    if (type === 'l2Book') {
      const nSig = s.nSigFigs ?? null;
      const mant = s.mantissa ?? null;
      const fast = s.fast ?? false;
      if ((nSig !== null && typeof nSig !== 'number') || (mant !== null && typeof mant !== 'number')) {
        return { kind: 'parseError', echo: text };
      }
      if (typeof fast !== 'boolean') return { kind: 'parseError', echo: text };
      if (!coins.has(coin)) return { kind: 'invalid', method, echo };
      if (nSig !== null && (!Number.isInteger(nSig) || nSig < 2 || nSig > 5))
        return { kind: 'invalid', method, echo };
      if (mant !== null && (nSig !== 5 || ![1, 2, 5].includes(mant)))
        return { kind: 'invalid', method, echo };
      const key =
        `{"type":"l2Book","coin":${JSON.stringify(coin)},"nSigFigs":${nSig === null ? 'null' : nSig},` +
        `"mantissa":${mant === null ? 'null' : mant},"fast":${fast}}`;
      return { kind: method, sub: { type: 'l2Book', coin, nSigFigs: nSig, mantissa: mant, fast, key }, echo };
    }
    if (!coins.has(coin)) return { kind: 'invalid', method, echo };
    const key = `{"type":"${type}","coin":${JSON.stringify(coin)}}`;
    return { kind: method, sub: { type: type as MarketSubType, coin, key }, echo };
  }
  if (USER_TYPES.has(type)) {
    if (typeof s.user !== 'string' || !ADDRESS.test(s.user)) return { kind: 'parseError', echo: text };
    const user = s.user.toLowerCase();
    let key = `{"type":"${type}","user":"${user}"`;
    const sub: Subscription = { type: type as UserSubType, user, key: '' };
    if (type === 'activeAssetData') {
      if (typeof s.coin !== 'string') return { kind: 'parseError', echo: text };
      if (!coins.has(s.coin)) return { kind: 'invalid', method, echo };
      sub.coin = s.coin;
      key += `,"coin":${JSON.stringify(s.coin)}`;
    }
    if (type === 'userFills' && s.aggregateByTime !== undefined) {
      if (typeof s.aggregateByTime !== 'boolean') return { kind: 'parseError', echo: text };
      sub.aggregateByTime = s.aggregateByTime;
      key += `,"aggregateByTime":${s.aggregateByTime}`;
    }
    sub.key = key + '}';
    return { kind: method, sub, echo };
  }
  // unknown subscription types (including the retired webData2) fail to deserialise
  return { kind: 'parseError', echo: text };
}
