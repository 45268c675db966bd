/**
 * The bytes the node and its order_book_server write, by hand so key order and number formatting
 * match theirs (like sim/frames.ts does for the public API).
 *
 * Node files (one block per line, `--batch-by-block`): `{"local_time","block_time","block_number",
 * "events"}`; events as docs/hyperliquid-protocol.md §6.1 lists them (fills `[user, WsFill]`,
 * order statuses `{time,user,status,order}`, raw book diffs `{user,oid,coin,side,px,raw_book_diff}`),
 * users lowercase as in the real lines.
 *
 * order_book_server (hyperliquid-dex/order_book_server @ bf5f6bc, server/src/types/mod.rs,
 * node_data.rs, subscription.rs): serde re-serialises what it parsed from those files, so
 * - `Updates.order_statuses[].order` is OBS's `L4Order`: the node's keys it does not know
 *   (`children`, `origSz`) are gone and `"user":null` leads (the user sits outside the order);
 * - `Updates.book_diffs[]` is `NodeDataOrderDiff` {user, oid, px, coin, raw_book_diff}: no `side`;
 * - users are alloy `Address`es, written EIP-55 checksummed;
 * - prices and sizes it computed itself (l2Book levels, the l4Book snapshot's orders) are
 *   `Px/Sz::to_str` (`"106217"`), those it passed through keep the node's text (`"106217.0"`);
 * - a trade is `{coin, side, px, sz, hash, time, tid, users}` in that order (its struct order).
 */
import { checksumAddress, naiveTime, obsFormat, obsNumber } from './format.ts';
import type { NodeBookOrder, NodeDiffEvent, NodeDiffKind, NodeFillEvent, NodeStatusEvent } from './orders.ts';

const q = JSON.stringify;

// ------------------------------------------------------------------ node files

export function nodeFillJson(f: NodeFillEvent): string {
  return (
    `[${q(f.user)},{"coin":${q(f.coin)},"px":"${f.px}","sz":"${f.sz}","side":"${f.side}","time":${f.time},` +
    `"startPosition":"${f.startPosition}","dir":"${f.dir}","closedPnl":"${f.closedPnl}","hash":"${f.hash}",` +
    `"oid":${f.oid},"crossed":${f.crossed},"fee":"${f.fee}","tid":${f.tid},"feeToken":"USDC","liquidation":null}]`
  );
}

export function nodeStatusJson(s: NodeStatusEvent): string {
  const o = s.order;
  return (
    `{"time":"${naiveTime(s.time)}","user":${q(s.user)},"status":"${s.status}","order":{"coin":${q(o.coin)},` +
    `"side":"${o.side}","limitPx":"${o.limitPx}","sz":"${o.sz}","oid":${o.oid},"timestamp":${o.timestamp},` +
    `"triggerCondition":"N/A","isTrigger":false,"triggerPx":"0.0","children":[],"isPositionTpsl":false,` +
    `"reduceOnly":false,"orderType":"Limit","origSz":"${o.origSz}","tif":"${o.tif}",` +
    `"cloid":${o.cloid === null ? 'null' : q(o.cloid)}}}`
  );
}

function rawDiffJson(d: NodeDiffKind): string {
  switch (d.kind) {
    case 'new':
      return `{"new":{"sz":"${d.sz}"}}`;
    case 'update':
      return `{"update":{"origSz":"${d.origSz}","newSz":"${d.newSz}"}}`;
    case 'remove':
      return '"remove"';
  }
}

export function nodeDiffJson(d: NodeDiffEvent): string {
  return (
    `{"user":${q(d.user)},"oid":${d.oid},"coin":${q(d.coin)},"side":"${d.side}","px":"${d.px}",` +
    `"raw_book_diff":${rawDiffJson(d.diff)}}`
  );
}

/** One line of a `*_by_block` file (without the newline). */
export function nodeBlockLine(
  localTime: string,
  blockTime: string,
  height: number,
  events: string[],
): string {
  return (
    `{"local_time":"${localTime}","block_time":"${blockTime}","block_number":${height},` +
    `"events":[${events.join(',')}]}`
  );
}

// ------------------------------------------------------------------ order_book_server

export function obsErrorFrame(message: string): string {
  return `{"channel":"error","data":${q(message)}}`;
}

