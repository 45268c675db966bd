/**
 * The state builder: the single writer of market state. It takes the validated venue messages in
 * journal order, each with its receive time (the journal's clock — window time), keeps per coin the
 * book, the asset context, the aggressor flow and every rolling window, runs the detectors, and
 * publishes the coin's slot to the hot state. No strategy logic. Bad input is counted per coin and
 * dropped; nothing else is lost.
 *
 * Each `on*` call returns the derived events it caused in an array the builder reuses: read it (or
 * copy it) before the next call.
 */
import type { Clock } from './clock.ts';
import { Apply, Book, type BookRejectReason } from './book.ts';
import {
  DEFAULT_DETECTORS,
  type DerivedEvent,
  type DetectorConfig,
  DetectorState,
  detect,
} from './detectors.ts';
import { F, newSlot, TOP_N } from './hotstate-layout.ts';
import type { HotStateWriter } from './hotstate.ts';
import { parseDecimal, type WsActiveAssetCtx, type WsBbo, type WsBook, type WsTrade } from './inputs.ts';
import { type ManipulatorFlags, type WalletConfig, WalletTracker } from './wallets.ts';
import { Lag, MoveSigma, RollingExtremum, RollingSum, TimeWeightedMean } from './windows.ts';

export const S1 = 1_000;
export const S5 = 5_000;
export const S10 = 10_000;
export const M15 = 900_000;
export const H1 = 3_600_000;
/** The venue's baseline hourly funding rate (RULEBOOK: fundingDev). */
export const FUNDING_BASELINE = 0.0000125;

/** Trades remembered per coin for dedupe on (time, tid) (a resubscribe replays recent trades). */
const DEDUPE_CAPACITY = 4096;

export interface StateBuilderOptions {
  /** The coins with a hot-state slot, in layout order (messages for other coins are counted and dropped). */
  coins: readonly string[];
  /** Where to publish; without one the builder only keeps its own slot images (tests, replay tools). */
  hot?: HotStateWriter;
  /** Stamps `publishTime`; without one the record's receive time is used (replay-exact). */
  clock?: Clock;
  detectors?: Partial<DetectorConfig>;
  /**
   * The wallet tracker (state/wallets.ts): its config (default: on, with its defaults), or false for
   * none. The builder feeds it every accepted trade and each cascade its `oiDrop` detector sees, and
   * writes the coin's manipulator flags into the slot before publishing.
   */
  wallets?: Partial<WalletConfig> | false;
}

export interface BuilderCounters {
  /** Messages for a coin without a slot. */
  unknownCoin: number;
  /** l2Book snapshots older than the book held (dropped). */
  staleBooks: number;
  /** bbo pushes older than the bbo held (dropped). */
  staleBbos: number;
  /** Malformed messages or trades (dropped), book rejections included. */
  badInputs: number;
  /** l2Book snapshots rejected by the book's sanity checks (malformed, crossed, unsorted …; see book.ts). */
  rejectedBooks: number;
  /** bbo pushes rejected likewise. */
  rejectedBbos: number;
  /** Trades seen before (same coin, time, tid). */
  dupTrades: number;
  /** Records whose receive time was earlier than the coin's last (clamped to it). */
  clockBackwards: number;
  /** The last rejection, for the log line. */
  lastError: string;
}

/**
 * What the last `onBook` / `onBbo` did to the coin's book gate, for the pipeline's feed events. One
 * object, rewritten by each call (read it before the next).
 */
export interface BookVerdict {
  channel: 'l2Book' | 'bbo';
  /** The message's coin ('' when it had no slot). */
  coin: string;
  /** Why the message was rejected; '' when it was accepted, stale or had no slot. */
  reason: BookRejectReason | '';
  /** The rejection's message (channel, coin, what was wrong); '' unless rejected. */
  message: string;
  /** True when this accepted message lifted the coin's gate (gated before it, not after). */
  cleared: boolean;
}

class TradeDedupe {
  private readonly seen = new Map<number, number>();
  private readonly tids = new Float64Array(DEDUPE_CAPACITY);
  private readonly times = new Float64Array(DEDUPE_CAPACITY);
  private next = 0;
  private size = 0;

