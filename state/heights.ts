/**
 * Block heights as a sequence, per source and stream, and block-time staleness across sources. Pure code
 * run in the ingest pipeline (live and replay alike) on journal records, with journal times only:
 *  - per `source:stream` (e.g. `node:node_fills_by_block`, `book:l4Book:BTC`) a height must be the last
 *    one plus one: a jump is a gap reported with its range (`heights 1001-1003 missing on …`); a height
 *    at or below the last one is a duplicate and dropped; a snapshot or a reconnect resets the base;
 *  - each source's freshest block time (venue ms) is kept with the journal time it arrived at; a source is
 *    stale when its block time is more than `staleMs` behind the freshest source's, or when no block of it
 *    arrived for `staleMs` of journal time (a stalled writer, a dead server).
 * Sources that carry no heights (the public feed) still take part in staleness through `observe` with
 * their venue time.
 */

import { parseNodeBlockLine } from '../hyperliquid/node-parse.ts';
import type {
  NodeBookDiffsBlock,
  NodeFillEvent,
  NodeOrderStatusesBlock,
} from '../hyperliquid/node-schemas.ts';
import type { WsTrade } from '../hyperliquid/ws-schemas.ts';

export interface HeightGap {
  source: string;
  stream: string;
  /** First and last missing height. */
  from: number;
  to: number;
  missing: number;
  /** `heights 1001-1003 missing on node:node_fills_by_block` */
  reason: string;
}

export interface HeightVerdict {
  /** False: a height already seen (a duplicate after a restart or a resend): drop it. */
  keep: boolean;
  gap: HeightGap | null;
}

export interface StaleSource {
  source: string;
  /** Why: how far behind, and behind whom, or how long nothing arrived. */
  reason: string;
}

export interface HeightCounters {
  blocks: number;
  gaps: number;
  missingHeights: number;
  duplicates: number;
  resets: number;
  /** Times a source turned stale (fresh → stale). */
  staleTransitions: number;
}

export interface HeightTrackerOptions {
  /** How far (ms) a source's block time may trail the freshest source's, or go without a block. Default 5 000. */
  staleMs?: number;
}

interface SourceTime {
  /** Judged for staleness (a height source), or only a reference for the others (the public feed). */
  judged: boolean;
  /** Freshest block (venue) time seen, ms. */
  blockTime: number;
  /** Journal time at which the last block (or observed venue time) arrived. */
  recvTime: number;
  stale: boolean;
}

export const DEFAULT_STALE_MS = 5_000;

export class HeightTracker {
  readonly counters: HeightCounters = {
    blocks: 0,
    gaps: 0,
    missingHeights: 0,
    duplicates: 0,
    resets: 0,
    staleTransitions: 0,
  };
  /** The staleness bound (ms); a run's `run.start` record may set it (the pipeline reads it there). */
  staleMs: number;
  private readonly last = new Map<string, number>();
  private readonly times = new Map<string, SourceTime>();

  constructor(opts: HeightTrackerOptions = {}) {
    this.staleMs = opts.staleMs ?? DEFAULT_STALE_MS;
  }

  /**
   * One block of `source:stream` at `height`; `blockTime` (venue ms, NaN when unknown) and `recvTime`
   * (journal ms) feed staleness.
   */
  block(source: string, stream: string, height: number, blockTime: number, recvTime: number): HeightVerdict {
    const key = `${source}:${stream}`;
    const last = this.last.get(key);
    if (last !== undefined && height <= last) {
      this.counters.duplicates++;
      return { keep: false, gap: null };
    }
    this.counters.blocks++;
    this.last.set(key, height);
    this.observe(source, blockTime, recvTime);
    if (last === undefined || height === last + 1) return { keep: true, gap: null };
    const from = last + 1;
    const to = height - 1;
    const missing = to - from + 1;
    this.counters.gaps++;
    this.counters.missingHeights += missing;
    const range = from === to ? `height ${from}` : `heights ${from}-${to}`;
    return {
      keep: true,
      gap: { source, stream, from, to, missing, reason: `${range} missing on ${key}` },
    };
  }

