/**
 * The trader's own node as a source (issue 17): zod schemas of record for
 * (a) the node's hourly files written with `--batch-by-block` — `node_fills_by_block`,
 *     `node_order_statuses_by_block`, `node_raw_book_diffs_by_block`, one block per line
 *     `{local_time, block_time, block_number, events}` — and the older per-event `node_trades` lines;
 * (b) the WebSocket of a local `hyperliquid-dex/order_book_server` (OBS): `l2Book`, `trades`, and
 *     `l4Book` (a `Snapshot`, then one `Updates` per block with its `height`), its subscription
 *     messages and its `error` frames.
 *
 * Where the protocol doc (§6) is silent, the reference code is the truth:
 * hyperliquid-dex/order_book_server @ bf5f6bceec3ebc36209bef1ad407de98c3550c70 —
 * `server/src/types/mod.rs` (L4Book, L4BookUpdates, L4Order, OrderDiff, Fill, Trade, Level),
 * `server/src/types/node_data.rs` (Batch, NodeDataOrderStatus, NodeDataOrderDiff, NodeDataFill),
 * `server/src/types/subscription.rs` (Subscription, ClientMessage, ServerResponse),
 * `server/src/order_book/types.rs` (Side serialises as "A" / "B").
 * serde facts relied on: `Option<T>` fields without `skip_serializing_if` serialise as `null`
 * (so OBS writes `"liquidation":null`, `"tif":null`, `"user":null`); `chrono::NaiveDateTime`
 * serialises as an ISO string without zone ("2025-06-24T02:56:36.172847427", read as UTC); the
 * enums `L4Book` and `OrderDiff` are externally tagged (`{"Snapshot":{…}}`, `{"new":{"sz":…}}`,
 * `"remove"`). Objects are tolerant of extra keys (dropped) and strict about required ones; no
 * schema transforms, so a value validated in place (node-parse.ts) equals zod's output.
 */
import { z } from 'zod';
import { Address, Book, Cloid, Fill, Side, Trade, TxHash, UInt } from './common-schemas.ts';
import { Decimal } from './decimal.ts';

// ---------------------------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------------------------

/** chrono `NaiveDateTime` as serde writes it: `YYYY-MM-DDTHH:MM:SS[.f{1,9}]`, no zone (UTC). */
export const NAIVE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?$/;
export const NaiveTime = z.string({ error: 'expected naive ISO time string' }).regex(NAIVE_TIME_RE, {
  error: 'expected naive ISO time (YYYY-MM-DDTHH:MM:SS[.fffffffff])',
});

/**
 * Milliseconds since the epoch of a naive node time, read as UTC and truncated to the millisecond
 * as chrono's `timestamp_millis()` does (OBS `Batch::block_time`). NaN when not a valid time.
 */
export function naiveTimeToMs(s: string): number {
  if (!NAIVE_TIME_RE.test(s)) return Number.NaN;
  const y = Number(s.slice(0, 4));
  const mo = Number(s.slice(5, 7));
  const d = Number(s.slice(8, 10));
  const h = Number(s.slice(11, 13));
  const mi = Number(s.slice(14, 16));
  const se = Number(s.slice(17, 19));
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) return Number.NaN;
  const ms = s.length > 20 ? Number(`${s.slice(20, 23)}00`.slice(0, 3)) : 0;
  const t = Date.UTC(y, mo - 1, d, h, mi, se, ms);
  // Date.UTC rolls 31 Feb over into March: reject days that do not exist.
  if (new Date(t).getUTCDate() !== d) return Number.NaN;
  return t;
}

/**
 * The side of a raw book diff: the docs' example writes "Bid" / "Ask", a 2026 capture "A" / "B"
 * (doc §6.1 item 4); both are accepted and the L4 book normalises them.
 */
export const NodeDiffSide = z.enum(['A', 'B', 'Ask', 'Bid'], {
  error: 'expected side "A", "B", "Ask" or "Bid"',
});
export type NodeDiffSide = z.infer<typeof NodeDiffSide>;

/** "A" | "B" from any accepted spelling. */
export function normaliseSide(s: NodeDiffSide): Side {
  return s === 'B' || s === 'Bid' ? 'B' : 'A';
}

// ---------------------------------------------------------------------------------------------
// Orders and order statuses (node_order_statuses_by_block events; l4Book Updates.order_statuses)
// ---------------------------------------------------------------------------------------------