  /** True if (time, tid) was seen; otherwise remembers it. */
  check(time: number, tid: number): boolean {
    if (this.seen.get(tid) === time) return true;
    if (this.size === DEDUPE_CAPACITY) {
      const ot = this.tids[this.next]!;
      if (this.seen.get(ot) === this.times[this.next]) this.seen.delete(ot);
    } else this.size++;
    this.tids[this.next] = tid;
    this.times[this.next] = time;
    this.next = (this.next + 1) % DEDUPE_CAPACITY;
    this.seen.set(tid, time);
    return false;
  }
}

/** Everything the builder keeps for one coin. */
export class CoinState {
  readonly book = new Book();
  /** The slot image, published as a whole. */
  readonly slot = newSlot();
  readonly det = new DetectorState();
  readonly dedupe = new TradeDedupe();
  lastNow = Number.NEGATIVE_INFINITY;

  // open interest
  readonly oiMax10s = new RollingExtremum(S10, 'max');
  readonly oiMax15m = new RollingExtremum(M15, 'max');
  readonly oiMin15m = new RollingExtremum(M15, 'min');
  readonly oiMax1h = new RollingExtremum(H1, 'max');
  readonly oiMin1h = new RollingExtremum(H1, 'min');
  readonly oiLag1s = new Lag(S1);
  readonly oiLag5s = new Lag(S5);
  readonly oiLag15m = new Lag(M15);
  readonly oiLag1h = new Lag(H1);
  // funding
  readonly fLag1s = new Lag(S1);
  readonly fLag5s = new Lag(S5);
  readonly fLag15m = new Lag(M15);
  readonly fLag1h = new Lag(H1);
  // aggressor flow
  readonly buy1s = new RollingSum(S1);
  readonly sell1s = new RollingSum(S1);
  readonly buy5s = new RollingSum(S5);
  readonly sell5s = new RollingSum(S5);
  readonly buy15m = new RollingSum(M15);
  readonly sell15m = new RollingSum(M15);
  readonly buy1h = new RollingSum(H1);
  readonly sell1h = new RollingSum(H1);
  // depth
  readonly asym1s = new TimeWeightedMean(S1);
  readonly asym5s = new TimeWeightedMean(S5);
  readonly asym15m = new TimeWeightedMean(M15);
  readonly asym1h = new TimeWeightedMean(H1);
  readonly bid20Mean5s = new TimeWeightedMean(S5);
  readonly ask20Mean5s = new TimeWeightedMean(S5);
  // price
  readonly midMax15m = new RollingExtremum(M15, 'max');
  readonly midMin15m = new RollingExtremum(M15, 'min');
  readonly midMax5s = new RollingExtremum(S5, 'max');
  readonly midMin5s = new RollingExtremum(S5, 'min');
  readonly midLag1s = new Lag(S1);
  readonly midLag2s = new Lag(2 * S1);
  readonly midLag5s = new Lag(S5);
  readonly midLag10s = new Lag(S10);
  /** RULEBOOK sigma5s: σ of move5s sampled once a second over 1 h. */
  readonly sigma = new MoveSigma(S1, S5, H1 / S1);

  constructor(
    readonly coin: string,
    readonly index: number,
  ) {
    this.slot[F.coinIndex] = index;
  }

