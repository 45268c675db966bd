/**
 * Shapes shared by WS channels and info responses: levels, books, asset contexts, fills, orders,
 * clearinghouse state. Objects are tolerant of extra fields (the venue adds fields over time; unknown
 * keys are dropped from the parsed value) and strict about the required ones and their types.
 */
import { z } from 'zod';
import { Decimal } from './decimal.ts';

/** A 0x address: 20 bytes hex. */
export const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
/** A 0x transaction hash: 32 bytes hex. */
export const TX_HASH_RE = /^0x[0-9a-fA-F]{64}$/;

export const Address = z.string({ error: 'expected 0x address string' }).regex(ADDRESS_RE, {
  error: 'expected 0x address (20 bytes hex)',
});
export const TxHash = z.string({ error: 'expected 0x hash string' }).regex(TX_HASH_RE, {
  error: 'expected 0x hash (32 bytes hex)',
});
/** Client order id: 0x + 16 bytes hex. */
export const Cloid = z.string({ error: 'expected cloid string' }).regex(/^0x[0-9a-fA-F]{32}$/, {
  error: 'expected cloid (0x + 32 hex)',
});
/** A non-negative safe integer (ids, counts, ms timestamps). */
export const UInt = z.number({ error: 'expected integer' }).int({ error: 'expected integer' }).min(0);
/** `B` = bid/buy, `A` = ask/sell. For trades: the aggressor's side. */
export const Side = z.enum(['A', 'B'], { error: 'expected side "A" or "B"' });
export type Side = z.infer<typeof Side>;

export const CANDLE_INTERVALS = [
  '1m',
  '3m',
  '5m',
  '15m',
  '30m',
  '1h',
  '2h',
  '4h',
  '8h',
  '12h',
  '1d',
  '3d',
  '1w',
  '1M',
] as const;
export const CandleInterval = z.enum(CANDLE_INTERVALS, { error: 'expected candle interval' });
export type CandleInterval = z.infer<typeof CandleInterval>;

/** One aggregated book level: price, size, number of orders. */
export const Level = z.object({ px: Decimal, sz: Decimal, n: UInt });
export type Level = z.infer<typeof Level>;

/** A full L2 snapshot: levels[0] bids best-first, levels[1] asks best-first. */
export const Book = z.object({
  coin: z.string(),
  time: UInt,
  levels: z.tuple([z.array(Level), z.array(Level)]),
  /** Present (true) on `fast:true` pushes (community-observed, not in the official docs). */
  fast: z.boolean().optional(),
  /** Present only when nSigFigs is non-null (community-observed). */
  spread: Decimal.optional(),
});
export type Book = z.infer<typeof Book>;

export const Bbo = z.object({
  coin: z.string(),
  time: UInt,
  bbo: z.tuple([Level.nullable(), Level.nullable()]),
});
export type Bbo = z.infer<typeof Bbo>;

export const Trade = z.object({
  coin: z.string(),
  side: Side,
  px: Decimal,
  sz: Decimal,
  time: UInt,
  hash: TxHash,
  /** 50-bit hash of (buyer oid, seller oid): unique-ish, NOT monotonic. */
  tid: UInt,
  /** [buyer, seller] */
  users: z.tuple([Address, Address]),
});
export type Trade = z.infer<typeof Trade>;

/** Perp asset context: every value is a decimal string; midPx, premium and impactPxs may be null. */
export const PerpAssetCtx = z.object({
  funding: Decimal,
  openInterest: Decimal,
  prevDayPx: Decimal,
  dayNtlVlm: Decimal,
  premium: Decimal.nullable(),
  oraclePx: Decimal,
  markPx: Decimal,
  midPx: Decimal.nullable(),
  impactPxs: z.tuple([Decimal, Decimal]).nullable(),
  dayBaseVlm: Decimal,
});
export type PerpAssetCtx = z.infer<typeof PerpAssetCtx>;

export const SpotAssetCtx = z.object({
  dayNtlVlm: Decimal,
  markPx: Decimal,
  midPx: Decimal.nullable(),
  prevDayPx: Decimal,
  circulatingSupply: Decimal,
  coin: z.string(),
});
export type SpotAssetCtx = z.infer<typeof SpotAssetCtx>;

export const Candle = z.object({
  /** open time ms */
  t: UInt,
  /** close time ms */
  T: UInt,
  s: z.string(),
  i: z.string(),
  o: Decimal,
  c: Decimal,
  h: Decimal,
  l: Decimal,
  v: Decimal,
  n: UInt,
});
export type Candle = z.infer<typeof Candle>;

export const FillLiquidation = z.object({
  liquidatedUser: Address.optional(),
  markPx: Decimal,
  method: z.enum(['market', 'backstop'], { error: 'expected "market" or "backstop"' }),
});

/** A fill as pushed on `userFills` / `user` (WsFill). */
export const Fill = z.object({
  coin: z.string(),
  px: Decimal,
  sz: Decimal,
  side: Side,
  time: UInt,
  startPosition: Decimal,
  dir: z.string(),
  closedPnl: Decimal,
  hash: TxHash,
  oid: UInt,
  crossed: z.boolean(),
  fee: Decimal,
  tid: UInt,
  feeToken: z.string(),
  builderFee: Decimal.optional(),
  liquidation: FillLiquidation.optional(),
  cloid: Cloid.nullish(),
  twapId: UInt.nullish(),
});
export type Fill = z.infer<typeof Fill>;