  /** A new base (a snapshot, a reconnect): the next height of the stream (or of every stream of the source) starts afresh. */
  reset(source: string, stream?: string): void {
    this.counters.resets++;
    if (stream !== undefined) {
      this.last.delete(`${source}:${stream}`);
      return;
    }
    const prefix = `${source}:`;
    for (const k of [...this.last.keys()]) if (k.startsWith(prefix)) this.last.delete(k);
  }

  /** The last height of `source:stream`, if any. */
  height(source: string, stream: string): number | undefined {
    return this.last.get(`${source}:${stream}`);
  }

  /**
   * A venue time from `source` (a block's time, or a public frame's `time`), arrived at `recvTime`. A source
   * observed with `judged` false is only a reference (the public feed: its channels' freshness is judged by
   * the health machine already).
   */
  observe(source: string, venueTime: number, recvTime: number, judged = true): void {
    let t = this.times.get(source);
    if (!t) {
      t = { judged, blockTime: Number.NEGATIVE_INFINITY, recvTime, stale: false };
      this.times.set(source, t);
    }
    t.recvTime = recvTime;
    if (Number.isFinite(venueTime) && venueTime > t.blockTime) t.blockTime = venueTime;
  }

  /** Stop judging a source (it was removed, or its connection is down and reported otherwise). */
  forget(source: string): void {
    this.times.delete(source);
  }

  /** The sources stale at journal time `now`, each with its reason (a source seen once is judged from then on). */
  stale(now: number): StaleSource[] {
    let freshest = Number.NEGATIVE_INFINITY;
    let freshestName = '';
    for (const [name, t] of this.times) {
      if (t.blockTime > freshest) {
        freshest = t.blockTime;
        freshestName = name;
      }
    }
    const out: StaleSource[] = [];
    for (const [name, t] of this.times) {
      if (!t.judged) continue;
      let reason = '';
      const silent = now - t.recvTime;
      const behind = freshest - t.blockTime;
      if (silent > this.staleMs)
        reason = `source ${name} stale: nothing for ${fmt(silent)} ms (bound ${this.staleMs} ms)`;
      else if (Number.isFinite(t.blockTime) && behind > this.staleMs)
        reason = `source ${name} stale: block time ${fmt(behind)} ms behind ${freshestName} (bound ${this.staleMs} ms)`;
      if (reason !== '') {
        if (!t.stale) this.counters.staleTransitions++;
        t.stale = true;
        out.push({ source: name, reason });
      } else t.stale = false;
    }
    return out;
  }
}

function fmt(ms: number): string {
  return String(Math.round(ms));
}

/**
 * A node line's block number and block time without parsing the whole line (a block of book diffs can be
 * megabytes): the by-block lines begin `{"local_time":"…","block_time":"…","block_number":N,…`. Looks in
 * the first `window` characters (default 512), then the whole text. `height` NaN: not found.
 */
export function blockStamp(text: string, window = 512): { height: number; blockTime: number } {
  const head = text.length > window ? text.slice(0, window) : text;
  let height = numberAfter(head, '"block_number":');
  if (Number.isNaN(height) && head !== text) height = numberAfter(text, '"block_number":');
  let iso = stringAfter(head, '"block_time":"');
  if (iso === null && head !== text) iso = stringAfter(text, '"block_time":"');
  return { height, blockTime: iso === null ? Number.NaN : nodeTimeMs(iso) };
}

function numberAfter(text: string, key: string): number {
  const i = text.indexOf(key);
  if (i < 0) return Number.NaN;
  let j = i + key.length;
  while (text.charCodeAt(j) === 0x20) j++;
  const start = j;
  while (j < text.length && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x39) j++;
  if (j === start || j - start > 15) return Number.NaN;
  const c = text.charCodeAt(j);
  // a number followed by `.`, `e` … is not an integer height
  if (c === 0x2e || c === 0x65 || c === 0x45) return Number.NaN;
  return Number(text.slice(start, j));
}

