/**
 * In-place validation of the node's by-block lines (node-schemas.ts `NodeFillsBlock`,
 * `NodeOrderStatusesBlock`, `NodeBookDiffsBlock`), in the manner of hot-validate.ts: it returns the
 * JSON.parse'd value itself, typed, only when zod would accept it AND return a deep-equal value
 * (every object holds declared keys only — counted, not compared — and no optional key holds
 * `undefined`); otherwise `undefined`, and the caller runs zod, which drops unknown keys or writes the
 * error message. zod stays the schema of record; test/hyperliquid/node-formats.test.ts checks both
 * agree on valid, extended and corrupted lines. Also order_book_server's `l4Book` data
 * (`validateObsL4InPlace`), whose statuses and diffs are the same shapes.
 */
import { ADDRESS_RE, TX_HASH_RE } from './common-schemas.ts';
import { DECIMAL_RE } from './decimal.ts';
import { NAIVE_TIME_RE, type NodeBlockOf, type NodeBlockStream, type ObsL4Book } from './node-schemas.ts';

const CLOID_RE = /^0x[0-9a-fA-F]{32}$/;

/** The value itself, typed, when zod's output would deep-equal it; else undefined. Never throws. */
export function validateNodeBlockInPlace<S extends NodeBlockStream>(
  stream: S,
  raw: unknown,
): NodeBlockOf[S] | undefined {
  try {
    if (!prototypeIsClean()) return undefined;
    const check =
      stream === 'node_fills_by_block'
        ? isFillEvent
        : stream === 'node_order_statuses_by_block'
          ? isStatus
          : isDiff;
    if (!isBatch(raw, check)) return undefined;
    // Checked field for field against the schema of `stream` just above.
    return raw as NodeBlockOf[S];
  } catch {
    return undefined;
  }
}

/**
 * The `data` of an order_book_server `l4Book` frame (`ObsL4Book`: `{Snapshot:{…}}` or
 * `{Updates:{…}}`), itself, typed, when zod's output would deep-equal it; else undefined.
 */
export function validateObsL4InPlace(data: unknown): ObsL4Book | undefined {
  try {
    if (!prototypeIsClean() || !isPlainObject(data) || keyCount(data) !== 1) return undefined;
    const snap = data.Snapshot;
    if (snap !== undefined) return isObsSnapshot(snap) ? (data as ObsL4Book) : undefined;
    return isObsUpdates(data.Updates) ? (data as ObsL4Book) : undefined;
  } catch {
    return undefined;
  }
}

function isObsSnapshot(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  const levels = v.levels;
  if (
    !isCoin(v.coin) ||
    !isUInt(v.time) ||
    !isUInt(v.height) ||
    !Array.isArray(levels) ||
    levels.length !== 2
  )
    return false;
  for (let s = 0; s < 2; s++) {
    const side: unknown = levels[s];
    if (!Array.isArray(side)) return false;
    for (let i = 0; i < side.length; i++) if (!isOrder(side[i])) return false;
  }
  return keyCount(v) === 4;
}

function isObsUpdates(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  const st = v.order_statuses;
  const bd = v.book_diffs;
  if (!isUInt(v.time) || !isUInt(v.height) || !Array.isArray(st) || !Array.isArray(bd)) return false;
  for (let i = 0; i < st.length; i++) if (!isStatus(st[i])) return false;
  for (let i = 0; i < bd.length; i++) if (!isDiff(bd[i])) return false;
  return keyCount(v) === 4;
}

type Fields = { readonly [key: string]: unknown };

function isBatch(v: unknown, event: (e: unknown) => boolean): boolean {
  if (!isPlainObject(v)) return false;
  if (!isNaive(v.local_time) || !isNaive(v.block_time) || !isUInt(v.block_number)) return false;
  const events = v.events;
  if (!Array.isArray(events)) return false;
  for (let i = 0; i < events.length; i++) if (!event(events[i])) return false;
  return keyCount(v) === 4;
}

