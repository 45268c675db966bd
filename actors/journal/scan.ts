/**
 * Sequential, chunked, synchronous scanner over one segment file: yields verified records and reports
 * bad byte ranges (resynchronising on the next sync marker whose record verifies). Used by the reader,
 * recovery and the tools. In `follow` mode an incomplete or unverifiable tail is treated as "not yet
 * written" (the scanner returns null and can be called again later) instead of as a torn tail.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { brotliDecompressSync } from 'node:zlib';
import type { JournalRecord } from '../../state/records.ts';
import {
  type CorruptReport,
  checkSegmentHeader,
  crcOf,
  decodeBody,
  isCompressedSegment,
  MAX_RECORD_BODY,
  RECORD_OVERHEAD,
  SEG_HEADER_BYTES,
  SYNC,
  SYNC_U32,
  type SegmentHeader,
} from './format.ts';

export type ScanItem =
  | { type: 'record'; record: JournalRecord; offset: number; size: number }
  | { type: 'corrupt'; report: CorruptReport };

export interface ScannerOptions {
  /** Byte offset to start at (must be a record boundary, e.g. from the index); default: after the header. */
  startOffset?: number;
  follow?: boolean;
  chunkBytes?: number;
}

type Check = { ok: true; record: JournalRecord; size: number } | { ok: false; reason: string; eof: boolean };

/**
 * A segment's bytes: the file itself, or a compacted segment's decompressed bytes (held in memory while it
 * is read; a segment is at most `journal.segmentBytes`).
 */
class SegmentBytes {
  private readonly fd: number | null;
  private readonly mem: Buffer | null;

  constructor(path: string) {
    if (isCompressedSegment(path)) {
      this.fd = null;
      try {
        this.mem = brotliDecompressSync(readFileSync(path));
      } catch (e) {
        throw new Error(`${path}: compressed segment does not decompress: ${(e as Error).message}`);
      }
    } else {
      this.fd = openSync(path, 'r');
      this.mem = null;
    }
  }

  read(buf: Buffer, off: number, len: number, pos: number): number {
    if (this.mem === null) return readSync(this.fd!, buf, off, len, pos);
    if (pos >= this.mem.length) return 0;
    return this.mem.copy(buf, off, pos, Math.min(this.mem.length, pos + len));
  }

  size(): number {
    return this.mem === null ? fstatSync(this.fd!).size : this.mem.length;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
  }
}

/** The first bytes of a segment (up to a header's worth), compressed or not. */
export function readSegmentHead(path: string): Buffer {
  const f = new SegmentBytes(path);
  try {
    const b = Buffer.alloc(SEG_HEADER_BYTES);
    return b.subarray(0, f.read(b, 0, SEG_HEADER_BYTES, 0));
  } finally {
    f.close();
  }
}

export class SegmentScanner {
  readonly file: string;
  header: SegmentHeader | null = null;
  /** File offset of the next byte to parse. */
  pos: number;
  private readonly f: SegmentBytes;
  private buf: Buffer;
  /** File offset of buf[0]. */
  private bufStart = 0;
  /** Valid bytes in buf. */
  private bufLen = 0;
  private readonly follow: boolean;
  private headerDone = false;
  private pendingHeaderReport: CorruptReport | null = null;
  private closed = false;

  constructor(file: string, opts: ScannerOptions = {}) {
    this.file = file;
    this.follow = opts.follow ?? false;
    this.buf = Buffer.allocUnsafe(opts.chunkBytes ?? 1 << 20);
    this.f = new SegmentBytes(file);
    this.pos = opts.startOffset ?? SEG_HEADER_BYTES;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.f.close();
  }

  /** Current file size. */
  size(): number {
    return this.f.size();
  }

  /**
   * Read and check the header. Returns false while the file is shorter than a header (a torn header
   * when not following; in follow mode, not written yet). Throws `JournalFormatError` on a foreign file.
   */
  readHeader(): boolean {
    if (this.headerDone) return true;
    const b = Buffer.alloc(SEG_HEADER_BYTES);
    const n = this.f.read(b, 0, SEG_HEADER_BYTES, 0);
    const chk = checkSegmentHeader(b.subarray(0, n), this.file);
    if (!chk.ok) return false;
    this.header = chk.header;
    this.headerDone = true;
    if (!chk.crcOk) {
      this.pendingHeaderReport = {
        file: this.file,
        offset: 0,
        length: SEG_HEADER_BYTES,
        reason: 'segment header CRC mismatch (header fields may be wrong; records are still verified)',
        tail: false,
      };
    }
    if (this.pos < SEG_HEADER_BYTES) this.pos = SEG_HEADER_BYTES;
    return true;
  }

