/**
 * Private (per-account) state of the simulated venue and its wire shapes: open orders, fills,
 * positions, order status history, and the `/info` answers for them (`openOrders`,
 * `frontendOpenOrders`, `userFills`, `userFillsByTime`, `clearinghouseState`, `orderStatus`,
 * docs/hyperliquid-protocol.md §3), plus the push frames of `orderUpdates`, `userFills` and `user`
 * (§1.5.7–1.5.9). Prices are held as integers in units of 10^-(6 − szDecimals) and sizes in lots, so
 * every valid venue price and size is exact.
 */
import { formatScaled } from './format.ts';

export interface SimAccountSpec {
  /** The master account address. */
  address: string;
  /** Starting account value (USDC). */
  equity: number;
  /** API (agent) wallets allowed to sign for this account. */
  agents?: string[];
}

export type SimTif = 'Gtc' | 'Ioc' | 'Alo';

export interface SimOrder {
  user: string;
  oid: number;
  coin: string;
  isBuy: boolean;
  /** Limit price in price units (10^-pxDec). */
  pxU: number;
  pxDec: number;
  szDec: number;
  origLots: number;
  /** Remaining size in lots. */
  lots: number;
  reduceOnly: boolean;
  tif: SimTif;
  cloid: string | null;
  timestamp: number;
}

export interface SimFill {
  coin: string;
  px: string;
  sz: string;
  side: 'A' | 'B';
  time: number;
  startPosition: string;
  dir: string;
  closedPnl: string;
  hash: string;
  oid: number;
  crossed: boolean;
  fee: string;
  tid: number;
  feeToken: string;
  cloid?: string;
}

export interface SimPosition {
  /** Signed size in lots. */
  lots: number;
  entryPx: number;
  szDec: number;
}

interface StatusEntry {
  order: SimOrder;
  status: string;
  statusTimestamp: number;
}

export class SimAccount {
  readonly address: string;
  readonly equity: number;
  realized = 0;
  fees = 0;
  readonly positions = new Map<string, SimPosition>();
  readonly open = new Map<number, SimOrder>();
  readonly fills: SimFill[] = [];
  readonly statuses = new Map<number, StatusEntry>();
  /** The dead-man switch time (ms), or null. */
  scheduledCancel: number | null = null;
  /** Dead-man switch triggers per UTC day (the venue allows 10). */
  readonly triggers = new Map<number, number>();

  constructor(spec: SimAccountSpec) {
    this.address = spec.address.toLowerCase();
    this.equity = spec.equity;
  }

  position(coin: string): number {
    return this.positions.get(coin)?.lots ?? 0;
  }

  byCloid(cloid: string): SimOrder | undefined {
    for (const o of this.open.values()) if (o.cloid === cloid) return o;
    return undefined;
  }

  setStatus(o: SimOrder, status: string, t: number): void {
    this.statuses.set(o.oid, { order: { ...o }, status, statusTimestamp: t });
  }

  statusOf(oidOrCloid: number | string): StatusEntry | undefined {
    if (typeof oidOrCloid === 'number') return this.statuses.get(oidOrCloid);
    const c = oidOrCloid.toLowerCase();
    let found: StatusEntry | undefined;
    for (const s of this.statuses.values()) if (s.order.cloid === c) found = s;
    return found;
  }
}

// ---------------------------------------------------------------------------------------------
// Wire shapes
// ---------------------------------------------------------------------------------------------

export const pxString = (o: { pxU: number; pxDec: number }): string => formatScaled(o.pxU, o.pxDec);
export const szString = (lots: number, szDec: number): string => formatScaled(lots, szDec);
const usd = (x: number): string => formatScaled(Math.round(x * 1e6), 6);

/** WsBasicOrder / openOrders entry (keys in the venue's order). */
export function basicOrderJson(o: SimOrder): Record<string, unknown> {
  const out: Record<string, unknown> = {
    coin: o.coin,
    side: o.isBuy ? 'B' : 'A',
    limitPx: pxString(o),
    sz: szString(o.lots, o.szDec),
    oid: o.oid,
    timestamp: o.timestamp,
    origSz: szString(o.origLots, o.szDec),
  };
  if (o.cloid !== null) out.cloid = o.cloid;
  out.reduceOnly = o.reduceOnly;
  return out;
}

function frontendOrderJson(o: SimOrder): Record<string, unknown> {
  return {
    coin: o.coin,
    side: o.isBuy ? 'B' : 'A',
    limitPx: pxString(o),
    sz: szString(o.lots, o.szDec),
    oid: o.oid,
    timestamp: o.timestamp,
    triggerCondition: 'N/A',
    isTrigger: false,
    triggerPx: '0.0',
    children: [],
    isPositionTpsl: false,
    reduceOnly: o.reduceOnly,
    orderType: 'Limit',
    origSz: szString(o.origLots, o.szDec),
    tif: o.tif,
    cloid: o.cloid,
  };
}

export function orderUpdateJson(o: SimOrder, status: string, t: number): Record<string, unknown> {
  return { order: basicOrderJson(o), status, statusTimestamp: t };
}

