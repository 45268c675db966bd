/**
 * The live Hyperliquid venue (`Venue`): orders from the execution actor become signed L1 actions
 * (asset id = index in `meta.universe`, price / size rounded per szDecimals, cloid derived from the
 * client id), sent through the exchange client (WS `post` on its own socket, or HTTP), and the
 * answers and private streams become `VenueReport`s:
 *  - `resting` → accepted; `filled` / `error` per order; batch-level errors → rejected with the
 *    venue's string; no answer in time → timeout, then the order's fate is looked up (`orderStatus`);
 *  - fills come from the private streams `userFills` (with its `isSnapshot` first message) and
 *    `user` (userEvents), and from REST reconciliation, deduplicated by (oid, tid, hash), so each fill
 *    is reported exactly once whichever path brings it first;
 *  - `orderUpdates` give accepted / canceled / rejected; a terminal update waits for the fills it
 *    accounts for (origSz − sz) before it is reported, so a fill is never reported after its order's end.
 * After every (re)connect of the private streams the venue reconciles over REST (`userFillsByTime`
 * since the last fill seen, `openOrders`, `orderStatus` of orders that vanished, `clearinghouseState`)
 * against the MASTER account (`account`; agent wallets have no state of their own) before it accepts
 * new orders: until then `submit` answers `rejected` with reason `LIVE_REASONS.notReconciled`.
 * A dead-man switch (`scheduleCancel` now + aheadMs, refreshed every refreshMs on the injected clock)
 * runs while the venue is up and is cleared on close.
 * The key never enters this module: a `KeySource` is lent once to the signer worker.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import {
  type ActionOutcome,
  type ActionSigner,
  ExchangeClient,
  HttpActionTransport,
  RateBudget,
  type ActionTransport,
} from '../../../hyperliquid/exchange.ts';
import { type FetchLike, InfoClient } from '../../../hyperliquid/info.ts';
import type { InfoResponse, Meta } from '../../../hyperliquid/info-schemas.ts';
import { NonceManager } from '../../../hyperliquid/nonces.ts';
import { parseServerFrame } from '../../../hyperliquid/parse.ts';
import {
  type CoinRules,
  coinRulesFromMeta,
  roundPriceString,
  roundSizeString,
} from '../../../hyperliquid/rounding.ts';
import { infoRequestWeight } from '../../../hyperliquid/subscriptions.ts';
import type { OrderParams } from '../../../hyperliquid/wire.ts';
import type { Clock, TimerId } from '../../../state/clock.ts';
import { RecordKind } from '../../../state/records.ts';
import { type Feed, type FeedConfig, startFeed } from '../../feed/connection.ts';
import type { RecordSink } from '../../feed/stamper.ts';
import type { OrderRequest, Venue, VenueReport } from '../types.ts';
import { inlineKeySigner, type KeySource, startWorkerSigner } from './signer.ts';
import { WsChannel, WsPostTransport } from './ws-post.ts';

export const LIVE_REASONS = {
  notReconciled: 'live venue not reconciled with the exchange yet (connecting or reconciling)',
  stopped: 'live venue stopped',
  duplicate: 'Duplicate client order id.',
  unknownCoin: (coin: string) => `unknown coin ${coin} (not in meta.universe)`,
  zeroSize: (size: number, szDecimals: number) => `size ${size} rounds to 0 at ${szDecimals} decimals`,
  iocRemainder: 'ioc remainder',
  canceled: 'canceled',
  notPlaced: 'order was never placed (unknown to the venue)',
} as const;

export class LiveTradingRefused extends Error {
  constructor() {
    super('live order placement needs an explicit liveTrading: true (the --live-trading flag)');
    this.name = 'LiveTradingRefused';
  }
}

export interface LiveLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface LiveVenueOptions {
  /** Must be exactly true: live order placement is never built by default. */
  liveTrading: boolean;
  clock: Clock;
  /** The key holder from runtime/secrets.ts (lent once to the signer). */
  key: KeySource;
  /** The master account the orders trade for and that the info queries name (live.account). Default: the signer. */
  account?: string;
  /** Sub-account or vault (live.vaultAddress). */
  vaultAddress?: string | null;
  isMainnet: boolean;
  /** REST base (…/info, …/exchange). */
  httpUrl: string;
  /** WebSocket URL (private streams, and WS post when actions = 'ws'). */
  wsUrl: string;
  fetch: FetchLike;
  /** How actions travel: 'ws' (default, one ordered connection) or 'http'. */
  actions?: 'ws' | 'http';
  /** 'worker' (default): the key lives in its own thread; 'inline': in a closure here. */
  signer?: 'worker' | 'inline';
  /** Per-request timeout of WS post actions (ms). Default 10 000. */
  requestTimeoutMs?: number;
  /** Dead-man switch; false disables it. Default refresh every 30 s to now + 60 s. */
  deadMan?: { refreshMs: number; aheadMs: number } | false;
  /** Private-stream connection settings (timings, seed). */
  feed?: FeedConfig;
  /** The meta to trade from (default: fetched). */
  meta?: Meta;
  /** First reconciliation looks back this far for fills (ms). Default 60 000. */
  lookbackMs?: number;
  /** Retry a failed reconciliation after this (ms, on the clock). Default 1 000. */
  reconcileRetryMs?: number;
  logger?: LiveLogger;
}