  /**
   * Next item, or null at the end (for now, in follow mode). A torn header in non-follow mode is
   * reported once as a tail corruption covering the whole file.
   */
  next(): ScanItem | null {
    if (!this.headerDone) {
      if (!this.readHeader()) {
        if (this.follow) return null;
        const size = this.size();
        this.headerDone = true;
        this.pos = Math.max(size, this.pos);
        return {
          type: 'corrupt',
          report: {
            file: this.file,
            offset: 0,
            length: size,
            reason: `torn segment header (${size} bytes)`,
            tail: true,
          },
        };
      }
    }
    if (this.pendingHeaderReport) {
      const r = this.pendingHeaderReport;
      this.pendingHeaderReport = null;
      return { type: 'corrupt', report: r };
    }
    const start = this.pos;
    if (!this.load(start, RECORD_OVERHEAD)) {
      const avail = this.available(start);
      if (avail <= 0 || this.follow) return null;
      this.pos = start + avail;
      return this.corrupt(start, avail, `torn tail: ${avail} bytes, an incomplete record header`, true);
    }
    const c = this.check(start);
    if (c.ok) {
      this.pos = start + c.size;
      return { type: 'record', record: c.record, offset: start, size: c.size };
    }
    if (c.eof && this.follow) return null;
    return this.resync(start, c.reason);
  }

  /** Verify the record at file offset `at` (its first RECORD_OVERHEAD bytes must be loaded). */
  private check(at: number): Check {
    let i = at - this.bufStart;
    if (this.buf.readUInt32LE(i) !== SYNC_U32) return { ok: false, reason: 'bad sync marker', eof: false };
    const len = this.buf.readUInt32LE(i + 4);
    if (len > MAX_RECORD_BODY) return { ok: false, reason: `implausible record length ${len}`, eof: false };
    if (!this.load(at, RECORD_OVERHEAD + len)) {
      return {
        ok: false,
        reason: `truncated record: length ${len} runs past the end of the file`,
        eof: true,
      };
    }
    i = at - this.bufStart; // load() may have moved the buffer
    if (crcOf(this.buf, i, len) !== this.buf.readUInt32LE(i + 8)) {
      return { ok: false, reason: 'CRC mismatch', eof: false };
    }
    const rec = decodeBody(this.buf.subarray(i + RECORD_OVERHEAD, i + RECORD_OVERHEAD + len));
    if (typeof rec === 'string') return { ok: false, reason: rec, eof: false };
    return { ok: true, record: rec, size: RECORD_OVERHEAD + len };
  }

  /** Scan forward from `start + 1` for the next marker whose record verifies. */
  private resync(start: number, reason: string): ScanItem | null {
    let q = start + 1;
    for (;;) {
      if (!this.load(q, SYNC.length)) {
        // no further candidate: the bad range runs to the end of the file
        if (this.follow) return null;
        const end = Math.max(q, this.size());
        this.pos = end;
        return this.corrupt(start, end - start, reason, true);
      }
      const i = this.buf.indexOf(SYNC, q - this.bufStart);
      if (i < 0) {
        // keep the last 3 bytes (a marker may straddle the boundary) and read more
        const loadedEnd = this.bufStart + this.bufLen;
        const nq = Math.max(q, loadedEnd - (SYNC.length - 1));
        if (!this.load(nq, loadedEnd - nq + 1)) {
          if (this.follow) return null;
          const end = Math.max(nq, this.size());
          this.pos = end;
          return this.corrupt(start, end - start, reason, true);
        }
        q = nq;
        continue;
      }
      const cand = this.bufStart + i;
      if (this.load(cand, RECORD_OVERHEAD)) {
        const c = this.check(cand);
        if (c.ok) {
          this.pos = cand;
          return this.corrupt(start, cand - start, reason, false);
        }
      }
      q = cand + 1;
    }
  }

  private corrupt(offset: number, length: number, reason: string, tail: boolean): ScanItem {
    return { type: 'corrupt', report: { file: this.file, offset, length, reason, tail } };
  }

  /** Bytes available in the file from `at` (loaded or not). */
  private available(at: number): number {
    return this.size() - at;
  }

  /**
   * Make sure file bytes [at, at+n) are in the buffer, discarding bytes before `at` if needed.
   * Reads as much as fits. Returns false if the file ends before at+n.
   */
  private load(at: number, n: number): boolean {
    if (at >= this.bufStart && at + n <= this.bufStart + this.bufLen) return true;
    if (at < this.bufStart || at > this.bufStart + this.bufLen) {
      this.bufStart = at;
      this.bufLen = 0;
    } else if (at > this.bufStart) {
      const keep = this.bufStart + this.bufLen - at;
      this.buf.copy(this.buf, 0, at - this.bufStart, at - this.bufStart + keep);
      this.bufStart = at;
      this.bufLen = keep;
    }
    if (n > this.buf.length) {
      const nb = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
      this.buf.copy(nb, 0, 0, this.bufLen);
      this.buf = nb;
    }
    while (this.bufLen < n) {
      const got = this.f.read(
        this.buf,
        this.bufLen,
        this.buf.length - this.bufLen,
        this.bufStart + this.bufLen,
      );
      if (got <= 0) return false;
      this.bufLen += got;
    }
    return true;
  }
}
