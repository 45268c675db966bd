/**
 * Paper venue: fills orders against the current book of an injected `MarketView` (the hot state).
 *  - Ioc / market orders walk the opposite side best-first up to the limit price (partial fills possible,
 *    the rest canceled; nothing fillable → rejected with the venue's IocCancel string);
 *  - Gtc orders take what crosses, then rest; Alo orders are rejected if they would cross;
 *  - resting orders fill (maker, at their limit) when the book trades through their price: a buy when
 *    asks sit strictly below it, a sell when bids sit strictly above it, up to the size traded through;
 *  - liquidity taken from a book snapshot is not taken twice (reset when the snapshot's time changes);
 *  - taker / maker fees on notional; reduce-only orders are capped at the position and never flip it;
 *  - funding every `fundingIntervalMs` on the clock's hour boundaries: usdc = −szi × mark × rate
 *    (longs pay when the rate is positive);
 *  - every submit and cancel takes `latencyMs` on the injected clock. Deterministic given the clock.
 */
import { isValidSz, roundSz, snap, venueRuleViolation } from '../../machines/execution.rules.ts';
import type { Clock, TimerId } from '../../state/clock.ts';
import type { BookLevel, MarketSnapshot, MarketView, OrderRequest, Venue, VenueReport } from './types.ts';

export interface PaperVenueConfig {
  assets: Record<string, { szDecimals: number }>;
  takerFee: number;
  makerFee: number;
  latencyMs: number;
  minNotionalUsd: number;
  fundingIntervalMs: number;
}

export const DEFAULT_PAPER_CONFIG: PaperVenueConfig = {
  assets: {},
  takerFee: 0.00045,
  makerFee: 0.00015,
  latencyMs: 50,
  minNotionalUsd: 10,
  fundingIntervalMs: 3_600_000,
};

export const PAPER_ERRORS = {
  iocCancel: 'Order could not immediately match against any resting orders.',
  reduceOnly: 'Reduce only order would increase position.',
  noMarket: 'No liquidity available for market order.',
} as const;

interface Resting {
  order: OrderRequest;
  oid: string;
  remaining: number;
}

interface Consumed {
  time: number;
  taken: Map<string, number>;
}

export interface PaperCounters {
  submitted: number;
  fills: number;
  rejected: number;
  canceled: number;
  fundings: number;
  /** Listener exceptions caught (counted, never propagated into the venue). */
  listenerErrors: number;
}