/** `NodeOrder`. */
function isOrder(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  let declared = 12;
  const user = v.user;
  if (user !== undefined) {
    if (user !== null && !isAddress(user)) return false;
    declared++;
  }
  const tif = v.tif;
  if (tif !== undefined) {
    if (tif !== null && typeof tif !== 'string') return false;
    declared++;
  }
  const cloid = v.cloid;
  if (cloid !== undefined) {
    if (cloid !== null && typeof cloid !== 'string') return false;
    declared++;
  }
  if (v.children !== undefined) {
    if (!Array.isArray(v.children)) return false;
    declared++;
  }
  if (v.origSz !== undefined) {
    if (!isDecimal(v.origSz)) return false;
    declared++;
  }
  const side = v.side;
  return (
    isCoin(v.coin) &&
    (side === 'A' || side === 'B') &&
    isDecimal(v.limitPx) &&
    isDecimal(v.sz) &&
    isUInt(v.oid) &&
    isUInt(v.timestamp) &&
    typeof v.triggerCondition === 'string' &&
    typeof v.isTrigger === 'boolean' &&
    isDecimal(v.triggerPx) &&
    typeof v.isPositionTpsl === 'boolean' &&
    typeof v.reduceOnly === 'boolean' &&
    typeof v.orderType === 'string' &&
    keyCount(v) === declared
  );
}

/** `NodeOrderStatus`. */
function isStatus(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  let declared = 4;
  const hash = v.hash;
  if (hash !== undefined) {
    if (hash !== null && !isTxHash(hash)) return false;
    declared++;
  }
  if (v.builder !== undefined) declared++;
  return (
    isNaive(v.time) &&
    isAddress(v.user) &&
    typeof v.status === 'string' &&
    isOrder(v.order) &&
    keyCount(v) === declared
  );
}

/** `RawBookDiff`: `"remove"`, `{new:{sz, insertBefore?}}` or `{update:{origSz, newSz}}`. */
function isRawDiff(v: unknown): boolean {
  if (v === 'remove') return true;
  if (!isPlainObject(v) || keyCount(v) !== 1) return false;
  const n = v.new;
  if (n !== undefined) {
    if (!isPlainObject(n) || !isDecimal(n.sz)) return false;
    let declared = 1;
    const ib = n.insertBefore;
    if (ib !== undefined) {
      if (ib !== null && !isUInt(ib)) return false;
      declared++;
    }
    return keyCount(n) === declared;
  }
  const u = v.update;
  return isPlainObject(u) && isDecimal(u.origSz) && isDecimal(u.newSz) && keyCount(u) === 2;
}

/** `NodeBookDiff`. */
function isDiff(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  let declared = 5;
  const side = v.side;
  if (side !== undefined) {
    if (side !== 'A' && side !== 'B' && side !== 'Ask' && side !== 'Bid') return false;
    declared++;
  }
  return (
    isAddress(v.user) &&
    isUInt(v.oid) &&
    isCoin(v.coin) &&
    isDecimal(v.px) &&
    isRawDiff(v.raw_book_diff) &&
    keyCount(v) === declared
  );
}

/** `NodeFillEvent`: `[Address, NodeFill]`. */
function isFillEvent(v: unknown): boolean {
  return Array.isArray(v) && v.length === 2 && isAddress(v[0]) && isFill(v[1]);
}

