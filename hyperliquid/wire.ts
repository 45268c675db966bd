/**
 * Builders for exchange actions in exact wire key order (doc §4.1, §4.3): the order of keys is part
 * of the signed msgpack, so every object here is built literally in that order. Optional keys are
 * omitted, never null; boolean flags that must be absent when false (`f`, `a`) are omitted.
 */
import { floatToWire, normalizeDecimalString } from './signing.ts';

export type Tif = 'Alo' | 'Ioc' | 'Gtc' | 'FrontendMarket';
export type Tpsl = 'tp' | 'sl';
export type Grouping = 'na' | 'normalTpsl' | 'positionTpsl';

export type OrderTypeWire =
  | { limit: { tif: Tif } }
  | { trigger: { isMarket: boolean; triggerPx: string; tpsl: Tpsl } };

/** One order on the wire: keys a, b, p, s, r, t, (c). */
export interface OrderWire {
  a: number;
  b: boolean;
  p: string;
  s: string;
  r: boolean;
  t: OrderTypeWire;
  c?: string;
}

export interface OrderAction {
  type: 'order';
  orders: OrderWire[];
  grouping: Grouping;
  builder?: { b: string; f: number };
}
export interface CancelAction {
  type: 'cancel';
  cancels: { a: number; o: number }[];
  f?: true;
}
export interface CancelByCloidAction {
  type: 'cancelByCloid';
  cancels: { asset: number; cloid: string }[];
  f?: true;
}
export interface ModifyAction {
  type: 'modify';
  oid: number | string;
  order: OrderWire;
  a?: true;
}
export interface BatchModifyAction {
  type: 'batchModify';
  modifies: { oid: number | string; order: OrderWire }[];
  a?: true;
}
export interface ScheduleCancelAction {
  type: 'scheduleCancel';
  time?: number;
}
export interface UpdateLeverageAction {
  type: 'updateLeverage';
  asset: number;
  isCross: boolean;
  leverage: number;
}
export interface UpdateIsolatedMarginAction {
  type: 'updateIsolatedMargin';
  asset: number;
  isBuy: boolean;
  ntli: number;
}
export type L1Action =
  | OrderAction
  | CancelAction
  | CancelByCloidAction
  | ModifyAction
  | BatchModifyAction
  | ScheduleCancelAction
  | UpdateLeverageAction
  | UpdateIsolatedMarginAction;

const CLOID_RE = /^0x[0-9a-f]{32}$/;
const ADDRESS_RE = /^0x[0-9a-f]{40}$/;

function assetId(a: number, label = 'asset'): number {
  if (!Number.isSafeInteger(a) || a < 0)
    throw new RangeError(`${label}: expected a non-negative integer, got ${a}`);
  return a;
}
function oidValue(o: number, label = 'oid'): number {
  if (!Number.isSafeInteger(o) || o < 0)
    throw new RangeError(`${label}: expected a non-negative integer, got ${o}`);
  return o;
}
/** A cloid: 0x + 32 hex, lowercased. */
export function normalizeCloid(c: string): string {
  const l = c.toLowerCase();
  if (!CLOID_RE.test(l)) throw new TypeError(`cloid: expected 0x + 32 hex, got ${JSON.stringify(c)}`);
  return l;
}
function lowerAddress(a: string, label: string): string {
  const l = a.toLowerCase();
  if (!ADDRESS_RE.test(l)) throw new TypeError(`${label}: expected a 0x address, got ${JSON.stringify(a)}`);
  return l;
}

/** A price or size for the wire: numbers through floatToWire, strings normalised (no trailing zeros). */
export function toWireNumber(x: number | string, label: string): string {
  const s = typeof x === 'number' ? floatToWire(x) : normalizeDecimalString(x);
  if (s.startsWith('-')) throw new RangeError(`${label}: must not be negative, got ${x}`);
  return s;
}

export type OrderKind =
  | { limit: { tif: Tif } }
  | { trigger: { isMarket: boolean; triggerPx: number | string; tpsl: Tpsl } };

