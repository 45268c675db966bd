/**
 * WebSocket frames (doc §1–2): what the client sends (subscribe / unsubscribe / ping / post) and the
 * data of every server channel the system consumes.
 */
import { z } from 'zod';
import {
  Address,
  Bbo,
  Book,
  Candle,
  CandleInterval,
  ClearinghouseState,
  Cloid,
  Fill,
  Level,
  OpenOrder,
  OrderUpdate,
  PerpAssetCtx,
  SpotAssetCtx,
  Trade,
  UInt,
} from './common-schemas.ts';
import { Decimal } from './decimal.ts';

// ---------------------------------------------------------------------------------------------
// Subscriptions (client → server), doc §1.4
// ---------------------------------------------------------------------------------------------

const Coin = z.string({ error: 'expected coin string' }).min(1, { error: 'expected non-empty coin' });

export const L2BookSubscription = z.object({
  type: z.literal('l2Book'),
  coin: Coin,
  /** 2..5 or null (= full precision). */
  nSigFigs: z.union([z.literal(2), z.literal(3), z.literal(4), z.literal(5)]).nullish(),
  /** Only with nSigFigs 5. */
  mantissa: z.union([z.literal(1), z.literal(2), z.literal(5)]).nullish(),
  /** 5 levels about every 0.5 s instead of 20 levels about every 5 s. */
  fast: z.boolean().optional(),
});
export const BboSubscription = z.object({ type: z.literal('bbo'), coin: Coin });
export const TradesSubscription = z.object({ type: z.literal('trades'), coin: Coin });
export const ActiveAssetCtxSubscription = z.object({ type: z.literal('activeAssetCtx'), coin: Coin });
export const AllMidsSubscription = z.object({ type: z.literal('allMids'), dex: z.string().optional() });
export const CandleSubscription = z.object({
  type: z.literal('candle'),
  coin: Coin,
  interval: CandleInterval,
});
export const OrderUpdatesSubscription = z.object({ type: z.literal('orderUpdates'), user: Address });
export const UserFillsSubscription = z.object({
  type: z.literal('userFills'),
  user: Address,
  aggregateByTime: z.boolean().optional(),
});
export const UserEventsSubscription = z.object({ type: z.literal('userEvents'), user: Address });
export const ClearinghouseStateSubscription = z.object({
  type: z.literal('clearinghouseState'),
  user: Address,
  dex: z.string().optional(),
});
export const OpenOrdersSubscription = z.object({
  type: z.literal('openOrders'),
  user: Address,
  dex: z.string().optional(),
});

/** Every subscription the system uses. */
export const Subscription = z.discriminatedUnion(
  'type',
  [
    L2BookSubscription,
    BboSubscription,
    TradesSubscription,
    ActiveAssetCtxSubscription,
    AllMidsSubscription,
    CandleSubscription,
    OrderUpdatesSubscription,
    UserFillsSubscription,
    UserEventsSubscription,
    ClearinghouseStateSubscription,
    OpenOrdersSubscription,
  ],
  { error: 'unknown subscription type' },
);
export type Subscription = z.infer<typeof Subscription>;
export type SubscriptionType = Subscription['type'];

// ---------------------------------------------------------------------------------------------
// Client requests
// ---------------------------------------------------------------------------------------------

export const Signature = z.object({
  r: z.string().regex(/^0x[0-9a-fA-F]{1,64}$/, { error: 'expected 0x hex r' }),
  s: z.string().regex(/^0x[0-9a-fA-F]{1,64}$/, { error: 'expected 0x hex s' }),
  v: z.number().int(),
});
export type Signature = z.infer<typeof Signature>;

/** An action as sent (wire key order matters for signing, not for parsing). */
export const ActionPayload = z.looseObject({ type: z.string() });

/** The body of POST /exchange, also the payload of a WS `post` action. */
export const ExchangeRequest = z.object({
  action: ActionPayload,
  nonce: UInt,
  signature: Signature,
  vaultAddress: Address.nullish(),
  expiresAfter: UInt.nullish(),
});
export type ExchangeRequest = z.infer<typeof ExchangeRequest>;

export const InfoRequestPayload = z.looseObject({ type: z.string() });

export const SubscribeRequest = z.object({ method: z.literal('subscribe'), subscription: Subscription });
export const UnsubscribeRequest = z.object({ method: z.literal('unsubscribe'), subscription: Subscription });
export const PingRequest = z.object({ method: z.literal('ping') });
export const PostRequest = z.object({
  method: z.literal('post'),
  id: UInt,
  request: z.discriminatedUnion('type', [
    z.object({ type: z.literal('info'), payload: InfoRequestPayload }),
    z.object({ type: z.literal('action'), payload: ExchangeRequest }),
  ]),
});
export const ClientRequest = z.discriminatedUnion(
  'method',
  [SubscribeRequest, UnsubscribeRequest, PingRequest, PostRequest],
  { error: 'unknown method' },
);
export type ClientRequest = z.infer<typeof ClientRequest>;
export type SubscribeRequest = z.infer<typeof SubscribeRequest>;
export type UnsubscribeRequest = z.infer<typeof UnsubscribeRequest>;
export type PingRequest = z.infer<typeof PingRequest>;
export type PostRequest = z.infer<typeof PostRequest>;

// ---------------------------------------------------------------------------------------------
// Server → client: channel data
// ---------------------------------------------------------------------------------------------

/** The echoed subscription: normalised by the server (adds nSigFigs:null, mantissa:null, fast:false…). */
export const SubscriptionEcho = z.looseObject({ type: z.string() });
export type SubscriptionEcho = z.infer<typeof SubscriptionEcho>;

