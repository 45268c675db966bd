/**
 * Reading a journal directory: all segments in order, or a seq/time range found through the segment
 * headers and indexes; corrupt records are reported (file, offset, reason) and skipped, never thrown.
 * `followJournal` tails a journal that is being written, polling through an injected clock.
 */
import { readFileSync } from 'node:fs';
import type { Clock, TimerId } from '../../state/clock.ts';
import type { JournalRecord } from '../../state/records.ts';
import {
  type CorruptReport,
  checkSegmentHeader,
  decodeIndex,
  type IndexEntry,
  type SegmentHeader,
} from './format.ts';
import { listSegments, type SegmentInfo } from './recovery.ts';
import { readSegmentHead, SegmentScanner } from './scan.ts';

export interface ReadRange {
  /** Inclusive. */
  fromSeq?: number;
  /** Inclusive. */
  toSeq?: number;
  /** Inclusive (ms since epoch). */
  fromTime?: number;
  /** Exclusive: reading stops at the first record at or after it. */
  toTime?: number;
}

export interface ReadOptions extends ReadRange {
  onCorrupt?: (report: CorruptReport) => void;
}

export interface JournalEntry {
  record: JournalRecord;
  file: string;
  offset: number;
  /** Framed size on disk. */
  size: number;
}

/** The index of a segment, or null when missing or unreadable (the caller scans instead). */
export function readIndex(segPath: string): IndexEntry[] | null {
  try {
    return decodeIndex(readFileSync(segPath.replace(/\.jrnl(\.br)?$/, '.idx')));
  } catch {
    return null;
  }
}

/** The header of a segment, or null when it is torn; throws `JournalFormatError` on a foreign file. */
export function readSegmentHeader(path: string): SegmentHeader | null {
  const chk = checkSegmentHeader(readSegmentHead(path), path);
  return chk.ok ? chk.header : null;
}

function inRangeStart(r: JournalRecord, o: ReadRange): boolean {
  return (
    (o.fromSeq === undefined || r.seq >= o.fromSeq) && (o.fromTime === undefined || r.time >= o.fromTime)
  );
}

function pastRangeEnd(r: JournalRecord, o: ReadRange): boolean {
  return (o.toSeq !== undefined && r.seq > o.toSeq) || (o.toTime !== undefined && r.time >= o.toTime);
}

/** Index of the first segment that can hold the start of the range. */
function firstSegmentFor(segs: readonly SegmentInfo[], o: ReadRange): number {
  let k = 0;
  if (o.fromSeq !== undefined) {
    for (let i = 0; i < segs.length; i++) if (segs[i]!.firstSeq <= o.fromSeq) k = Math.max(k, i);
  }
  if (o.fromTime !== undefined) {
    let kt = 0;
    for (let i = 0; i < segs.length; i++) {
      const h = readSegmentHeader(segs[i]!.path);
      // the header's created-at is the time of the segment's first record
      if (h !== null && h.createdAt < o.fromTime) kt = i;
    }
    k = Math.max(k, kt);
  }
  return k;
}

/** Offset to start scanning a segment for the range, from its index (null: from the header). */
function seekEntry(segPath: string, o: ReadRange): IndexEntry | null {
  if (o.fromSeq === undefined && o.fromTime === undefined) return null;
  const idx = readIndex(segPath);
  if (!idx) return null;
  let best: IndexEntry | null = null;
  for (const e of idx) {
    if (o.fromSeq !== undefined && e.seq > o.fromSeq) break;
    if (o.fromTime !== undefined && e.time >= o.fromTime) break;
    best = e;
  }
  return best;
}

/**
 * Iterate the records of a journal directory in order (or the records of a range). Corrupt ranges go
 * to `onCorrupt`; a file that is not a journal segment of this version throws `JournalFormatError`.
 */
export function* readJournal(dir: string, opts: ReadOptions = {}): Generator<JournalEntry, void, undefined> {
  const segs = listSegments(dir);
  const start = firstSegmentFor(segs, opts);
  for (let k = start; k < segs.length; k++) {
    const seg = segs[k]!;
    const entry = k === start ? seekEntry(seg.path, opts) : null;
    let scanner = new SegmentScanner(seg.path, entry ? { startOffset: entry.offset } : {});
    let verifyFirst = entry !== null;
    try {
      for (let item = scanner.next(); item !== null; item = scanner.next()) {
        if (verifyFirst) {
          verifyFirst = false;
          if (item.type !== 'record' || item.record.seq !== entry!.seq) {
            // the index does not match the file: scan the segment from its start instead
            scanner.close();
            scanner = new SegmentScanner(seg.path);
            continue;
          }
        }
        if (item.type === 'corrupt') {
          opts.onCorrupt?.(item.report);
          continue;
        }
        const r = item.record;
        if (pastRangeEnd(r, opts)) return;
        if (!inRangeStart(r, opts)) continue;
        yield { record: r, file: seg.path, offset: item.offset, size: item.size };
      }
    } finally {
      scanner.close();
    }
  }
}