/**
 * An order as the node writes it (OBS `L4Order`, camelCase). In an l4Book `Snapshot` it carries
 * `user` (an `Option<Address>`, so possibly null); in an order status the user sits outside it.
 * Keys the node may add beyond these are dropped.
 */
export const NodeOrder = z.object({
  user: Address.nullish(),
  coin: z.string().min(1, { error: 'expected non-empty coin' }),
  side: Side,
  limitPx: Decimal,
  sz: Decimal,
  oid: UInt,
  timestamp: UInt,
  triggerCondition: z.string(),
  isTrigger: z.boolean(),
  triggerPx: Decimal,
  isPositionTpsl: z.boolean(),
  reduceOnly: z.boolean(),
  orderType: z.string(),
  tif: z.string().nullish(),
  cloid: z.string().nullish(),
  /** Node lines carry these two; OBS does not read them. */
  children: z.array(z.unknown()).optional(),
  origSz: Decimal.optional(),
});
export type NodeOrder = z.infer<typeof NodeOrder>;

/**
 * One order status (OBS `NodeDataOrderStatus`): `status` is any venue status string ("open",
 * "filled", "canceled", "triggered", "rejected…"). 2025–26 lines also carry `hash` and `builder`.
 */
export const NodeOrderStatus = z.object({
  time: NaiveTime,
  user: Address,
  status: z.string(),
  order: NodeOrder,
  hash: TxHash.nullish(),
  /** Builder info on 2025–26 lines; its shape is not documented, so it is kept as it comes. */
  builder: z.unknown().optional(),
});
export type NodeOrderStatus = z.infer<typeof NodeOrderStatus>;

/**
 * OBS `NodeDataOrderStatus::is_inserted_into_book`: an "open" non-trigger non-IOC order, or a
 * trigger order that has just "triggered". Only these may back a `new` book diff.
 */
export function isInsertedIntoBook(s: NodeOrderStatus): boolean {
  const o = s.order;
  return (
    (s.status === 'open' && !o.isTrigger && o.tif !== 'Ioc') || (o.isTrigger && s.status === 'triggered')
  );
}

// ---------------------------------------------------------------------------------------------
// Raw book diffs (node_raw_book_diffs_by_block events; l4Book Updates.book_diffs)
// ---------------------------------------------------------------------------------------------

/**
 * OBS `OrderDiff` (externally tagged, camelCase): `{"new":{"sz"}}`, `{"update":{"origSz","newSz"}}`
 * or the bare string `"remove"`. `insertBefore` (an oid) is the docs' priority-fee queue position
 * for ALO orders [DOCS priority-fees]; OBS ignores it.
 */
export const RawBookDiffNew = z.object({
  new: z.object({ sz: Decimal, insertBefore: UInt.nullish() }),
});
export const RawBookDiffUpdate = z.object({ update: z.object({ origSz: Decimal, newSz: Decimal }) });
export const RawBookDiff = z.union([RawBookDiffNew, RawBookDiffUpdate, z.literal('remove')], {
  error: 'expected {"new":{sz}}, {"update":{origSz,newSz}} or "remove"',
});
export type RawBookDiff = z.infer<typeof RawBookDiff>;

/**
 * One raw book diff (OBS `NodeDataOrderDiff`). The node's files carry `side`; OBS re-serialises the
 * diff from its own struct, which has no `side`, so in l4Book `Updates` it is absent.
 */
export const NodeBookDiff = z.object({
  user: Address,
  oid: UInt,
  coin: z.string().min(1, { error: 'expected non-empty coin' }),
  side: NodeDiffSide.optional(),
  px: Decimal,
  raw_book_diff: RawBookDiff,
});
export type NodeBookDiff = z.infer<typeof NodeBookDiff>;

// ---------------------------------------------------------------------------------------------
// Fills (node_fills_by_block events: `[user, fill]`, OBS `NodeDataFill(Address, Fill)`)
// ---------------------------------------------------------------------------------------------

/** OBS `Liquidation`: every field a String there. */
export const NodeFillLiquidation = z.object({
  liquidatedUser: z.string().nullish(),
  markPx: Decimal,
  method: z.string(),
});

