/**
 * Recovery of a journal directory before writing to it: every segment header is checked (a foreign file
 * or another format version is a `JournalFormatError` naming it); the last segment is verified record by
 * record — a torn or corrupt tail is truncated and reported, corrupt records before it are reported and
 * kept on disk (readers skip them), and the segment's index is rebuilt. Segments left with no record are
 * removed. Only bytes that never verified are cut, so nothing that was acknowledged can be lost.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  type CorruptReport,
  checkSegmentHeader,
  encodeIndexEntries,
  encodeIndexHeader,
  type IndexEntry,
  indexFileName,
  isCompressedSegment,
  parseSegmentFileName,
  SEG_HEADER_BYTES,
} from './format.ts';
import { readSegmentHead, SegmentScanner } from './scan.ts';

export interface SegmentInfo {
  file: string;
  path: string;
  firstSeq: number;
}

export interface RecoveryReport {
  dir: string;
  /** Segments present after recovery. */
  segments: number;
  /** Seq of the last verified record, or -1 when the journal is empty. */
  lastSeq: number;
  /** Time of the last verified record, or NaN when empty. */
  lastTime: number;
  /** Tail ranges cut off (torn writes). */
  truncated: CorruptReport[];
  /** Corrupt records in the middle of the last segment (kept on disk, skipped by readers). */
  corrupt: CorruptReport[];
  /** Segment files removed because they held no verified record. */
  removed: string[];
}

/**
 * Segment files of a directory in seq order (plain or compressed). Throws if the directory cannot be read.
 * When a segment is there both ways (a compaction interrupted before it removed the original), the plain
 * one is the segment.
 */
export function listSegments(dir: string): SegmentInfo[] {
  const bySeq = new Map<number, SegmentInfo>();
  for (const file of readdirSync(dir)) {
    const firstSeq = parseSegmentFileName(file);
    if (firstSeq === null) continue;
    const known = bySeq.get(firstSeq);
    if (known === undefined || isCompressedSegment(known.file))
      bySeq.set(firstSeq, { file, path: join(dir, file), firstSeq });
  }
  return [...bySeq.values()].sort((a, b) => a.firstSeq - b.firstSeq);
}

/** Throws `JournalFormatError` when `path` is not a segment of this format version. */
export function checkSegmentFile(path: string): void {
  const head = readSegmentHead(path);
  checkSegmentHeader(head, path);
}

/** Rebuild a segment's index from scanned (seq, time, offset) triples: every `every`-th record. */
export function writeIndexFile(idxPath: string, entries: readonly IndexEntry[]): void {
  const tmp = `${idxPath}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, encodeIndexHeader());
    if (entries.length > 0) writeSync(fd, encodeIndexEntries(entries));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, idxPath);
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function recoverJournal(dir: string, opts: { indexEvery?: number } = {}): RecoveryReport {
  const indexEvery = opts.indexEvery ?? DEFAULT_INDEX_EVERY;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const segs = listSegments(dir);
  for (const s of segs) checkSegmentFile(s.path);
  const report: RecoveryReport = {
    dir,
    segments: segs.length,
    lastSeq: -1,
    lastTime: Number.NaN,
    truncated: [],
    corrupt: [],
    removed: [],
  };
  let dirty = false;
  for (let k = segs.length - 1; k >= 0; k--) {
    const seg = segs[k]!;
    const scanner = new SegmentScanner(seg.path);
    const entries: IndexEntry[] = [];
    let n = 0;
    let last: { seq: number; time: number } | null = null;
    let cutAt = -1;
    const midCorrupt: CorruptReport[] = [];
    try {
      for (let item = scanner.next(); item !== null; item = scanner.next()) {
        if (item.type === 'record') {
          if (n % indexEvery === 0)
            entries.push({ seq: item.record.seq, time: item.record.time, offset: item.offset });
          n++;
          last = { seq: item.record.seq, time: item.record.time };
        } else if (item.report.tail) {
          cutAt = item.report.offset;
          report.truncated.push(item.report);
        } else {
          midCorrupt.push(item.report);
        }
      }
    } finally {
      scanner.close();
    }
    // mid-segment corruption is only "mid" if the segment keeps verified records after it
    report.corrupt.push(...midCorrupt);
    if (last === null) {
      // nothing verified in this segment: remove it (and its index) and look at the one before
      rmSync(seg.path, { force: true });
      rmSync(join(dir, indexFileName(seg.file)), { force: true });
      report.removed.push(seg.path);
      report.segments--;
      dirty = true;
      continue;
    }
    // a compacted segment was complete when it was compressed: nothing to cut, no index to rebuild
    if (isCompressedSegment(seg.path)) {
      report.lastSeq = last.seq;
      report.lastTime = last.time;
      break;
    }
    if (cutAt >= 0) {
      const fd = openSync(seg.path, 'r+');
      try {
        ftruncateSync(fd, Math.max(cutAt, SEG_HEADER_BYTES));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    writeIndexFile(join(dir, indexFileName(seg.file)), entries);
    report.lastSeq = last.seq;
    report.lastTime = last.time;
    break;
  }
  if (dirty && existsSync(dir)) fsyncDir(dir);
  return report;
}

export const DEFAULT_INDEX_EVERY = 128;
