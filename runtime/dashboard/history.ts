/**
 * The dashboard's memory of the decision log, kept off the decision side's path: `add` only queues the
 * line (one array push per decision line); the dashboard's push timer calls `flush`, which files each
 * queued line once — its text into the bounded feed the decision table reads, and the few kinds that
 * make the blotter, the chart marks and the equity curve (fills, positions, days, regimes, alarms,
 * intents, orders) into a small list. That list is read by `analyseDecisions` — the one reading of a
 * decision log the replay report and the strategy validation use — again only when it grew, and the
 * view's JSON is cached until then, so a push with nothing new costs a string reuse.
 *
 * A line that is not a decision record of a known kind (bad JSON, a failed check) is counted, kept in the
 * feed as received, and never throws.
 */
import { type DecisionRecord, parseDecisionRecord } from '../../decision/records.ts';
import { type AlarmRow, analyseDecisions, type FillMark, type Trade } from '../../replay/decision-log.ts';

/** The kinds the blotter, the chart and the equity curve are made of (all else is feed only). */
const KEPT_KINDS: ReadonlySet<string> = new Set([
  'exec.fill',
  'exec.position',
  'exec.day',
  'regime',
  'alarm',
  'exec.alarm',
  'exec.error',
  'strategy.error',
  'intent.rejected',
]);

/** Order statuses of an order still working at the venue. */
const OPEN_STATUSES: ReadonlySet<string> = new Set(['pending', 'resting', 'partial']);

export interface OrderRow {
  time: number;
  clientId: string;
  coin: string;
  strategy: string;
  side: 'BUY' | 'SELL';
  size: number;
  filled: number;
  limitPx: number;
  tif: string;
  purpose: string;
  status: string;
  reduceOnly: boolean;
}

/** An entry intent's protective levels: the stop and target it was sent with. */
export interface EntryLevels {
  time: number;
  id: string;
  coin: string;
  strategy: string;
  side: 'LONG' | 'SHORT';
  stop: number;
  target: number;
}

/** What the dashboard draws from the decision log (sent whole when it changes; `version` says when). */
export interface HistoryView {
  version: number;
  /** Every fill, oldest first, with its role (entry or exit) as the round-trip reading found it. */
  fills: FillMark[];
  /** Round trips, oldest first (the open one per coin last, `closeTime` null). */
  trades: Trade[];
  /** Realised equity after each position change, from the day's start equity. */
  equity: { time: number; equity: number }[];
  startEquity: number | null;
  totals: { realised: number; fees: number; fundingPaid: number } | null;
  /** Regime changes per coin, oldest first. */
  regimes: Record<string, { time: number; regime: string }[]>;
  /** Orders still working (pending, resting, partially filled), as their last record left them. */
  openOrders: OrderRow[];
  /** Per coin with an open round trip: the stop and target of the entry that opened it. */
  levels: EntryLevels[];
  /** Alarms and errors, newest last (the last `maxAlarms`). */
  alarms: AlarmRow[];
}

export interface HistoryCounts {
  lines: number;
  invalid: number;
  dropped: number;
}

export interface FeedSlice {
  /** Sequence number of the first line returned (lines before it have left the feed). */
  from: number;
  /** Sequence number the next call should ask from. */
  next: number;
  /** The decision lines as JSON text, oldest first. */
  lines: string[];
}

export interface DecisionHistoryOptions {
  /** Decision lines the feed keeps for the table (default 2 000). */
  feedLines?: number;
  /** Queued lines beyond this before a flush are dropped and counted (default 200 000). */
  maxPending?: number;
  /** Alarms the view keeps (default 200). */
  maxAlarms?: number;
}

export class DecisionHistory {
  private pending: unknown[] = [];
  private readonly feed: string[] = [];
  /** Sequence number of `feed[0]`. */
  private feedStart = 0;
  private readonly kept: DecisionRecord[] = [];
  private readonly orders = new Map<string, OrderRow>();
  private readonly entries = new Map<string, EntryLevels>();
  private lines = 0;
  private invalid = 0;
  private dropped = 0;
  private dirty = true;
  private version = 0;
  private cached: { view: HistoryView; json: string } | null = null;
  private readonly feedLines: number;
  private readonly maxPending: number;
  private readonly maxAlarms: number;

  constructor(opts: DecisionHistoryOptions = {}) {
    this.feedLines = opts.feedLines ?? 2_000;
    this.maxPending = opts.maxPending ?? 200_000;
    this.maxAlarms = opts.maxAlarms ?? 200;
  }

  /** A decision line (its object or its JSON text): queued only; read at the next flush. */
  add(line: unknown): void {
    if (this.pending.length >= this.maxPending) {
      this.dropped++;
      return;
    }
    this.pending.push(line);
  }

  /** Lines known to have been written but never given to `add` (counted as dropped). */
  missed(n: number): void {
    if (n > 0) this.dropped += n;
  }

  /** File the queued lines. Returns how many were filed. */
  flush(): number {
    const batch = this.pending;
    if (batch.length === 0) return 0;
    this.pending = [];
    for (const line of batch) this.file(line);
    const over = this.feed.length - this.feedLines;
    if (over > 0) {
      this.feed.splice(0, over);
      this.feedStart += over;
    }
    return batch.length;
  }