  /** Move every window to `now`. */
  advance(now: number): void {
    this.oiMax10s.advance(now);
    this.oiMax15m.advance(now);
    this.oiMin15m.advance(now);
    this.oiMax1h.advance(now);
    this.oiMin1h.advance(now);
    this.oiLag1s.advance(now);
    this.oiLag5s.advance(now);
    this.oiLag15m.advance(now);
    this.oiLag1h.advance(now);
    this.fLag1s.advance(now);
    this.fLag5s.advance(now);
    this.fLag15m.advance(now);
    this.fLag1h.advance(now);
    this.buy1s.advance(now);
    this.sell1s.advance(now);
    this.buy5s.advance(now);
    this.sell5s.advance(now);
    this.buy15m.advance(now);
    this.sell15m.advance(now);
    this.buy1h.advance(now);
    this.sell1h.advance(now);
    this.asym1s.advance(now);
    this.asym5s.advance(now);
    this.asym15m.advance(now);
    this.asym1h.advance(now);
    this.bid20Mean5s.advance(now);
    this.ask20Mean5s.advance(now);
    this.midMax15m.advance(now);
    this.midMin15m.advance(now);
    this.midMax5s.advance(now);
    this.midMin5s.advance(now);
    this.midLag1s.advance(now);
    this.midLag2s.advance(now);
    this.midLag5s.advance(now);
    this.midLag10s.advance(now);
    this.sigma.advance(now);
  }
}

export class StateBuilder {
  readonly counters: BuilderCounters = {
    unknownCoin: 0,
    staleBooks: 0,
    staleBbos: 0,
    badInputs: 0,
    rejectedBooks: 0,
    rejectedBbos: 0,
    dupTrades: 0,
    clockBackwards: 0,
    lastError: '',
  };
  /** What the last `onBook` / `onBbo` call did to the coin's book gate (see BookVerdict). */
  readonly bookVerdict: BookVerdict = {
    channel: 'l2Book',
    coin: '',
    reason: '',
    message: '',
    cleared: false,
  };
  readonly config: Readonly<DetectorConfig>;
  private readonly byCoin = new Map<string, CoinState>();
  private readonly list: CoinState[] = [];
  private readonly events: DerivedEvent[] = [];
  private readonly hot: HotStateWriter | undefined;
  private readonly clock: Clock | undefined;
  /** The wallet tracker (null when off): facts via its `onFact` / `drainFacts`. */
  wallets: WalletTracker | null;
  private readonly coinList: readonly string[];

  /**
   * The run's own wallet config (its `run.start` record names it, live and in replay alike): a fresh tracker
   * with it, or none when it is off. Throws on a config the tracker's schema refuses (the caller counts it).
   */
  configureWallets(cfg: Partial<WalletConfig> | false): void {
    this.wallets = cfg === false || cfg.enabled === false ? null : new WalletTracker(this.coinList, cfg);
  }
  private readonly flagScratch: ManipulatorFlags = { active: false, direction: 0, count: 0, notional: 0 };

  constructor(opts: StateBuilderOptions) {
    this.hot = opts.hot;
    this.clock = opts.clock;
    this.config = Object.freeze({ ...DEFAULT_DETECTORS, ...opts.detectors });
    if (opts.hot) {
      const lc = opts.hot.layout.coins;
      if (lc.length !== opts.coins.length || lc.some((c, i) => c !== opts.coins[i]))
        throw new Error(`state builder: coins ${opts.coins.join(',')} ≠ hot-state layout ${lc.join(',')}`);
    }
    const wc = opts.wallets ?? {};
    this.wallets = wc === false || wc.enabled === false ? null : new WalletTracker(opts.coins, wc);
    this.coinList = opts.coins;
    opts.coins.forEach((c, i) => {
      const s = new CoinState(c, i);
      this.byCoin.set(c, s);
      this.list.push(s);
    });
  }

  /** The coin's state (its `slot` is the last image built), or undefined for a coin without a slot. */
  coin(coin: string): CoinState | undefined {
    return this.byCoin.get(coin);
  }

  coins(): readonly CoinState[] {
    return this.list;
  }

  /**
   * An `l2Book` snapshot. A rejected one (book.ts sanity) leaves the book as it was, sets the coin's
   * `bookRejected` gate and publishes it; a valid one clears both gates.
   */
  onBook(d: WsBook, recvTime: number, seq = Number.NaN): readonly DerivedEvent[] {
    this.events.length = 0;
    const v = this.verdict('l2Book');
    const s = this.begin(d?.coin, recvTime);
    if (s === undefined) return this.events;
    v.coin = s.coin;
    const r = s.book.applyBook(d);
    if (r === Apply.Invalid) return this.bookRejected(s, 'l2Book', s.book.lastReason, s.book.lastError, seq);
    if (r !== Apply.Ok) return this.rejected(s, r, 'l2Book', s.book.lastError);
    const slot = s.slot;
    v.cleared = slot[F.bookRejected]! !== 0 || slot[F.bboRejected]! !== 0;
    slot[F.bookRejected] = 0;
    slot[F.bboRejected] = 0;
    slot[F.bookTime] = d.time;
    slot[F.bookRecvTime] = s.lastNow;
    this.bookChanged(s);
    return this.finish(s, d.time, seq);
  }