/** The API `WsFill`, as the node writes it: `liquidation` is `null` on an ordinary fill. */
export const NodeFill = Fill.extend({
  liquidation: NodeFillLiquidation.nullish(),
  cloid: Cloid.nullish(),
  /** IOC priority gas [DOCS priority-fees]: a decimal string in 2026 captures; a number accepted too. */
  priorityGas: z.union([Decimal, z.number()]).nullish(),
  /** Builder address on fills (a string here, an object on order statuses) [community capture 2026]. */
  builder: z.string().nullish(),
  /** HIP-3 fills (node README). */
  deployerFee: Decimal.nullish(),
});
export type NodeFill = z.infer<typeof NodeFill>;

export const NodeFillEvent = z.tuple([Address, NodeFill]);
export type NodeFillEvent = z.infer<typeof NodeFillEvent>;

// ---------------------------------------------------------------------------------------------
// Blocks: one line of a *_by_block hourly file (OBS `Batch<E>`)
// ---------------------------------------------------------------------------------------------

function batchOf<E extends z.ZodType>(event: E) {
  return z.object({
    local_time: NaiveTime,
    block_time: NaiveTime,
    block_number: UInt,
    events: z.array(event),
  });
}

export const NodeFillsBlock = batchOf(NodeFillEvent);
export type NodeFillsBlock = z.infer<typeof NodeFillsBlock>;
export const NodeOrderStatusesBlock = batchOf(NodeOrderStatus);
export type NodeOrderStatusesBlock = z.infer<typeof NodeOrderStatusesBlock>;
export const NodeBookDiffsBlock = batchOf(NodeBookDiff);
export type NodeBookDiffsBlock = z.infer<typeof NodeBookDiffsBlock>;

/** The three by-block streams, named as their directories under `hl/data/` (OBS `EventSource`). */
export const NODE_BLOCK_STREAMS = [
  'node_fills_by_block',
  'node_order_statuses_by_block',
  'node_raw_book_diffs_by_block',
] as const;
export type NodeBlockStream = (typeof NODE_BLOCK_STREAMS)[number];

export interface NodeBlockOf {
  node_fills_by_block: NodeFillsBlock;
  node_order_statuses_by_block: NodeOrderStatusesBlock;
  node_raw_book_diffs_by_block: NodeBookDiffsBlock;
}

export const NODE_BLOCK_SCHEMAS: { readonly [S in NodeBlockStream]: z.ZodType<NodeBlockOf[S]> } = {
  node_fills_by_block: NodeFillsBlock,
  node_order_statuses_by_block: NodeOrderStatusesBlock,
  node_raw_book_diffs_by_block: NodeBookDiffsBlock,
};

// ---------------------------------------------------------------------------------------------
// node_trades (older per-event format; fixture node/node_trades_2025-06-24.jsonl)
// ---------------------------------------------------------------------------------------------

export const NodeTradeSideInfo = z.object({
  user: Address,
  start_pos: Decimal,
  oid: UInt,
  twap_id: UInt.nullable(),
  cloid: z.string().nullable(),
});

/** `side` is the aggressor's; `side_info[0]` is the buyer, `[1]` the seller (doc §6.1 item 1). */
export const NodeTrade = z.object({
  coin: z.string().min(1, { error: 'expected non-empty coin' }),
  side: Side,
  time: NaiveTime,
  px: Decimal,
  sz: Decimal,
  hash: TxHash,
  trade_dir_override: z.string(),
  side_info: z.tuple([NodeTradeSideInfo, NodeTradeSideInfo]),
});
export type NodeTrade = z.infer<typeof NodeTrade>;

// ---------------------------------------------------------------------------------------------
// L4 snapshot file (`fileSnapshot` info request, l4Snapshots, includeHeightInOutput: true)
// ---------------------------------------------------------------------------------------------

/** One order of a snapshot file: `[user, order]` (OBS multi_book.rs `load_snapshots_from_str`). */
export const NodeL4FileOrder = z.tuple([Address, NodeOrder]);
export type NodeL4FileOrder = z.infer<typeof NodeL4FileOrder>;

/**
 * The node's L4 snapshot file as OBS reads it: `[height, [[coin, [[bids…], [asks…]]], …]]`, each
 * side best first with time priority within a price (doc §6.1 item 6; OBS
 * server/src/listeners/order_book/utils.rs `process_rmp_file`, multi_book.rs).
 */
