import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ParseErrorCode, parseClientRequest, parseServerFrame } from '../../hyperliquid/parse.ts';
import { fixtureText } from './fixtures.ts';

const BOOK = fixtureText('ws/l2Book_BTC_1751427259657.json');
const TRADES = fixtureText('ws/trades_BTC_1751430933565.json');
const USER = fixtureText('ws/user_fill_liquidation_nautilus.json');

function mutate(text: string, f: (o: any) => void): string {
  const o = JSON.parse(text);
  f(o);
  return JSON.stringify(o);
}

/** [name, input, expected code, expected channel, exact message or a substring it must contain] */
const CORPUS: [string, string | Uint8Array, ParseErrorCode, string | undefined, string][] = [
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

describe('malformed frames are rejected with a clear error, never a throw', () => {
  for (const [name, input, code, channel, msg] of CORPUS) {
    it(name, () => {
      const r = parseServerFrame(input);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error.code).toBe(code);
      expect(r.error.channel).toBe(channel);
      expect(r.error.message).toContain(msg);
    });
  }

  it('extra unknown fields are tolerated (venue adds fields) and dropped', () => {
    const text = mutate(BOOK, (o) => {
      o.data.newField = { x: 1 };
      o.data.levels[0][0].extra = 'y';
      o.extraTop = true;
    });
    const r = parseServerFrame(text);
    if (!r.ok || r.frame.channel !== 'l2Book') throw new Error('expected l2Book');
    expect(r.frame.data.levels[0][0]).toEqual({ px: '106217.0', sz: '0.001', n: 1 });
  });

  it('optional fast / spread, nullable bbo sides, pong without data, spot asset ctx', () => {
    const fast = parseServerFrame(mutate(BOOK, (o) => Object.assign(o.data, { fast: true, spread: '1.0' })));
    expect(fast.ok && fast.frame.channel === 'l2Book' && fast.frame.data.fast).toBe(true);
    expect(parseServerFrame('{"channel":"pong"}')).toEqual({ ok: true, frame: { channel: 'pong' } });
    const bbo = parseServerFrame('{"channel":"bbo","data":{"coin":"BTC","time":1,"bbo":[null,null]}}');
    expect(bbo.ok).toBe(true);
    const spot = parseServerFrame(
      '{"channel":"activeSpotAssetCtx","data":{"coin":"@107","ctx":{"dayNtlVlm":"1","markPx":"2","midPx":null,"prevDayPx":"3","circulatingSupply":"4","coin":"@107"}}}',
    );
    expect(spot.ok).toBe(true);
  });

  it('fuzz: arbitrary text never throws and always yields a classified result', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const r = parseServerFrame(s);
        return r.ok || ['not_json', 'not_object', 'unknown_channel', 'schema'].includes(r.error.code);
      }),
      { numRuns: 500, seed: 42 },
    );
  });

  it('fuzz: arbitrary JSON values under known channels never throw', () => {
    const channel = fc.constantFrom(
      'l2Book',
      'bbo',
      'trades',
      'user',
      'post',
      'candle',
      'userFills',
      'error',
      'pong',
    );
    fc.assert(
      fc.property(channel, fc.jsonValue(), (ch, data) => {
        const r = parseServerFrame(JSON.stringify({ channel: ch, data }));
        if (!r.ok) expect(r.error.message.length).toBeGreaterThan(0);
        return true;
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it('fuzz: replacing any leaf of the real book with a wrong type is rejected and names that path', () => {
    const book = JSON.parse(BOOK);
    const leaves: { side: number; i: number; key: 'px' | 'sz' | 'n' }[] = [];
    for (let side = 0; side < 2; side++)
      for (let i = 0; i < 20; i++)
        for (const key of ['px', 'sz', 'n'] as const) leaves.push({ side, i, key });
    fc.assert(
      fc.property(
        fc.constantFrom(...leaves),
        fc.constantFrom(null, true, {}, [], 'abc', -1.5),
        (leaf, bad) => {
          const o = structuredClone(book);
          o.data.levels[leaf.side][leaf.i][leaf.key] = bad;
          const r = parseServerFrame(JSON.stringify(o));
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.error.message).toContain(`data.levels[${leaf.side}][${leaf.i}].${leaf.key}`);
        },
      ),
      { numRuns: 200, seed: 3 },
    );
  });
});

describe('client requests (what the simulator receives)', () => {
  it('accepts subscribe / unsubscribe / ping / post', () => {
    expect(
      parseClientRequest('{"method":"subscribe","subscription":{"type":"l2Book","coin":"BTC","fast":true}}')
        .ok,
    ).toBe(true);
    expect(
      parseClientRequest('{"method":"unsubscribe","subscription":{"type":"trades","coin":"SOL"}}').ok,
    ).toBe(true);
    expect(parseClientRequest('{"method":"ping"}').ok).toBe(true);
    expect(
      parseClientRequest(
        '{"method":"post","id":123,"request":{"type":"info","payload":{"type":"l2Book","coin":"ETH","nSigFigs":5,"mantissa":null}}}',
      ).ok,
    ).toBe(true);
  });

  it('rejects unknown subscription types and bad options with a path', () => {
    const r = parseClientRequest('{"method":"subscribe","subscription":{"type":"webData2","user":"0x0"}}');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain('request: subscription.type: unknown subscription type');
    const r2 = parseClientRequest(
      '{"method":"subscribe","subscription":{"type":"l2Book","coin":"BTC","nSigFigs":7}}',
    );
    expect(r2.ok).toBe(false);
    if (!r2.ok) expect(r2.error.message).toContain('subscription.nSigFigs');
    const r3 = parseClientRequest('{"method":"subscribe"');
    expect(r3.ok || r3.error.code).toBe('not_json');
  });
});