export function obsSubscriptionResponseFrame(method: 'subscribe' | 'unsubscribe', subJson: string): string {
  return `{"channel":"subscriptionResponse","data":{"method":"${method}","subscription":${subJson}}}`;
}

/** OBS `L4Order` of an order on its book (user inside, numbers through `to_str`). */
export function obsBookOrderJson(o: NodeBookOrder, px: string, sz: string): string {
  return (
    `{"user":"${checksumAddress(o.user)}","coin":${q(o.coin)},"side":"${o.side}","limitPx":"${obsNumber(px)}",` +
    `"sz":"${obsNumber(sz)}","oid":${o.oid},"timestamp":${o.timestamp},"triggerCondition":"N/A",` +
    `"isTrigger":false,"triggerPx":"0.0","isPositionTpsl":false,"reduceOnly":false,"orderType":"Limit",` +
    `"tif":"${o.tif}","cloid":${o.cloid === null ? 'null' : q(o.cloid)}}`
  );
}

export function obsStatusJson(s: NodeStatusEvent): string {
  const o = s.order;
  return (
    `{"time":"${naiveTime(s.time)}","user":"${checksumAddress(s.user)}","status":"${s.status}",` +
    `"order":{"user":null,"coin":${q(o.coin)},"side":"${o.side}","limitPx":"${o.limitPx}","sz":"${o.sz}",` +
    `"oid":${o.oid},"timestamp":${o.timestamp},"triggerCondition":"N/A","isTrigger":false,"triggerPx":"0.0",` +
    `"isPositionTpsl":false,"reduceOnly":false,"orderType":"Limit","tif":"${o.tif}",` +
    `"cloid":${o.cloid === null ? 'null' : q(o.cloid)}}}`
  );
}

export function obsDiffJson(d: NodeDiffEvent): string {
  return (
    `{"user":"${checksumAddress(d.user)}","oid":${d.oid},"px":"${d.px}","coin":${q(d.coin)},` +
    `"raw_book_diff":${rawDiffJson(d.diff)}}`
  );
}

export function obsL4SnapshotFrame(
  coin: string,
  time: number,
  height: number,
  bids: string[],
  asks: string[],
): string {
  return (
    `{"channel":"l4Book","data":{"Snapshot":{"coin":${q(coin)},"time":${time},"height":${height},` +
    `"levels":[[${bids.join(',')}],[${asks.join(',')}]]}}}`
  );
}

export function obsL4UpdatesFrame(time: number, height: number, statuses: string[], diffs: string[]): string {
  return (
    `{"channel":"l4Book","data":{"Updates":{"time":${time},"height":${height},` +
    `"order_statuses":[${statuses.join(',')}],"book_diffs":[${diffs.join(',')}]}}}`
  );
}

/**
 * `Trade::from_fills`: the pair's ask fill gives px, sz, hash, time and tid; the side is the ask's
 * when the ask crossed (took), else the bid's; users are [buyer, seller].
 */
export function obsTradeJson(a: NodeFillEvent, b: NodeFillEvent): string {
  const ask = a.side === 'A' ? a : b;
  const bid = a.side === 'A' ? b : a;
  const side = ask.crossed ? 'A' : 'B';
  return (
    `{"coin":${q(ask.coin)},"side":"${side}","px":"${ask.px}","sz":"${ask.sz}","hash":"${ask.hash}",` +
    `"time":${ask.time},"tid":${ask.tid},"users":["${checksumAddress(bid.user)}","${checksumAddress(ask.user)}"]}`
  );
}

export function obsTradesFrame(trades: string[]): string {
  return `{"channel":"trades","data":[${trades.join(',')}]}`;
}

/** An L2 level held ×10^8 (OBS `InnerLevel`). */
export interface ObsLevel {
  px: number;
  sz: number;
  n: number;
}

export function obsL2Frame(
  coin: string,
  time: number,
  bids: readonly ObsLevel[],
  asks: readonly ObsLevel[],
): string {
  const side = (ls: readonly ObsLevel[]) =>
    '[' + ls.map((l) => `{"px":"${obsFormat(l.px)}","sz":"${obsFormat(l.sz)}","n":${l.n}}`).join(',') + ']';
  return `{"channel":"l2Book","data":{"coin":${q(coin)},"time":${time},"levels":[${side(bids)},${side(asks)}]}}`;
}
