/**
 * The journal's on-disk format (version 1).
 *
 * A journal is a directory of segment files `seg-<firstSeq, 16 digits>.jrnl`, each with a sibling
 * index `seg-<firstSeq>.idx`.
 *
 * Segment = header, then records, nothing else:
 *   header (40 bytes): magic 89 'HLJRNL' 0A | version u16 | header length u16 | flags u32 |
 *                      created-at f64 (record clock, ms) | first seq f64 | header CRC32 u32 | 0 u32
 *   record:            sync marker F7 4A 52 1D | body length u32 | CRC32 of (length field + body) u32 |
 *                      body = msgpackr array [seq, time, epoch, kind, channel, data(bin)(, source)]
 *                      — the 7th element, the record's source, only when it differs from its kind's
 *                      default (`defaultSource`): journals without it read the same as before
 * All integers little-endian. The sync marker + length + CRC make the framing self-synchronising: after a
 * bad record a reader scans forward for the next marker whose record verifies.
 *
 * Index = header (16 bytes: magic 89 'HLJIDX' 0A | version u16 | entry size u16 | 0 u32), then entries
 * (24 bytes: seq f64 | time f64 | offset f64), one every N records of the segment (record 0 always).
 * The index is a hint: readers verify the record it points at and fall back to scanning.
 */
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Packr } from 'msgpackr';
import { defaultSource, type JournalRecord, type RecordKind } from '../../state/records.ts';

export const FORMAT_VERSION = 1;
export const SEG_MAGIC = Buffer.from([0x89, 0x48, 0x4c, 0x4a, 0x52, 0x4e, 0x4c, 0x0a]);
export const IDX_MAGIC = Buffer.from([0x89, 0x48, 0x4c, 0x4a, 0x49, 0x44, 0x58, 0x0a]);
export const SEG_HEADER_BYTES = 40;
export const IDX_HEADER_BYTES = 16;
export const IDX_ENTRY_BYTES = 24;
/** Record sync marker, chosen to be invalid UTF-8 so it does not occur in JSON text frames. */
export const SYNC = Buffer.from([0xf7, 0x4a, 0x52, 0x1d]);
export const SYNC_U32 = SYNC.readUInt32LE(0);
export const RECORD_OVERHEAD = 12;
/** Largest record body accepted; larger lengths are treated as corruption by readers. */
export const MAX_RECORD_BODY = 32 * 1024 * 1024;

const SEG_RE = /^seg-(\d{16})\.jrnl(\.br)?$/;

/**
 * A compacted (older) day keeps each segment as `seg-<firstSeq>.jrnl.br`: the segment's bytes, brotli-
 * compressed, nothing else changed. Readers open one transparently (`SegmentScanner`).
 */
export const COMPRESSED_SUFFIX = '.br';

export function isCompressedSegment(path: string): boolean {
  return path.endsWith(`.jrnl${COMPRESSED_SUFFIX}`);
}

/** A format problem that makes a file unreadable as a journal (wrong magic, wrong version). */
export class JournalFormatError extends Error {
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`${file}: not a readable journal file: expected ${expected}, found ${found}`);
    this.name = 'JournalFormatError';
  }
}

/** A record (or byte range) that failed verification. Reported, never thrown. */
export interface CorruptReport {
  file: string;
  /** Byte offset in the file where the bad range starts. */
  offset: number;
  /** Length of the bad range in bytes (up to the next verified record, or to end of file). */
  length: number;
  reason: string;
  /** True when no verified record follows it in the file (a torn or corrupt tail). */
  tail: boolean;
}

export interface SegmentHeader {
  version: number;
  createdAt: number;
  firstSeq: number;
}

export interface IndexEntry {
  seq: number;
  time: number;
  offset: number;
}

export function segmentFileName(firstSeq: number): string {
  return `seg-${String(firstSeq).padStart(16, '0')}.jrnl`;
}

export function indexFileName(segmentFile: string): string {
  return segmentFile.replace(/\.jrnl(\.br)?$/, '.idx');
}

/** First seq from a segment file name, or null when the name is not a segment's. */
export function parseSegmentFileName(name: string): number | null {
  const m = SEG_RE.exec(name);
  return m ? Number(m[1]) : null;
}

