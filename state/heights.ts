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
  readonly staleMs: number;
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

  /** A venue time from `source` (a block's time, or a public frame's `time`), arrived at `recvTime`. */
  observe(source: string, venueTime: number, recvTime: number): void {
    let t = this.times.get(source);
    if (!t) {
      t = { blockTime: Number.NEGATIVE_INFINITY, recvTime, stale: false };
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