/** Mark prices by coin (ms-free): what the clearinghouse values positions at. */
export type MarkOf = (coin: string) => number;

export function clearinghouseJson(
  a: SimAccount,
  markOf: MarkOf,
  maxLevOf: (coin: string) => number,
  t: number,
) {
  let ntl = 0;
  let upnl = 0;
  let margin = 0;
  const assetPositions = [...a.positions.entries()]
    .filter(([, p]) => p.lots !== 0)
    .sort(([x], [y]) => (x < y ? -1 : 1))
    .map(([coin, p]) => {
      const sz = p.lots / 10 ** p.szDec;
      const mark = markOf(coin);
      const value = Math.abs(sz) * mark;
      const u = sz * (mark - p.entryPx);
      const lev = maxLevOf(coin);
      const m = value / lev;
      ntl += value;
      upnl += u;
      margin += m;
      return {
        type: 'oneWay',
        position: {
          coin,
          szi: formatScaled(p.lots, p.szDec),
          leverage: { type: 'cross', value: lev },
          entryPx: usd(p.entryPx),
          positionValue: usd(value),
          unrealizedPnl: usd(u),
          returnOnEquity: usd(m > 0 ? u / m : 0),
          liquidationPx: null,
          marginUsed: usd(m),
          maxLeverage: lev,
          cumFunding: { allTime: '0.0', sinceOpen: '0.0', sinceChange: '0.0' },
        },
      };
    });
  const accountValue = a.equity + a.realized - a.fees + upnl;
  const summary = {
    accountValue: usd(accountValue),
    totalNtlPos: usd(ntl),
    totalRawUsd: usd(accountValue - upnl),
    totalMarginUsed: usd(margin),
  };
  return {
    marginSummary: summary,
    crossMarginSummary: summary,
    crossMaintenanceMarginUsed: usd(margin / 2),
    withdrawable: usd(Math.max(0, accountValue - margin)),
    assetPositions,
    time: t,
  };
}

/** Answer the private info requests; `undefined` = not a private request (the caller decides). */
export function answerPrivateInfo(
  accounts: ReadonlyMap<string, SimAccount>,
  body: Record<string, unknown>,
  markOf: MarkOf,
  maxLevOf: (coin: string) => number,
  now: number,
): string | null | undefined {
  const type = body.type;
  if (
    type !== 'openOrders' &&
    type !== 'frontendOpenOrders' &&
    type !== 'userFills' &&
    type !== 'userFillsByTime' &&
    type !== 'clearinghouseState' &&
    type !== 'orderStatus'
  )
    return undefined;
  if (typeof body.user !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(body.user)) return null;
  const a = accounts.get(body.user.toLowerCase()) ?? new SimAccount({ address: body.user, equity: 0 });
  switch (type) {
    case 'openOrders':
      return JSON.stringify(
        [...a.open.values()].sort((x, y) => y.timestamp - x.timestamp || y.oid - x.oid).map(basicOrderJson),
      );
    case 'frontendOpenOrders':
      return JSON.stringify(
        [...a.open.values()]
          .sort((x, y) => y.timestamp - x.timestamp || y.oid - x.oid)
          .map(frontendOrderJson),
      );
    case 'userFills':
      return JSON.stringify(a.fills.slice(-2000).reverse());
    case 'userFillsByTime': {
      const start = body.startTime;
      const end = body.endTime ?? null;
      if (typeof start !== 'number' || (end !== null && typeof end !== 'number')) return null;
      const out = a.fills.filter((f) => f.time >= start && (end === null || f.time <= end)).slice(0, 2000);
      return JSON.stringify(out);
    }
    case 'clearinghouseState':
      return JSON.stringify(clearinghouseJson(a, markOf, maxLevOf, now));
    case 'orderStatus': {
      const oid = body.oid;
      if (typeof oid !== 'number' && typeof oid !== 'string') return null;
      const s = a.statusOf(oid);
      if (s === undefined) return '{"status":"unknownOid"}';
      return JSON.stringify({
        status: 'order',
        order: { order: frontendOrderJson(s.order), status: s.status, statusTimestamp: s.statusTimestamp },
      });
    }
  }
}

/** Frames to push, queued while a request is handled and sent after its answer. */
export interface PrivatePush {
  user: string;
  /** The subscription type that receives it (`userEvents` pushes on channel `user`). */
  sub: 'orderUpdates' | 'userFills' | 'userEvents';
  text: string;
}

export function orderUpdatesFrame(updates: Record<string, unknown>[]): string {
  return `{"channel":"orderUpdates","data":${JSON.stringify(updates)}}`;
}

export function userFillsFrame(user: string, fills: SimFill[], isSnapshot: boolean): string {
  const data = isSnapshot ? { isSnapshot: true, user, fills } : { user, fills };
  return `{"channel":"userFills","data":${JSON.stringify(data)}}`;
}

export function userEventsFillsFrame(fills: SimFill[]): string {
  return `{"channel":"user","data":${JSON.stringify({ fills })}}`;
}
