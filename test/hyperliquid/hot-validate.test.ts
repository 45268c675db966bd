/**
 * hot-validate.ts against the zod schemas it mirrors. On every input, `validateHot` must say true
 * exactly when zod accepts the value AND zod's output deep-equals the value (same keys everywhere,
 * no optional key holding `undefined`). With `parseServerValue` wired to it, the result must stay
 * the one pure zod would give.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  ADDRESS_RE,
  Address,
  Level,
  PerpAssetCtx,
  TX_HASH_RE,
  Trade,
  TxHash,
} from '../../hyperliquid/common-schemas.ts';
import { DECIMAL_RE, Decimal } from '../../hyperliquid/decimal.ts';
import { type HotChannel, isHotChannel, validateHot } from '../../hyperliquid/hot-validate.ts';
import { parseServerFrame, parseServerValue } from '../../hyperliquid/parse.ts';
import { WsActiveAssetCtx, WsBbo, WsBook, WsTrades } from '../../hyperliquid/ws-schemas.ts';
import { fixtureFiles, fixtureText } from './fixtures.ts';
import { BOOK, CORPUS, mutate } from './malformed-corpus.ts';

const SCHEMAS: { [C in HotChannel]: z.ZodType } = {
  l2Book: WsBook,
  bbo: WsBbo,
  trades: WsTrades,
  activeAssetCtx: WsActiveAssetCtx,
};
const HOT: readonly HotChannel[] = ['l2Book', 'bbo', 'trades', 'activeAssetCtx'];

type Json = any;

/** Every key path in `v` (`.a.b[0].c`), sorted: equal lists mean equal key sets at every level. */
function keyPaths(v: unknown, at = '', out: string[] = []): string[] {
  if (Array.isArray(v)) {
    out.push(`${at}[#${v.length}]`);
    for (let i = 0; i < v.length; i++) keyPaths(v[i], `${at}[${i}]`, out);
  } else if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      out.push(`${at}.${k}`);
      keyPaths((v as Record<string, unknown>)[k], `${at}.${k}`, out);
    }
  }
  return at === '' ? out.sort() : out;
}

function hasUndefined(v: unknown): boolean {
  if (v === undefined) return true;
  if (v === null || typeof v !== 'object') return false;
  return Object.values(v).some(hasUndefined);
}

/**
 * The contract, checked on one value: validateHot(ch, x) holds iff zod accepts x and returns a tree
 * strictly deep-equal to it with no `undefined` in it; parseServerValue agrees with pure zod.
 * Returns which case the value fell in.
 */
function checkAgainstZod(ch: HotChannel, x: unknown): 'fast' | 'zod-only' | 'invalid' {
  const hot = validateHot(ch, x);
  const r = SCHEMAS[ch].safeParse(x);
  const clean = r.success && isDeepStrictEqual(r.data, x) && !hasUndefined(x);
  if (hot) {
    // (a) the fast path only says yes when zod does, and zod's output is the input itself.
    expect(r.success).toBe(true);
    if (!r.success) return 'invalid';
    expect(r.data).toEqual(x);
    expect(keyPaths(r.data)).toEqual(keyPaths(x));
  }
  // (b) every clean valid frame takes the fast path (and, with (a): hot <=> clean).
  expect(hot).toBe(clean);
  // (c) parseServerValue gives what pure zod gives; on the fast path, the input object itself.
  const p = parseServerValue({ channel: ch, data: x });
  if (r.success) {
    expect(p).toEqual({ ok: true, frame: { channel: ch, data: r.data } });
    if (hot && p.ok && p.frame.channel !== 'pong') expect(p.frame.data).toBe(x);
  } else {
    expect(p.ok).toBe(false);
    if (!p.ok) {
      expect(p.error.code).toBe('schema');
      expect(p.error.channel).toBe(ch);
      expect(p.error.message.startsWith(`${ch}: data`)).toBe(true);
    }
  }
  return hot ? 'fast' : r.success ? 'zod-only' : 'invalid';
}

// ---------------------------------------------------------------------------------------------
// Real frames
// ---------------------------------------------------------------------------------------------