  /**
   * A `bbo` push. A rejected one leaves the bbo as it was and sets the `bboRejected` gate; a valid
   * one clears that gate (an l2Book gate stays until a valid l2Book).
   */
  onBbo(d: WsBbo, recvTime: number, seq = Number.NaN): readonly DerivedEvent[] {
    this.events.length = 0;
    const v = this.verdict('bbo');
    const s = this.begin(d?.coin, recvTime);
    if (s === undefined) return this.events;
    v.coin = s.coin;
    const r = s.book.applyBbo(d);
    if (r === Apply.Invalid) return this.bookRejected(s, 'bbo', s.book.lastReason, s.book.lastError, seq);
    if (r !== Apply.Ok) return this.rejected(s, r, 'bbo', s.book.lastError);
    const slot = s.slot;
    v.cleared = slot[F.bboRejected]! !== 0 && slot[F.bookRejected]! === 0;
    slot[F.bboRejected] = 0;
    slot[F.bboTime] = d.time;
    slot[F.bboRecvTime] = s.lastNow;
    this.bookChanged(s);
    return this.finish(s, d.time, seq);
  }

  /**
   * An l2Book / bbo frame for `coin` that never reached `onBook` / `onBbo` (the parser refused its
   * shape): the coin's current book is in doubt just the same, so gate it as a `malformed` rejection.
   * False (and nothing counted) when the coin has no slot.
   */
  rejectBookFrame(
    coin: string,
    channel: 'l2Book' | 'bbo',
    why: string,
    recvTime: number,
    seq = Number.NaN,
  ): boolean {
    this.events.length = 0;
    const v = this.verdict(channel);
    if (!this.byCoin.has(coin)) return false;
    const s = this.begin(coin, recvTime);
    if (s === undefined) return false;
    v.coin = s.coin;
    this.bookRejected(s, channel, 'malformed', why, seq);
    return true;
  }

  /** A `trades` push (an array; the venue sends one coin per push, but each trade is taken by its own coin). */
  onTrades(arr: readonly WsTrade[], recvTime: number, seq = Number.NaN): readonly DerivedEvent[] {
    this.events.length = 0;
    if (!Array.isArray(arr) || arr.length === 0) {
      if (!Array.isArray(arr)) this.bad(undefined, 'trades: data is not an array');
      return this.events;
    }
    const first = arr[0]?.coin;
    let allSame = true;
    for (let i = 1; i < arr.length; i++) if (arr[i]?.coin !== first) allSame = false;
    if (allSame) {
      this.tradesOf(arr, first, recvTime, seq);
      return this.events;
    }
    // rare: a mixed push; group by coin, keeping the order within each
    const seen = new Set<unknown>();
    for (const t of arr) {
      const c = t?.coin;
      if (seen.has(c)) continue;
      seen.add(c);
      this.tradesOf(
        arr.filter((x) => x?.coin === c),
        c,
        recvTime,
        seq,
      );
    }
    return this.events;
  }

