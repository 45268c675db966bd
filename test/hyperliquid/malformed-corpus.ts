/**
 * The malformed-frame corpus: real fixtures broken one way each, with the error every one must produce.
 * Shared by malformed.test.ts (every entry) and hot-validate.test.ts (the hot-channel entries).
 */
import type { ParseErrorCode } from '../../hyperliquid/parse.ts';
import { fixtureText } from './fixtures.ts';

export const BOOK = fixtureText('ws/l2Book_BTC_1751427259657.json');
export const TRADES = fixtureText('ws/trades_BTC_1751430933565.json');
export const USER = fixtureText('ws/user_fill_liquidation_nautilus.json');

export function mutate(text: string, f: (o: any) => void): string {
  const o = JSON.parse(text);
  f(o);
  return JSON.stringify(o);
}

/** [name, input, expected code, expected channel, exact message or a substring it must contain] */
export const CORPUS: [string, string | Uint8Array, ParseErrorCode, string | undefined, string][] = [
  [
    'plain-text hello',
    'Websocket connection established.',
    'not_json',
    undefined,
    'not JSON: "Websocket connection established."',
  ],
  ['empty string', '', 'not_json', undefined, 'not JSON'],
  ['truncated JSON', BOOK.slice(0, 200), 'not_json', undefined, 'not JSON'],
  ['invalid UTF-8 bytes', Uint8Array.of(0xff, 0xfe, 0x7b), 'not_json', undefined, 'not JSON: "<3 bytes>"'],
  ['JSON array', '[1,2,3]', 'not_object', undefined, 'frame: expected JSON object, got array(3)'],
  ['JSON null', 'null', 'not_object', undefined, 'frame: expected JSON object, got null'],
  ['JSON string', '"l2Book"', 'not_object', undefined, 'frame: expected JSON object, got string "l2Book"'],
  ['JSON number', '42', 'not_object', undefined, 'frame: expected JSON object, got number 42'],
  ['no channel', '{"data":{}}', 'schema', undefined, 'frame: channel: expected string, got missing'],
  [
    'numeric channel',
    '{"channel":7,"data":{}}',
    'schema',
    undefined,
    'frame: channel: expected string, got number 7',
  ],
  [
    'unknown channel',
    '{"channel":"l4Book","data":{}}',
    'unknown_channel',
    'l4Book',
    'unknown channel "l4Book"',
  ],
  [
    'webData2 channel',
    '{"channel":"webData2","data":{}}',
    'unknown_channel',
    'webData2',
    'unknown channel "webData2"',
  ],
  [
    'null data',
    '{"channel":"l2Book","data":null}',
    'schema',
    'l2Book',
    'l2Book: data: expected object, got null',
  ],
  ['missing data', '{"channel":"bbo"}', 'schema', 'bbo', 'bbo: data: expected object, got missing'],
  [
    'number where a decimal string is required',
    mutate(BOOK, (o) => {
      o.data.levels[0][3].px = 106193;
    }),
    'schema',
    'l2Book',
    'l2Book: data.levels[0][3].px: expected decimal string, got number 106193',
  ],
  [
    'exponent decimal string',
    mutate(BOOK, (o) => {
      o.data.levels[1][0].sz = '1e-3';
    }),
    'schema',
    'l2Book',
    'l2Book: data.levels[1][0].sz: expected decimal string, got string "1e-3"',
  ],
  [
    'missing level count',
    mutate(BOOK, (o) => {
      delete o.data.levels[1][2].n;
    }),
    'schema',
    'l2Book',
    'l2Book: data.levels[1][2].n: expected integer, got missing',
  ],
  [
    'fractional level count',
    mutate(BOOK, (o) => {
      o.data.levels[0][0].n = 1.5;
    }),
    'schema',
    'l2Book',
    'l2Book: data.levels[0][0].n: expected integer',
  ],
  [
    'one side only',
    mutate(BOOK, (o) => {
      o.data.levels = [o.data.levels[0]];
    }),
    'schema',
    'l2Book',
    'l2Book: data.levels',
  ],
  [
    'time as string',
    mutate(BOOK, (o) => {
      o.data.time = '1751427259657';
    }),
    'schema',
    'l2Book',
    'l2Book: data.time: expected integer, got string "1751427259657"',
  ],
  [
    'missing coin',
    mutate(BOOK, (o) => {
      delete o.data.coin;
    }),
    'schema',
    'l2Book',
    'l2Book: data.coin: expected string, got missing',
  ],
  [
    'trades data not an array',
    mutate(TRADES, (o) => {
      o.data = o.data[0];
    }),
    'schema',
    'trades',
    'trades: data: expected array, got object',
  ],
  [
    'trade side not A/B',
    mutate(TRADES, (o) => {
      o.data[0].side = 'S';
    }),
    'schema',
    'trades',
    'trades: data[0].side: expected side "A" or "B", got string "S"',
  ],
  [
    'trade users not a pair',
    mutate(TRADES, (o) => {
      o.data[0].users = ['0xcc0a3b6e3267c84361e91d8230868eea53431e4b'];
    }),
    'schema',
    'trades',
    'trades: data[0].users',
  ],
  [
    'trade hash not hex',
    mutate(TRADES, (o) => {
      o.data[0].hash = 'nothex';
    }),
    'schema',
    'trades',
    'trades: data[0].hash: expected 0x hash (32 bytes hex), got string "nothex"',
  ],
  [
    'user event with no known key',
    '{"channel":"user","data":{"somethingNew":[]}}',
    'schema',
    'user',
    'user: data: expected one of the keys fills, funding, liquidation, nonUserCancel, twapHistory, twapSliceFills, got keys [somethingNew]',
  ],
  [
    'user fill with a numeric fee',
    mutate(USER, (o) => {
      o.data.fills[0].fee = 0.009997;
    }),
    'schema',
    'user',
    'user: data.fills[0].fee: expected decimal string, got number 0.009997',
  ],
  [
    'liquidation with a bad method',
    mutate(USER, (o) => {
      o.data.fills[0].liquidation.method = 'auction';
    }),
    'schema',
    'user',
    'user: data.fills[0].liquidation.method: expected "market" or "backstop", got string "auction"',
  ],
  [
    'error without string data',
    '{"channel":"error","data":{"x":1}}',
    'schema',
    'error',
    'error: data: expected string, got object',
  ],
  [
    'subscriptionResponse with a bad method',
    '{"channel":"subscriptionResponse","data":{"method":"sub","subscription":{"type":"trades","coin":"SOL"}}}',
    'schema',
    'subscriptionResponse',
    'subscriptionResponse: data.method: expected "subscribe" or "unsubscribe", got string "sub"',
  ],
  [
    'bbo side not a level',
    '{"channel":"bbo","data":{"coin":"BTC","time":1,"bbo":[{"px":"1"},null]}}',
    'schema',
    'bbo',
    'bbo: data.bbo[0].sz: expected decimal string, got missing',
  ],
  [
    'activeAssetCtx numeric funding',
    '{"channel":"activeAssetCtx","data":{"coin":"BTC","ctx":{"funding":0.0001,"openInterest":"1","prevDayPx":"1","dayNtlVlm":"1","premium":null,"oraclePx":"1","markPx":"1","midPx":null,"impactPxs":null,"dayBaseVlm":"1"}}}',
    'schema',
    'activeAssetCtx',
    'activeAssetCtx: data.ctx.funding: expected decimal string, got number 0.0001',
  ],
  [
    'post response with unknown type',
    '{"channel":"post","data":{"id":1,"response":{"type":"zzz","payload":1}}}',
    'schema',
    'post',
    'post: data.response.type: expected response type "info", "action" or "error"',
  ],
  [
    'allMids with a numeric mid',
    '{"channel":"allMids","data":{"mids":{"BTC":80868.5}}}',
    'schema',
    'allMids',
    'allMids: data.mids.BTC: expected decimal string, got number 80868.5',
  ],
  [
    'candle missing close',
    '{"channel":"candle","data":{"t":1,"T":2,"s":"AAVE","i":"1m","o":"1","h":"1","l":"1","v":"1","n":2}}',
    'schema',
    'candle',
    'candle: data.c: expected decimal string, got missing',
  ],
  [
    'orderUpdates without status',
    '{"channel":"orderUpdates","data":[{"order":{"coin":"BTC","side":"B","limitPx":"1","sz":"1","oid":1,"timestamp":1,"origSz":"1"},"statusTimestamp":1}]}',
    'schema',
    'orderUpdates',
    'orderUpdates: data[0].status: expected string, got missing',
  ],
];
