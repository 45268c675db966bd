import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseClientRequest, parseServerFrame } from '../../hyperliquid/parse.ts';
import { BOOK, CORPUS, mutate } from './malformed-corpus.ts';

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
