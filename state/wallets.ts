/**
 * Wallet tracking (issue 18): pure code the state builder calls, one trade at a time, in journal order.
 *
 * From the public trades' `users: [buyer, seller]` (and node fills when present) it keeps, per wallet:
 * notional traded per 5-minute bucket over the last hour (ranking, top-N by 1 h notional), buy and sell
 * notional (net direction), a signed open-position estimate per coin (coin units), the position episode
 * (flat → in a position → flat or flipped) and the holding time of each closed one, and its timing
 * relative to the liquidation cascades the builder reports (`onCascade`: an OI drop with one-sided flow).
 *
 * Behaviour classes are facts with evidence, granted at the moment their rule becomes true and never
 * using anything after that moment (no leakage: the tracker only ever sees the past):
 * - `short-hold`: at least `shortMinEpisodes` closed episodes over at least `shortMinSpanMs` of activity
 *   and a mean holding time (closed episodes plus the open one's age) ≤ `shortHoldMs`;
 * - `pre-liquidation`: at a cascade's start, a position in the cascade's direction (short before longs
 *   are liquidated, long before shorts are) opened within `preLookbackMs` and worth at least
 *   max(`preMinUsd`, `preMinShare` × the coin's aggressor notional over that lookback);
 * - `post-cascade-exit`: a position that large in the cascade's direction at its start, reduced by at
 *   least `exitFraction` within `exitWindowMs` after it;
 * - `manipulator` (composite): `manipulatorMinEpisodes` cascades where the same wallet did both.
 *
 * Hot-state flags per coin (`flags`): a wallet classed `manipulator` holds a position on the coin worth at
 * least max(`preMinUsd`, `activeMinShare` × the coin's lookback notional): active, and its direction.
 *
 * Memory is bounded: at most `maxWallets` wallets are held. When a new wallet would exceed the cap, the
 * long tail — the quarter with the least notional over the last hour (classified wallets and wallets
 * watched after a cascade last) — is evicted. Per wallet: one Float64Array of 12 + 6 × coins.
 */
import { z } from 'zod';

export const WALLET_CLASSES = ['short-hold', 'pre-liquidation', 'post-cascade-exit', 'manipulator'] as const;
export type WalletClass = (typeof WALLET_CLASSES)[number];

const pos = z.number().positive();
const frac = z.number().positive().max(1);

export const WalletConfigSchema = z
  .object({
    /** Track wallets in the state builder (the hot-state flags stay 0 when off). */
    enabled: z.boolean().default(true),
    /** Most wallets held at once (the stated memory cap); the long tail is evicted beyond it. */
    maxWallets: z.number().int().min(16).max(10_000_000).default(50_000),
    /** Wallets in the ranking (top-N by notional over `rankWindowMs`). */
    topN: z.number().int().min(1).max(1000).default(20),
    /** The ranking window (12 buckets of a twelfth each). */
    rankWindowMs: pos.default(3_600_000),
    /** A position worth less than this (USD) is flat. */
    flatUsd: pos.default(10),
    /** short-hold: mean holding time at most this (ms) … */
    shortHoldMs: pos.default(60_000),
    /** … over at least this many closed episodes … */
    shortMinEpisodes: z.number().int().min(1).default(20),
    /** … and at least this long between the wallet's first and latest trade (ms). */
    shortMinSpanMs: pos.default(900_000),
    /** pre-liquidation: the position was opened at most this long before the cascade (ms). */
    preLookbackMs: pos.default(600_000),
    /** pre-liquidation: position ≥ this share of the coin's aggressor notional over the lookback … */
    preMinShare: frac.default(0.04),
    /** … and at least this much USD. */
    preMinUsd: pos.default(50_000),
    /** post-cascade-exit: within this long after the cascade's start (ms) … */
    exitWindowMs: pos.default(180_000),
    /** … the position in the cascade's direction fell by at least this fraction. */
    exitFraction: frac.default(0.5),
    /** manipulator: cascades with both a pre-liquidation entry and a post-cascade exit. */
    manipulatorMinEpisodes: z.number().int().min(1).default(1),
    /** Hot-state flag: a manipulator's position on the coin ≥ this share of the coin's lookback notional. */
    activeMinShare: frac.default(0.02),
  })
  .strict();
export type WalletConfig = z.infer<typeof WalletConfigSchema>;
export const DEFAULT_WALLET_CONFIG: Readonly<WalletConfig> = Object.freeze(WalletConfigSchema.parse({}));