  private file(line: unknown): void {
    this.lines++;
    let text: string;
    let value: unknown;
    if (typeof line === 'string') {
      text = line;
      try {
        value = JSON.parse(line);
      } catch {
        this.invalid++;
        this.feed.push(JSON.stringify({ kind: '?', raw: line.slice(0, 2_000) }));
        return;
      }
    } else {
      value = line;
      try {
        text = JSON.stringify(line) ?? 'null';
      } catch {
        this.invalid++;
        this.feed.push('{"kind":"?","raw":"[not serialisable]"}');
        return;
      }
    }
    this.feed.push(text);
    const kind =
      value !== null && typeof value === 'object' && typeof (value as { kind?: unknown }).kind === 'string'
        ? (value as { kind: string }).kind
        : null;
    if (kind === null) {
      this.invalid++;
      return;
    }
    const wanted = KEPT_KINDS.has(kind) || kind === 'exec.order' || kind === 'exec.intent';
    if (!wanted) return;
    const parsed = parseDecisionRecord(value);
    if (!parsed.ok) {
      this.invalid++;
      return;
    }
    const r = parsed.record;
    this.dirty = true;
    if (r.kind === 'exec.order') {
      const o = r.order;
      if (OPEN_STATUSES.has(o.status))
        this.orders.set(o.clientId, {
          time: r.t,
          clientId: o.clientId,
          coin: o.coin,
          strategy: o.strategy,
          side: o.side,
          size: o.size,
          filled: o.filled,
          limitPx: o.limitPx,
          tif: o.tif,
          purpose: o.purpose,
          status: o.status,
          reduceOnly: o.reduceOnly,
        });
      else this.orders.delete(o.clientId);
      return;
    }
    if (r.kind === 'exec.intent') {
      const i = r.intent;
      if (i.kind === 'entry')
        this.entries.set(i.coin, {
          time: r.t,
          id: i.id,
          coin: i.coin,
          strategy: i.strategy,
          side: i.side,
          stop: i.stop,
          target: i.target,
        });
      return;
    }
    this.kept.push(r);
  }

  /** The view (flushed first), rebuilt only when a line it is made of arrived since the last call. */
  view(): { version: number; json: string; view: HistoryView } {
    this.flush();
    if (!this.cached || this.dirty) {
      this.version++;
      const view = this.fromReading(analyseDecisions(this.kept));
      this.cached = { view, json: JSON.stringify(view) };
      this.dirty = false;
    }
    return { version: this.version, ...this.cached };
  }

  /** Decision lines seen, not read as records (bad JSON, a failed check), dropped unread (queue full). */
  counts(): HistoryCounts {
    return { lines: this.lines + this.pending.length, invalid: this.invalid, dropped: this.dropped };
  }

  private fromReading(d: ReturnType<typeof analyseDecisions>): HistoryView {
    const regimes: Record<string, { time: number; regime: string }[]> = {};
    for (const [coin, list] of d.regimes) regimes[coin] = list;
    const openCoins = new Set(d.trades.filter((t) => t.closeTime === null).map((t) => t.coin));
    const levels: EntryLevels[] = [];
    for (const [coin, e] of this.entries) if (openCoins.has(coin)) levels.push(e);
    return {
      version: this.version,
      fills: d.fills,
      trades: d.trades,
      equity: d.equity,
      startEquity: d.startEquity,
      totals: d.totals,
      regimes,
      openOrders: [...this.orders.values()].sort((a, b) => a.time - b.time),
      levels,
      alarms: d.alarms.slice(-this.maxAlarms),
    };
  }

  /** Decision lines from sequence number `seq` on (as many as the feed still holds; flushed first). */
  feedSince(seq: number): FeedSlice {
    this.flush();
    const end = this.feedStart + this.feed.length;
    const from = Math.min(end, Math.max(this.feedStart, Number.isFinite(seq) ? Math.floor(seq) : 0));
    return { from, next: end, lines: this.feed.slice(from - this.feedStart) };
  }
}

/** One sample of a coin's quote: [time ms, best bid, best ask, regime]. */
export type QuoteSample = [number, number | null, number | null, string];

/**
 * Each coin's best bid and ask and its regime as the dashboard's pushes saw them, one sample a second (the
 * last of that second), the last `maxSeconds` kept: sent once to a page when it connects, so its charts
 * start with the recent past instead of empty.
 */
export class QuoteTape {
  private readonly tape = new Map<string, QuoteSample[]>();

  constructor(private readonly maxSeconds = 3_600) {}

  sample(snap: {
    time: number;
    coins: { coin: string; bestBid: number | null; bestAsk: number | null; regime: string }[];
  }): void {
    if (!Number.isFinite(snap.time)) return;
    const second = Math.floor(snap.time / 1000) * 1000;
    for (const c of snap.coins) {
      if (c.bestBid === null && c.bestAsk === null) continue;
      let list = this.tape.get(c.coin);
      if (!list) this.tape.set(c.coin, (list = []));
      const last = list[list.length - 1];
      const s: QuoteSample = [second, c.bestBid, c.bestAsk, c.regime];
      if (last && last[0] === second) list[list.length - 1] = s;
      else if (!last || last[0] < second) {
        list.push(s);
        if (list.length > this.maxSeconds) list.splice(0, list.length - this.maxSeconds);
      }
    }
  }

  /** `{coin: [[t, bid, ask, regime], …]}` as JSON. */
  json(): string {
    return JSON.stringify(Object.fromEntries(this.tape));
  }
}