/** Live captures quoted in ../shared/docs/hyperliquid-protocol.md §1.5.2 and §1.5.4 (no fixture file). */
const DOC_CAPTURES: Record<string, string> = {
  'bbo (protocol doc §1.5.2)':
    '{"channel":"bbo","data":{"coin":"BTC","time":1786635980280,"bbo":[{"px":"63668.0","sz":"9.03076","n":24},{"px":"63669.0","sz":"5.16511","n":16}]}}',
  'activeAssetCtx (protocol doc §1.5.4)':
    '{"channel":"activeAssetCtx","data":{"coin":"BTC","ctx":{"funding":"0.0000124451","openInterest":"40313.7273799999","prevDayPx":"63513.0","dayNtlVlm":"1371501207.1637816429","premium":"-0.0004238885","oraclePx":"63696.0","markPx":"63673.0","midPx":"63668.5","impactPxs":["63668.0","63669.0"],"dayBaseVlm":"21569.5501"}}}',
};

function realFrames(): [string, string][] {
  const out: [string, string][] = [];
  for (const f of fixtureFiles('ws')) {
    const text = fixtureText(`ws/${f}`);
    if (isHotChannel((JSON.parse(text) as { channel: string }).channel)) out.push([`ws/${f}`, text]);
  }
  // The REST l2Book body has the WsBook shape; wrap it as the push it would be.
  const rest = fixtureText('http/info_l2Book_DYDX_2023-07-17.json');
  out.push(['http/info_l2Book_DYDX_2023-07-17.json as l2Book', `{"channel":"l2Book","data":${rest}}`]);
  for (const [name, text] of Object.entries(DOC_CAPTURES)) out.push([name, text]);
  return out;
}

