/**
 * The ingest path after the journal, shared by live (the ingest worker) and replay: every journal record
 * goes through `process` in journal order.
 *   frames     → parse + validate (zod, never throws) → gap/sequence checks → state builder → hot state
 *   conn       → connection status and health events (live, lost, heartbeat timeout, gaps)
 *   tick       → nothing here: the caller hands the drained health events and the hot-state version to
 *                the decision side
 *   decision   → operator commands (the kill switch …) are queued for the next tick; the decision side's
 *                own records are outputs, kept for parity checks
 *   venue      → the live venue's answers (acks, rejects, fills, cancels, timeouts, what reconciliation
 *                recovered) are queued for the next tick, stamped with their journal time: execution
 *                applies them only there, in live and in replay alike (issue 16)
 * A rejected frame is counted with its reason and never stops the pipeline.
 */
import { parseServerFrame } from '../hyperliquid/parse.ts';
import type { BookRejectReason } from './book.ts';
import type { StateBuilder } from './builder.ts';
import type { DerivedEvent } from './detectors.ts';
import { GapTracker, type Verdict } from './gaps.ts';
import { SourceHealth } from './heights.ts';
import { l4SourceOf, NodeBooks } from './node-books.ts';
import { parseNodeL4FileSnapshot } from '../hyperliquid/node-parse.ts';
import type { WalletClassFact } from './wallets.ts';
import type { WsTrade } from './inputs.ts';
import { bytesJson, type ConnEvent, type JournalRecord, RecordKind } from './records.ts';
import { isVenueReport, type VenueReport } from './venue-report.ts';

/** Feed events for the health machine (structurally its CONNECTION_*, HEARTBEAT_TIMEOUT and GAP events). */
export type FeedHealthEvent =
  /** The feed connection is live again (subscriptions settled) at `time`. */
  | { type: 'CONNECTION_LIVE'; time: number; epoch: number }
  /** The feed connection is down (closed, timed out, stopped). */
  | { type: 'CONNECTION_LOST'; time: number; reason: string }
  /** A heartbeat timeout (pong overdue, receive timeout): the connection is being replaced. */
  | { type: 'HEARTBEAT_TIMEOUT'; time: number; reason: string }
  /** A gap: sequence hole, lost frames, new epoch, skipped block height, data in doubt. */
  | { type: 'GAP'; time: number; key: string; reason: string }
  | BookRejectedEvent
  | BookValidEvent;

/**
 * A coin's l2Book or bbo failed the book's sanity checks (state/book.ts): it was not applied and the
 * coin is gated (HotView.bookInvalid) until a valid one arrives. At most one per coin and channel per
 * tick: `count` rejections since the last drain, `time`, `seq`, `reason` and `message` of the latest.
 */
export interface BookRejectedEvent {
  type: 'BOOK_REJECTED';
  time: number;
  coin: string;
  channel: 'l2Book' | 'bbo';
  reason: BookRejectReason;
  message: string;
  seq: number;
  count: number;
}

/** A behaviour class the wallet tracker granted (state/wallets.ts), with its evidence. */
export interface WalletClassEvent {
  type: 'WALLET_CLASS';
  /** Journal time the class's rule became true. */
  time: number;
  wallet: string;
  class: WalletClassFact['class'];
  coin: string;
  evidence: Record<string, number | string>;
}

/** What a control tick hands the decision side: health events, then the wallet classes granted since. */
export type TickEvent = FeedHealthEvent | WalletClassEvent;

/**
 * A valid l2Book (or bbo) lifted the coin's gate. At most one per coin per tick: `count` times since
 * the last drain, `time`, `seq` and `channel` of the latest. Per coin, the order of the last
 * BOOK_REJECTED and BOOK_VALID in a tick says whether the coin ended the tick gated.
 */
export interface BookValidEvent {
  type: 'BOOK_VALID';
  time: number;
  coin: string;
  channel: 'l2Book' | 'bbo';
  seq: number;
  count: number;
}