/** All records of a journal (or range) as an array; corrupt ranges collected alongside. */
export function readAll(
  dir: string,
  range: ReadRange = {},
): { records: JournalRecord[]; corrupt: CorruptReport[] } {
  const records: JournalRecord[] = [];
  const corrupt: CorruptReport[] = [];
  for (const e of readJournal(dir, { ...range, onCorrupt: (c) => corrupt.push(c) })) records.push(e.record);
  return { records, corrupt };
}

export interface FollowOptions extends ReadOptions {
  clock: Clock;
  /** Poll interval when caught up (default 100 ms). */
  pollMs?: number;
  /** Start at the current end of the journal instead of its beginning. */
  fromEnd?: boolean;
  onRecord: (entry: JournalEntry) => void;
  /** A fatal problem (unreadable directory, foreign file): following stops. */
  onError?: (err: Error) => void;
  /** Most items handled per turn before yielding (default 10 000). */
  maxPerTurn?: number;
  /**
   * The segments to follow, in order (default: `listSegments(dir)`). A journal root's days in order (their
   * sequence continues from day to day) lets a tail go on into the next day's folder at midnight.
   */
  segments?: () => SegmentInfo[];
}

export interface FollowHandle {
  stop(): void;
  /** Resolves when following stops (stop() or a fatal error). */
  done: Promise<void>;
}

/**
 * Tail a journal: deliver every record as it appears, moving to the next segment once the writer has
 * rolled. A partly written tail is waited for, not reported; a corrupt range followed by a verified
 * record is reported.
 */
export function followJournal(dir: string, opts: FollowOptions): FollowHandle {
  const pollMs = opts.pollMs ?? 100;
  const maxPerTurn = opts.maxPerTurn ?? 10_000;
  const list = opts.segments ?? (() => listSegments(dir));
  let stopped = false;
  let timer: TimerId | null = null;
  let scanner: SegmentScanner | null = null;
  let current: SegmentInfo | null = null;
  let skipping = opts.fromEnd ?? false;
  let finished = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });

  const finish = (): void => {
    if (finished) return;
    finished = true;
    stopped = true;
    if (timer !== null) opts.clock.clearTimeout(timer);
    timer = null;
    scanner?.close();
    scanner = null;
    resolveDone();
  };

  const deliver = (seg: SegmentInfo, item: NonNullable<ReturnType<SegmentScanner['next']>>): boolean => {
    if (item.type === 'corrupt') {
      if (!skipping) opts.onCorrupt?.(item.report);
      return true;
    }
    const r = item.record;
    if (skipping) return true;
    if (pastRangeEnd(r, opts)) {
      finish();
      return false;
    }
    if (inRangeStart(r, opts))
      opts.onRecord({ record: r, file: seg.path, offset: item.offset, size: item.size });
    return !stopped;
  };

  const turn = (): void => {
    timer = null;
    if (stopped) return;
    try {
      let handled = 0;
      for (;;) {
        if (scanner === null) {
          const segs = list();
          let next: SegmentInfo | undefined;
          if (current === null) next = skipping ? segs[segs.length - 1] : segs[0];
          else next = segs.find((s) => s.firstSeq > current!.firstSeq);
          if (next === undefined) break; // nothing yet
          current = next;
          scanner = new SegmentScanner(next.path, { follow: true });
        }
        const item = scanner.next();
        if (item !== null) {
          if (!deliver(current!, item)) return;
          if (++handled >= maxPerTurn) {
            timer = opts.clock.setTimeout(turn, 0);
            return;
          }
          continue;
        }
        // caught up with this segment: finished only if the writer has moved on to a later one
        skipping = false;
        const segs = list();
        if (!segs.some((s) => s.firstSeq > current!.firstSeq)) break;
        // drain what is left, now treating an incomplete tail as torn
        const pos = scanner.pos;
        scanner.close();
        const rest = new SegmentScanner(current!.path, { startOffset: pos });
        try {
          for (let it = rest.next(); it !== null; it = rest.next()) if (!deliver(current!, it)) return;
        } finally {
          rest.close();
        }
        scanner = null;
      }
      skipping = false;
      timer = opts.clock.setTimeout(turn, pollMs);
    } catch (e) {
      opts.onError?.(e as Error);
      finish();
    }
  };

  timer = opts.clock.setTimeout(turn, 0);
  return { stop: finish, done };
}