describe('real venue frames take the fast path', () => {
  const frames = realFrames();

  it('covers the l2Book and trades fixtures and one frame of each hot channel', () => {
    const names = frames.map(([n]) => n);
    expect(names).toContain('ws/l2Book_BTC_1751427259657.json');
    expect(names).toContain('ws/trades_BTC_1751430933565.json');
    const channels = new Set(frames.map(([, t]) => (JSON.parse(t) as { channel: string }).channel));
    expect([...channels].sort()).toEqual([...HOT].sort());
  });

  for (const [name, text] of frames) {
    it(name, () => {
      const raw = JSON.parse(text) as { channel: HotChannel; data: unknown };
      expect(validateHot(raw.channel, raw.data)).toBe(true);
      const r = SCHEMAS[raw.channel].safeParse(raw.data);
      if (!r.success) throw new Error(r.error.message);
      expect(r.data).toEqual(raw.data);
      expect(keyPaths(r.data)).toEqual(keyPaths(raw.data));
      expect(checkAgainstZod(raw.channel, raw.data)).toBe('fast');
      // The returned frame is the JSON.parse'd value itself, and equal to what zod would build.
      const p = parseServerValue(raw);
      if (!p.ok || p.frame.channel === 'pong') throw new Error('expected a data frame');
      expect(p.frame.data).toBe(raw.data);
      expect(parseServerFrame(text)).toEqual({ ok: true, frame: { channel: raw.channel, data: r.data } });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Malformed corpus (the l2Book / bbo / trades / activeAssetCtx entries of malformed.test.ts)
// ---------------------------------------------------------------------------------------------

/** [name, frame text, exact message or a substring of it]: the corpus entries of the hot channels. */
const MALFORMED: [string, string, string][] = CORPUS.flatMap(([name, input, code, channel, msg]) =>
  code === 'schema' && channel !== undefined && isHotChannel(channel) && typeof input === 'string'
    ? [[name, input, msg] as [string, string, string]]
    : [],
);

describe('malformed frames never take the fast path, and keep their zod error messages', () => {
  it('the corpus has hot-channel entries', () => expect(MALFORMED.length).toBeGreaterThanOrEqual(12));

  for (const [name, text, msg] of MALFORMED) {
    it(name, () => {
      const raw = JSON.parse(text) as { channel: HotChannel; data: unknown };
      expect(validateHot(raw.channel, raw.data)).toBe(false);
      expect(checkAgainstZod(raw.channel, raw.data)).toBe('invalid');
      const r = parseServerFrame(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.message).toContain(msg);
    });
  }

  it('every leaf of the real book replaced by a wrong type (720 cases)', () => {
    const book = JSON.parse(BOOK).data;
    let n = 0;
    for (let side = 0; side < 2; side++)
      for (let i = 0; i < 20; i++)
        for (const key of ['px', 'sz', 'n'] as const)
          for (const bad of [null, true, {}, [], 'abc', -1.5]) {
            const o = structuredClone(book);
            o.levels[side][i][key] = bad;
            expect(validateHot('l2Book', o)).toBe(false);
            const r = parseServerValue({ channel: 'l2Book', data: o });
            expect(r.ok).toBe(false);
            if (!r.ok) expect(r.error.message).toContain(`data.levels[${side}][${i}].${key}`);
            n++;
          }
    expect(n).toBe(720);
  });

  it('extra unknown fields: not the fast path; zod drops them', () => {
    const text = mutate(BOOK, (o) => {
      o.data.newField = { x: 1 };
      o.data.levels[0][0].extra = 'y';
    });
    const raw = JSON.parse(text);
    expect(validateHot('l2Book', raw.data)).toBe(false);
    expect(checkAgainstZod('l2Book', raw.data)).toBe('zod-only');
    const r = parseServerFrame(text);
    if (!r.ok || r.frame.channel !== 'l2Book') throw new Error('expected l2Book');
    expect(r.frame.data.levels[0][0]).toEqual({ px: '106217.0', sz: '0.001', n: 1 });
    expect('newField' in r.frame.data).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// What the validator mirrors, pinned
// ---------------------------------------------------------------------------------------------

function regexOf(schema: z.ZodType): RegExp {
  const checks = (schema.def as { checks?: { _zod: { def: { pattern?: RegExp } } }[] }).checks ?? [];
  const re = checks[0]?._zod.def.pattern;
  if (re === undefined) throw new Error('no regex check');
  return re;
}

describe('the zod schemas the validator mirrors', () => {
  it('use the very regexes hot-validate.ts tests with', () => {
    expect(regexOf(Decimal)).toBe(DECIMAL_RE);
    expect(regexOf(Address)).toBe(ADDRESS_RE);
    expect(regexOf(TxHash)).toBe(TX_HASH_RE);
  });

  it('declare the keys hot-validate.ts counts', () => {
    expect(Object.keys(WsBook.shape)).toEqual(['coin', 'time', 'levels', 'fast', 'spread']);
    expect(Object.keys(Level.shape)).toEqual(['px', 'sz', 'n']);
    expect(Object.keys(WsBbo.shape)).toEqual(['coin', 'time', 'bbo']);
    expect(Object.keys(Trade.shape)).toEqual(['coin', 'side', 'px', 'sz', 'time', 'hash', 'tid', 'users']);
    expect(Object.keys(WsActiveAssetCtx.shape)).toEqual(['coin', 'ctx']);
    expect(Object.keys(PerpAssetCtx.shape)).toEqual([
      'funding',
      'openInterest',
      'prevDayPx',
      'dayNtlVlm',
      'premium',
      'oraclePx',
      'markPx',
      'midPx',
      'impactPxs',
      'dayBaseVlm',
    ]);
  });
});

describe('edge values agree with zod, slot by slot', () => {
  const level = (px: unknown, sz: unknown, n: unknown) => ({
    coin: 'BTC',
    time: 1,
    levels: [[{ px, sz, n }], []],
  });
  const decimals = [
    '0',
    '-0',
    '01.0',
    '00',
    '1.0',
    '-1.5',
    '1.',
    '.5',
    ' 1',
    '1 ',
    '1e5',
    '-',
    '',
    '+1',
    '١',
  ];
  const ints = [0, -0, 1, 1.5, -1, 2 ** 53 - 1, 2 ** 53, -(2 ** 53), Number.NaN, Infinity, -Infinity, '1'];

  it('decimal strings (DECIMAL_RE: leading zeros and -0 are valid, a bare dot or exponent is not)', () => {
    const fast = decimals.filter((d) => checkAgainstZod('l2Book', level(d, '1', 1)) === 'fast');
    expect(fast).toEqual(['0', '-0', '01.0', '00', '1.0', '-1.5']);
  });

  it('UInt: a finite safe integer >= 0 (-0 included, 2**53 not)', () => {
    const fast = ints.filter((n) => checkAgainstZod('l2Book', level('1', '1', n)) === 'fast');
    expect(fast).toEqual([0, -0, 1, 2 ** 53 - 1]);
    for (const t of ints) checkAgainstZod('l2Book', { coin: 'BTC', time: t, levels: [[], []] });
  });

  it('tuples need length exactly 2; bbo sides are a level or null', () => {
    for (const levels of [[], [[]], [[], [], []], {}, { 0: [], 1: [] }, null]) {
      expect(checkAgainstZod('l2Book', { coin: 'X', time: 0, levels })).toBe('invalid');
    }
    for (const bbo of [
      [null, null],
      [{ px: '1', sz: '2', n: 3 }, null],
    ]) {
      expect(checkAgainstZod('bbo', { coin: 'X', time: 0, bbo })).toBe('fast');
    }
    for (const bbo of [[null], [null, null, null], [undefined, null], [{}, null], [false, null]]) {
      expect(checkAgainstZod('bbo', { coin: 'X', time: 0, bbo })).toBe('invalid');
    }
  });

  it('optional keys: absent is fast; present as undefined is valid for zod but not fast', () => {
    const base = { coin: 'X', time: 0, levels: [[], []] };
    expect(checkAgainstZod('l2Book', { ...base, fast: true, spread: '0.5' })).toBe('fast');
    expect(checkAgainstZod('l2Book', { ...base, fast: undefined })).toBe('zod-only');
    expect(checkAgainstZod('l2Book', { ...base, spread: undefined })).toBe('zod-only');
    expect(checkAgainstZod('l2Book', { ...base, fast: 'true' })).toBe('invalid');
    expect(checkAgainstZod('l2Book', { ...base, spread: null })).toBe('invalid');
  });

  it('objects: arrays, null-prototype objects and class instances are left to zod', () => {
    const nullProto = Object.assign(Object.create(null), { coin: 'X', time: 0, levels: [[], []] });
    expect(checkAgainstZod('l2Book', nullProto)).toBe('zod-only');
    class Book {
      coin = 'X';
      time = 0;
      levels = [[], []];
    }
    expect(validateHot('l2Book', new Book())).toBe(false);
    expect(WsBook.safeParse(new Book()).success).toBe(true);
    expect(checkAgainstZod('trades', {})).toBe('invalid');
    expect(checkAgainstZod('trades', [])).toBe('fast');
    expect(checkAgainstZod('activeAssetCtx', [])).toBe('invalid');
  });

  it('an own "__proto__" key (as JSON.parse makes it) is an undeclared key', () => {
    const raw = JSON.parse('{"coin":"X","time":0,"levels":[[],[]],"__proto__":{"fast":true}}');
    expect(Object.keys(raw)).toContain('__proto__');
    expect(checkAgainstZod('l2Book', raw)).toBe('zod-only');
  });

  it('never throws, even on a throwing Proxy', () => {
    const hostile = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error('boom');
        },
      },
    );
    for (const ch of HOT) expect(validateHot(ch, hostile)).toBe(false);
    expect(validateHot('nope' as HotChannel, {})).toBe(false);
  });
});

describe('a polluted Object.prototype never lets an inherited or extra key through', () => {
  /** Run `f` with `key` defined on Object.prototype, restoring it before any assertion runs. */
  function polluted<T>(key: string, enumerable: boolean, f: () => T): T {
    Object.defineProperty(Object.prototype, key, {
      value: true,
      enumerable,
      configurable: true,
      writable: true,
    });
    try {
      return f();
    } finally {
      delete (Object.prototype as Record<string, unknown>)[key];
    }
  }
  const clean = () => ({ coin: 'X', time: 0, levels: [[{ px: '1', sz: '2', n: 3 }], []] });

  it('a declared optional key inherited from the prototype, with an extra own key to keep the count', () => {
    const x = { ...clean(), extra: 1 };
    const hot = polluted('fast', false, () => validateHot('l2Book', x));
    expect(hot).toBe(false);
    expect(validateHot('l2Book', clean())).toBe(true);
  });

  it('a declared required key inherited from the prototype', () => {
    const { n: _n, ...rest } = clean().levels[0]![0]!;
    const x = { ...clean(), levels: [[{ ...rest, other: 1 }], []] };
    expect(polluted('n', false, () => validateHot('l2Book', x))).toBe(false);
  });

  it('an enumerable undeclared key on the prototype makes every count too high', () => {
    const samples = new Map<HotChannel, unknown>();
    for (const [, text] of realFrames()) {
      const raw = JSON.parse(text) as { channel: HotChannel; data: unknown };
      samples.set(raw.channel, raw.data);
    }
    expect(samples.size).toBe(4);
    const results = polluted('zzz', true, () => HOT.map((ch) => validateHot(ch, samples.get(ch))));
    expect(results).toEqual([false, false, false, false]);
    expect(HOT.map((ch) => validateHot(ch, samples.get(ch)))).toEqual([true, true, true, true]);
  });
});

// ---------------------------------------------------------------------------------------------
// Differential property: generated frames, mutated, against zod
// ---------------------------------------------------------------------------------------------

const decimal = fc.oneof(
  fc.stringMatching(/^-?\d{1,9}(\.\d{1,10})?$/),
  fc.constantFrom('0', '-0', '0.0', '01.0', '106217.0', '-0.0004238885'),
);
const uint = fc.oneof(
  fc.nat(),
  fc.maxSafeNat(),
  fc.constantFrom(0, 1, Number.MAX_SAFE_INTEGER, 1751427259657, 293353986402527),
);
const address = fc.stringMatching(/^0x[0-9a-fA-F]{40}$/);
const hash = fc.stringMatching(/^0x[0-9a-fA-F]{64}$/);
const coin = fc.oneof(
  fc.constantFrom('BTC', 'ETH', '@107', 'kPEPE', 'PURR/USDC'),
  fc.string({ maxLength: 8 }),
);
const level = fc.record({ px: decimal, sz: decimal, n: uint });
const bookSide = fc.array(level, { maxLength: 20 });
const nullableDecimal = fc.option(decimal, { nil: null });

const VALID: { [C in HotChannel]: fc.Arbitrary<unknown> } = {
  l2Book: fc.record(
    { coin, time: uint, levels: fc.tuple(bookSide, bookSide), fast: fc.boolean(), spread: decimal },
    { requiredKeys: ['coin', 'time', 'levels'] },
  ),
  bbo: fc.record({
    coin,
    time: uint,
    bbo: fc.tuple(fc.option(level, { nil: null }), fc.option(level, { nil: null })),
  }),
  trades: fc.array(
    fc.record({
      coin,
      side: fc.constantFrom('A', 'B'),
      px: decimal,
      sz: decimal,
      time: uint,
      hash,
      tid: uint,
      users: fc.tuple(address, address),
    }),
    { maxLength: 8 },
  ),
  activeAssetCtx: fc.record({
    coin,
    ctx: fc.record({
      funding: decimal,
      openInterest: decimal,
      prevDayPx: decimal,
      dayNtlVlm: decimal,
      premium: nullableDecimal,
      oraclePx: decimal,
      markPx: decimal,
      midPx: nullableDecimal,
      impactPxs: fc.option(fc.tuple(decimal, decimal), { nil: null }),
      dayBaseVlm: decimal,
    }),
  }),
};

const HEX40 = 'cc0a3b6e3267c84361e91d8230868eea53431e4b';
const HEX64 = 'de93a8a0729ade63d8840417805ba9010b008818422ddedb1285744426b73503';
/** Replacement values: other types, edge decimals and integers, near-miss hex, non-JSON numbers. */
const EDGE: (() => unknown)[] = [
  ...['1e5', ' 1', '1.', '.5', '-', '', '01.0', '-0', '0', '1.5', '+1', '1,5', 'A', 'B', 'b', 'BTC'].map(
    (s) => () => s,
  ),
  () => `0x${HEX40}`,
  () => `0x${HEX40.toUpperCase()}`,
  () => `0X${HEX40}`,
  () => `0x${HEX40.slice(1)}`,
  () => `0x${HEX64}`,
  () => `0x${HEX64}0`,
  ...[1.5, -1, -0, 0, 7, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), Number.NaN, Infinity, -Infinity].map(
    (n) => () => n,
  ),
  () => null,
  () => true,
  () => false,
  () => undefined,
  () => ({}),
  () => [],
  () => [null, null],
  () => [[], []],
  () => ['1', '2'],
  () => [`0x${HEX40}`, `0x${HEX40}`],
  () => ({ px: '1', sz: '2', n: 3 }),
];
/** Keys to add: an unknown one, declared names of this or another shape, prototype names. */
const EXTRA_KEYS = [
  'extra',
  'coin',
  'time',
  'fast',
  'spread',
  'px',
  'n',
  'bbo',
  'ctx',
  'midPx',
  'users',
  '__proto__',
  'constructor',
  'toString',
  '0',
];

type Slot = { parent: Json; key: string | number };
type Mutation = { kind: number; at: number; pick: number; value: number; key: number };

/** Every slot (parent + key) in the tree under `holder.root`, and every object / array node. */
function walk(holder: { root: unknown }): { slots: Slot[]; nodes: Json[] } {
  const slots: Slot[] = [];
  const nodes: Json[] = [];
  const visit = (parent: Json, key: string | number): void => {
    slots.push({ parent, key });
    const v = parent[key];
    if (v === null || typeof v !== 'object') return;
    nodes.push(v);
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) visit(v, i);
    else for (const k of Object.keys(v)) visit(v, k);
  };
  visit(holder, 'root');
  return { slots, nodes };
}

function applyMutation(holder: { root: unknown }, m: Mutation): void {
  const { slots, nodes } = walk(holder);
  const node = nodes.length > 0 ? nodes[m.at % nodes.length] : undefined;
  const slot = slots[m.at % slots.length]!;
  const edge = EDGE[m.value % EDGE.length]!;
  switch (m.kind) {
    case 0: {
      // delete a key, or drop an array element (shortens a tuple)
      if (node === undefined) return;
      if (Array.isArray(node)) {
        if (node.length > 0) node.splice(m.pick % node.length, 1);
      } else {
        const keys = Object.keys(node);
        if (keys.length > 0) delete node[keys[m.pick % keys.length]!];
      }
      return;
    }
    case 1: {
      // add a key (own, enumerable, as JSON.parse makes it, even for "__proto__")
      if (node === undefined || Array.isArray(node)) return;
      const key = EXTRA_KEYS[m.key % EXTRA_KEYS.length]!;
      Object.defineProperty(node, key, {
        value: edge(),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      return;
    }
    case 2:
      // replace a value with another type or an edge value
      slot.parent[slot.key] = edge();
      return;
    case 3: {
      // change an array's length
      if (node === undefined || !Array.isArray(node)) return;
      const v = m.pick % 3;
      if (v === 0) node.push(node.length > 0 ? structuredClone(node[0]) : edge());
      else if (v === 1) node.pop();
      else node.length = Math.min(node.length, 1);
      return;
    }
    case 4:
      // null an object or array
      if (slot.parent[slot.key] !== null && typeof slot.parent[slot.key] === 'object')
        slot.parent[slot.key] = null;
      return;
    default: {
      // make an array an object with the same index keys
      const v = slot.parent[slot.key];
      if (Array.isArray(v)) slot.parent[slot.key] = Object.assign({}, v);
      return;
    }
  }
}

const mutations = fc.array(
  fc.record({
    kind: fc.integer({ min: 0, max: 5 }),
    at: fc.nat(),
    pick: fc.nat(),
    value: fc.nat(),
    key: fc.nat(),
  }),
  { maxLength: 3 },
);

const RUNS = 5000;

describe('differential property: validateHot against zod on generated, mutated frames', () => {
  HOT.forEach((ch, i) => {
    it(`${ch}: ${RUNS} runs`, () => {
      const seen = { fast: 0, 'zod-only': 0, invalid: 0 };
      fc.assert(
        fc.property(VALID[ch], mutations, (valid, ms) => {
          // JSON round trip: the value has the shape JSON.parse gives (plain objects and arrays).
          const holder = { root: JSON.parse(JSON.stringify(valid)) as unknown };
          for (const m of ms) applyMutation(holder, m);
          seen[checkAgainstZod(ch, holder.root)]++;
        }),
        { numRuns: RUNS, seed: 0x5eed + i },
      );
      // Both sides of the contract are exercised, not just one.
      expect(seen.fast).toBeGreaterThan(RUNS / 10);
      expect(seen.invalid).toBeGreaterThan(RUNS / 10);
      expect(seen['zod-only']).toBeGreaterThan(RUNS / 50);
    });
  });
});