export interface PipelineCounters {
  records: number;
  frames: number;
  /** Frames applied to the state (book, bbo, trades, asset ctx). */
  applied: number;
  /** Control frames (subscriptionResponse, pong, error, post, other channels): journaled, not state. */
  control: number;
  /** Frames rejected: by the parser (not JSON, wrong shape …) or by the book's sanity checks. */
  rejected: number;
  /**
   * `rejected` by reason: the parser's codes (not_json, not_object, unknown_channel, schema) and, for
   * book sanity, `<channel>.<reason>` (`l2Book.crossed`, `bbo.non_positive_sz`, … see BookRejectReason).
   */
  rejectedByCode: Record<string, number>;
  /** l2Book / bbo frames rejected by the book's sanity checks (also in `rejected`). */
  bookRejected: number;
  dropped: number;
  venueErrors: number;
  connEvents: number;
  badConnRecords: number;
  operatorCommands: number;
  badOperatorRecords: number;
  /** Venue answers queued for the decision side (RecordKind.Venue). */
  venueReports: number;
  /** Venue records that are not JSON of a `VenueReport` (counted, never applied). */
  badVenueRecords: number;
  /**
   * Frames of the further sources (node files, order_book_server): checked by `sources` (heights,
   * staleness), not applied to the state; those that could not be read are also in `rejected`.
   */
  sourcedFrames: number;
  /** Gaps of the further sources by source: heights, connection losses, staleness (state/heights.ts). */
  sourceGaps: Record<string, number>;
  /** Public l2Book frames not applied because the node's L4 book drove their coin's book (state/node-books.ts). */
  l2Shadowed: number;
  lastRejection: string;
  lastVenueError: string;
}

const textDecoder = new TextDecoder('utf-8');