  /** An `activeAssetCtx` push. */
  onAssetCtx(d: WsActiveAssetCtx, recvTime: number, seq = Number.NaN): readonly DerivedEvent[] {
    this.events.length = 0;
    const s = this.begin(d?.coin, recvTime);
    if (s === undefined) return this.events;
    const c = d.ctx;
    const oi = parseDecimal(c?.openInterest);
    const funding = parseDecimal(c?.funding);
    const mark = parseDecimal(c?.markPx);
    const oracle = parseDecimal(c?.oraclePx);
    if (!(oi >= 0) || Number.isNaN(funding) || !(mark > 0) || !(oracle > 0))
      return this.bad(s, `activeAssetCtx ${s.coin}: openInterest/funding/markPx/oraclePx not decimals`);
    const slot = s.slot;
    const now = s.lastNow;
    slot[F.oi] = oi;
    slot[F.funding] = funding;
    slot[F.mark] = mark;
    slot[F.oracle] = oracle;
    slot[F.venueMid] = c.midPx === null ? Number.NaN : parseDecimal(c.midPx);
    slot[F.premium] = c.premium === null ? Number.NaN : parseDecimal(c.premium);
    const ip = c.impactPxs;
    slot[F.impactBid] = Array.isArray(ip) ? parseDecimal(ip[0]) : Number.NaN;
    slot[F.impactAsk] = Array.isArray(ip) ? parseDecimal(ip[1]) : Number.NaN;
    slot[F.prevDayPx] = parseDecimal(c.prevDayPx);
    slot[F.dayNtlVlm] = parseDecimal(c.dayNtlVlm);
    slot[F.dayBaseVlm] = parseDecimal(c.dayBaseVlm);
    slot[F.ctxTime] = now;
    slot[F.ctxRecvTime] = now;
    s.oiMax10s.observe(now, oi);
    s.oiMax15m.observe(now, oi);
    s.oiMin15m.observe(now, oi);
    s.oiMax1h.observe(now, oi);
    s.oiMin1h.observe(now, oi);
    s.oiLag1s.observe(now, oi);
    s.oiLag5s.observe(now, oi);
    s.oiLag15m.observe(now, oi);
    s.oiLag1h.observe(now, oi);
    s.fLag1s.observe(now, funding);
    s.fLag5s.observe(now, funding);
    s.fLag15m.observe(now, funding);
    s.fLag1h.observe(now, funding);
    // the context carries no venue time: nodeTime keeps the latest venue time seen for the coin
    return this.finish(s, Number.NaN, seq);
  }

  private tradesOf(arr: readonly WsTrade[], coin: unknown, recvTime: number, seq: number): void {
    const s = this.begin(coin, recvTime);
    if (s === undefined) return;
    const now = s.lastNow;
    const slot = s.slot;
    let buy = 0;
    let sell = 0;
    let last = -1;
    let maxTime = Number.NaN;
    for (let i = 0; i < arr.length; i++) {
      const t = arr[i]!;
      const px = parseDecimal(t?.px);
      const sz = parseDecimal(t?.sz);
      const side = t?.side;
      const time = t?.time;
      if (!(px > 0) || !(sz > 0) || (side !== 'A' && side !== 'B') || typeof time !== 'number') {
        this.bad(s, `trades ${s.coin}: trade ${i} is not {side A|B, px, sz > 0, time}`);
        continue;
      }
      if (typeof t.tid === 'number' && s.dedupe.check(time, t.tid)) {
        this.counters.dupTrades++;
        slot[F.dupTrades]!++;
        continue;
      }
      if (side === 'B') buy += px * sz;
      else sell += px * sz;
      last = i;
      if (this.wallets !== null) this.wallets.onTrade(s.index, now, side, px, sz, t.users);
      if (!(time <= maxTime)) maxTime = time;
    }
    // the flow windows are live from the first trades push on, with or without volume in it
    s.buy1s.start(now);
    s.sell1s.start(now);
    s.buy5s.start(now);
    s.sell5s.start(now);
    s.buy15m.start(now);
    s.sell15m.start(now);
    s.buy1h.start(now);
    s.sell1h.start(now);
    if (buy > 0) {
      s.buy1s.add(now, buy);
      s.buy5s.add(now, buy);
      s.buy15m.add(now, buy);
      s.buy1h.add(now, buy);
    }
    if (sell > 0) {
      s.sell1s.add(now, sell);
      s.sell5s.add(now, sell);
      s.sell15m.add(now, sell);
      s.sell1h.add(now, sell);
    }
    if (last >= 0) {
      const t = arr[last]!;
      slot[F.lastTradePx] = parseDecimal(t.px);
      slot[F.lastTradeSz] = parseDecimal(t.sz);
      slot[F.lastTradeSide] = t.side === 'B' ? 1 : -1;
      if (!(maxTime <= slot[F.tradeTime]!)) slot[F.tradeTime] = maxTime;
      slot[F.tradeRecvTime] = now;
    }
    this.finish(s, last >= 0 ? maxTime : Number.NaN, seq);
  }