/** The default journal directory for a data dir: `<dataDir>/<YYYY-MM-DD>` of `time` in UTC. */
export function journalDirFor(dataDir: string, time: number): string {
  return join(dataDir, new Date(time).toISOString().slice(0, 10));
}

export function encodeSegmentHeader(createdAt: number, firstSeq: number): Buffer {
  const b = Buffer.alloc(SEG_HEADER_BYTES);
  SEG_MAGIC.copy(b, 0);
  b.writeUInt16LE(FORMAT_VERSION, 8);
  b.writeUInt16LE(SEG_HEADER_BYTES, 10);
  b.writeUInt32LE(0, 12);
  b.writeDoubleLE(createdAt, 16);
  b.writeDoubleLE(firstSeq, 24);
  b.writeUInt32LE(crc32(b.subarray(0, 32)), 32);
  return b;
}

export type HeaderCheck =
  | { ok: true; header: SegmentHeader; crcOk: boolean }
  /** Shorter than a header but a prefix of one (or empty): a segment torn while being created. */
  | { ok: false; torn: true };

/**
 * Check a segment header. `b` holds the first bytes of the file (all of them when shorter than a
 * header). Wrong magic or version throws a `JournalFormatError` naming the file.
 */
export function checkSegmentHeader(b: Uint8Array, file: string): HeaderCheck {
  const n = Math.min(b.length, SEG_HEADER_BYTES);
  const magicLen = Math.min(n, SEG_MAGIC.length);
  for (let i = 0; i < magicLen; i++) {
    if (b[i] !== SEG_MAGIC[i]) {
      throw new JournalFormatError(
        file,
        `journal segment magic ${hex(SEG_MAGIC)} ("\\x89HLJRNL\\n")`,
        `${hex(b.subarray(0, SEG_MAGIC.length))}${b.length < SEG_MAGIC.length ? ` (${b.length} bytes)` : ''}`,
      );
    }
  }
  if (n < SEG_HEADER_BYTES) return { ok: false, torn: true };
  const buf = Buffer.from(b.buffer, b.byteOffset, SEG_HEADER_BYTES);
  const version = buf.readUInt16LE(8);
  if (version !== FORMAT_VERSION) {
    throw new JournalFormatError(file, `format version ${FORMAT_VERSION}`, `format version ${version}`);
  }
  const crcOk = crc32(buf.subarray(0, 32)) === buf.readUInt32LE(32);
  return {
    ok: true,
    crcOk,
    header: { version, createdAt: buf.readDoubleLE(16), firstSeq: buf.readDoubleLE(24) },
  };
}

export function encodeIndexHeader(): Buffer {
  const b = Buffer.alloc(IDX_HEADER_BYTES);
  IDX_MAGIC.copy(b, 0);
  b.writeUInt16LE(FORMAT_VERSION, 8);
  b.writeUInt16LE(IDX_ENTRY_BYTES, 10);
  return b;
}

/** Decode an index file's bytes; returns null when it is not a valid index (the caller then scans). */
export function decodeIndex(b: Buffer): IndexEntry[] | null {
  if (b.length < IDX_HEADER_BYTES || !b.subarray(0, 8).equals(IDX_MAGIC)) return null;
  if (b.readUInt16LE(8) !== FORMAT_VERSION || b.readUInt16LE(10) !== IDX_ENTRY_BYTES) return null;
  const out: IndexEntry[] = [];
  for (let p = IDX_HEADER_BYTES; p + IDX_ENTRY_BYTES <= b.length; p += IDX_ENTRY_BYTES) {
    out.push({ seq: b.readDoubleLE(p), time: b.readDoubleLE(p + 8), offset: b.readDoubleLE(p + 16) });
  }
  return out;
}

export function encodeIndexEntries(entries: readonly IndexEntry[]): Buffer {
  const b = Buffer.alloc(entries.length * IDX_ENTRY_BYTES);
  let p = 0;
  for (const e of entries) {
    b.writeDoubleLE(e.seq, p);
    b.writeDoubleLE(e.time, p + 8);
    b.writeDoubleLE(e.offset, p + 16);
    p += IDX_ENTRY_BYTES;
  }
  return b;
}

// Body codec: a 6- (or 7-) element msgpack array. `copyBuffers` so decoded `data` never aliases a read buffer.
const packr = new Packr({ useRecords: false, moreTypes: false, copyBuffers: true });

/** Longest source name a record may carry. */
export const MAX_SOURCE_CHARS = 64;