export interface LiveCounters {
  submitted: number;
  rejectedLocally: number;
  reports: number;
  fills: number;
  /** Fills seen again (both private channels, a snapshot, or REST) and dropped. */
  duplicateFills: number;
  /** Fills first learned from REST reconciliation (missed while disconnected). */
  recoveredFills: number;
  /** Fills of orders this venue did not place (reported with clientId ''). */
  foreignFills: number;
  snapshots: number;
  badFrames: number;
  reconciles: number;
  reconcileErrors: number;
  /** Fills REST returned during reconciliation, duplicates included. */
  reconcileFillsReturned: number;
  timeouts: number;
  statusLookups: number;
  deadManRefreshes: number;
  deadManErrors: number;
  listenerErrors: number;
}

interface LiveOrder {
  req: OrderRequest;
  cloid: string;
  asset: number;
  szDecimals: number;
  px: string;
  size: number;
  oid: number | null;
  filled: number;
  accepted: boolean;
  done: boolean;
  /** The exchange call has not answered yet. */
  inFlight: boolean;
  /** A terminal report waiting until `filled` reaches `until`. */
  terminal: { type: 'canceled' | 'rejected'; reason: string; until: number } | null;
}

type Fillish = {
  coin: string;
  px: string;
  sz: string;
  side: 'A' | 'B';
  time: number;
  oid: number;
  crossed: boolean;
  fee: string;
  tid?: number | undefined;
  hash: string;
  cloid?: string | null | undefined;
};

const EPS = 1e-12;

/** The cloid of a client id: the first 16 bytes of keccak256(clientId), 0x-prefixed. */
export function cloidFor(clientId: string): string {
  return `0x${bytesToHex(keccak_256(utf8ToBytes(clientId)).subarray(0, 16))}`;
}

export type LiveState = 'connecting' | 'reconciling' | 'ready' | 'stopped';

export class LiveVenue implements Venue {
  readonly counters: LiveCounters = {
    submitted: 0,
    rejectedLocally: 0,
    reports: 0,
    fills: 0,
    duplicateFills: 0,
    recoveredFills: 0,
    foreignFills: 0,
    snapshots: 0,
    badFrames: 0,
    reconciles: 0,
    reconcileErrors: 0,
    reconcileFillsReturned: 0,
    timeouts: 0,
    statusLookups: 0,
    deadManRefreshes: 0,
    deadManErrors: 0,
    listenerErrors: 0,
  };
  readonly account: string;
  readonly exchange: ExchangeClient;
  readonly info: InfoClient;
  readonly budget: RateBudget;
  private stateNow: LiveState = 'connecting';
  private readonly clock: Clock;
  private readonly orders = new Map<string, LiveOrder>();
  private readonly byCloid = new Map<string, string>();
  private readonly byOid = new Map<number, string>();
  private readonly seenFills = new Set<string>();
  private readonly seenOrder: string[] = [];
  private lastFillTime = 0;
  private readonly startedAt: number;
  private readonly listeners = new Set<(r: VenueReport) => void>();
  private rules = new Map<string, CoinRules>();
  private feed: Feed | null = null;
  private gen = 0;
  private readyWaiters: (() => void)[] = [];
  private deadManTimer: TimerId | null = null;
  private retryTimer: TimerId | null = null;
  private positionsNow = new Map<string, number>();
  private readonly wsChannel: WsChannel | null;
  private readonly wsPost: WsPostTransport | null;