  /** Look up the coin and move its clock and windows to the record's time. */
  private begin(coin: unknown, recvTime: number): CoinState | undefined {
    const s = typeof coin === 'string' ? this.byCoin.get(coin) : undefined;
    if (s === undefined) {
      this.counters.unknownCoin++;
      this.counters.lastError = `no hot-state slot for coin ${String(coin).slice(0, 40)}`;
      return undefined;
    }
    let now = recvTime;
    if (!(now >= s.lastNow)) {
      if (s.lastNow !== Number.NEGATIVE_INFINITY) this.counters.clockBackwards++;
      now = s.lastNow === Number.NEGATIVE_INFINITY ? (Number.isFinite(now) ? now : 0) : s.lastNow;
    }
    s.lastNow = now;
    s.advance(now);
    return s;
  }

  private rejected(s: CoinState, r: Apply, channel: string, why: string): readonly DerivedEvent[] {
    if (r === Apply.Stale) {
      if (channel === 'l2Book') {
        this.counters.staleBooks++;
        s.slot[F.staleBooks]!++;
      } else {
        this.counters.staleBbos++;
        s.slot[F.staleBbos]!++;
      }
      this.counters.lastError = why;
      return this.events;
    }
    return this.bad(s, why);
  }

  private verdict(channel: 'l2Book' | 'bbo'): BookVerdict {
    const v = this.bookVerdict;
    v.channel = channel;
    v.coin = '';
    v.reason = '';
    v.message = '';
    v.cleared = false;
    return v;
  }

  /**
   * A book message failed the sanity checks: count it with its reason, gate the coin (the slot's book
   * fields stay as they were) and publish the gate, so the decision side sees it at once.
   */
  private bookRejected(
    s: CoinState,
    channel: 'l2Book' | 'bbo',
    reason: BookRejectReason | '',
    error: string,
    seq: number,
  ): readonly DerivedEvent[] {
    const v = this.bookVerdict;
    const why = `${channel} ${s.coin}: ${error}`;
    v.reason = reason === '' ? 'malformed' : reason;
    v.message = why;
    const slot = s.slot;
    if (channel === 'l2Book') {
      this.counters.rejectedBooks++;
      slot[F.bookRejects]!++;
      slot[F.bookRejected] = 1;
    } else {
      this.counters.rejectedBbos++;
      slot[F.bboRejects]!++;
      slot[F.bboRejected] = 1;
    }
    this.bad(s, why);
    slot[F.recvTime] = s.lastNow;
    slot[F.sequence] = seq;
    if (this.hot) this.hot.publish(s.index, slot, this.clock ? this.clock.now() : s.lastNow);
    return this.events;
  }

  private bad(s: CoinState | undefined, why: string): readonly DerivedEvent[] {
    this.counters.badInputs++;
    this.counters.lastError = why;
    if (s) s.slot[F.badInputs]!++;
    return this.events;
  }