export interface OrderParams {
  asset: number;
  isBuy: boolean;
  /** Already rounded to the coin's tick rules (see rounding.ts). */
  px: number | string;
  /** Already rounded to szDecimals. */
  sz: number | string;
  reduceOnly: boolean;
  type: OrderKind;
  cloid?: string | undefined;
}

/** One order in wire key order a, b, p, s, r, t, (c); trigger keys isMarket, triggerPx, tpsl. */
export function orderWire(o: OrderParams): OrderWire {
  let t: OrderTypeWire;
  if ('limit' in o.type) {
    t = { limit: { tif: o.type.limit.tif } };
  } else {
    const tr = o.type.trigger;
    t = {
      trigger: { isMarket: tr.isMarket, triggerPx: toWireNumber(tr.triggerPx, 'triggerPx'), tpsl: tr.tpsl },
    };
  }
  const w: OrderWire = {
    a: assetId(o.asset),
    b: o.isBuy,
    p: toWireNumber(o.px, 'px'),
    s: toWireNumber(o.sz, 'sz'),
    r: o.reduceOnly,
    t,
  };
  if (o.cloid !== undefined) w.c = normalizeCloid(o.cloid);
  return w;
}

/** The order action: type, orders, grouping, (builder {b lowercase, f in tenths of a bp}). */
export function orderAction(
  orders: readonly OrderParams[],
  grouping: Grouping = 'na',
  builder?: { address: string; feeTenthsBp: number },
): OrderAction {
  const action: OrderAction = { type: 'order', orders: orders.map(orderWire), grouping };
  if (builder !== undefined) {
    if (!Number.isSafeInteger(builder.feeTenthsBp) || builder.feeTenthsBp < 0) {
      throw new RangeError(`builder fee: expected a non-negative integer, got ${builder.feeTenthsBp}`);
    }
    action.builder = { b: lowerAddress(builder.address, 'builder'), f: builder.feeTenthsBp };
  }
  return action;
}

/** cancel {type, cancels:[{a, o}], (f:true)}; `fast` false → no `f` key. */
export function cancelAction(cancels: readonly { asset: number; oid: number }[], fast = false): CancelAction {
  const action: CancelAction = {
    type: 'cancel',
    cancels: cancels.map((c) => ({ a: assetId(c.asset), o: oidValue(c.oid) })),
  };
  if (fast) action.f = true;
  return action;
}

/** cancelByCloid {type, cancels:[{asset, cloid}], (f:true)}. */
export function cancelByCloidAction(
  cancels: readonly { asset: number; cloid: string }[],
  fast = false,
): CancelByCloidAction {
  const action: CancelByCloidAction = {
    type: 'cancelByCloid',
    cancels: cancels.map((c) => ({ asset: assetId(c.asset), cloid: normalizeCloid(c.cloid) })),
  };
  if (fast) action.f = true;
  return action;
}

function modifyTarget(oid: number | string): number | string {
  return typeof oid === 'string' ? normalizeCloid(oid) : oidValue(oid);
}

/** modify {type, oid (number or cloid), order, (a:true)}; `alwaysPlace` false → no `a` key. */
export function modifyAction(oid: number | string, order: OrderParams, alwaysPlace = false): ModifyAction {
  const action: ModifyAction = { type: 'modify', oid: modifyTarget(oid), order: orderWire(order) };
  if (alwaysPlace) action.a = true;
  return action;
}

/** batchModify {type, modifies:[{oid, order}], (a:true)}. */
export function batchModifyAction(
  modifies: readonly { oid: number | string; order: OrderParams }[],
  alwaysPlace = false,
): BatchModifyAction {
  const action: BatchModifyAction = {
    type: 'batchModify',
    modifies: modifies.map((m) => ({ oid: modifyTarget(m.oid), order: orderWire(m.order) })),
  };
  if (alwaysPlace) action.a = true;
  return action;
}

/** scheduleCancel {type, (time)}: the dead-man switch; no time clears it. Time must be >= now + 5 s. */
export function scheduleCancelAction(time?: number): ScheduleCancelAction {
  if (time === undefined) return { type: 'scheduleCancel' };
  if (!Number.isSafeInteger(time) || time < 0)
    throw new RangeError(`scheduleCancel time: expected ms integer, got ${time}`);
  return { type: 'scheduleCancel', time };
}