  constructor(
    private readonly opts: LiveVenueOptions,
    private readonly signer: ActionSigner & { close(): Promise<void> },
  ) {
    this.clock = opts.clock;
    this.startedAt = opts.clock.now();
    this.account = (opts.account ?? signer.address).toLowerCase();
    this.budget = new RateBudget(() => this.clock.now());
    this.info = new InfoClient({ fetch: opts.fetch, baseUrl: opts.httpUrl });
    let transport: ActionTransport;
    if ((opts.actions ?? 'ws') === 'ws') {
      this.wsChannel = new WsChannel(opts.wsUrl);
      this.wsPost = new WsPostTransport(this.wsChannel, this.clock, {
        timeoutMs: opts.requestTimeoutMs ?? 10_000,
      });
      transport = this.wsPost;
    } else {
      this.wsChannel = null;
      this.wsPost = null;
      transport = new HttpActionTransport(opts.fetch, opts.httpUrl);
    }
    this.exchange = new ExchangeClient({
      transport,
      signer,
      nonces: new NonceManager(() => this.clock.now()),
      isMainnet: opts.isMainnet,
      vaultAddress: opts.vaultAddress ?? null,
      budget: this.budget,
      now: () => this.clock.now(),
    });
  }

  get state(): LiveState {
    return this.stateNow;
  }

  /** The signer's address (the API wallet when an agent signs). */
  get signerAddress(): string {
    return this.signer.address;
  }

  /** Positions (signed size per coin) from the last reconciliation's clearinghouseState. */
  venuePositions(): ReadonlyMap<string, number> {
    return this.positionsNow;
  }

  /** Load the meta and start the private streams. */
  async start(): Promise<void> {
    const meta = this.opts.meta ?? (await this.infoCall('meta', () => this.info.meta()));
    this.rules = coinRulesFromMeta(meta);
    const sink: RecordSink = {
      tryWriteParts: (_seq, _time, _epoch, kind, _channel, data) => {
        if (kind === RecordKind.Frame) this.onFrame(data);
        return true;
      },
      fits: () => true,
    };
    const user = this.account;
    const feedOpts: Parameters<typeof startFeed>[0] = {
      url: this.opts.wsUrl,
      subscriptions: [
        { type: 'orderUpdates', user },
        { type: 'userFills', user },
        { type: 'userEvents', user },
      ],
      clock: this.clock,
      producer: sink,
    };
    if (this.opts.feed) feedOpts.config = this.opts.feed;
    if (this.opts.logger) feedOpts.logger = this.opts.logger;
    this.feed = startFeed(feedOpts);
    this.feed.on('live', () => {
      this.gen++;
      void this.reconcile(this.gen);
    });
    this.feed.on('down', (e) => {
      if (this.stateNow === 'stopped') return;
      this.gen++;
      this.stateNow = 'connecting';
      this.opts.logger?.warn(
        { cause: e.cause, reason: e.reason },
        'live venue: private streams down; new orders refused',
      );
    });
  }