/** A class granted to a wallet: the fact, when, and the numbers it rests on. */
export interface WalletClassFact {
  /** Journal time the rule became true. */
  t: number;
  wallet: string;
  class: WalletClass;
  /** The coin the evidence is on ('' for short-hold, which spans coins). */
  coin: string;
  evidence: Record<string, number | string>;
}

/** The per-coin flags the builder writes into the slot. */
export interface ManipulatorFlags {
  active: boolean;
  /** +1 LONG, −1 SHORT, 0 NONE. */
  direction: 1 | -1 | 0;
  /** Manipulators active on the coin. */
  count: number;
  /** USD notional of the largest one's position (0 when none). */
  notional: number;
}

export interface RankedWallet {
  wallet: string;
  notional1h: number;
  /** (buy − sell) / (buy + sell) over everything seen. */
  netDirection: number;
  classes: WalletClass[];
}

const BUCKETS = 12;
const CLASS_BIT: Record<WalletClass, number> = {
  'short-hold': 1,
  'pre-liquidation': 2,
  'post-cascade-exit': 4,
  manipulator: 8,
};

/** Everything the tracker holds for one wallet. */
export class WalletEntry {
  /**
   * One Float64Array (one allocation a wallet): the 12 notional buckets, then per coin (n coins) the signed
   * position (coin units), the open episode's start (NaN when flat), the start of the cascade being watched
   * (NaN: none), and 3 a coin for that watch: direction, |position| at the cascade, pre-entry (1/0).
   */
  readonly d: Float64Array;
  /** Bucket number (floor(t / bucketMs)) of the newest bucket. */
  bucketAt = 0;
  firstSeen: number;
  lastSeen: number;
  buyNtl = 0;
  sellNtl = 0;
  holdSum = 0;
  holdCount = 0;
  preCount = 0;
  exitCount = 0;
  manipCount = 0;
  classes = 0;

  constructor(
    readonly wallet: string,
    private readonly n: number,
    t: number,
  ) {
    this.firstSeen = t;
    this.lastSeen = t;
    this.d = new Float64Array(BUCKETS + 6 * n);
    this.d.fill(Number.NaN, BUCKETS + n, BUCKETS + 3 * n);
  }

  /** Signed position on coin `ci` (coin units). */
  position(ci: number): number {
    return this.d[BUCKETS + ci]!;
  }

  /** Start of the open episode on coin `ci` (NaN when flat). */
  episodeStart(ci: number): number {
    return this.d[BUCKETS + this.n + ci]!;
  }

  has(c: WalletClass): boolean {
    return (this.classes & CLASS_BIT[c]) !== 0;
  }

  classList(): WalletClass[] {
    return WALLET_CLASSES.filter((c) => this.has(c));
  }
}

/** A coin's aggressor notional over a sliding window (time, notional) with a running sum. */
class FlowWindow {
  private ts: number[] = [];
  private vs: number[] = [];
  private head = 0;
  private sum = 0;
  constructor(private readonly span: number) {}
  add(t: number, v: number): void {
    this.ts.push(t);
    this.vs.push(v);
    this.sum += v;
  }
  value(now: number): number {
    const lim = now - this.span;
    while (this.head < this.ts.length && this.ts[this.head]! <= lim) {
      this.sum -= this.vs[this.head]!;
      this.head++;
    }
    if (this.head > 4096 && this.head * 2 > this.ts.length) {
      this.ts = this.ts.slice(this.head);
      this.vs = this.vs.slice(this.head);
      this.head = 0;
      this.sum = this.vs.reduce((a, b) => a + b, 0);
    }
    if (this.head === this.ts.length) this.sum = 0;
    return Math.max(0, this.sum);
  }
}

export interface TrackerCounters {
  trades: number;
  /** Trades refused: no users pair, a bad price or size, an unknown coin. */
  badTrades: number;
  nodeFills: number;
  cascades: number;
  evicted: number;
  /** Most wallets held at once. */
  peakWallets: number;
  facts: number;
}

export class WalletTracker {
  readonly cfg: Readonly<WalletConfig>;
  readonly coins: readonly string[];
  readonly counters: TrackerCounters = {
    trades: 0,
    badTrades: 0,
    nodeFills: 0,
    cascades: 0,
    evicted: 0,
    peakWallets: 0,
    facts: 0,
  };
  private readonly wallets = new Map<string, WalletEntry>();
  private readonly manipulators = new Set<WalletEntry>();
  private readonly flow: FlowWindow[];
  private readonly lastPx: Float64Array;
  private readonly coinIndex = new Map<string, number>();
  private readonly bucketMs: number;
  /** Offsets in a wallet's array (see WalletEntry.d): episode starts, watch starts, watch info. */
  private readonly oEp: number;
  private readonly oWt: number;
  private readonly oWi: number;
  /** Facts granted, in order, since the last `drainFacts`. */
  private facts: WalletClassFact[] = [];
  onFact: ((f: WalletClassFact) => void) | null = null;