export class PaperVenue implements Venue {
  readonly config: PaperVenueConfig;
  readonly counters: PaperCounters = {
    submitted: 0,
    fills: 0,
    rejected: 0,
    canceled: 0,
    fundings: 0,
    listenerErrors: 0,
  };
  private readonly resting = new Map<string, Resting>();
  private readonly seen = new Set<string>();
  private readonly positions = new Map<string, number>();
  private readonly consumed = new Map<string, Consumed>();
  private readonly listeners = new Set<(r: VenueReport) => void>();
  private readonly timers = new Set<TimerId>();
  private fundingTimer: TimerId | null = null;
  private oidSeq = 0;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly market: MarketView,
    config: Partial<PaperVenueConfig> = {},
  ) {
    this.config = { ...DEFAULT_PAPER_CONFIG, ...config };
    this.scheduleFunding();
  }

  submit(order: OrderRequest): void {
    this.later(() => this.process({ ...order }));
  }

  cancel(clientId: string): void {
    this.later(() => {
      const r = this.resting.get(clientId);
      if (!r) return; // already final (or never placed): the venue answers nothing for it
      this.resting.delete(clientId);
      this.counters.canceled++;
      this.report({ type: 'canceled', clientId, reason: 'canceled', time: this.clock.now() });
    });
  }

  onReport(listener: (report: VenueReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Match resting orders against the current books (call on every market update or control tick). */
  poll(): void {
    if (this.stopped) return;
    for (const r of [...this.resting.values()]) this.matchResting(r);
  }

  stop(): void {
    this.stopped = true;
    for (const id of this.timers) this.clock.clearTimeout(id);
    this.timers.clear();
    if (this.fundingTimer !== null) this.clock.clearTimeout(this.fundingTimer);
    this.fundingTimer = null;
  }

  /**
   * Seed the venue's account after a restart: a real venue keeps the account's positions while we are
   * down; the paper venue is told them from the ledger recovered from the journal.
   */
  seedPosition(coin: string, size: number): void {
    if (size === 0) this.positions.delete(coin);
    else this.positions.set(coin, snap(size));
  }

  /** The venue's own position (signed) in a coin. */
  position(coin: string): number {
    return this.positions.get(coin) ?? 0;
  }

  openOrders(): OrderRequest[] {
    return [...this.resting.values()].map((r) => ({ ...r.order, size: r.remaining }));
  }

  // ------------------------------------------------------------ internals

  private later(fn: () => void): void {
    if (this.stopped) return;
    const id = this.clock.setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, this.config.latencyMs);
    this.timers.add(id);
  }

  private report(r: VenueReport): void {
    for (const l of [...this.listeners]) {
      try {
        l(r);
      } catch {
        this.counters.listenerErrors++;
      }
    }
  }

  private reject(clientId: string, reason: string): void {
    this.counters.rejected++;
    this.report({ type: 'rejected', clientId, reason, time: this.clock.now() });
  }

  private available(coin: string, snapshot: MarketSnapshot, side: 'bid' | 'ask', level: BookLevel): number {
    let c = this.consumed.get(coin);
    if (!c || c.time !== snapshot.time) {
      c = { time: snapshot.time, taken: new Map() };
      this.consumed.set(coin, c);
    }
    return Math.max(0, snap(level.sz - (c.taken.get(`${side}:${level.px}`) ?? 0)));
  }

  private take(coin: string, side: 'bid' | 'ask', px: number, sz: number): void {
    const c = this.consumed.get(coin)!;
    const k = `${side}:${px}`;
    c.taken.set(k, snap((c.taken.get(k) ?? 0) + sz));
  }

  private fill(
    order: OrderRequest,
    px: number,
    sz: number,
    liquidity: 'taker' | 'maker',
    remaining: number,
  ): void {
    const fee = px * sz * (liquidity === 'taker' ? this.config.takerFee : this.config.makerFee);
    const signed = order.side === 'BUY' ? sz : -sz;
    this.positions.set(order.coin, snap(this.position(order.coin) + signed));
    if (this.positions.get(order.coin) === 0) this.positions.delete(order.coin);
    this.counters.fills++;
    this.report({
      type: 'fill',
      clientId: order.clientId,
      coin: order.coin,
      side: order.side,
      px,
      sz,
      fee,
      liquidity,
      remaining,
      time: this.clock.now(),
    });
  }

  /** Size a reduce-only order may still trade (0: it would not reduce). */
  private reduceRoom(order: OrderRequest): number {
    const pos = this.position(order.coin);
    if (order.side === 'BUY' ? pos < 0 : pos > 0) return Math.abs(pos);
    return 0;
  }

  private process(order: OrderRequest): void {
    this.counters.submitted++;
    if (this.seen.has(order.clientId)) {
      this.reject(order.clientId, 'Duplicate client order id.');
      return;
    }
    this.seen.add(order.clientId);
    const asset = this.config.assets[order.coin];
    const violation = venueRuleViolation(order, asset?.szDecimals, this.config.minNotionalUsd);
    if (violation !== null) {
      this.reject(order.clientId, violation);
      return;
    }
    const snapshot = this.market.read(order.coin);
    if (snapshot === null) {
      this.reject(order.clientId, PAPER_ERRORS.noMarket);
      return;
    }
    let size = order.size;
    if (order.reduceOnly) {
      const room = this.reduceRoom(order);
      if (room <= 0) {
        this.reject(order.clientId, PAPER_ERRORS.reduceOnly);
        return;
      }
      size = Math.min(size, room);
    }
    const buy = order.side === 'BUY';
    const levels = buy ? snapshot.asks : snapshot.bids;
    const bookSide = buy ? 'ask' : 'bid';
    if (order.tif === 'Alo') {
      const best = levels[0];
      if (best && (buy ? best.px <= order.limitPx : best.px >= order.limitPx)) {
        const bid = snapshot.bids[0]?.px ?? 'none';
        const ask = snapshot.asks[0]?.px ?? 'none';
        this.reject(order.clientId, `Post only order would have immediately matched, bbo was ${bid}@${ask}`);
        return;
      }
    }
    let remaining = size;
    const plan: { px: number; sz: number; remaining: number }[] = [];
    if (order.tif !== 'Alo') {
      for (const level of levels) {
        if (remaining <= 0) break;
        if (buy ? level.px > order.limitPx : level.px < order.limitPx) break;
        const avail = this.available(order.coin, snapshot, bookSide, level);
        const sz = roundSz(Math.min(remaining, avail), asset!.szDecimals, 'down');
        if (sz <= 0) continue;
        this.take(order.coin, bookSide, level.px, sz);
        remaining = snap(remaining - sz);
        plan.push({ px: level.px, sz, remaining });
      }
    }
    if (order.tif === 'Ioc') {
      if (plan.length === 0) {
        this.reject(order.clientId, PAPER_ERRORS.iocCancel);
        return;
      }
      for (const f of plan) this.fill(order, f.px, f.sz, 'taker', f.remaining);
      if (remaining > 0) {
        this.counters.canceled++;
        this.report({
          type: 'canceled',
          clientId: order.clientId,
          reason: 'ioc remainder',
          time: this.clock.now(),
        });
      }
      return;
    }
    // Gtc / Alo: the order rests with what did not cross; acknowledged first, as the venue's `resting` answer
    const oid = `paper-${++this.oidSeq}`;
    if (remaining > 0) {
      this.ack(order.clientId, oid);
      this.resting.set(order.clientId, { order, oid, remaining });
    }
    for (const f of plan) this.fill(order, f.px, f.sz, 'taker', f.remaining);
  }

  private ack(clientId: string, oid: string): void {
    this.report({ type: 'accepted', clientId, oid, time: this.clock.now() });
  }

  private matchResting(r: Resting): void {
    const { order } = r;
    const snapshot = this.market.read(order.coin);
    if (snapshot === null) return;
    const asset = this.config.assets[order.coin]!;
    if (order.reduceOnly) {
      const room = this.reduceRoom(order);
      if (room <= 0) {
        this.resting.delete(order.clientId);
        this.counters.canceled++;
        this.report({
          type: 'canceled',
          clientId: order.clientId,
          reason: 'reduceOnlyCanceled',
          time: this.clock.now(),
        });
        return;
      }
      r.remaining = Math.min(r.remaining, room);
    }
    const buy = order.side === 'BUY';
    const levels = buy ? snapshot.asks : snapshot.bids;
    const bookSide = buy ? 'ask' : 'bid';
    let through = 0;
    for (const level of levels) {
      if (buy ? level.px >= order.limitPx : level.px <= order.limitPx) break;
      const avail = this.available(order.coin, snapshot, bookSide, level);
      const sz = Math.min(avail, snap(r.remaining - through));
      if (sz <= 0) continue;
      this.take(order.coin, bookSide, level.px, sz);
      through = snap(through + sz);
      if (through >= r.remaining) break;
    }
    const sz = roundSz(through, asset.szDecimals, 'down');
    if (sz <= 0 || !isValidSz(sz, asset.szDecimals)) return;
    r.remaining = snap(r.remaining - sz);
    if (r.remaining <= 0) this.resting.delete(order.clientId);
    this.fill(order, order.limitPx, sz, 'maker', r.remaining);
  }

  private scheduleFunding(): void {
    const every = this.config.fundingIntervalMs;
    if (!(every > 0)) return;
    const now = this.clock.now();
    const next = Math.floor(now / every) * every + every;
    this.fundingTimer = this.clock.setTimeout(() => {
      this.fundingTimer = null;
      this.settleFunding();
      if (!this.stopped) this.scheduleFunding();
    }, next - now);
  }

  private settleFunding(): void {
    for (const coin of [...this.positions.keys()].sort()) {
      const szi = this.position(coin);
      const snapshot = this.market.read(coin);
      if (!snapshot || !Number.isFinite(snapshot.funding) || !Number.isFinite(snapshot.mark)) continue;
      const usdc = -szi * snapshot.mark * snapshot.funding;
      this.counters.fundings++;
      this.report({
        type: 'funding',
        coin,
        rate: snapshot.funding,
        markPx: snapshot.mark,
        szi,
        usdc,
        time: this.clock.now(),
      });
    }
  }
}