  /** Resolves once the venue has reconciled and accepts orders. */
  ready(): Promise<void> {
    if (this.stateNow === 'ready') return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** The private-stream connection (for tests and health). */
  get privateFeed(): Feed | null {
    return this.feed;
  }

  // ------------------------------------------------------------------------------------------
  // Venue
  // ------------------------------------------------------------------------------------------

  submit(order: OrderRequest): void {
    this.counters.submitted++;
    const reason = this.place(order);
    if (reason === null) return;
    this.counters.rejectedLocally++;
    // answered later, never from inside submit()
    queueMicrotask(() =>
      this.report({ type: 'rejected', clientId: order.clientId, reason, time: this.clock.now() }),
    );
  }

  /** Send the order; returns why it was refused locally, or null when it went to the exchange. */
  private place(order: OrderRequest): string | null {
    if (this.stateNow === 'stopped') return LIVE_REASONS.stopped;
    if (this.stateNow !== 'ready') return LIVE_REASONS.notReconciled;
    if (this.orders.has(order.clientId)) return LIVE_REASONS.duplicate;
    const rule = this.rules.get(order.coin);
    if (rule === undefined) return LIVE_REASONS.unknownCoin(order.coin);
    let px: string;
    let sz: string;
    try {
      px = roundPriceString(order.limitPx, rule.szDecimals);
      sz = roundSizeString(order.size, rule.szDecimals);
    } catch (e) {
      return `bad price or size: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (!(Number(sz) > 0)) return LIVE_REASONS.zeroSize(order.size, rule.szDecimals);
    const cloid = cloidFor(order.clientId);
    const lo: LiveOrder = {
      req: { ...order },
      cloid,
      asset: rule.asset,
      szDecimals: rule.szDecimals,
      px,
      size: Number(sz),
      oid: null,
      filled: 0,
      accepted: false,
      done: false,
      inFlight: true,
      terminal: null,
    };
    this.orders.set(order.clientId, lo);
    this.byCloid.set(cloid, order.clientId);
    void this.exchange
      .order([this.params(lo, px, sz)])
      .then((o) => this.onOrderOutcome(lo, o))
      .catch((e: unknown) => this.internalError('order outcome', e));
    return null;
  }

  cancel(clientId: string): void {
    const lo = this.orders.get(clientId);
    if (lo === undefined || lo.done || this.stateNow === 'stopped') return;
    const p =
      lo.oid !== null
        ? this.exchange.cancel([{ asset: lo.asset, oid: lo.oid }])
        : this.exchange.cancelByCloid([{ asset: lo.asset, cloid: lo.cloid }]);
    void p
      .then((o) => this.onCancelOutcome(lo, o))
      .catch((e: unknown) => this.internalError('cancel outcome', e));
  }

  /**
   * Change an open order's price and/or remaining size (the venue's `modify`, addressed by oid). The
   * order keeps its client id; the outcome is returned, and reports follow from the streams.
   */
  async modify(clientId: string, change: { limitPx?: number; size?: number }): Promise<ActionOutcome> {
    const lo = this.orders.get(clientId);
    if (lo === undefined || lo.done || lo.oid === null) {
      return { ok: false, nonce: null, code: 'invalid', message: `modify: no open order ${clientId}` };
    }
    const px = change.limitPx === undefined ? lo.px : roundPriceString(change.limitPx, lo.szDecimals);
    const remaining = change.size === undefined ? lo.size - lo.filled : change.size;
    const sz = roundSizeString(remaining, lo.szDecimals);
    const outcome = await this.exchange.modify(lo.oid, this.params(lo, px, sz));
    if (outcome.ok) {
      lo.px = px;
      lo.req = { ...lo.req, limitPx: Number(px) };
      lo.size = lo.filled + Number(sz);
    }
    return outcome;
  }

  connection(): string {
    return this.state;
  }

  onReport(listener: (report: VenueReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    void this.close().catch((e: unknown) => this.internalError('close', e));
  }

  /** Clear the dead-man switch, close the streams and the signer. */
  async close(): Promise<void> {
    if (this.stateNow === 'stopped') return;
    const wasReady = this.stateNow === 'ready';
    this.stateNow = 'stopped';
    this.gen++;
    if (this.deadManTimer !== null) this.clock.clearTimeout(this.deadManTimer);
    if (this.retryTimer !== null) this.clock.clearTimeout(this.retryTimer);
    this.deadManTimer = null;
    this.retryTimer = null;
    if (wasReady && this.opts.deadMan !== false) {
      const o = await this.exchange.scheduleCancel();
      if (!o.ok)
        this.opts.logger?.warn(
          { code: o.code, message: o.message },
          'live venue: clearing the dead-man switch failed',
        );
    }
    this.feed?.stop();
    this.wsPost?.close('venue closed');
    this.wsChannel?.close();
    await this.signer.close();
  }

  // ------------------------------------------------------------------------------------------
  // Outcomes
  // ------------------------------------------------------------------------------------------

  private params(lo: LiveOrder, px: string, sz: string): OrderParams {
    return {
      asset: lo.asset,
      isBuy: lo.req.side === 'BUY',
      px,
      sz,
      reduceOnly: lo.req.reduceOnly,
      type: { limit: { tif: lo.req.tif } },
      cloid: lo.cloid,
    };
  }

  private onOrderOutcome(lo: LiveOrder, o: ActionOutcome): void {
    lo.inFlight = false;
    if (lo.done) return;
    if (!o.ok) {
      if (o.code === 'timeout' || o.code === 'bad_response') {
        this.counters.timeouts++;
        this.report({ type: 'timeout', clientId: lo.req.clientId, time: this.clock.now() });
        void this.lookUp(lo);
        return;
      }
      this.finish(lo, 'rejected', o.message);
      return;
    }
    const s = o.statuses[0];
    if (s === undefined) {
      this.finish(lo, 'rejected', `no status in the ${o.responseType} answer`);
      return;
    }
    switch (s.kind) {
      case 'resting':
        this.learnOid(lo, s.oid);
        this.accept(lo);
        return;
      case 'filled':
        this.learnOid(lo, s.oid);
        // an Ioc ends with what it got (the fills themselves arrive on the streams); a Gtc `filled` is complete
        if (lo.req.tif === 'Ioc')
          this.endAfterFills(lo, 'canceled', LIVE_REASONS.iocRemainder, Number(s.totalSz));
        return;
      case 'error':
        this.finish(lo, 'rejected', s.error);
        return;
      default:
        this.accept(lo);
    }
  }

  private onCancelOutcome(lo: LiveOrder, o: ActionOutcome): void {
    if (lo.done) return;
    if (o.ok && o.statuses[0]?.kind === 'success') {
      this.finish(lo, 'canceled', LIVE_REASONS.canceled);
      return;
    }
    // the order is already final (filled or canceled) or the answer is unknown: ask the venue
    void this.lookUp(lo);
  }

  private learnOid(lo: LiveOrder, oid: number): void {
    if (lo.oid === null) {
      lo.oid = oid;
      this.byOid.set(oid, lo.req.clientId);
    }
  }

  private accept(lo: LiveOrder): void {
    if (lo.accepted || lo.done) return;
    lo.accepted = true;
    this.report({
      type: 'accepted',
      clientId: lo.req.clientId,
      oid: String(lo.oid ?? lo.cloid),
      time: this.clock.now(),
    });
  }

  private finish(lo: LiveOrder, type: 'canceled' | 'rejected', reason: string): void {
    if (lo.done) return;
    lo.done = true;
    lo.terminal = null;
    this.report({ type, clientId: lo.req.clientId, reason, time: this.clock.now() });
  }

  /** Report the end once the fills it accounts for (`until` of size) have been reported. */
  private endAfterFills(lo: LiveOrder, type: 'canceled' | 'rejected', reason: string, until: number): void {
    if (lo.done) return;
    if (lo.filled >= lo.size - EPS) {
      lo.done = true; // fully filled: the last fill was the end
      return;
    }
    lo.terminal = { type, reason, until };
    this.checkTerminal(lo);
  }

  private checkTerminal(lo: LiveOrder): void {
    const t = lo.terminal;
    if (t === null || lo.done) return;
    if (lo.filled >= t.until - EPS) this.finish(lo, t.type, t.reason);
  }

  /** Find out what became of an order whose answer was lost (timeout) or whose cancel failed. */
  private async lookUp(lo: LiveOrder): Promise<void> {
    this.counters.statusLookups++;
    let r: InfoResponse<'orderStatus'>;
    try {
      r = await this.infoCall('orderStatus', () => this.info.orderStatus(this.account, lo.oid ?? lo.cloid));
    } catch (e) {
      this.opts.logger?.warn(
        { clientId: lo.req.clientId, err: String(e) },
        'live venue: orderStatus lookup failed',
      );
      return;
    }
    if (this.stateNow === 'stopped') return;
    this.applyStatus(lo, r);
  }

  private applyStatus(lo: LiveOrder, r: InfoResponse<'orderStatus'>): void {
    if (lo.done) return;
    if (r.status === 'unknownOid') {
      if (!lo.inFlight) this.finish(lo, 'rejected', LIVE_REASONS.notPlaced);
      return;
    }
    const { order, status } = r.order;
    this.learnOid(lo, order.oid);
    if (status === 'open' || status === 'triggered') {
      this.accept(lo);
      return;
    }
    if (status === 'filled') return; // fills are reported from the fill records
    const until = Math.max(0, Number(order.origSz) - Number(order.sz));
    this.endAfterFills(lo, /rejected$/i.test(status) ? 'rejected' : 'canceled', status, until);
  }

  // ------------------------------------------------------------------------------------------
  // Private streams
  // ------------------------------------------------------------------------------------------

  private onFrame(data: Uint8Array): void {
    const r = parseServerFrame(data);
    if (!r.ok) {
      if (r.error.code !== 'not_json') this.counters.badFrames++;
      return;
    }
    const f = r.frame;
    try {
      switch (f.channel) {
        case 'userFills':
          if (f.data.user.toLowerCase() !== this.account) return;
          if (f.data.isSnapshot === true) this.counters.snapshots++;
          for (const fill of f.data.fills) this.onFill(fill, 'stream');
          return;
        case 'user':
          if ('fills' in f.data) for (const fill of f.data.fills) this.onFill(fill, 'stream');
          return;
        case 'orderUpdates':
          for (const u of f.data) this.onOrderUpdate(u.order, u.status);
          return;
        default:
          return;
      }
    } catch (e) {
      this.internalError(`frame ${f.channel}`, e);
    }
  }

  private onOrderUpdate(
    order: { oid: number; cloid?: string | null | undefined; sz: string; origSz: string },
    status: string,
  ): void {
    const clientId =
      (order.cloid ? this.byCloid.get(order.cloid.toLowerCase()) : undefined) ?? this.byOid.get(order.oid);
    const lo = clientId === undefined ? undefined : this.orders.get(clientId);
    if (lo === undefined || lo.done) return;
    this.learnOid(lo, order.oid);
    if (status === 'open' || status === 'triggered') {
      this.accept(lo);
      return;
    }
    if (status === 'filled') return;
    const until = Math.max(0, Number(order.origSz) - Number(order.sz));
    this.endAfterFills(lo, /rejected$/i.test(status) ? 'rejected' : 'canceled', status, until);
  }

  private onFill(f: Fillish, source: 'stream' | 'reconcile'): void {
    const key = `${f.oid}:${f.tid ?? ''}:${f.hash}`;
    if (this.seenFills.has(key)) {
      this.counters.duplicateFills++;
      return;
    }
    this.seenFills.add(key);
    this.seenOrder.push(key);
    if (this.seenOrder.length > 50_000) this.seenFills.delete(this.seenOrder.shift()!);
    if (f.time > this.lastFillTime) this.lastFillTime = f.time;
    if (source === 'reconcile') this.counters.recoveredFills++;
    this.counters.fills++;
    const clientId =
      (f.cloid ? this.byCloid.get(f.cloid.toLowerCase()) : undefined) ?? this.byOid.get(f.oid) ?? '';
    const lo = clientId === '' ? undefined : this.orders.get(clientId);
    const sz = Number(f.sz);
    let remaining = 0;
    if (lo !== undefined) {
      this.learnOid(lo, f.oid);
      lo.filled += sz;
      remaining = Math.max(0, lo.size - lo.filled);
      if (remaining <= EPS) remaining = 0;
    } else {
      this.counters.foreignFills++;
    }
    this.report({
      type: 'fill',
      clientId,
      coin: f.coin,
      side: f.side === 'B' ? 'BUY' : 'SELL',
      px: Number(f.px),
      sz,
      fee: Number(f.fee),
      liquidity: f.crossed ? 'taker' : 'maker',
      remaining,
      time: this.clock.now(),
    });
    if (lo !== undefined) {
      if (remaining === 0) lo.done = true;
      else this.checkTerminal(lo);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Reconciliation
  // ------------------------------------------------------------------------------------------

  private async reconcile(gen: number): Promise<void> {
    if (this.stateNow === 'stopped') return;
    this.stateNow = 'reconciling';
    const account = this.account;
    try {
      let since =
        this.lastFillTime > 0 ? this.lastFillTime : this.startedAt - (this.opts.lookbackMs ?? 60_000);
      for (let page = 0; page < 10; page++) {
        const fills = await this.infoCall('userFillsByTime', () =>
          this.info.userFillsByTime(account, Math.floor(since)),
        );
        if (gen !== this.gen) return;
        this.budget.charge(
          infoRequestWeight('userFillsByTime', fills.length) - infoRequestWeight('userFillsByTime'),
        );
        this.counters.reconcileFillsReturned += fills.length;
        const sorted = [...fills].sort((a, b) => a.time - b.time);
        for (const f of sorted) this.onFill(f, 'reconcile');
        if (fills.length < 2000) break;
        since = sorted.at(-1)!.time;
      }
      const open = await this.infoCall('openOrders', () => this.info.openOrders(account));
      if (gen !== this.gen) return;
      const openOids = new Set<number>();
      for (const o of open) {
        openOids.add(o.oid);
        const clientId =
          (o.cloid ? this.byCloid.get(o.cloid.toLowerCase()) : undefined) ?? this.byOid.get(o.oid);
        const lo = clientId === undefined ? undefined : this.orders.get(clientId);
        if (lo !== undefined && !lo.done) {
          this.learnOid(lo, o.oid);
          this.accept(lo);
        }
      }
      // orders we believed live that the venue no longer lists ended while we were away
      for (const lo of [...this.orders.values()]) {
        if (lo.done || lo.inFlight || (lo.oid !== null && openOids.has(lo.oid))) continue;
        this.counters.statusLookups++;
        const st = await this.infoCall('orderStatus', () =>
          this.info.orderStatus(account, lo.oid ?? lo.cloid),
        );
        if (gen !== this.gen) return;
        this.applyStatus(lo, st);
      }
      const ch = await this.infoCall('clearinghouseState', () => this.info.clearinghouseState(account));
      if (gen !== this.gen) return;
      this.positionsNow = new Map(ch.assetPositions.map((p) => [p.position.coin, Number(p.position.szi)]));
      this.counters.reconciles++;
      this.stateNow = 'ready';
      this.opts.logger?.info(
        {
          open: open.length,
          positions: Object.fromEntries(this.positionsNow),
          recovered: this.counters.recoveredFills,
        },
        'live venue: reconciled; accepting orders',
      );
      for (const w of this.readyWaiters.splice(0)) w();
      this.startDeadMan();
    } catch (e) {
      if (gen !== this.gen || (this.stateNow as LiveState) === 'stopped') return;
      this.counters.reconcileErrors++;
      this.opts.logger?.error({ err: String(e) }, 'live venue: reconciliation failed; retrying');
      this.retryTimer = this.clock.setTimeout(() => {
        this.retryTimer = null;
        if (gen === this.gen) void this.reconcile(gen);
      }, this.opts.reconcileRetryMs ?? 1_000);
    }
  }

  /** An info request paid from the shared REST weight budget (refused, not sent, when it is exhausted). */
  private infoCall<T>(type: string, call: () => Promise<T>): Promise<T> {
    if (!this.budget.tryTake(infoRequestWeight(type))) {
      return Promise.reject(
        new Error(
          `info ${type}: REST weight budget exhausted (${this.budget.used()}/${this.budget.perMinute})`,
        ),
      );
    }
    return call();
  }

  // ------------------------------------------------------------------------------------------
  // Dead-man switch
  // ------------------------------------------------------------------------------------------

  private startDeadMan(): void {
    const dm = this.opts.deadMan ?? { refreshMs: 30_000, aheadMs: 60_000 };
    if (dm === false || this.deadManTimer !== null) return;
    const tick = () => {
      this.deadManTimer = null;
      if (this.stateNow === 'stopped') return;
      if (this.stateNow === 'ready') {
        void this.exchange.scheduleCancel(Math.floor(this.clock.now()) + dm.aheadMs).then((o) => {
          if (o.ok) this.counters.deadManRefreshes++;
          else {
            this.counters.deadManErrors++;
            this.opts.logger?.warn(
              { code: o.code, message: o.message },
              'live venue: dead-man switch refresh failed',
            );
          }
        });
      }
      this.deadManTimer = this.clock.setTimeout(tick, dm.refreshMs);
    };
    tick();
  }

  // ------------------------------------------------------------------------------------------

  private report(r: VenueReport): void {
    this.counters.reports++;
    for (const l of [...this.listeners]) {
      try {
        l(r);
      } catch {
        this.counters.listenerErrors++;
      }
    }
  }

  private internalError(where: string, e: unknown): void {
    this.opts.logger?.error(
      { where, err: e instanceof Error ? e.message : String(e) },
      'live venue: internal error',
    );
  }
}

/**
 * Build the live venue. Refuses (throws `LiveTradingRefused`) unless `liveTrading` is exactly true.
 * Starts the signer (a worker by default), loads meta, connects the private streams, and resolves
 * once the first reconciliation is done (`waitReady: false` to return at once).
 */
export async function createLiveVenue(opts: LiveVenueOptions, waitReady = true): Promise<LiveVenue> {
  if (opts.liveTrading !== true) throw new LiveTradingRefused();
  const signer = opts.signer === 'inline' ? inlineKeySigner(opts.key) : await startWorkerSigner(opts.key);
  const venue = new LiveVenue(opts, signer);
  try {
    await venue.start();
  } catch (e) {
    await venue.close();
    throw e;
  }
  if (waitReady) await venue.ready();
  return venue;
}