  constructor(coins: readonly string[], cfg: Partial<WalletConfig> = {}) {
    this.cfg = Object.freeze(WalletConfigSchema.parse({ ...cfg }));
    this.coins = [...coins];
    for (let i = 0; i < this.coins.length; i++) this.coinIndex.set(this.coins[i]!, i);
    this.bucketMs = this.cfg.rankWindowMs / BUCKETS;
    const n = this.coins.length;
    this.oEp = BUCKETS + n;
    this.oWt = BUCKETS + 2 * n;
    this.oWi = BUCKETS + 3 * n;
    this.flow = this.coins.map(() => new FlowWindow(this.cfg.preLookbackMs));
    this.lastPx = new Float64Array(this.coins.length).fill(Number.NaN);
  }

  get size(): number {
    return this.wallets.size;
  }

  wallet(addr: string): WalletEntry | undefined {
    return this.wallets.get(addr);
  }

  /** Facts since the last drain (the array is handed over). */
  drainFacts(): WalletClassFact[] {
    const f = this.facts;
    this.facts = [];
    return f;
  }

  indexOf(coin: string): number {
    return this.coinIndex.get(coin) ?? -1;
  }

  /**
   * One public trade: `side` is the aggressor (B: the buyer took), `users` = [buyer, seller]. Returns
   * false (and counts it) when the trade cannot be used.
   */
  onTrade(
    coin: string | number,
    now: number,
    side: 'A' | 'B',
    px: number,
    sz: number,
    users: unknown,
  ): boolean {
    const ci = typeof coin === 'number' ? coin : this.indexOf(coin);
    if (
      ci < 0 ||
      ci >= this.coins.length ||
      (side !== 'A' && side !== 'B') ||
      !(px > 0) ||
      !(sz > 0) ||
      !Number.isFinite(px * sz) ||
      !Array.isArray(users) ||
      typeof users[0] !== 'string' ||
      typeof users[1] !== 'string' ||
      !Number.isFinite(now)
    ) {
      this.counters.badTrades++;
      return false;
    }
    this.counters.trades++;
    const ntl = px * sz;
    this.lastPx[ci] = px;
    this.flow[ci]!.add(now, ntl);
    const buyer = users[0] as string;
    const seller = users[1] as string;
    if (buyer === seller) {
      this.touch(buyer, now, ntl, 0);
      return true;
    }
    const b = this.touch(buyer, now, ntl, 1);
    this.move(b, ci, now, sz, px);
    const s = this.touch(seller, now, ntl, -1);
    this.move(s, ci, now, -sz, px);
    return true;
  }

  /**
   * A node fill (when the node source is on): the wallet's position on the coin after the fill is
   * `startPosition` + the signed size — the venue's own figure replaces the estimate.
   */
  onNodeFill(
    coin: string,
    now: number,
    wallet: string,
    px: number,
    signedSz: number,
    startPosition: number,
  ): boolean {
    const ci = this.indexOf(coin);
    if (ci < 0 || !(px > 0) || !Number.isFinite(signedSz) || !Number.isFinite(startPosition)) {
      this.counters.badTrades++;
      return false;
    }
    this.counters.nodeFills++;
    const e = this.touch(wallet, now, Math.abs(signedSz) * px, signedSz > 0 ? 1 : -1);
    e.d[BUCKETS + ci] = startPosition;
    this.move(e, ci, now, signedSz, px);
    return true;
  }

  /**
   * A liquidation cascade begins on `coin` (the builder's OI-drop detector with one-sided flow):
   * `dir` is the price direction, −1 when longs are liquidated (price falls), +1 when shorts are.
   */
  onCascade(coin: string, now: number, dir: 1 | -1): void {
    const ci = this.indexOf(coin);
    if (ci < 0) return;
    this.counters.cascades++;
    const px = this.lastPx[ci]!;
    if (!(px > 0)) return;
    const lookNtl = this.flow[ci]!.value(now);
    const min = Math.max(this.cfg.preMinUsd, this.cfg.preMinShare * lookNtl);
    for (const e of this.wallets.values()) {
      const p = e.d[BUCKETS + ci]!;
      if (Math.sign(p) !== dir) continue;
      const usd = Math.abs(p) * px;
      if (usd < min) continue;
      const opened = e.d[this.oEp + ci]!;
      const pre = now - opened <= this.cfg.preLookbackMs;
      if (pre) {
        e.preCount++;
        this.grant(e, 'pre-liquidation', now, coin, {
          cascadeT: now,
          direction: dir === 1 ? 'LONG' : 'SHORT',
          positionUsd: round(usd),
          share: round(usd / lookNtl),
          leadMs: now - opened,
          lookbackUsd: round(lookNtl),
        });
      }
      e.d[this.oWt + ci] = now;
      e.d[this.oWi + ci * 3] = dir;
      e.d[this.oWi + ci * 3 + 1] = Math.abs(p);
      e.d[this.oWi + ci * 3 + 2] = pre ? 1 : 0;
    }
  }