/** Encode a record body (msgpack). The returned buffer is only valid until the next call. */
export function encodeBody(r: JournalRecord): Buffer {
  return r.source === undefined || r.source === defaultSource(r.kind)
    ? packr.pack([r.seq, r.time, r.epoch, r.kind, r.channel, r.data])
    : packr.pack([r.seq, r.time, r.epoch, r.kind, r.channel, r.data, r.source]);
}

/** Encode a whole framed record into a fresh buffer. */
export function encodeRecord(r: JournalRecord): Buffer {
  const body = encodeBody(r);
  const out = Buffer.allocUnsafe(RECORD_OVERHEAD + body.length);
  writeFramed(out, 0, body);
  return out;
}

/** Write marker + length + CRC + body at `at` in `out` (which must have room). Returns bytes written. */
export function writeFramed(out: Buffer, at: number, body: Buffer): number {
  SYNC.copy(out, at);
  out.writeUInt32LE(body.length, at + 4);
  body.copy(out, at + RECORD_OVERHEAD);
  // CRC over the length field and the body: a corrupted length is caught too
  const c = crc32(body, crc32(out.subarray(at + 4, at + 8)));
  out.writeUInt32LE(c, at + 8);
  return RECORD_OVERHEAD + body.length;
}

const VALID_KINDS = new Set<number>([1, 2, 3, 4, 5]);

/** Decode a body; returns a reason string when it is not a well-formed record. */
export function decodeBody(body: Uint8Array): JournalRecord | string {
  let v: unknown;
  try {
    v = packr.unpack(body);
  } catch (e) {
    return `undecodable body: ${(e as Error).message}`;
  }
  if (!Array.isArray(v) || (v.length !== 6 && v.length !== 7))
    return 'body is not a 6- or 7-element record array';
  const [seq, time, epoch, kind, channel, data, source] = v as unknown[];
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) return 'body: seq is not an integer';
  if (typeof time !== 'number' || !Number.isFinite(time)) return 'body: time is not a finite number';
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch)) return 'body: epoch is not an integer';
  if (typeof kind !== 'number' || !VALID_KINDS.has(kind)) return `body: unknown kind ${String(kind)}`;
  if (typeof channel !== 'string') return 'body: channel is not a string';
  if (!(data instanceof Uint8Array)) return 'body: data is not binary';
  if (v.length === 7 && (typeof source !== 'string' || source === '' || source.length > MAX_SOURCE_CHARS))
    return 'body: source is not a name of 1 to 64 characters';
  const rec: JournalRecord = {
    seq,
    time,
    epoch,
    kind: kind as RecordKind,
    channel,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
  if (typeof source === 'string') rec.source = source;
  return rec;
}

/** Check the framing of a record at `at` (marker, length bounds); CRC is checked by `verifyFramed`. */
export function crcOf(buf: Buffer, at: number, bodyLen: number): number {
  return crc32(
    buf.subarray(at + RECORD_OVERHEAD, at + RECORD_OVERHEAD + bodyLen),
    crc32(buf.subarray(at + 4, at + 8)),
  );
}

/** Validation of a record's fields before it is written; returns a reason or null. */
export function invalidRecordReason(r: JournalRecord): string | null {
  if (r === null || typeof r !== 'object') return 'record is not an object';
  if (!Number.isSafeInteger(r.seq) || r.seq < 0) return `seq ${String(r.seq)} is not a non-negative integer`;
  if (typeof r.time !== 'number' || !Number.isFinite(r.time)) return `time ${String(r.time)} is not finite`;
  if (!Number.isSafeInteger(r.epoch)) return `epoch ${String(r.epoch)} is not an integer`;
  if (!VALID_KINDS.has(r.kind)) return `kind ${String(r.kind)} is not a RecordKind`;
  if (typeof r.channel !== 'string') return 'channel is not a string';
  if (!(r.data instanceof Uint8Array)) return 'data is not a Uint8Array';
  if (
    r.source !== undefined &&
    (typeof r.source !== 'string' || r.source === '' || r.source.length > MAX_SOURCE_CHARS)
  )
    return `source ${JSON.stringify(r.source)} is not a name of 1 to 64 characters`;
  if (r.data.length > MAX_RECORD_BODY - 1024) return `data is ${r.data.length} bytes, above the record limit`;
  return null;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