  /** Book or bbo changed: copy the top, levels and depth, feed the book-driven windows. */
  private bookChanged(s: CoinState): void {
    const b = s.book;
    const slot = s.slot;
    const now = s.lastNow;
    slot[F.bestBid] = b.bestBid;
    slot[F.bestBidSz] = b.bestBidSz;
    slot[F.bestAsk] = b.bestAsk;
    slot[F.bestAskSz] = b.bestAskSz;
    const mid = b.mid;
    slot[F.mid] = mid;
    slot[F.spreadBps] = ((b.bestAsk - b.bestBid) / mid) * 1e4;
    slot[F.topSource] = b.topSource;
    slot[F.bboBidPx] = b.bboBidPx;
    slot[F.bboBidSz] = b.bboBidSz;
    slot[F.bboAskPx] = b.bboAskPx;
    slot[F.bboAskSz] = b.bboAskSz;
    const bids = b.bids;
    const asks = b.asks;
    slot[F.bidLevels] = bids.n;
    slot[F.askLevels] = asks.n;
    for (let i = 0; i < TOP_N; i++) {
      const hb = i < bids.n;
      slot[F.bidPx + i] = hb ? bids.px[i]! : Number.NaN;
      slot[F.bidSz + i] = hb ? bids.sz[i]! : Number.NaN;
      const ha = i < asks.n;
      slot[F.askPx + i] = ha ? asks.px[i]! : Number.NaN;
      slot[F.askSz + i] = ha ? asks.sz[i]! : Number.NaN;
    }
    slot[F.depthBid10] = b.depthBid10;
    slot[F.depthBid20] = b.depthBid20;
    slot[F.depthBid50] = b.depthBid50;
    slot[F.depthAsk10] = b.depthAsk10;
    slot[F.depthAsk20] = b.depthAsk20;
    slot[F.depthAsk50] = b.depthAsk50;
    const tot = b.depthBid50 + b.depthAsk50;
    const asym = tot > 0 ? (b.depthBid50 - b.depthAsk50) / tot : Number.NaN;
    slot[F.depthAsym50] = asym;
    if (!Number.isNaN(asym)) {
      s.asym1s.observe(now, asym);
      s.asym5s.observe(now, asym);
      s.asym15m.observe(now, asym);
      s.asym1h.observe(now, asym);
    }
    if (!Number.isNaN(b.depthBid20)) {
      s.bid20Mean5s.observe(now, b.depthBid20);
      s.ask20Mean5s.observe(now, b.depthAsk20);
    }
    if (mid > 0) {
      s.midMax15m.observe(now, mid);
      s.midMin15m.observe(now, mid);
      s.midMax5s.observe(now, mid);
      s.midMin5s.observe(now, mid);
      s.midLag1s.observe(now, mid);
      s.midLag2s.observe(now, mid);
      s.midLag5s.observe(now, mid);
      s.midLag10s.observe(now, mid);
      s.sigma.observe(now, mid);
    }
  }

  /**
   * A cascade the `oiDrop` detector just saw goes to the wallet tracker (its price direction from the
   * 5 s flow: sellers dominant, longs are being liquidated); then the coin's manipulator flags.
   */
  private walletFlags(s: CoinState, now: number): void {
    const w = this.wallets!;
    const slot = s.slot;
    for (const e of this.events) {
      if (e.type !== 'oiDrop' || e.coin !== s.coin) continue;
      const share = slot[F.buyShare5s]!;
      if (Number.isNaN(share)) continue;
      w.onCascade(s.coin, now, share < 0.5 ? -1 : 1);
    }
    const f = w.flags(s.index, now, this.flagScratch);
    slot[F.isManipulatorActive] = f.active ? 1 : 0;
    slot[F.manipulatorDirection] = f.direction;
    slot[F.manipulatorCount] = f.count;
    slot[F.manipulatorNotional] = f.notional;
  }