/** `NodeFill` = common `Fill` with nullish `liquidation`, `priorityGas`, `deployerFee`. */
function isFill(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  let declared = 14;
  if (v.builderFee !== undefined) {
    if (!isDecimal(v.builderFee)) return false;
    declared++;
  }
  const liq = v.liquidation;
  if (liq !== undefined) {
    if (liq !== null && !isLiquidation(liq)) return false;
    declared++;
  }
  const cloid = v.cloid;
  if (cloid !== undefined) {
    if (cloid !== null && !(typeof cloid === 'string' && CLOID_RE.test(cloid))) return false;
    declared++;
  }
  const twapId = v.twapId;
  if (twapId !== undefined) {
    if (twapId !== null && !isUInt(twapId)) return false;
    declared++;
  }
  const gas = v.priorityGas;
  if (gas !== undefined) {
    if (gas !== null && !isDecimal(gas) && !(typeof gas === 'number' && Number.isFinite(gas))) return false;
    declared++;
  }
  const builder = v.builder;
  if (builder !== undefined) {
    if (builder !== null && typeof builder !== 'string') return false;
    declared++;
  }
  const dfee = v.deployerFee;
  if (dfee !== undefined) {
    if (dfee !== null && !isDecimal(dfee)) return false;
    declared++;
  }
  const side = v.side;
  return (
    typeof v.coin === 'string' &&
    isDecimal(v.px) &&
    isDecimal(v.sz) &&
    (side === 'A' || side === 'B') &&
    isUInt(v.time) &&
    isDecimal(v.startPosition) &&
    typeof v.dir === 'string' &&
    isDecimal(v.closedPnl) &&
    isTxHash(v.hash) &&
    isUInt(v.oid) &&
    typeof v.crossed === 'boolean' &&
    isDecimal(v.fee) &&
    isUInt(v.tid) &&
    typeof v.feeToken === 'string' &&
    keyCount(v) === declared
  );
}

function isLiquidation(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  let declared = 2;
  const lu = v.liquidatedUser;
  if (lu !== undefined) {
    if (lu !== null && typeof lu !== 'string') return false;
    declared++;
  }
  return isDecimal(v.markPx) && typeof v.method === 'string' && keyCount(v) === declared;
}

// ---------------------------------------------------------------------------------------------
// Leaves
// ---------------------------------------------------------------------------------------------

function isDecimal(v: unknown): boolean {
  return typeof v === 'string' && DECIMAL_RE.test(v);
}
function isUInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
function isAddress(v: unknown): boolean {
  return typeof v === 'string' && ADDRESS_RE.test(v);
}
function isTxHash(v: unknown): boolean {
  return typeof v === 'string' && TX_HASH_RE.test(v);
}
function isNaive(v: unknown): boolean {
  return typeof v === 'string' && NAIVE_TIME_RE.test(v);
}
function isCoin(v: unknown): boolean {
  return typeof v === 'string' && v.length > 0;
}
function isPlainObject(v: unknown): v is Fields {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}
function keyCount(o: Fields): number {
  let n = 0;
  for (const _key in o) n++;
  return n;
}

/** Every key name the three block schemas declare (see hot-validate.ts `prototypeIsClean`). */
const DECLARED_KEYS: readonly string[] = [
  'local_time',
  'block_time',
  'block_number',
  'events',
  'time',
  'user',
  'status',
  'order',
  'hash',
  'builder',
  'coin',
  'side',
  'limitPx',
  'sz',
  'oid',
  'timestamp',
  'triggerCondition',
  'isTrigger',
  'triggerPx',
  'isPositionTpsl',
  'reduceOnly',
  'orderType',
  'tif',
  'cloid',
  'children',
  'origSz',
  'px',
  'raw_book_diff',
  'new',
  'update',
  'insertBefore',
  'newSz',
  'startPosition',
  'dir',
  'closedPnl',
  'crossed',
  'fee',
  'tid',
  'feeToken',
  'builderFee',
  'liquidation',
  'twapId',
  'priorityGas',
  'deployerFee',
  'liquidatedUser',
  'markPx',
  'method',
  'Snapshot',
  'Updates',
  'height',
  'levels',
  'order_statuses',
  'book_diffs',
];

function prototypeIsClean(): boolean {
  for (let i = 0; i < DECLARED_KEYS.length; i++)
    if ((DECLARED_KEYS[i] as string) in Object.prototype) return false;
  return true;
}