export const NodeL4FileSnapshot = z.tuple([
  UInt,
  z.array(z.tuple([z.string(), z.tuple([z.array(NodeL4FileOrder), z.array(NodeL4FileOrder)])])),
]);
export type NodeL4FileSnapshot = z.infer<typeof NodeL4FileSnapshot>;

// ---------------------------------------------------------------------------------------------
// order_book_server WebSocket (OBS server/src/types/subscription.rs, types/mod.rs)
// ---------------------------------------------------------------------------------------------

/** OBS `MAX_LEVELS` and `DEFAULT_LEVELS`: `nLevels` ≤ 100; sending 20 explicitly is rejected. */
export const OBS_MAX_LEVELS = 100;
export const OBS_DEFAULT_LEVELS = 20;

const ObsCoin = z.string({ error: 'expected coin string' }).min(1, { error: 'expected non-empty coin' });

export const ObsTradesSubscription = z.object({ type: z.literal('trades'), coin: ObsCoin });
export const ObsL2BookSubscription = z.object({
  type: z.literal('l2Book'),
  coin: ObsCoin,
  nSigFigs: z.number().int().min(2).max(5).nullish(),
  nLevels: z.number().int().min(0).max(OBS_MAX_LEVELS).nullish(),
  mantissa: z.union([z.literal(2), z.literal(5)]).nullish(),
});
export const ObsL4BookSubscription = z.object({ type: z.literal('l4Book'), coin: ObsCoin });
/** The only three subscriptions OBS knows (serde internally tagged on `type`, camelCase). */
export const ObsSubscription = z.discriminatedUnion('type', [
  ObsTradesSubscription,
  ObsL2BookSubscription,
  ObsL4BookSubscription,
]);
export type ObsSubscription = z.infer<typeof ObsSubscription>;

/** OBS `ClientMessage`: `{"method":"subscribe"|"unsubscribe","subscription":{…}}`. */
export const ObsClientMessage = z.object({
  method: z.enum(['subscribe', 'unsubscribe'], { error: 'expected "subscribe" or "unsubscribe"' }),
  subscription: ObsSubscription,
});
export type ObsClientMessage = z.infer<typeof ObsClientMessage>;

/** One order of an l4Book snapshot: `L4Order` with its `user`. */
export const ObsL4Snapshot = z.object({
  coin: z.string().min(1, { error: 'expected non-empty coin' }),
  time: UInt,
  height: UInt,
  /** [bids best-first, asks best-first], time priority within a price. */
  levels: z.tuple([z.array(NodeOrder), z.array(NodeOrder)]),
});
export type ObsL4Snapshot = z.infer<typeof ObsL4Snapshot>;

/** OBS `L4BookUpdates`: one block's statuses and diffs for the subscribed coin. */
export const ObsL4Updates = z.object({
  time: UInt,
  height: UInt,
  order_statuses: z.array(NodeOrderStatus),
  book_diffs: z.array(NodeBookDiff),
});
export type ObsL4Updates = z.infer<typeof ObsL4Updates>;

/** OBS `L4Book`, externally tagged. */
export const ObsL4BookSnapshot = z.object({ Snapshot: ObsL4Snapshot });
export const ObsL4BookUpdates = z.object({ Updates: ObsL4Updates });
export const ObsL4Book = z.union([ObsL4BookSnapshot, ObsL4BookUpdates], {
  error: 'expected {"Snapshot":{…}} or {"Updates":{…}}',
});
export type ObsL4Book = z.infer<typeof ObsL4Book>;

/** OBS `ServerResponse` (adjacently tagged `channel` / `data`). */
export interface ObsChannelData {
  subscriptionResponse: ObsClientMessage;
  l2Book: Book;
  trades: Trade[];
  l4Book: ObsL4Book;
  error: string;
}
export type ObsChannel = keyof ObsChannelData;
export type ObsServerMessage = { [C in ObsChannel]: { channel: C; data: ObsChannelData[C] } }[ObsChannel];

export const OBS_DATA_SCHEMAS: { readonly [C in ObsChannel]: z.ZodType<ObsChannelData[C]> } = {
  subscriptionResponse: ObsClientMessage,
  l2Book: Book,
  trades: z.array(Trade),
  l4Book: ObsL4Book,
  error: z.string(),
};
export const OBS_CHANNELS = Object.keys(OBS_DATA_SCHEMAS) as ObsChannel[];
