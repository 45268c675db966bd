/**
 * In-place validation of the four hot channels: `l2Book`, `bbo`, `trades` and `activeAssetCtx`.
 *
 * `validateHot(channel, data)` says, without allocating, whether zod's schema for the channel
 * (WsBook, WsBbo, WsTrades, WsActiveAssetCtx in ws-schemas.ts) would accept `data` AND return a
 * value deep-equal to it. zod objects drop undeclared keys, so the second condition means that
 * every object in the tree holds only declared keys, and that no optional key is present with the
 * value `undefined`. When the answer is true, `parseServerValue` returns the JSON.parse'd value
 * itself and skips the copy zod would make. False does not mean invalid: the frame may carry a
 * field the venue added since. The caller then runs zod, which drops the field or writes the
 * error message. zod remains the schema of record. This file mirrors it check for check, and
 * test/hyperliquid/hot-validate.test.ts checks by differential fuzzing that both give the same
 * answers.
 *
 * The zod 4 semantics mirrored here (zod/v4/core schemas.js and checks.js):
 * - `z.number()` rejects NaN and ±Infinity. `.int()` is the `safeint` format, so
 *   `Number.isSafeInteger`. `.min(0)` is `>= 0`, so -0 passes as it does in zod.
 * - `z.string().regex(re)` is `typeof s === 'string' && re.test(s)`. None of the regexes has the
 *   `g` or `y` flag, so `lastIndex` plays no part.
 * - `z.enum(['A', 'B'])` accepts exactly the strings 'A' and 'B'. `z.boolean()` accepts
 *   `typeof === 'boolean'`.
 * - `z.array(x)` accepts any array whose elements all pass `x`. `z.tuple([a, b])` accepts an
 *   array of length exactly 2.
 * - `.nullable()` lets `null` through. `.optional()` lets an absent key through.
 * - `z.object` accepts any non-null, non-array object, class instances included. It reads every
 *   declared key through the prototype chain (`input[key]`, `key in input`) and builds a fresh
 *   plain object. Here only objects whose prototype is `Object.prototype` are accepted. That is
 *   every object JSON.parse makes, and anything else goes to zod.
 *
 * Undeclared keys are found by counting, because comparing names would cost more. In a
 * JSON.parse object, `for…in` yields exactly the own keys, plus any enumerable key that someone
 * added to Object.prototype. Such a key only makes the count too high, so the answer is a safe
 * false. The count must equal the number of declared keys that hold a value. The two sets are then
 * equal provided no declared key name can be read through Object.prototype. `validateHot` checks
 * that on every call: it takes a few `in` tests, and it keeps a polluted prototype from passing an
 * inherited field as an own one. Values that no JSON text can produce are out of scope (own
 * non-enumerable or symbol keys, extra properties on arrays, sparse arrays). The one exception is
 * non-finite numbers, which zod rejects and so does this file.
 */
import { ADDRESS_RE, TX_HASH_RE } from './common-schemas.ts';
import { DECIMAL_RE } from './decimal.ts';

/** Channels whose frames are validated in place. */
export type HotChannel = 'l2Book' | 'bbo' | 'trades' | 'activeAssetCtx';

export function isHotChannel(c: string): c is HotChannel {
  return c === 'l2Book' || c === 'bbo' || c === 'trades' || c === 'activeAssetCtx';
}

/**
 * True only if zod's schema for `channel` accepts `data` and its output would deep-equal `data`
 * (see the file comment). Never throws. Allocates nothing.
 */