function stringAfter(text: string, key: string): string | null {
  const i = text.indexOf(key);
  if (i < 0) return null;
  const end = text.indexOf('"', i + key.length);
  return end < 0 ? null : text.slice(i + key.length, end);
}

/** A node timestamp (naive ISO, nanoseconds, UTC: `2025-06-24T02:56:36.172847427`) in ms; NaN if not one. */
export function nodeTimeMs(iso: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z?$/.exec(iso);
  if (!m) return Number.NaN;
  const frac = m[7] ?? '';
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return ms + (frac === '' ? 0 : Number(`0.${frac}`) * 1000);
}

/** A gap for the health machine (the pipeline turns it into its `GAP` event). */
export interface SourceGap {
  key: string;
  reason: string;
}

export interface SourceVerdict {
  gaps: SourceGap[];
  /** A fills block's trades (one per fill pair, as the venue's `trades` shows them), for the flow windows. */
  trades?: WsTrade[];
  /** A height already seen: not applied. */
  duplicate: boolean;
  /** Why the record could not be read (counted by the caller), '' when it could. */
  malformed: string;
  /** An l4Book frame's `data` as parsed (for the L4 books, state/node-books.ts). */
  l4?: unknown;
  /** A kept block of order statuses or book diffs, as parsed (for the L4 books). */
  statuses?: NodeOrderStatusesBlock;
  diffs?: NodeBookDiffsBlock;
}

export interface SourceHealthCounters {
  frames: number;
  /** Trades made from node fill pairs; fills whose counterpart was not in the same block (skipped). */
  fillTrades: number;
  unpairedFills: number;
  malformed: number;
  duplicates: number;
  /** Gaps reported: height ranges, connection losses and source-reported gaps, staleness. */
  gaps: number;
  /** The same, per source. */
  gapsBySource: Record<string, number>;
}

const utf8 = new TextDecoder('utf-8');