  /** The hot-state flags of a coin now. */
  flags(coin: string | number, now: number, out?: ManipulatorFlags): ManipulatorFlags {
    const f = out ?? { active: false, direction: 0, count: 0, notional: 0 };
    f.active = false;
    f.direction = 0;
    f.count = 0;
    f.notional = 0;
    const ci = typeof coin === 'number' ? coin : this.indexOf(coin);
    if (ci < 0 || this.manipulators.size === 0) return f;
    const px = this.lastPx[ci]!;
    if (!(px > 0)) return f;
    const min = Math.max(this.cfg.preMinUsd, this.cfg.activeMinShare * this.flow[ci]!.value(now));
    for (const e of this.manipulators) {
      const p = e.d[BUCKETS + ci]!;
      const usd = Math.abs(p) * px;
      if (usd < min) continue;
      f.count++;
      if (usd > f.notional) {
        f.notional = usd;
        f.direction = p > 0 ? 1 : -1;
      }
    }
    f.active = f.count > 0;
    return f;
  }

  /** Top-N wallets by notional over the ranking window at `now`. */
  ranking(now: number, n = this.cfg.topN): RankedWallet[] {
    const rows: { e: WalletEntry; v: number }[] = [];
    for (const e of this.wallets.values()) rows.push({ e, v: this.notional1h(e, now) });
    rows.sort((a, b) => b.v - a.v || (a.e.wallet < b.e.wallet ? -1 : 1));
    return rows.slice(0, n).map(({ e, v }) => ({
      wallet: e.wallet,
      notional1h: v,
      netDirection: e.buyNtl + e.sellNtl > 0 ? (e.buyNtl - e.sellNtl) / (e.buyNtl + e.sellNtl) : 0,
      classes: e.classList(),
    }));
  }

  /** A wallet's notional over the ranking window (whole buckets) at `now`. */
  notional1h(e: WalletEntry, now: number): number {
    const cur = Math.floor(now / this.bucketMs);
    const age = cur - e.bucketAt;
    if (age >= BUCKETS) return 0;
    let s = 0;
    for (let k = 0; k < BUCKETS - age; k++) s += e.d[(((e.bucketAt - k) % BUCKETS) + BUCKETS) % BUCKETS]!;
    return s;
  }

  /** The mean holding time of a wallet's episodes (closed ones and the open ones' ages) at `now`. */
  meanHoldMs(e: WalletEntry, now: number): number {
    let sum = e.holdSum;
    let n = e.holdCount;
    for (let ci = 0; ci < this.coins.length; ci++) {
      const s = e.d[this.oEp + ci]!;
      if (!Number.isNaN(s)) {
        sum += now - s;
        n++;
      }
    }
    return n > 0 ? sum / n : Number.NaN;
  }

  // ------------------------------------------------------------------ internals

  private touch(addr: string, now: number, ntl: number, sign: number): WalletEntry {
    let e = this.wallets.get(addr);
    if (e === undefined) {
      if (this.wallets.size >= this.cfg.maxWallets) this.evict(now);
      e = new WalletEntry(addr, this.coins.length, now);
      e.bucketAt = Math.floor(now / this.bucketMs);
      this.wallets.set(addr, e);
      if (this.wallets.size > this.counters.peakWallets) this.counters.peakWallets = this.wallets.size;
    }
    if (now > e.lastSeen) e.lastSeen = now;
    const cur = Math.floor(now / this.bucketMs);
    if (cur > e.bucketAt) {
      const steps = Math.min(BUCKETS, cur - e.bucketAt);
      for (let k = 1; k <= steps; k++) e.d[(e.bucketAt + k) % BUCKETS] = 0;
      e.bucketAt = cur;
    }
    e.d[e.bucketAt % BUCKETS]! += ntl;
    if (sign > 0) e.buyNtl += ntl;
    else if (sign < 0) e.sellNtl += ntl;
    return e;
  }