export function validateHot(channel: HotChannel, data: unknown): boolean {
  try {
    if (!prototypeIsClean(DECLARED_KEYS[channel])) return false;
    switch (channel) {
      case 'l2Book':
        return isBook(data);
      case 'bbo':
        return isBbo(data);
      case 'trades':
        return isTrades(data);
      case 'activeAssetCtx':
        return isActiveAssetCtx(data);
      default:
        return false;
    }
  } catch {
    // Only a Proxy or a throwing getter can get here, and JSON.parse makes neither.
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Shapes: one function per zod object in common-schemas.ts / ws-schemas.ts
// ---------------------------------------------------------------------------------------------

/** `Level`: `{ px: Decimal, sz: Decimal, n: UInt }`. */
function isLevel(v: unknown): boolean {
  return isPlainObject(v) && isDecimal(v.px) && isDecimal(v.sz) && isUInt(v.n) && keyCount(v) === 3;
}

/** `z.array(Level)`. */
function isLevels(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (!isLevel(v[i])) return false;
  return true;
}

/** `WsBook` = `Book`: `{ coin, time, levels: [Level[], Level[]], fast?: boolean, spread?: Decimal }`. */
function isBook(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  let declared = 3;
  const fast = v.fast;
  if (fast !== undefined) {
    if (typeof fast !== 'boolean') return false;
    declared++;
  }
  const spread = v.spread;
  if (spread !== undefined) {
    if (!isDecimal(spread)) return false;
    declared++;
  }
  const levels = v.levels;
  return (
    typeof v.coin === 'string' &&
    isUInt(v.time) &&
    isPair(levels) &&
    isLevels(levels[0]) &&
    isLevels(levels[1]) &&
    keyCount(v) === declared
  );
}

/** `WsBbo` = `Bbo`: `{ coin, time, bbo: [Level | null, Level | null] }`. */
function isBbo(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  const bbo = v.bbo;
  return (
    typeof v.coin === 'string' &&
    isUInt(v.time) &&
    isPair(bbo) &&
    (bbo[0] === null || isLevel(bbo[0])) &&
    (bbo[1] === null || isLevel(bbo[1])) &&
    keyCount(v) === 3
  );
}

/** `Trade`: `{ coin, side: 'A' | 'B', px, sz, time, hash: TxHash, tid: UInt, users: [Address, Address] }`. */
function isTrade(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  const side = v.side;
  const users = v.users;
  return (
    typeof v.coin === 'string' &&
    (side === 'A' || side === 'B') &&
    isDecimal(v.px) &&
    isDecimal(v.sz) &&
    isUInt(v.time) &&
    isTxHash(v.hash) &&
    isUInt(v.tid) &&
    isPair(users) &&
    isAddress(users[0]) &&
    isAddress(users[1]) &&
    keyCount(v) === 8
  );
}

/** `WsTrades` = `z.array(Trade)`. */
function isTrades(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (!isTrade(v[i])) return false;
  return true;
}

/** `WsActiveAssetCtx`: `{ coin, ctx: PerpAssetCtx }`. */
function isActiveAssetCtx(v: unknown): boolean {
  return isPlainObject(v) && typeof v.coin === 'string' && isPerpAssetCtx(v.ctx) && keyCount(v) === 2;
}

/** `PerpAssetCtx`: ten decimals, of which `premium`, `midPx` and `impactPxs` (a pair) may be null. */
function isPerpAssetCtx(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  const impactPxs = v.impactPxs;
  return (
    isDecimal(v.funding) &&
    isDecimal(v.openInterest) &&
    isDecimal(v.prevDayPx) &&
    isDecimal(v.dayNtlVlm) &&
    (v.premium === null || isDecimal(v.premium)) &&
    isDecimal(v.oraclePx) &&
    isDecimal(v.markPx) &&
    (v.midPx === null || isDecimal(v.midPx)) &&
    (impactPxs === null || (isPair(impactPxs) && isDecimal(impactPxs[0]) && isDecimal(impactPxs[1]))) &&
    isDecimal(v.dayBaseVlm) &&
    keyCount(v) === 10
  );
}

// ---------------------------------------------------------------------------------------------
// Leaves and helpers
// ---------------------------------------------------------------------------------------------

/** `Decimal`: `z.string().regex(DECIMAL_RE)`. */
function isDecimal(v: unknown): boolean {
  return typeof v === 'string' && DECIMAL_RE.test(v);
}

/** `UInt`: `z.number().int().min(0)`: a finite safe integer >= 0. */
function isUInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isAddress(v: unknown): boolean {
  return typeof v === 'string' && ADDRESS_RE.test(v);
}

function isTxHash(v: unknown): boolean {
  return typeof v === 'string' && TX_HASH_RE.test(v);
}

/** An array of length exactly 2 (what `z.tuple([a, b])` requires before checking the items). */
function isPair(v: unknown): v is readonly [unknown, unknown] {
  return Array.isArray(v) && v.length === 2;
}

/** The fields of an object, read by name. Type only: nothing is built. */
type Fields = { readonly [key: string]: unknown };

/** An object as JSON.parse makes it. Arrays, class instances and null-prototype objects are left to zod. */
function isPlainObject(v: unknown): v is Fields {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** Keys `for…in` yields: the own keys of a JSON.parse object, plus any enumerable Object.prototype key. */
function keyCount(o: Fields): number {
  let n = 0;
  for (const _key in o) n++;
  return n;
}

/**
 * Every key name each channel's schema declares, nested objects included. If one of these names
 * can be read through Object.prototype, counting keys no longer proves which keys are present.
 */
const DECLARED_KEYS: { readonly [C in HotChannel]: readonly string[] } = {
  l2Book: ['coin', 'time', 'levels', 'fast', 'spread', 'px', 'sz', 'n'],
  bbo: ['coin', 'time', 'bbo', 'px', 'sz', 'n'],
  trades: ['coin', 'side', 'px', 'sz', 'time', 'hash', 'tid', 'users'],
  activeAssetCtx: [
    'coin',
    'ctx',
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
  ],
};

/** False if Object.prototype (polluted) supplies any of `keys`, enumerable or not. */
function prototypeIsClean(keys: readonly string[]): boolean {
  for (let i = 0; i < keys.length; i++) if ((keys[i] as string) in Object.prototype) return false;
  return true;
}