function isObj(v: unknown): v is { readonly [k: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The records of the further sources (a node's files, an order_book_server) as health sees them: heights per
 * stream, connection losses and resets, staleness against the freshest source. The public feed keeps its
 * own path (the pipeline's GapTracker and the health machine's channel freshness) and only lends its venue
 * time as a reference (`reference`).
 */
export class SourceHealth {
  readonly heights: HeightTracker;
  readonly counters: SourceHealthCounters = {
    frames: 0,
    fillTrades: 0,
    unpairedFills: 0,
    malformed: 0,
    duplicates: 0,
    gaps: 0,
    gapsBySource: {},
  };

  constructor(opts: HeightTrackerOptions = {}) {
    this.heights = new HeightTracker(opts);
  }

  /** A frame of a named source at journal time `time`: a node file's line, or an order_book_server frame. */
  frame(source: string, channel: string, data: Uint8Array, time: number): SourceVerdict {
    this.counters.frames++;
    if (channel.endsWith('_by_block')) return this.nodeLine(source, channel, data, time);
    // an L4 snapshot of the node (actors/node/snapshot.ts): read by the L4 books, no height of its own here
    if (channel === 'l4Snapshot') return ok();
    let msg: unknown;
    try {
      msg = JSON.parse(utf8.decode(data));
    } catch {
      return this.bad(`${source}:${channel || '?'}: not JSON`);
    }
    const d = isObj(msg) ? msg.data : undefined;
    switch (channel) {
      case 'l4Book': {
        const v = this.l4(source, d, time);
        if (v.malformed === '') v.l4 = d;
        return v;
      }
      case 'l2Book':
        if (isObj(d) && typeof d.time === 'number') this.heights.observe(source, d.time, time);
        else return this.bad(`${source}:l2Book: no data.time`);
        return ok();
      case 'trades': {
        if (!Array.isArray(d)) return this.bad(`${source}:trades: data is not a list`);
        let latest = Number.NaN;
        for (const t of d) if (isObj(t) && typeof t.time === 'number' && !(t.time <= latest)) latest = t.time;
        this.heights.observe(source, latest, time);
        return ok();
      }
      case 'exchangeStatus': {
        // the node's info server (a liveness poll): its L1 time, where the answer carries one
        const t = isObj(d) ? d.time : undefined;
        this.heights.observe(source, typeof t === 'number' ? t : Number.NaN, time);
        return ok();
      }
      default:
        // subscription answers, errors: journaled, nothing to check
        return ok();
    }
  }

  /** A connection event of a named source: a loss is a gap for its channels; a new session a new base. */
  conn(source: string, type: string, reason: string | undefined, key: string | undefined): SourceGap[] {
    switch (type) {
      case 'subscribed':
      case 'open':
        this.heights.reset(source);
        return [];
      case 'closed':
      case 'error':
        this.heights.reset(source);
        return this.gap(
          `${source}:*`,
          `${source} ${type}${reason ? `: ${reason}` : ''}: a gap on its channels`,
        );
      case 'gap':
        return this.gap(`${source}:${key ?? '*'}`, `${source}: ${reason ?? 'gap'}`);
      default:
        return [];
    }
  }

  /** A public feed frame's venue time: the reference the other sources' block times are held against. */
  reference(source: string, venueTime: number, recvTime: number): void {
    this.heights.observe(source, venueTime, recvTime, false);
  }

  /** At a control tick: each stale source is a gap (again at every tick while it stays stale). */
  tick(now: number): SourceGap[] {
    const out: SourceGap[] = [];
    for (const s of this.heights.stale(now)) out.push(...this.gap(`${s.source}:*`, s.reason));
    return out;
  }

  /**
   * A by-block line: read whole (the node parsers), so a line cut short counts as unreadable and its block
   * as missing (the next height shows the hole), never as a block seen; a fills block also gives its trades.
   */
  private nodeLine(source: string, stream: string, data: Uint8Array, time: number): SourceVerdict {
    let height: number;
    let blockTime: number;
    let trades: WsTrade[] | undefined;
    let statuses: NodeOrderStatusesBlock | undefined;
    let diffs: NodeBookDiffsBlock | undefined;
    if (stream === 'node_fills_by_block') {
      const r = parseNodeBlockLine(stream, data);
      if (!r.ok) return this.bad(`${source}:${stream}: ${r.error.message}`);
      height = r.value.block_number;
      blockTime = nodeTimeMs(r.value.block_time);
      const t = tradesOfFills(r.value.events);
      trades = t.trades;
      this.counters.unpairedFills += t.unpaired;
    } else if (stream === 'node_order_statuses_by_block') {
      const r = parseNodeBlockLine(stream, data);
      if (!r.ok) return this.bad(`${source}:${stream}: ${r.error.message}`);
      height = r.value.block_number;
      blockTime = nodeTimeMs(r.value.block_time);
      statuses = r.value;
    } else if (stream === 'node_raw_book_diffs_by_block') {
      const r = parseNodeBlockLine(stream, data);
      if (!r.ok) return this.bad(`${source}:${stream}: ${r.error.message}`);
      height = r.value.block_number;
      blockTime = nodeTimeMs(r.value.block_time);
      diffs = r.value;
    } else {
      // another by-block stream: its height and time from the line's head
      const st = blockStamp(utf8.decode(data));
      if (Number.isNaN(st.height)) return this.bad(`${source}:${stream}: a line without a block_number`);
      height = st.height;
      blockTime = st.blockTime;
    }
    const v = this.heights.block(source, stream, height, blockTime, time);
    if (!v.keep) {
      this.counters.duplicates++;
      return { gaps: [], duplicate: true, malformed: '' };
    }
    const out: SourceVerdict = {
      gaps: v.gap ? this.gap(`${source}:${stream}`, v.gap.reason) : [],
      duplicate: false,
      malformed: '',
    };
    if (trades !== undefined) {
      this.counters.fillTrades += trades.length;
      out.trades = trades;
    }
    if (statuses !== undefined) out.statuses = statuses;
    if (diffs !== undefined) out.diffs = diffs;
    return out;
  }

  /**
   * order_book_server l4Book: a snapshot sets the base height; each block's `Updates` follows it. Updates
   * name no coin and come once per subscribed coin for the same block, so a repeated height is the same
   * block for another coin, not a duplicate.
   */
  private l4(source: string, d: unknown, time: number): SourceVerdict {
    if (!isObj(d)) return this.bad(`${source}:l4Book: no data`);
    const snap = d.Snapshot;
    const upd = d.Updates;
    const body = isObj(snap) ? snap : isObj(upd) ? upd : null;
    if (body === null || typeof body.height !== 'number' || !Number.isInteger(body.height))
      return this.bad(`${source}:l4Book: neither a Snapshot nor Updates with an integer height`);
    const h = body.height;
    const venueTime = typeof body.time === 'number' ? body.time : Number.NaN;
    if (body === snap) {
      const last = this.heights.height(source, 'l4Book');
      if (last === undefined || h > last) {
        this.heights.reset(source, 'l4Book');
        this.heights.block(source, 'l4Book', h, venueTime, time);
      } else this.heights.observe(source, venueTime, time);
      return ok();
    }
    const last = this.heights.height(source, 'l4Book');
    if (last !== undefined && h <= last) {
      this.heights.observe(source, venueTime, time);
      return ok();
    }
    const v = this.heights.block(source, 'l4Book', h, venueTime, time);
    return { gaps: v.gap ? this.gap(`${source}:l4Book`, v.gap.reason) : [], duplicate: false, malformed: '' };
  }

  /** A gap found elsewhere (the L4 books) for the source its key names (`source:…`), counted per source. */
  noteGap(key: string, reason: string): SourceGap[] {
    return this.gap(key, reason);
  }

  /** A gap of the source its key names (`source:…`), counted per source. */
  private gap(key: string, reason: string): SourceGap[] {
    this.counters.gaps++;
    const source = key.slice(0, key.indexOf(':'));
    this.counters.gapsBySource[source] = (this.counters.gapsBySource[source] ?? 0) + 1;
    return [{ key, reason }];
  }

  private bad(why: string): SourceVerdict {
    this.counters.malformed++;
    return { gaps: [], duplicate: false, malformed: why };
  }
}

function ok(): SourceVerdict {
  return { gaps: [], duplicate: false, malformed: '' };
}

/**
 * A block's fills as trades: the node writes each trade as two fills (`[user, fill]`, buyer and seller,
 * the same `tid`); the trade is the taker's side (`crossed`), `users` = [buyer, seller], as the venue's
 * `trades` channel shows it. A fill whose counterpart is not in the block is counted, not guessed.
 */
export function tradesOfFills(events: readonly NodeFillEvent[]): { trades: WsTrade[]; unpaired: number } {
  const byTid = new Map<number, NodeFillEvent[]>();
  for (const e of events) {
    const k = e[1].tid;
    const list = byTid.get(k);
    if (list) list.push(e);
    else byTid.set(k, [e]);
  }
  const trades: WsTrade[] = [];
  let unpaired = 0;
  for (const pair of byTid.values()) {
    const buy = pair.find((e) => e[1].side === 'B');
    const sell = pair.find((e) => e[1].side === 'A');
    if (pair.length !== 2 || !buy || !sell) {
      unpaired += pair.length;
      continue;
    }
    const taker = buy[1].crossed ? buy[1] : sell[1];
    trades.push({
      coin: taker.coin,
      side: taker.side,
      px: taker.px,
      sz: taker.sz,
      time: taker.time,
      hash: taker.hash,
      tid: taker.tid,
      users: [buy[0], sell[0]],
    });
  }
  return { trades, unpaired };
}