  /** Apply a signed size to a wallet's position on a coin: episodes, holding times, cascade watches. */
  private move(e: WalletEntry, ci: number, now: number, dsz: number, px: number): void {
    const before = e.d[BUCKETS + ci]!;
    const after = before + dsz;
    const flat = this.cfg.flatUsd / px;
    const wasFlat = Math.abs(before) < flat;
    const isFlat = Math.abs(after) < flat;
    e.d[BUCKETS + ci] = isFlat ? 0 : after;
    const flipped = !wasFlat && !isFlat && Math.sign(before) !== Math.sign(after);
    if (!wasFlat && (isFlat || flipped)) {
      const start = e.d[this.oEp + ci]!;
      if (!Number.isNaN(start)) {
        e.holdSum += now - start;
        e.holdCount++;
      }
      e.d[this.oEp + ci] = Number.NaN;
      this.checkShortHold(e, now);
    }
    if (!isFlat && (wasFlat || flipped)) e.d[this.oEp + ci] = now;
    const wt = e.d[this.oWt + ci]!;
    if (!Number.isNaN(wt)) this.checkExit(e, ci, now);
  }

  private checkShortHold(e: WalletEntry, now: number): void {
    if (e.has('short-hold')) return;
    const c = this.cfg;
    if (e.holdCount < c.shortMinEpisodes || now - e.firstSeen < c.shortMinSpanMs) return;
    const mean = this.meanHoldMs(e, now);
    if (!(mean <= c.shortHoldMs)) return;
    this.grant(e, 'short-hold', now, '', {
      episodes: e.holdCount,
      meanHoldMs: Math.round(mean),
      spanMs: now - e.firstSeen,
    });
  }

  private checkExit(e: WalletEntry, ci: number, now: number): void {
    const wt = e.d[this.oWt + ci]!;
    if (now - wt > this.cfg.exitWindowMs) {
      this.unwatch(e, ci);
      return;
    }
    const dir = e.d[this.oWi + ci * 3]!;
    const held = e.d[this.oWi + ci * 3 + 1]!;
    const pre = e.d[this.oWi + ci * 3 + 2]! === 1;
    const left = Math.max(0, e.d[BUCKETS + ci]! * dir);
    const reduced = 1 - left / held;
    if (reduced < this.cfg.exitFraction) return;
    this.unwatch(e, ci);
    e.exitCount++;
    const coin = this.coins[ci]!;
    const ev = {
      cascadeT: wt,
      lagMs: now - wt,
      reduced: round(reduced),
      direction: dir === 1 ? 'LONG' : 'SHORT',
    };
    this.grant(e, 'post-cascade-exit', now, coin, ev);
    if (pre) {
      e.manipCount++;
      if (e.manipCount >= this.cfg.manipulatorMinEpisodes)
        this.grant(e, 'manipulator', now, coin, { ...ev, episodes: e.manipCount });
    }
  }

  private unwatch(e: WalletEntry, ci: number): void {
    e.d[this.oWt + ci] = Number.NaN;
  }

  /** Grant a class (first time only; later episodes add to the wallet's counts, not new facts). */
  private grant(
    e: WalletEntry,
    c: WalletClass,
    t: number,
    coin: string,
    evidence: WalletClassFact['evidence'],
  ): void {
    if (e.has(c)) return;
    e.classes |= CLASS_BIT[c];
    if (c === 'manipulator') this.manipulators.add(e);
    const f: WalletClassFact = { t, wallet: e.wallet, class: c, coin, evidence };
    this.counters.facts++;
    this.facts.push(f);
    this.onFact?.(f);
  }

  /** Evict the long tail: the quarter of wallets with the least to lose (see the file's comment). */
  private evict(now: number): void {
    const n = this.wallets.size;
    const drop = Math.max(1, Math.floor(n / 4));
    const score = new Float64Array(n);
    const list: WalletEntry[] = new Array(n);
    let i = 0;
    for (const e of this.wallets.values()) {
      list[i] = e;
      let s = this.notional1h(e, now);
      if (e.classes !== 0) s += 1e18;
      for (let ci = 0; ci < this.coins.length; ci++) if (!Number.isNaN(e.d[this.oWt + ci]!)) s += 1e17;
      score[i] = s;
      i++;
    }
    const idx = Array.from({ length: n }, (_, k) => k);
    idx.sort((a, b) => score[a]! - score[b]! || list[a]!.lastSeen - list[b]!.lastSeen);
    for (let k = 0; k < drop; k++) {
      const e = list[idx[k]!]!;
      this.wallets.delete(e.wallet);
      this.manipulators.delete(e);
    }
    this.counters.evicted += drop;
  }
}

function round(x: number): number {
  return Number(x.toPrecision(6));
}