  /** Window values and ratios into the slot, detectors, publish. */
  private finish(s: CoinState, venueTime: number, seq: number): readonly DerivedEvent[] {
    const slot = s.slot;
    const now = s.lastNow;
    if (!Number.isNaN(venueTime) && !(venueTime <= slot[F.nodeTime]!)) slot[F.nodeTime] = venueTime;
    slot[F.recvTime] = now;
    slot[F.sequence] = seq;

    const oi = slot[F.oi]!;
    const oiMax10 = s.oiMax10s.value();
    slot[F.oiMax10s] = oiMax10;
    slot[F.oiDrop10s] = (oiMax10 - oi) / oiMax10;
    const max15 = s.oiMax15m.value();
    const min15 = s.oiMin15m.value();
    const max1h = s.oiMax1h.value();
    const min1h = s.oiMin1h.value();
    slot[F.oiMax15m] = max15;
    slot[F.oiMin15m] = min15;
    slot[F.oiLowAgeMs] = now - s.oiMin15m.extremumTime();
    slot[F.oiRange15m] = (max15 - min15) / min15;
    slot[F.oiMax1h] = max1h;
    slot[F.oiMin1h] = min1h;
    slot[F.oiBuild1h] = (max15 - min1h) / min1h;
    slot[F.oiChg1s] = oi / s.oiLag1s.value() - 1;
    slot[F.oiChg5s] = oi / s.oiLag5s.value() - 1;
    slot[F.oiChg15m] = oi / s.oiLag15m.value() - 1;
    slot[F.oiChg1h] = oi / s.oiLag1h.value() - 1;

    const f = slot[F.funding]!;
    slot[F.fundingDev] = Math.abs(f - FUNDING_BASELINE);
    slot[F.fundingDrift1s] = f - s.fLag1s.value();
    slot[F.fundingDrift5s] = f - s.fLag5s.value();
    const d15 = f - s.fLag15m.value();
    const d1h = f - s.fLag1h.value();
    slot[F.fundingDrift15m] = d15;
    slot[F.fundingDrift1h] = d1h;
    slot[F.fundingVelocity] = d1h; // per hour over the 1 h window
    slot[F.fundingAccel] = d15 * 4 - d1h;

    const b5 = s.buy5s.value();
    const s5 = s.sell5s.value();
    slot[F.buyNtl1s] = s.buy1s.value();
    slot[F.sellNtl1s] = s.sell1s.value();
    slot[F.buyNtl5s] = b5;
    slot[F.sellNtl5s] = s5;
    slot[F.buyNtl15m] = s.buy15m.value();
    slot[F.sellNtl15m] = s.sell15m.value();
    const b1h = s.buy1h.value();
    const s1h = s.sell1h.value();
    slot[F.buyNtl1h] = b1h;
    slot[F.sellNtl1h] = s1h;
    slot[F.buyMean5s1h] = b1h / (H1 / S5);
    slot[F.sellMean5s1h] = s1h / (H1 / S5);
    const b1 = slot[F.buyNtl1s]!;
    const s1 = slot[F.sellNtl1s]!;
    slot[F.buyShare1s] = b1 + s1 > 0 ? b1 / (b1 + s1) : Number.NaN;
    slot[F.buyShare5s] = b5 + s5 > 0 ? b5 / (b5 + s5) : Number.NaN;

    slot[F.depthAsym1s] = s.asym1s.value();
    slot[F.depthAsym5s] = s.asym5s.value();
    slot[F.depthAsym15m] = s.asym15m.value();
    slot[F.depthAsym1h] = s.asym1h.value();
    slot[F.depthBid20Mean5s] = s.bid20Mean5s.value();
    slot[F.depthAsk20Mean5s] = s.ask20Mean5s.value();

    const mid = slot[F.mid]!;
    const m1 = s.midLag1s.value();
    const m2 = s.midLag2s.value();
    const m5 = s.midLag5s.value();
    slot[F.rangeHigh15m] = s.midMax15m.value();
    slot[F.rangeLow15m] = s.midMin15m.value();
    slot[F.midMax5s] = s.midMax5s.value();
    slot[F.midMin5s] = s.midMin5s.value();
    slot[F.mid1sAgo] = m1;
    slot[F.mid2sAgo] = m2;
    slot[F.mid5sAgo] = m5;
    slot[F.mid10sAgo] = s.midLag10s.value();
    const r1 = Math.log(mid / m1);
    slot[F.ret1s] = r1;
    slot[F.ret5s] = Math.log(mid / m5);
    slot[F.accel1s] = r1 - Math.log(m1 / m2);
    slot[F.sigma5s1h] = s.sigma.value();

    slot[F.depthOiRatio20] = (slot[F.depthBid20]! + slot[F.depthAsk20]!) / (oi * slot[F.mark]!);

    detect(slot, s.det, this.config, s.coin, now, this.events);
    if (this.wallets !== null) this.walletFlags(s, now);
    if (this.hot) this.hot.publish(s.index, slot, this.clock ? this.clock.now() : now);
    return this.events;
  }
}