/** updateLeverage {type, asset, isCross, leverage}. */
export function updateLeverageAction(
  asset: number,
  isCross: boolean,
  leverage: number,
): UpdateLeverageAction {
  if (!Number.isSafeInteger(leverage) || leverage < 1)
    throw new RangeError(`leverage: expected integer >= 1, got ${leverage}`);
  return { type: 'updateLeverage', asset: assetId(asset), isCross, leverage };
}

/** updateIsolatedMargin {type, asset, isBuy, ntli (USD × 1e6, integer)}. */
export function updateIsolatedMarginAction(
  asset: number,
  isBuy: boolean,
  ntli: number,
): UpdateIsolatedMarginAction {
  if (!Number.isSafeInteger(ntli)) throw new RangeError(`ntli: expected an integer (USD × 1e6), got ${ntli}`);
  return { type: 'updateIsolatedMargin', asset: assetId(asset), isBuy, ntli };
}

// ---------------------------------------------------------------------------------------------
// User-signed actions
// ---------------------------------------------------------------------------------------------

export const DEFAULT_SIGNATURE_CHAIN_ID = '0x66eee';

export interface UsdSendAction {
  type: 'usdSend';
  signatureChainId: string;
  hyperliquidChain: 'Mainnet' | 'Testnet';
  destination: string;
  amount: string;
  time: number;
}
export interface WithdrawAction {
  type: 'withdraw3';
  signatureChainId: string;
  hyperliquidChain: 'Mainnet' | 'Testnet';
  destination: string;
  amount: string;
  time: number;
}

/** usdSend (sign with USD_SEND_TYPES / USD_SEND_PRIMARY_TYPE); `time` doubles as the nonce. */
export function usdSendAction(p: {
  destination: string;
  amount: number | string;
  time: number;
  isMainnet: boolean;
}): UsdSendAction {
  return {
    type: 'usdSend',
    signatureChainId: DEFAULT_SIGNATURE_CHAIN_ID,
    hyperliquidChain: p.isMainnet ? 'Mainnet' : 'Testnet',
    destination: lowerAddress(p.destination, 'destination'),
    amount: toWireNumber(p.amount, 'amount'),
    time: p.time,
  };
}

/** withdraw3 (sign with WITHDRAW_TYPES / WITHDRAW_PRIMARY_TYPE). */
export function withdrawAction(p: {
  destination: string;
  amount: number | string;
  time: number;
  isMainnet: boolean;
}): WithdrawAction {
  return {
    type: 'withdraw3',
    signatureChainId: DEFAULT_SIGNATURE_CHAIN_ID,
    hyperliquidChain: p.isMainnet ? 'Mainnet' : 'Testnet',
    destination: lowerAddress(p.destination, 'destination'),
    amount: toWireNumber(p.amount, 'amount'),
    time: p.time,
  };
}

// ---------------------------------------------------------------------------------------------
// Request bodies
// ---------------------------------------------------------------------------------------------

export interface ExchangeBody<A = L1Action> {
  action: A;
  nonce: number;
  signature: { r: string; s: string; v: number };
  vaultAddress: string | null;
  expiresAfter: number | null;
}

/** POST /exchange body (also a WS post action payload); absent vault/expiry are sent as null, as the SDK does. */
export function exchangeBody<A>(p: {
  action: A;
  nonce: number;
  signature: { r: string; s: string; v: number };
  vaultAddress?: string | null;
  expiresAfter?: number | null;
}): ExchangeBody<A> {
  return {
    action: p.action,
    nonce: p.nonce,
    signature: p.signature,
    vaultAddress: p.vaultAddress == null ? null : lowerAddress(p.vaultAddress, 'vaultAddress'),
    expiresAfter: p.expiresAfter ?? null,
  };
}

/** A WS post request wrapping an action body or an info payload. */
export function wsPostRequest(
  id: number,
  request:
    | { type: 'action'; payload: ExchangeBody<unknown> }
    | { type: 'info'; payload: { type: string } & Record<string, unknown> },
): { method: 'post'; id: number; request: typeof request } {
  return { method: 'post', id, request };
}
