/**
 * Sequence and gap tracking per (channel, coin), run in the ingest worker after a frame is parsed.
 * Pure code over structurally typed records and parsed frames (the minimal shapes are declared here):
 *  - local sequence continuity of the records coming through the ring (a hole = records lost upstream);
 *  - every new connection epoch is a gap for every channel;
 *  - venue `time` must not go backwards per (channel, coin): a regressing `l2Book` (or `bbo`) is dropped
 *    and counted;
 *  - trades are deduplicated on (coin, time, tid), with bounded memory: time-bucketed sets per coin over
 *    a window; a trade older than what the window still remembers was already covered and is dropped;
 *  - a skipped block height (order_book_server `l4Book` updates) is a gap; a snapshot resets the base.
 */

/** The stamp of a record as read from the ring (`JournalRecord` satisfies it). */
export interface StampedRecord {
  seq: number;
  epoch: number;
}

export interface TradeLike {
  coin: string;
  time: number;
  tid: number;
}

/** The parsed frames the tracker checks; anything else passes through unchecked. */
export type TrackedFrame =
  | { channel: 'l2Book'; data: { coin: string; time: number } }
  | { channel: 'bbo'; data: { coin: string; time: number } }
  | { channel: 'trades'; data: readonly TradeLike[] }
  | {
      channel: 'l4Book';
      data:
        | { Snapshot: { coin: string; time: number; height: number } }
        | { Updates: { time: number; height: number } };
    }
  | { channel: string; data?: unknown };

export type GapKind = 'sequence' | 'epoch' | 'height';

export interface Gap {
  kind: GapKind;
  /** `channel:coin`, `channel`, or '*' for every channel. */
  key: string;
  /** How many records / heights are missing, when known. */
  missing?: number;
  /** What a person needs to act: the numbers. */
  reason: string;
}

export interface Verdict {
  /** False: drop the frame (time regression, duplicate, stale height). */
  keep: boolean;
  /** Why it was dropped. */
  dropReason?: string;
  /** For `trades`: the trades that are new (duplicates removed), in order. */
  trades?: TradeLike[];
  gaps: Gap[];
}

export interface GapCounters {
  records: number;
  sequenceGaps: number;
  /** Records missing according to the sequence. */
  missingRecords: number;
  /** Records whose seq went backwards or repeated (should never happen). */
  sequenceRegressions: number;
  epochGaps: number;
  heightGaps: number;
  missingHeights: number;
  staleHeights: number;
  timeRegressions: number;
  tradesSeen: number;
  duplicateTrades: number;
  /** Trades older than the dedupe window still remembers: counted as already covered, dropped. */
  tradesBeyondWindow: number;
}

export interface GapTrackerOptions {
  /** How far back (venue ms) trade identities are remembered per coin (default 10 min). */
  dedupeWindowMs?: number;
  /** Bucket width of the trade sets (default 10 s). */
  bucketMs?: number;
  /** Expected first sequence number (default: whatever comes first). */
  firstSeq?: number;
}

interface CoinTrades {
  buckets: Map<number, Set<string>>;
  /** Highest bucket index seen. */
  top: number;
  /** Trades with time below this were in buckets already evicted. */
  horizon: number;
}

export class GapTracker {
  readonly counters: GapCounters = {
    records: 0,
    sequenceGaps: 0,
    missingRecords: 0,
    sequenceRegressions: 0,
    epochGaps: 0,
    heightGaps: 0,
    missingHeights: 0,
    staleHeights: 0,
    timeRegressions: 0,
    tradesSeen: 0,
    duplicateTrades: 0,
    tradesBeyondWindow: 0,
  };
  private lastSeq: number | null;
  private epoch: number | null = null;
  private readonly lastTime = new Map<string, number>();
  private readonly trades = new Map<string, CoinTrades>();
  private readonly heights = new Map<string, number>();
  private readonly windowMs: number;
  private readonly bucketMs: number;

  constructor(opts: GapTrackerOptions = {}) {
    this.windowMs = opts.dedupeWindowMs ?? 600_000;
    this.bucketMs = opts.bucketMs ?? 10_000;
    this.lastSeq = opts.firstSeq !== undefined ? opts.firstSeq - 1 : null;
  }

  /** Check one record's stamp (every record from the ring, frames and connection records alike). */
  record(rec: StampedRecord): Gap[] {
    this.counters.records++;
    const gaps: Gap[] = [];
    if (this.lastSeq !== null) {
      if (rec.seq > this.lastSeq + 1) {
        const missing = rec.seq - this.lastSeq - 1;
        this.counters.sequenceGaps++;
        this.counters.missingRecords += missing;
        gaps.push({
          kind: 'sequence',
          key: '*',
          missing,
          reason: `local sequence jumped from ${this.lastSeq} to ${rec.seq}: ${missing} record(s) missing`,
        });
      } else if (rec.seq <= this.lastSeq) {
        this.counters.sequenceRegressions++;
        gaps.push({
          kind: 'sequence',
          key: '*',
          reason: `local sequence went from ${this.lastSeq} back to ${rec.seq}`,
        });
      }
    }
    if (this.lastSeq === null || rec.seq > this.lastSeq) this.lastSeq = rec.seq;
    if (this.epoch !== null && rec.epoch !== this.epoch) {
      this.counters.epochGaps++;
      gaps.push({
        kind: 'epoch',
        key: '*',
        reason: `connection epoch ${this.epoch} → ${rec.epoch}: every channel`,
      });
      // a new connection starts a new height sequence (the server sends a fresh snapshot)
      this.heights.clear();
    }
    this.epoch = rec.epoch;
    return gaps;
  }

