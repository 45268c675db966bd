/**
 * Info endpoint (`POST /info`) response bodies (doc §3). The same bodies arrive as
 * `post` responses over WS (`response.payload.data`).
 */
import { z } from 'zod';
import {
  Book,
  Candle,
  ClearinghouseState,
  FrontendOrder,
  InfoFill,
  OpenOrder,
  PerpAssetCtx,
  TxHash,
  UInt,
} from './common-schemas.ts';
import { Decimal } from './decimal.ts';

export const PerpAssetMeta = z.object({
  name: z.string(),
  szDecimals: UInt,
  maxLeverage: UInt,
  onlyIsolated: z.boolean().optional(),
  isDelisted: z.boolean().optional(),
  marginMode: z.string().optional(),
  marginTableId: UInt.optional(),
});
export type PerpAssetMeta = z.infer<typeof PerpAssetMeta>;

/** `meta`: the perp universe; an asset's id is its index in `universe`. */
export const Meta = z.object({
  universe: z.array(PerpAssetMeta),
  marginTables: z.array(z.unknown()).optional(),
  collateralToken: UInt.optional(),
});
export type Meta = z.infer<typeof Meta>;

/** `metaAndAssetCtxs`: [meta, ctx per universe index]. */
export const MetaAndAssetCtxs = z.tuple([Meta, z.array(PerpAssetCtx)]);
export type MetaAndAssetCtxs = z.infer<typeof MetaAndAssetCtxs>;

export const InfoL2Book = Book;
export type InfoL2Book = Book;

/** `allMids` over HTTP: a flat coin → mid map (NOT wrapped in `mids`). */
export const InfoAllMids = z.record(z.string(), Decimal);
export type InfoAllMids = z.infer<typeof InfoAllMids>;

export const InfoClearinghouseState = ClearinghouseState;
export type InfoClearinghouseState = ClearinghouseState;

export const InfoOpenOrders = z.array(OpenOrder);
export type InfoOpenOrders = OpenOrder[];

export const InfoFrontendOpenOrders = z.array(FrontendOrder);
export type InfoFrontendOpenOrders = FrontendOrder[];

/** `userFills` / `userFillsByTime` (at most 2000 per call). */
export const InfoUserFills = z.array(InfoFill);
export type InfoUserFills = InfoFill[];

export const InfoCandleSnapshot = z.array(Candle);
export type InfoCandleSnapshot = Candle[];

export const HistoricalOrder = z.object({
  order: FrontendOrder,
  status: z.string(),
  statusTimestamp: UInt,
});
export const InfoHistoricalOrders = z.array(HistoricalOrder);
export type InfoHistoricalOrders = z.infer<typeof InfoHistoricalOrders>;

export const InfoUserFunding = z.array(
  z.object({
    time: UInt,
    hash: TxHash,
    delta: z.object({
      type: z.literal('funding'),
      coin: z.string(),
      usdc: Decimal,
      szi: Decimal,
      fundingRate: Decimal,
      nSamples: UInt.nullable(),
    }),
  }),
);
export type InfoUserFunding = z.infer<typeof InfoUserFunding>;

/** Ledger deltas vary by `type` (deposit, withdraw, liquidation, …); only `type` is required. */
export const LedgerDelta = z.looseObject({ type: z.string() });
export const InfoUserNonFundingLedgerUpdates = z.array(
  z.object({ time: UInt, hash: TxHash, delta: LedgerDelta }),
);
export type InfoUserNonFundingLedgerUpdates = z.infer<typeof InfoUserNonFundingLedgerUpdates>;

export const OrderStatusResponse = z.discriminatedUnion('status', [
  z.object({ status: z.literal('order'), order: HistoricalOrder }),
  z.object({ status: z.literal('unknownOid') }),
]);
export type OrderStatusResponse = z.infer<typeof OrderStatusResponse>;

/** Info request `type` → schema of its response body. */
export const INFO_RESPONSE_SCHEMAS = {
  meta: Meta,
  metaAndAssetCtxs: MetaAndAssetCtxs,
  l2Book: InfoL2Book,
  allMids: InfoAllMids,
  clearinghouseState: InfoClearinghouseState,
  openOrders: InfoOpenOrders,
  frontendOpenOrders: InfoFrontendOpenOrders,
  userFills: InfoUserFills,
  userFillsByTime: InfoUserFills,
  candleSnapshot: InfoCandleSnapshot,
  historicalOrders: InfoHistoricalOrders,
  userFunding: InfoUserFunding,
  userNonFundingLedgerUpdates: InfoUserNonFundingLedgerUpdates,
  orderStatus: OrderStatusResponse,
} as const;
export type InfoRequestType = keyof typeof INFO_RESPONSE_SCHEMAS;
export type InfoResponse<T extends InfoRequestType> = z.infer<(typeof INFO_RESPONSE_SCHEMAS)[T]>;