/** Fills from the info endpoint: 2023-era bodies have no `tid` / `feeToken` (see SOURCES.md). */
export const InfoFill = Fill.extend({ tid: UInt.optional(), feeToken: z.string().optional() });
export type InfoFill = z.infer<typeof InfoFill>;

/** Order statuses the venue reports (docs + those NK has seen). Parsing accepts any string. */
export const ORDER_STATUSES = [
  'open',
  'filled',
  'canceled',
  'triggered',
  'rejected',
  'marginCanceled',
  'vaultWithdrawalCanceled',
  'openInterestCapCanceled',
  'selfTradeCanceled',
  'reduceOnlyCanceled',
  'siblingFilledCanceled',
  'delistedCanceled',
  'liquidatedCanceled',
  'scheduledCancel',
  'tickRejected',
  'minTradeNtlRejected',
  'perpMarginRejected',
  'reduceOnlyRejected',
  'badAloPxRejected',
  'iocCancelRejected',
  'badTriggerPxRejected',
  'marketOrderNoLiquidityRejected',
  'positionIncreaseAtOpenInterestCapRejected',
  'positionFlipAtOpenInterestCapRejected',
  'tooAggressiveAtOpenInterestCapRejected',
  'openInterestIncreaseRejected',
  'insufficientSpotBalanceRejected',
  'oracleRejected',
  'perpMaxPositionRejected',
  'outcomeSettledCanceled',
  'internalCancel',
  'tooManyOpenOrdersRejected',
] as const;
export type KnownOrderStatus = (typeof ORDER_STATUSES)[number];
/** A known status or a new one the venue added since. */
export type OrderStatus = KnownOrderStatus | (string & {});

/** Every status but `open` and `triggered` (a trigger order going live) ends the order. */
export function isTerminalOrderStatus(status: string): boolean {
  return status !== 'open' && status !== 'triggered';
}

/** Order as in `orderUpdates` (`sz` is the REMAINING size, `origSz` the original). */
export const BasicOrder = z.object({
  coin: z.string(),
  side: Side,
  limitPx: Decimal,
  sz: Decimal,
  oid: UInt,
  timestamp: UInt,
  origSz: Decimal,
  cloid: Cloid.nullish(),
  reduceOnly: z.boolean().optional(),
});
export type BasicOrder = z.infer<typeof BasicOrder>;

export const OrderUpdate = z.object({
  order: BasicOrder,
  status: z.string() as z.ZodType<OrderStatus>,
  statusTimestamp: UInt,
});
export type OrderUpdate = z.infer<typeof OrderUpdate>;

/** Open order as returned by info `openOrders` (origSz/cloid/reduceOnly appear in newer bodies). */
export const OpenOrder = z.object({
  coin: z.string(),
  limitPx: Decimal,
  oid: UInt,
  side: Side,
  sz: Decimal,
  timestamp: UInt,
  origSz: Decimal.optional(),
  cloid: Cloid.nullish(),
  reduceOnly: z.boolean().optional(),
});
export type OpenOrder = z.infer<typeof OpenOrder>;

/** Order as returned by `frontendOpenOrders` / `historicalOrders` (children are nested orders). */
export interface FrontendOrder {
  coin: string;
  side: Side;
  limitPx: Decimal;
  sz: Decimal;
  oid: number;
  timestamp: number;
  origSz: Decimal;
  isTrigger: boolean;
  isPositionTpsl: boolean;
  reduceOnly: boolean;
  orderType: string;
  triggerCondition: string;
  triggerPx: Decimal;
  tif: string | null;
  cloid?: string | null | undefined;
  children: FrontendOrder[];
}
export const FrontendOrder: z.ZodType<FrontendOrder> = z.object({
  coin: z.string(),
  side: Side,
  limitPx: Decimal,
  sz: Decimal,
  oid: UInt,
  timestamp: UInt,
  origSz: Decimal,
  isTrigger: z.boolean(),
  isPositionTpsl: z.boolean(),
  reduceOnly: z.boolean(),
  orderType: z.string(),
  triggerCondition: z.string(),
  triggerPx: Decimal,
  tif: z.string().nullable(),
  cloid: Cloid.nullish(),
  get children() {
    return z.array(FrontendOrder);
  },
});

export const Leverage = z.object({
  type: z.enum(['cross', 'isolated'], { error: 'expected "cross" or "isolated"' }),
  value: UInt,
  rawUsd: Decimal.optional(),
});

export const Position = z.object({
  coin: z.string(),
  szi: Decimal,
  entryPx: Decimal.nullable(),
  positionValue: Decimal,
  unrealizedPnl: Decimal,
  returnOnEquity: Decimal,
  liquidationPx: Decimal.nullable(),
  marginUsed: Decimal,
  leverage: Leverage,
  maxLeverage: UInt.optional(),
  cumFunding: z.object({ allTime: Decimal, sinceChange: Decimal, sinceOpen: Decimal }).optional(),
});
export type Position = z.infer<typeof Position>;

export const MarginSummary = z.object({
  accountValue: Decimal,
  totalNtlPos: Decimal,
  totalRawUsd: Decimal,
  totalMarginUsed: Decimal,
});

/** Perp account state (2023 bodies lack `crossMaintenanceMarginUsed` and `time`). */
export const ClearinghouseState = z.object({
  assetPositions: z.array(z.object({ type: z.string(), position: Position })),
  marginSummary: MarginSummary,
  crossMarginSummary: MarginSummary,
  crossMaintenanceMarginUsed: Decimal.optional(),
  withdrawable: Decimal,
  time: UInt.optional(),
});
export type ClearinghouseState = z.infer<typeof ClearinghouseState>;