function isRecord(v: unknown): v is { readonly [key: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface PipelineOptions {
  builder: StateBuilder;
  /** Called with every derived event (evidence included) in order. */
  onDerived?: (e: DerivedEvent) => void;
  /** How far a source's block time may trail the freshest source's, or go silent (ms; state/heights.ts). */
  staleMs?: number;
}

/** Feed connection status as seen through the journal. */
export interface ConnStatus {
  connected: boolean;
  epoch: number;
  since: number;
  lastEvent: string;
}

export class IngestPipeline {
  readonly counters: PipelineCounters = {
    records: 0,
    frames: 0,
    applied: 0,
    control: 0,
    rejected: 0,
    rejectedByCode: {},
    bookRejected: 0,
    dropped: 0,
    venueErrors: 0,
    connEvents: 0,
    badConnRecords: 0,
    operatorCommands: 0,
    badOperatorRecords: 0,
    venueReports: 0,
    badVenueRecords: 0,
    sourcedFrames: 0,
    sourceGaps: {},
    l2Shadowed: 0,
    lastRejection: '',
    lastVenueError: '',
  };
  readonly gaps = new GapTracker();
  /** The further sources' heights, connection losses and staleness (the public feed is only their reference). */
  readonly sources: SourceHealth;
  /**
   * The node's L4 books, where the run's config has one drive the hot-state book (`node.l4`, read from its
   * `run.start` record); null before a run start names one.
   */
  nodeBooks: NodeBooks | null = null;
  /** The connection epoch of the records without a source of their own (the feed's stamper stamps them). */
  private feedEpoch: number | null = null;
  readonly conn: ConnStatus = { connected: false, epoch: -1, since: 0, lastEvent: 'none' };
  private pending: FeedHealthEvent[] = [];
  /** This tick's BOOK_REJECTED (by `channel:coin`) and BOOK_VALID (by coin) events, to merge repeats. */
  private readonly bookRejects = new Map<string, BookRejectedEvent>();
  private readonly bookValids = new Map<string, BookValidEvent>();
  private commands: unknown[] = [];
  private derivedSinceDrain = 0;
  private readonly builder: StateBuilder;
  private readonly onDerived: ((e: DerivedEvent) => void) | undefined;

  constructor(opts: PipelineOptions) {
    this.builder = opts.builder;
    this.onDerived = opts.onDerived;
    this.sources = new SourceHealth(opts.staleMs !== undefined ? { staleMs: opts.staleMs } : {});
    this.counters.sourceGaps = this.sources.counters.gapsBySource;
  }

  /**
   * Health events gathered since the last drain (handed to the decision side at a tick), then the wallet
   * classes the tracker granted since (facts with evidence: the decision side journals them as `wallet.class`).
   */
  drainEvents(): TickEvent[] {
    const out: TickEvent[] = this.pending;
    this.pending = [];
    const facts = this.builder.wallets?.drainFacts() ?? [];
    for (const f of facts)
      out.push({
        type: 'WALLET_CLASS',
        time: f.t,
        wallet: f.wallet,
        class: f.class,
        coin: f.coin,
        evidence: f.evidence,
      });
    this.derivedSinceDrain = 0;
    this.bookRejects.clear();
    this.bookValids.clear();
    return out;
  }

  /**
   * The inputs journaled since the last drain, in journal order, handed to the decision side at a tick:
   * operator commands (as journaled) and the venue's answers (`VenueItem`); split them with
   * `splitTickItems`. One queue, so the tick message carries both in the `commands` field it already has.
   */
  drainCommands(): unknown[] {
    const out = this.commands;
    this.commands = [];
    return out;
  }

  /** Derived events since the last drain (the live worker asks for an event tick when this grows). */
  get derivedPending(): number {
    return this.derivedSinceDrain;
  }

  process(rec: JournalRecord): void {
    this.counters.records++;
    // a further source's frames and connection events carry its own epoch: only the feed's count as epochs here
    const sourced =
      rec.source !== undefined && (rec.kind === RecordKind.Frame || rec.kind === RecordKind.Conn);
    if (!sourced) this.feedEpoch = rec.epoch;
    // every record, whatever its kind, carries the one local sequence: a hole is lost records
    // (before any feed record, the feed's stamper is at epoch 0: a further source's own epochs never stand in)
    for (const g of this.gaps.record(sourced ? { seq: rec.seq, epoch: this.feedEpoch ?? 0 } : rec)) {
      this.pending.push({ type: 'GAP', time: rec.time, key: g.key, reason: g.reason });
    }
    if (sourced) this.sourcedRecord(rec, rec.source ?? '');
    else if (rec.kind === RecordKind.Frame) this.frame(rec);
    else if (rec.kind === RecordKind.Conn) this.connRecord(rec);
    else if (rec.kind === RecordKind.Decision && rec.channel === 'operator') this.operatorRecord(rec);
    else if (rec.kind === RecordKind.Decision && rec.channel === 'run.start') this.runStart(rec);
    else if (rec.kind === RecordKind.Venue) this.venueRecord(rec);
    else if (rec.kind === RecordKind.Tick)
      for (const g of this.sources.tick(rec.time))
        this.pending.push({ type: 'GAP', time: rec.time, key: g.key, reason: g.reason });
  }

  /** A run's start: the staleness bound its config names (`node.staleMs`) applies from here, live and in replay. */
  private runStart(rec: JournalRecord): void {
    let staleMs: unknown;
    let wallets: unknown;
    let node: { readonly [key: string]: unknown } | undefined;
    let sources: unknown;
    try {
      const r: unknown = bytesJson(rec.data);
      const cfg = isRecord(r) && isRecord(r.run) ? r.run.config : undefined;
      node = isRecord(cfg) && isRecord(cfg.node) ? cfg.node : undefined;
      staleMs = node?.staleMs;
      wallets = isRecord(cfg) ? cfg.wallets : undefined;
      sources = isRecord(cfg) ? cfg.sources : undefined;
    } catch {
      return;
    }
    if (typeof staleMs === 'number' && staleMs > 0) this.sources.heights.staleMs = staleMs;
    // which L4 book (if any) drives the hot-state book: the run's own choice, live and in replay (issue 17)
    this.nodeBooks = null;
    if (node !== undefined && Array.isArray(sources)) {
      const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
      const from = l4SourceOf(
        sources.filter((x): x is string => typeof x === 'string'),
        {
          l4: str(node.l4),
          bookServer: str(node.bookServer),
          dir: str(node.dir),
          streams: Array.isArray(node.streams)
            ? node.streams.filter((x): x is string => typeof x === 'string')
            : undefined,
          infoUrl: str(node.infoUrl),
        },
      );
      if (from !== 'off') {
        const nLevels = typeof node.nLevels === 'number' ? node.nLevels : 20;
        this.nodeBooks = new NodeBooks(
          this.builder.coins().map((c) => c.coin),
          from,
          { nLevels },
        );
      }
    }
    // the wallet tracker runs with the run's own wallet config (issue 18), the same live and in replay
    if (isRecord(wallets)) {
      try {
        this.builder.configureWallets(wallets);
      } catch (e) {
        this.reject('run.start.wallets', `record ${rec.seq}: wallet config refused: ${(e as Error).message}`);
      }
    }
  }

  /** A frame or connection event of a further source (node files, order_book_server): its health only. */
  private sourcedRecord(rec: JournalRecord, source: string): void {
    if (rec.kind === RecordKind.Conn) {
      let ev: ConnEvent;
      try {
        ev = bytesJson<ConnEvent>(rec.data);
      } catch {
        this.counters.badConnRecords++;
        return;
      }
      this.counters.connEvents++;
      for (const g of this.sources.conn(source, ev.type, ev.reason, ev.key))
        this.pending.push({ type: 'GAP', time: rec.time, key: g.key, reason: g.reason });
      const nb = this.nodeBooks;
      if (nb?.owns(source) && (ev.type === 'closed' || ev.type === 'error')) {
        nb.lost(source, `${source} ${ev.type}: its L4 book waits for a new snapshot`);
        this.nodeBookOutcome(rec, source);
      }
      return;
    }
    this.counters.frames++;
    this.counters.sourcedFrames++;
    const v = this.sources.frame(source, rec.channel, rec.data, rec.time);
    if (v.malformed !== '') this.reject(`${source}.malformed`, `record ${rec.seq}: ${v.malformed}`);
    if (v.duplicate) this.counters.dropped++;
    for (const g of v.gaps) this.pending.push({ type: 'GAP', time: rec.time, key: g.key, reason: g.reason });
    const nb = this.nodeBooks;
    if (nb?.owns(source)) this.nodeBookRecord(nb, rec, source, v);
    // the node's fills are the venue's trades, often before the public feed's copy (deduplicated on coin, time, tid)
    if (v.trades === undefined || v.trades.length === 0) return;
    const fresh = this.gaps.tradesOf(v.trades).trades;
    if (fresh.length === 0) return;
    this.counters.applied++;
    for (const e of this.builder.onTrades(fresh, rec.time, rec.seq)) {
      this.derivedSinceDrain++;
      this.onDerived?.(e);
    }
  }

  /** A further source's record for the node's L4 books (state/node-books.ts): they may drive the hot-state book. */
  private nodeBookRecord(
    nb: NodeBooks,
    rec: JournalRecord,
    source: string,
    v: ReturnType<SourceHealth['frame']>,
  ): void {
    if (rec.channel === 'l4Book' && v.malformed === '') {
      // a height missing from the whole stream: every book lost a block
      if (v.gaps.length > 0) {
        nb.lost(source, `${v.gaps[0]?.reason ?? 'a height gap'}: its L4 book waits for a new snapshot`);
        this.nodeBookOutcome(rec, source);
      }
      nb.obsL4(v.l4);
    } else if (v.statuses !== undefined) nb.statusesBlock(v.statuses);
    else if (v.diffs !== undefined) nb.diffsBlock(v.diffs);
    else if (rec.channel === 'l4Snapshot') {
      const r = parseNodeL4FileSnapshot(rec.data);
      if (!r.ok) {
        this.reject(`${source}.l4Snapshot`, `record ${rec.seq}: ${r.error.message}`);
        return;
      }
      nb.fileSnapshot(r.value);
    } else return;
    this.nodeBookOutcome(rec, source);
  }

  /** After the L4 books took a record: their losses are gaps, their changed coins go to the hot-state book. */
  private nodeBookOutcome(rec: JournalRecord, source: string): void {
    const nb = this.nodeBooks;
    if (nb === null) return;
    for (const p of nb.problems)
      for (const g of this.sources.noteGap(`${source}:l4Book:${p.coin}`, p.reason))
        this.pending.push({ type: 'GAP', time: rec.time, key: g.key, reason: g.reason });
    for (const coin of nb.publish) {
      const events = this.builder.onBook(nb.l2(coin), rec.time, rec.seq);
      if (this.bookOutcome(rec)) continue;
      this.counters.applied++;
      for (const e of events) {
        this.derivedSinceDrain++;
        this.onDerived?.(e);
      }
    }
  }

  private reject(code: string, message: string): void {
    this.counters.rejected++;
    this.counters.rejectedByCode[code] = (this.counters.rejectedByCode[code] ?? 0) + 1;
    this.counters.lastRejection = message;
  }

  private frame(rec: JournalRecord): void {
    this.counters.frames++;
    const r = parseServerFrame(rec.data);
    if (!r.ok) {
      this.reject(r.error.code, r.error.message);
      // data in doubt: the decision side must not trade on it until fresh data has validated again
      if (r.error.code !== 'not_json' || rec.data.length > 64) {
        this.pending.push({
          type: 'GAP',
          time: rec.time,
          key: rec.channel || '*',
          reason: `rejected frame: ${r.error.message}`,
        });
      }
      // and a book of the wrong shape puts its coin's book in doubt until a valid one arrives
      if (r.error.channel === 'l2Book' || r.error.channel === 'bbo')
        this.badBookFrame(rec, r.error.channel, r.error.message);
      return;
    }
    const f = r.frame;
    // trades are checked typed, so the fresh ones (the same objects) keep the parser's type
    let fresh: readonly WsTrade[] | undefined;
    let verdict: Verdict;
    if (f.channel === 'trades') {
      const v = this.gaps.tradesOf(f.data);
      fresh = v.trades;
      verdict = v;
    } else verdict = this.gaps.frame(f);
    for (const g of verdict.gaps)
      this.pending.push({ type: 'GAP', time: rec.time, key: g.key, reason: g.reason });
    if (!verdict.keep) {
      this.counters.dropped++;
      if (f.channel !== 'trades') {
        // a book going back in time: the feed is in doubt (duplicate trades are only deduplicated)
        this.pending.push({
          type: 'GAP',
          time: rec.time,
          key: rec.channel || '*',
          reason: verdict.dropReason ?? 'dropped',
        });
      }
      return;
    }
    let events: readonly DerivedEvent[] = [];
    switch (f.channel) {
      case 'l2Book':
        this.sources.reference('feed', f.data.time, rec.time);
        // the node's L4 book drives this coin's book while it is whole: the public copy is not applied
        if (this.nodeBooks?.drives(f.data.coin)) {
          this.counters.l2Shadowed++;
          return;
        }
        events = this.builder.onBook(f.data, rec.time, rec.seq);
        if (this.bookOutcome(rec)) return;
        break;
      case 'bbo':
        events = this.builder.onBbo(f.data, rec.time, rec.seq);
        if (this.bookOutcome(rec)) return;
        break;
      case 'trades':
        events = this.builder.onTrades(fresh ?? f.data, rec.time, rec.seq);
        break;
      case 'activeAssetCtx':
        events = this.builder.onAssetCtx(f.data, rec.time, rec.seq);
        break;
      case 'error':
        this.counters.venueErrors++;
        this.counters.lastVenueError = String(f.data);
        this.counters.control++;
        return;
      default:
        this.counters.control++;
        return;
    }
    this.counters.applied++;
    for (const e of events) {
      this.derivedSinceDrain++;
      this.onDerived?.(e);
    }
  }

  /**
   * A book frame the parser refused: if it names a coin with a slot, that coin's book is gated like a
   * sanity rejection (reason `malformed`), and BOOK_REJECTED is emitted after the frame's GAP. Counted
   * once in `rejected` (under the parser's code) and once in `bookRejected`. The rare path: the frame
   * is parsed again here to find its coin.
   */
  private badBookFrame(rec: JournalRecord, channel: 'l2Book' | 'bbo', message: string): void {
    let coin: unknown;
    try {
      const raw: unknown = JSON.parse(textDecoder.decode(rec.data));
      const data = isRecord(raw) ? raw.data : undefined;
      coin = isRecord(data) ? data.coin : undefined;
    } catch {
      return;
    }
    if (typeof coin !== 'string') return;
    if (!this.builder.rejectBookFrame(coin, channel, message, rec.time, rec.seq)) return;
    this.bookOutcome(rec, false);
  }

  /**
   * After an l2Book / bbo went to the builder: a sanity rejection is counted (with its reason) and
   * becomes a BOOK_REJECTED event; a valid one that lifted the coin's gate becomes BOOK_VALID. Both
   * are merged per tick (see the event types), so a stream of bad books cannot flood the decision
   * side. True when the frame was rejected. Allocates nothing when the book was sane and not gated.
   */
  private bookOutcome(rec: JournalRecord, count = true): boolean {
    const v = this.builder.bookVerdict;
    if (v.reason !== '') {
      if (count) this.reject(`${v.channel}.${v.reason}`, v.message);
      this.counters.bookRejected++;
      const key = `${v.channel}:${v.coin}`;
      const prev = this.bookRejects.get(key);
      const e: BookRejectedEvent = {
        type: 'BOOK_REJECTED',
        time: rec.time,
        coin: v.coin,
        channel: v.channel,
        reason: v.reason,
        message: v.message,
        seq: rec.seq,
        count: (prev?.count ?? 0) + 1,
      };
      this.replacePending(prev, e);
      this.bookRejects.set(key, e);
      return true;
    }
    if (v.cleared) {
      const prev = this.bookValids.get(v.coin);
      const e: BookValidEvent = {
        type: 'BOOK_VALID',
        time: rec.time,
        coin: v.coin,
        channel: v.channel,
        seq: rec.seq,
        count: (prev?.count ?? 0) + 1,
      };
      this.replacePending(prev, e);
      this.bookValids.set(v.coin, e);
    }
    return false;
  }

  /** Queue `e`, taking `prev` (this tick's earlier event of the same key) out of the queue. */
  private replacePending(prev: FeedHealthEvent | undefined, e: FeedHealthEvent): void {
    if (prev !== undefined) {
      const i = this.pending.lastIndexOf(prev);
      if (i >= 0) this.pending.splice(i, 1);
    }
    this.pending.push(e);
  }

  private operatorRecord(rec: JournalRecord): void {
    try {
      const command: unknown = bytesJson(rec.data);
      // nothing journaled as a command may pass for a venue answer
      if (isRecord(command) && Object.hasOwn(command, 'venueReport'))
        throw new Error('a command cannot carry a venueReport');
      this.commands.push(command);
      this.counters.operatorCommands++;
    } catch (e) {
      this.counters.badOperatorRecords++;
      this.counters.lastRejection = `operator record ${rec.seq}: ${(e as Error).message}`;
    }
  }

  /** A venue answer: applied at the next tick with the record's journal time (not the venue's clock). */
  private venueRecord(rec: JournalRecord): void {
    let raw: unknown;
    try {
      raw = bytesJson(rec.data);
    } catch (e) {
      this.badVenue(rec, `not JSON: ${(e as Error).message}`);
      return;
    }
    if (!isRecord(raw)) {
      this.badVenue(rec, 'not an object');
      return;
    }
    const report: unknown = { ...raw, time: rec.time };
    if (!isVenueReport(report)) {
      this.badVenue(rec, `not a venue report (type ${JSON.stringify(raw.type ?? null)})`);
      return;
    }
    this.counters.venueReports++;
    this.commands.push({ venueReport: report, seq: rec.seq });
  }

  private badVenue(rec: JournalRecord, why: string): void {
    this.counters.badVenueRecords++;
    this.counters.lastRejection = `venue record ${rec.seq}: ${why}`;
  }

  private connRecord(rec: JournalRecord): void {
    let ev: ConnEvent;
    try {
      ev = bytesJson<ConnEvent>(rec.data);
    } catch {
      this.counters.badConnRecords++;
      return;
    }
    this.counters.connEvents++;
    this.conn.lastEvent = ev.type;
    const t = rec.time;
    switch (ev.type) {
      case 'subscribed':
        if (!this.conn.connected || this.conn.epoch !== rec.epoch) {
          this.conn.connected = true;
          this.conn.epoch = rec.epoch;
          this.conn.since = t;
          this.pending.push({ type: 'CONNECTION_LIVE', time: t, epoch: rec.epoch });
        }
        break;
      case 'closed':
      case 'error':
        if (this.conn.connected || ev.type === 'closed') {
          this.conn.connected = false;
          this.conn.since = t;
          const reason = `${ev.type}${ev.reason ? `: ${ev.reason}` : ''}`;
          if (ev.reason && /pong|receive timeout|heartbeat|stall/i.test(ev.reason)) {
            this.pending.push({ type: 'HEARTBEAT_TIMEOUT', time: t, reason });
          }
          this.pending.push({ type: 'CONNECTION_LOST', time: t, reason });
        }
        break;
      case 'gap':
        this.pending.push({
          type: 'GAP',
          time: t,
          key: ev.key ?? '*',
          reason: ev.reason ?? `lost ${ev.lost ?? '?'} frame(s)`,
        });
        break;
      default:
        break;
    }
  }
}

/**
 * A venue answer (`Venue` record) queued for the next tick among the operator commands (which never carry a
 * `venueReport` key: such a command record is refused); its time is the record's journal time.
 */
export interface VenueItem {
  venueReport: VenueReport;
  seq: number;
}

/**
 * Split a tick's inputs into the operator commands and the venue reports, each in journal order. Takes
 * `unknown` (the tick crosses a thread boundary): a `venueReport` that is not a venue report is counted in
 * `bad` and dropped; commands are judged by the decision side as before.
 */
export function splitTickItems(items: readonly unknown[]): {
  commands: unknown[];
  reports: VenueReport[];
  bad: number;
} {
  const commands: unknown[] = [];
  const reports: VenueReport[] = [];
  let bad = 0;
  for (const it of items) {
    if (!isRecord(it) || !Object.hasOwn(it, 'venueReport')) commands.push(it);
    else if (isVenueReport(it.venueReport)) reports.push(it.venueReport);
    else bad++;
  }
  return { commands, reports, bad };
}