export const WsSubscriptionResponse = z.object({
  method: z.enum(['subscribe', 'unsubscribe'], { error: 'expected "subscribe" or "unsubscribe"' }),
  subscription: SubscriptionEcho,
});
export type WsSubscriptionResponse = z.infer<typeof WsSubscriptionResponse>;

export const WsLevel = Level;
export type WsLevel = z.infer<typeof WsLevel>;
export const WsBook = Book;
export type WsBook = Book;
export const WsBbo = Bbo;
export type WsBbo = Bbo;
export const WsTrade = Trade;
export type WsTrade = Trade;
export const WsTrades = z.array(Trade);
export type WsTrades = WsTrade[];

export const WsActiveAssetCtx = z.object({ coin: z.string(), ctx: PerpAssetCtx });
export type WsActiveAssetCtx = z.infer<typeof WsActiveAssetCtx>;
export const WsActiveSpotAssetCtx = z.object({ coin: z.string(), ctx: SpotAssetCtx });
export type WsActiveSpotAssetCtx = z.infer<typeof WsActiveSpotAssetCtx>;

export const WsAllMids = z.object({ mids: z.record(z.string(), Decimal), dex: z.string().optional() });
export type WsAllMids = z.infer<typeof WsAllMids>;

export const WsCandle = Candle;
export type WsCandle = Candle;

export const WsOrder = OrderUpdate;
export type WsOrder = OrderUpdate;
export const WsOrderUpdates = z.array(OrderUpdate);
export type WsOrderUpdates = WsOrder[];

export const WsFill = Fill;
export type WsFill = Fill;
export const WsUserFills = z.object({
  isSnapshot: z.boolean().optional(),
  user: Address,
  fills: z.array(Fill),
});
export type WsUserFills = z.infer<typeof WsUserFills>;

export const WsUserFunding = z.object({
  time: UInt,
  coin: z.string(),
  usdc: Decimal,
  szi: Decimal,
  fundingRate: Decimal,
  nSamples: UInt.nullable(),
});
/** `liquidation` in userEvents uses snake_case on the wire. */
export const WsLiquidation = z.object({
  lid: UInt,
  liquidator: Address,
  liquidated_user: Address,
  liquidated_ntl_pos: Decimal,
  liquidated_account_value: Decimal,
});
export const WsNonUserCancel = z.object({ coin: z.string(), oid: UInt });

/** userEvents variants, each tagged by its single key (the venue sends exactly one). */
export const WsUserEventVariants = {
  fills: z.object({ fills: z.array(Fill) }),
  funding: z.object({ funding: WsUserFunding }),
  liquidation: z.object({ liquidation: WsLiquidation }),
  nonUserCancel: z.object({ nonUserCancel: z.array(WsNonUserCancel) }),
  twapHistory: z.object({ twapHistory: z.array(z.unknown()) }),
  twapSliceFills: z.object({ twapSliceFills: z.array(z.unknown()) }),
} as const;
export type WsUserEventKind = keyof typeof WsUserEventVariants;
export const USER_EVENT_KINDS = Object.keys(WsUserEventVariants) as WsUserEventKind[];
export const WsUserEvent = z.union([
  WsUserEventVariants.fills,
  WsUserEventVariants.funding,
  WsUserEventVariants.liquidation,
  WsUserEventVariants.nonUserCancel,
  WsUserEventVariants.twapHistory,
  WsUserEventVariants.twapSliceFills,
]);
export type WsUserEvent = z.infer<typeof WsUserEvent>;

export const WsClearinghouseState = z.object({
  dex: z.string(),
  user: Address,
  clearinghouseState: ClearinghouseState,
});
export type WsClearinghouseState = z.infer<typeof WsClearinghouseState>;
export const WsOpenOrders = z.object({ dex: z.string(), user: Address, orders: z.array(OpenOrder) });
export type WsOpenOrders = z.infer<typeof WsOpenOrders>;

// ---------------------------------------------------------------------------------------------
// Post responses (doc §2, §4.2)
// ---------------------------------------------------------------------------------------------

export const RestingStatus = z.object({ resting: z.object({ oid: UInt, cloid: Cloid.optional() }) });
export const FilledStatus = z.object({
  filled: z.object({ totalSz: Decimal, avgPx: Decimal, oid: UInt, cloid: Cloid.optional() }),
});
export const ErrorStatus = z.object({ error: z.string() });
/** One entry of `statuses` in an order / cancel / modify response. */
export const ActionStatus = z.union([
  RestingStatus,
  FilledStatus,
  ErrorStatus,
  z.enum(['waitingForFill', 'waitingForTrigger', 'success']),
]);
export type ActionStatus = z.infer<typeof ActionStatus>;

/** `{status:"ok", response:{type, data?}}` or the batch-level `{status:"err", response:"<string>"}`. */
export const ExchangeResponse = z.discriminatedUnion(
  'status',
  [
    z.object({
      status: z.literal('ok'),
      response: z.object({
        type: z.string(),
        data: z.object({ statuses: z.array(ActionStatus) }).optional(),
      }),
    }),
    z.object({ status: z.literal('err'), response: z.string() }),
  ],
  { error: 'expected status "ok" or "err"' },
);
export type ExchangeResponse = z.infer<typeof ExchangeResponse>;

export const WsPostResponse = z.object({
  id: UInt,
  response: z.discriminatedUnion(
    'type',
    [
      z.object({
        type: z.literal('info'),
        payload: z.object({ type: z.string(), data: z.unknown() }),
      }),
      z.object({ type: z.literal('action'), payload: ExchangeResponse }),
      z.object({ type: z.literal('error'), payload: z.string() }),
    ],
    { error: 'expected response type "info", "action" or "error"' },
  ),
});
export type WsPostResponse = z.infer<typeof WsPostResponse>;