  /**
   * Check a parsed frame. Never throws on odd input: unknown shapes pass through. `l4Book` updates carry
   * no coin: with several l4Book subscriptions on one connection pass the coin as `l4Coin` (otherwise
   * one height sequence is shared by all l4Book frames).
   */
  frame(f: TrackedFrame, l4Coin?: string): Verdict {
    switch (f.channel) {
      case 'l2Book':
      case 'bbo': {
        const d = f.data as { coin?: unknown; time?: unknown } | undefined;
        if (!d || typeof d.coin !== 'string' || typeof d.time !== 'number') return { keep: true, gaps: [] };
        const key = `${f.channel}:${d.coin}`;
        const last = this.lastTime.get(key);
        if (last !== undefined && d.time < last) {
          this.counters.timeRegressions++;
          return {
            keep: false,
            dropReason: `${key}: time ${d.time} is before the last accepted ${last} (${last - d.time} ms back)`,
            gaps: [],
          };
        }
        this.lastTime.set(key, d.time);
        return { keep: true, gaps: [] };
      }
      case 'trades':
        if (!Array.isArray(f.data)) return { keep: true, gaps: [] };
        return this.tradesOf(f.data);
      case 'l4Book':
        return this.l4(f.data, l4Coin);
      default:
        return { keep: true, gaps: [] };
    }
  }

  /**
   * The `trades` check on its own, typed by the caller's trade type: the verdict's `trades` are the new
   * ones of `data` (the same objects, in order), duplicates and trades beyond the window removed.
   */
  tradesOf<T extends TradeLike>(data: readonly T[]): Verdict & { trades: T[] } {
    const fresh: T[] = [];
    for (const t of data) if (this.isNewTrade(t)) fresh.push(t);
    const keep = fresh.length > 0;
    const v: Verdict & { trades: T[] } = { keep, trades: fresh, gaps: [] };
    if (!keep) v.dropReason = `all ${data.length} trade(s) already seen`;
    return v;
  }

  private l4(data: unknown, coin: string | undefined): Verdict {
    if (typeof data !== 'object' || data === null) return { keep: true, gaps: [] };
    const snap = (data as { Snapshot?: { coin?: unknown; height?: unknown } }).Snapshot;
    const upd = (data as { Updates?: { height?: unknown } }).Updates;
    if (snap && typeof snap.height === 'number') {
      const key = `l4Book:${coin ?? ''}`;
      this.heights.set(key, snap.height);
      return { keep: true, gaps: [] };
    }
    if (!upd || typeof upd.height !== 'number') return { keep: true, gaps: [] };
    const key = `l4Book:${coin ?? ''}`;
    const h = upd.height;
    const last = this.heights.get(key);
    if (last === undefined) {
      this.heights.set(key, h);
      return { keep: true, gaps: [] };
    }
    if (h <= last) {
      this.counters.staleHeights++;
      return { keep: false, dropReason: `${key}: height ${h} is not after ${last}`, gaps: [] };
    }
    this.heights.set(key, h);
    if (h === last + 1) return { keep: true, gaps: [] };
    const missing = h - last - 1;
    this.counters.heightGaps++;
    this.counters.missingHeights += missing;
    return {
      keep: true,
      gaps: [
        {
          kind: 'height',
          key,
          missing,
          reason: `${key}: block height jumped from ${last} to ${h}: ${missing} block(s) missing`,
        },
      ],
    };
  }

  private isNewTrade(t: TradeLike): boolean {
    if (!t || typeof t.coin !== 'string' || typeof t.time !== 'number') return true;
    this.counters.tradesSeen++;
    let c = this.trades.get(t.coin);
    if (!c) {
      c = { buckets: new Map(), top: Number.NEGATIVE_INFINITY, horizon: Number.NEGATIVE_INFINITY };
      this.trades.set(t.coin, c);
    }
    if (t.time < c.horizon) {
      this.counters.tradesBeyondWindow++;
      return false;
    }
    const b = Math.floor(t.time / this.bucketMs);
    const id = `${t.time}|${t.tid}`;
    let set = c.buckets.get(b);
    if (set?.has(id)) {
      this.counters.duplicateTrades++;
      return false;
    }
    if (!set) {
      set = new Set();
      c.buckets.set(b, set);
    }
    set.add(id);
    if (b > c.top) {
      c.top = b;
      const keepFrom = b - Math.ceil(this.windowMs / this.bucketMs);
      for (const k of c.buckets.keys()) {
        if (k < keepFrom) {
          c.buckets.delete(k);
          c.horizon = Math.max(c.horizon, (k + 1) * this.bucketMs);
        }
      }
    }
    return true;
  }

  /** Trade identities held in memory (for bounds checks). */
  rememberedTrades(): number {
    let n = 0;
    for (const c of this.trades.values()) for (const s of c.buckets.values()) n += s.size;
    return n;
  }
}
