/**
 * JournalWriter: append-only, group-committed, crash-safe. `append()` encodes the record into an
 * in-memory batch and returns at once; a flush writes the batch and fdatasyncs it (asynchronously, on the
 * libuv pool, so the thread running the writer is never blocked), then acknowledges it through
 * `onPersisted(lastSeq)` / `persistedSeq`. Batches are flushed at most every `fsyncIntervalMs` (group
 * commit), sooner when `flushBytes` are waiting, or one record per fsync in `every-record` mode.
 * Segments roll by size and by record time. If unpersisted bytes pass `lagBytes`, or the disk fails,
 * `lagging` turns true (`onLag`) so the system can stop trading; records are kept in memory and retried,
 * never dropped. All timers go through the injected clock.
 *
 * With `rollDaily`, `dir` is a day folder `<root>/<YYYY-MM-DD>` of a journal root: the sequence continues
 * from the latest day journaled before (so a data dir holds one increasing sequence across days and
 * restarts), and the first record whose time is on a later UTC day opens that day's folder (a new segment
 * there) — a run that crosses midnight continues in the next day's folder with no gap, every record in
 * the folder of its own day. Records queued for the old folder are still written there, in order.
 */
import { close, fdatasync, fsync, ftruncate, open, write } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Clock, TimerId } from '../../state/clock.ts';
import type { JournalRecord } from '../../state/records.ts';
import {
  encodeBody,
  encodeIndexHeader,
  encodeSegmentHeader,
  IDX_ENTRY_BYTES,
  indexFileName,
  invalidRecordReason,
  journalDirFor,
  RECORD_OVERHEAD,
  SEG_HEADER_BYTES,
  segmentFileName,
  writeFramed,
} from './format.ts';
import { dayFolders, dayOf, isDayName } from './days.ts';
import { DEFAULT_INDEX_EVERY, fsyncDir, type RecoveryReport, recoverJournal } from './recovery.ts';

export interface LagEvidence {
  /** Encoded bytes appended but not yet persisted (in flight included). */
  pendingBytes: number;
  pendingRecords: number;
  /** The bound that was crossed. */
  lagBytes: number;
  lastSeq: number;
  persistedSeq: number;
  /** Set while the disk is failing: the last I/O error. */
  ioError?: string;
  /** Record-clock time at which the condition was evaluated. */
  at: number;
}

export interface JournalWriterOptions {
  /** Exact journal directory. One of `dir` or `dataDir` is required. */
  dir?: string;
  /** Base data directory: the journal goes to `<dataDir>/<YYYY-MM-DD>/` of the first record's time (UTC). */
  dataDir?: string;
  /**
   * `dir` is a day folder of a journal root (its name is `YYYY-MM-DD`): continue the sequence of the
   * root's other days and roll to the next day's folder at midnight UTC (record time). See the file header.
   */
  rollDaily?: boolean;
  clock: Clock;
  /** 'group' (default): group commit every `fsyncIntervalMs`; 'every-record': one fsync per record. */
  mode?: 'group' | 'every-record';
  /** Group-commit interval, default 5 ms, clamped to (0, 10]. */
  fsyncIntervalMs?: number;
  /** Flush without waiting for the interval once this many bytes are waiting (default 1 MiB). */
  flushBytes?: number;
  /** Roll to a new segment before it would pass this size (default 64 MiB). */
  segmentBytes?: number;
  /** Roll to a new segment when a record's time is this far past the segment's first record (default 1 h). */
  segmentMs?: number;
  /** Index every Nth record of a segment (default 128). */
  indexEvery?: number;
  /** Lag bound on unpersisted bytes (default 64 MiB); `lagging` clears below half of it. */
  lagBytes?: number;
  /** Retry delay after an I/O error (default 100 ms). */
  retryMs?: number;
  onPersisted?: (lastSeq: number) => void;
  onLag?: (lagging: boolean, evidence: LagEvidence) => void;
  onError?: (err: JournalWriteError) => void;
  onRecovery?: (report: RecoveryReport) => void;
}

export class JournalWriteError extends Error {
  constructor(
    message: string,
    readonly code: 'rejected' | 'io' | 'open',
    readonly seq?: number,
  ) {
    super(message);
    this.name = 'JournalWriteError';
  }
}

export interface JournalWriterStats {
  appended: number;
  persisted: number;
  rejected: number;
  ioErrors: number;
  flushes: number;
  segments: number;
  bytesWritten: number;
  /** Day folders rolled to (midnight UTC crossings). */
  dayRolls: number;
  /** Flushes that failed for lack of space (ENOSPC, EDQUOT): their records stay in memory and are retried. */
  noSpace: number;
}

interface Segment {
  /** The folder it lives in (a writer that rolls daily writes to more than one). */
  dir: string;
  file: string;
  path: string;
  idxPath: string;
  firstSeq: number;
  startTime: number;
  /** Logical size, including bytes still pending. */
  size: number;
  records: number;
  fd: number | null;
  idxFd: number | null;
  /** Bytes durably written. */
  persistedSize: number;
  idxPersistedSize: number;
  dirSynced: boolean;
  created: boolean;
}

interface Chunk {
  seg: Segment;
  buf: Buffer;
  len: number;
  /** File offset where this chunk's bytes go. */
  fileOffset: number;
  records: number;
  lastSeq: number;
  idx: Buffer | null;
  idxLen: number;
  sealed: boolean;
}

const INITIAL_CHUNK = 256 * 1024;

export class JournalWriter {
  /** Seq of the last record accepted by `append` (-1 before any). */
  lastSeq = -1;
  /** Seq of the last record known to be durable (-1 before any). */
  persistedSeq = -1;
  lagging = false;
  /** Resolved journal directory (null until the first append in `dataDir` mode). */
  dir: string | null = null;
  recovery: RecoveryReport | null = null;
  readonly stats: JournalWriterStats = {
    appended: 0,
    persisted: 0,
    rejected: 0,
    ioErrors: 0,
    flushes: 0,
    segments: 0,
    bytesWritten: 0,
    dayRolls: 0,
    noSpace: 0,
  };

  private readonly o: Required<
    Pick<
      JournalWriterOptions,
      | 'mode'
      | 'fsyncIntervalMs'
      | 'flushBytes'
      | 'segmentBytes'
      | 'segmentMs'
      | 'indexEvery'
      | 'lagBytes'
      | 'retryMs'
    >
  >;
  private readonly clock: Clock;
  private readonly opts: JournalWriterOptions;
  private pending: Chunk[] = [];
  private pendingBytes = 0;
  private pendingRecords = 0;
  /** Bytes in unsealed chunks (not yet handed to a flush). */
  private openBytes = 0;
  private seg: Segment | null = null;
  private inflight = false;
  private flushWanted = false;
  private timer: TimerId | null = null;
  private ioError: string | null = null;
  private closing = false;
  private closed = false;
  private waiters: Array<{ seq: number; resolve: () => void; reject: (e: Error) => void }> = [];
  private closeDone: Promise<void> | null = null;
  /** With `rollDaily`: the journal root, and the record time at which the current day ends. */
  private readonly root: string | null = null;
  private dayEnd = Number.POSITIVE_INFINITY;

  constructor(opts: JournalWriterOptions) {
    if (!opts.dir && !opts.dataDir) throw new Error('JournalWriter needs `dir` or `dataDir`');
    this.opts = opts;
    this.clock = opts.clock;
    this.o = {
      mode: opts.mode ?? 'group',
      fsyncIntervalMs: Math.min(10, Math.max(0.1, opts.fsyncIntervalMs ?? 5)),
      flushBytes: opts.flushBytes ?? 1 << 20,
      segmentBytes: opts.segmentBytes ?? 64 * 1024 * 1024,
      segmentMs: opts.segmentMs ?? 3_600_000,
      indexEvery: opts.indexEvery ?? DEFAULT_INDEX_EVERY,
      lagBytes: opts.lagBytes ?? 64 * 1024 * 1024,
      retryMs: opts.retryMs ?? 100,
    };
    if (opts.rollDaily) {
      if (!opts.dir || !isDayName(basename(opts.dir)))
        throw new Error(
          `rollDaily needs \`dir\` to be a day folder <root>/YYYY-MM-DD, got ${String(opts.dir)}`,
        );
      this.root = dirname(opts.dir);
      this.continueSequence(basename(opts.dir));
    }
    if (opts.dir) this.openDir(opts.dir);
  }

  /** Seq the next record must exceed-or-equal: last recovered/accepted seq + 1. */
  get nextSeq(): number {
    return this.lastSeq + 1;
  }

  /**
   * Accept a record (buffers it; durable after the next flush). Returns false — and counts and reports
   * the reason — for a malformed record, a seq that does not increase, or after `close()`.
   */
  append(r: JournalRecord): boolean {
    const bad = this.closing
      ? 'writer is closed'
      : (invalidRecordReason(r) ??
        (r.seq <= this.lastSeq ? `seq ${r.seq} does not increase (last ${this.lastSeq})` : null));
    if (bad !== null) return this.reject(bad, r?.seq);
    if (r.time >= this.dayEnd) {
      // midnight (record time): this record and all after it go to their own day's folder
      try {
        this.openDir(join(this.root!, dayOf(r.time)));
      } catch (e) {
        return this.reject(`cannot open the next day's journal: ${(e as Error).message}`, r.seq, 'open');
      }
      this.seg = null;
      this.stats.dayRolls++;
      if (r.seq <= this.lastSeq)
        return this.reject(`seq ${r.seq} does not increase (last ${this.lastSeq})`, r.seq);
    }
    if (this.dir === null) {
      try {
        this.openDir(journalDirFor(this.opts.dataDir!, r.time));
      } catch (e) {
        return this.reject(`cannot open journal directory: ${(e as Error).message}`, r.seq, 'open');
      }
      if (r.seq <= this.lastSeq)
        return this.reject(`seq ${r.seq} does not increase (last ${this.lastSeq})`, r.seq);
    }
    const body = encodeBody(r);
    const size = RECORD_OVERHEAD + body.length;
    let seg = this.seg;
    if (
      seg === null ||
      (seg.records > 0 && seg.size + size > this.o.segmentBytes) ||
      r.time - seg.startTime >= this.o.segmentMs
    ) {
      seg = this.newSegment(r.seq, r.time);
    }
    const chunk = this.chunkFor(seg, size);
    if (seg.records % this.o.indexEvery === 0) {
      if (chunk.idx === null || chunk.idxLen + IDX_ENTRY_BYTES > chunk.idx.length) {
        const nb = Buffer.allocUnsafe(Math.max(IDX_ENTRY_BYTES * 16, (chunk.idx?.length ?? 0) * 2));
        if (chunk.idx) chunk.idx.copy(nb, 0, 0, chunk.idxLen);
        chunk.idx = nb;
      }
      chunk.idx.writeDoubleLE(r.seq, chunk.idxLen);
      chunk.idx.writeDoubleLE(r.time, chunk.idxLen + 8);
      chunk.idx.writeDoubleLE(seg.size, chunk.idxLen + 16);
      chunk.idxLen += IDX_ENTRY_BYTES;
    }
    writeFramed(chunk.buf, chunk.len, body);
    chunk.len += size;
    chunk.records++;
    chunk.lastSeq = r.seq;
    seg.size += size;
    seg.records++;
    this.lastSeq = r.seq;
    this.pendingBytes += size;
    this.pendingRecords++;
    this.openBytes += size;
    this.stats.appended++;
    this.checkLag();
    if (this.o.mode === 'every-record' || this.openBytes >= this.o.flushBytes) this.kick();
    else if (this.timer === null && !this.inflight) {
      this.timer = this.clock.setTimeout(() => this.onTimer(), this.o.fsyncIntervalMs);
    }
    return true;
  }

  /** Flush everything appended so far; resolves when it is durable. */
  flush(): Promise<void> {
    if (this.persistedSeq >= this.lastSeq) return Promise.resolve();
    const seq = this.lastSeq;
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ seq, resolve, reject });
      this.kick();
    });
  }

  /** Flush, fsync and close. Further appends are rejected. */
  close(): Promise<void> {
    if (this.closeDone) return this.closeDone;
    this.closing = true;
    this.closeDone = this.flush().finally(() => {
      if (this.timer !== null) this.clock.clearTimeout(this.timer);
      this.timer = null;
      this.closed = true;
      this.closeSegmentFds(this.seg);
    });
    return this.closeDone;
  }

  // ---- internals ----

  private openDir(dir: string): void {
    const created = this.root !== null && !dayFolders(this.root).includes(basename(dir));
    const rep = recoverJournal(dir, { indexEvery: this.o.indexEvery });
    // a new day folder's entry must be durable before anything in it is acknowledged
    if (created) fsyncDir(this.root!);
    if (this.root !== null) this.dayEnd = Date.parse(`${basename(dir)}T00:00:00Z`) + 86_400_000;
    this.dir = dir;
    this.recovery = rep;
    this.lastSeq = Math.max(this.lastSeq, rep.lastSeq);
    this.persistedSeq = Math.max(this.persistedSeq, rep.lastSeq);
    this.opts.onRecovery?.(rep);
  }

  /**
   * The sequence goes on from the other days of the root: the latest day before `day` (and a later one,
   * should the clock have been set back), each recovered like the folder being opened — it may be the one a
   * crash interrupted.
   */
  private continueSequence(day: string): void {
    const days = dayFolders(this.root!).filter((d) => d !== day);
    const before = days.filter((d) => d < day).at(-1);
    const after = days.filter((d) => d > day).at(-1);
    for (const d of [before, after]) {
      if (d === undefined) continue;
      const rep = recoverJournal(join(this.root!, d), { indexEvery: this.o.indexEvery });
      this.lastSeq = Math.max(this.lastSeq, rep.lastSeq);
      this.persistedSeq = Math.max(this.persistedSeq, rep.lastSeq);
    }
  }

  private reject(reason: string, seq: number | undefined, code: 'rejected' | 'open' = 'rejected'): false {
    this.stats.rejected++;
    this.opts.onError?.(
      new JournalWriteError(
        `journal append rejected (seq ${String(seq)}): ${reason}`,
        code,
        seq ?? undefined,
      ),
    );
    return false;
  }

  private newSegment(firstSeq: number, time: number): Segment {
    const file = segmentFileName(firstSeq);
    const dir = this.dir!;
    const seg: Segment = {
      dir,
      file,
      path: join(dir, file),
      idxPath: join(dir, indexFileName(file)),
      firstSeq,
      startTime: time,
      size: SEG_HEADER_BYTES,
      records: 0,
      fd: null,
      idxFd: null,
      persistedSize: 0,
      idxPersistedSize: 0,
      dirSynced: false,
      created: false,
    };
    this.seg = seg;
    this.stats.segments++;
    // the header travels with the segment's first chunk
    const chunk = this.newChunk(seg, 0, INITIAL_CHUNK);
    encodeSegmentHeader(time, firstSeq).copy(chunk.buf, 0);
    chunk.len = SEG_HEADER_BYTES;
    this.pendingBytes += SEG_HEADER_BYTES;
    this.openBytes += SEG_HEADER_BYTES;
    return seg;
  }

  private newChunk(seg: Segment, fileOffset: number, cap: number): Chunk {
    const c: Chunk = {
      seg,
      buf: Buffer.allocUnsafe(cap),
      len: 0,
      fileOffset,
      records: 0,
      lastSeq: -1,
      idx: null,
      idxLen: 0,
      sealed: false,
    };
    this.pending.push(c);
    return c;
  }

  private chunkFor(seg: Segment, need: number): Chunk {
    const last = this.pending[this.pending.length - 1];
    if (
      last &&
      !last.sealed &&
      last.seg === seg &&
      (this.o.mode === 'group' || last.records === 0) // every-record: one record per chunk
    ) {
      if (last.len + need > last.buf.length) {
        const nb = Buffer.allocUnsafe(Math.max(last.len + need, last.buf.length * 2));
        last.buf.copy(nb, 0, 0, last.len);
        last.buf = nb;
      }
      return last;
    }
    return this.newChunk(seg, seg.size, Math.max(need, this.o.mode === 'group' ? INITIAL_CHUNK : need));
  }

  private onTimer(): void {
    this.timer = null;
    this.kick();
  }

  private kick(): void {
    if (this.closed) return;
    if (this.inflight) {
      this.flushWanted = true;
      return;
    }
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    this.inflight = true;
    this.flushWanted = false;
    // take the batch: all pending chunks (group) or the first one (every-record)
    const n = this.o.mode === 'group' ? this.pending.length : 1;
    const batch = this.pending.slice(0, n);
    for (const c of batch) {
      if (!c.sealed) this.openBytes -= c.len;
      c.sealed = true;
    }
    this.stats.flushes++;
    this.writeBatch(batch).then(
      () => this.afterFlush(null),
      (e: unknown) => this.afterFlush(e as Error),
    );
  }

  private async writeBatch(batch: Chunk[]): Promise<void> {
    for (const c of batch) {
      const seg = c.seg;
      if (seg.fd === null) {
        // a new segment (or a retry after an I/O error): open, resume at its persisted size
        seg.fd = await fsOpen(seg.path, seg.created ? 'r+' : 'wx');
        seg.created = true;
        seg.idxFd = await fsOpen(seg.idxPath, seg.idxPersistedSize === 0 ? 'w' : 'r+');
        if (seg.idxPersistedSize === 0) {
          const h = encodeIndexHeader();
          await fsWriteAll(seg.idxFd, h, h.length, 0);
          seg.idxPersistedSize = h.length;
        }
      }
      // positional writes: a retry overwrites whatever a failed attempt left
      await fsWriteAll(seg.fd, c.buf, c.len, c.fileOffset);
      if (c.idx !== null && seg.idxFd !== null) {
        await fsWriteAll(seg.idxFd, c.idx, c.idxLen, seg.idxPersistedSize);
      }
      await fsFdatasync(seg.fd);
      if (!seg.dirSynced) {
        // make the new file's directory entry durable before acknowledging anything in it
        const dfd = await fsOpen(seg.dir, 'r');
        try {
          await fsFsync(dfd);
        } finally {
          await fsClose(dfd);
        }
        seg.dirSynced = true;
      }
      seg.persistedSize = c.fileOffset + c.len;
      seg.idxPersistedSize += c.idxLen;
      this.stats.bytesWritten += c.len;
      // acknowledged: drop from pending
      this.pending.shift();
      this.pendingBytes -= c.len;
      this.pendingRecords -= c.records;
      this.ioError = null;
      this.checkLag();
      if (c.records > 0) {
        this.persistedSeq = c.lastSeq;
        this.stats.persisted += c.records;
        this.opts.onPersisted?.(c.lastSeq);
        this.resolveWaiters();
      }
      // the previous segment is complete once a later one starts
      const next = this.pending[0];
      if (next && next.seg !== seg) this.closeSegmentFds(seg);
    }
  }

  private afterFlush(err: Error | null): void {
    this.inflight = false;
    if (err) {
      this.stats.ioErrors++;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') this.stats.noSpace++;
      this.ioError = `${err.message}`;
      const seg = this.pending[0]?.seg ?? null;
      if (seg) {
        // cut anything a failed write left past the durable size, then reopen on retry
        const fd = seg.fd;
        seg.fd = null;
        const idxFd = seg.idxFd;
        seg.idxFd = null;
        if (fd !== null) ftruncate(fd, seg.persistedSize, () => close(fd, () => {}));
        if (idxFd !== null) close(idxFd, () => {});
      }
      const werr = new JournalWriteError(`journal write failed: ${err.message}`, 'io');
      this.opts.onError?.(werr);
      this.checkLag();
      if (this.closing) {
        // close() gives up on a failing disk and says so; the unpersisted records are still in memory
        const ws = this.waiters;
        this.waiters = [];
        for (const w of ws) w.reject(werr);
        return;
      }
      this.timer ??= this.clock.setTimeout(() => this.onTimer(), this.o.retryMs);
      return;
    }
    this.ioError = null;
    this.checkLag();
    if (this.pending.length === 0) return;
    if (
      this.flushWanted ||
      this.o.mode === 'every-record' ||
      this.openBytes >= this.o.flushBytes ||
      this.waiters.length > 0
    ) {
      this.kick();
    } else if (this.timer === null) {
      this.timer = this.clock.setTimeout(() => this.onTimer(), this.o.fsyncIntervalMs);
    }
  }

  private resolveWaiters(): void {
    if (this.waiters.length === 0) return;
    const keep: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (this.persistedSeq >= w.seq) w.resolve();
      else keep.push(w);
    }
    this.waiters = keep;
  }

  private checkLag(): void {
    const over = this.pendingBytes > this.o.lagBytes || this.ioError !== null;
    const under = this.pendingBytes <= this.o.lagBytes / 2 && this.ioError === null;
    if (!this.lagging && over) {
      this.lagging = true;
      this.opts.onLag?.(true, this.evidence());
    } else if (this.lagging && under) {
      this.lagging = false;
      this.opts.onLag?.(false, this.evidence());
    }
  }

  private evidence(): LagEvidence {
    const e: LagEvidence = {
      pendingBytes: this.pendingBytes,
      pendingRecords: this.pendingRecords,
      lagBytes: this.o.lagBytes,
      lastSeq: this.lastSeq,
      persistedSeq: this.persistedSeq,
      at: this.clock.now(),
    };
    if (this.ioError !== null) e.ioError = this.ioError;
    return e;
  }

  private closeSegmentFds(seg: Segment | null): void {
    if (!seg) return;
    const { fd, idxFd } = seg;
    seg.fd = null;
    seg.idxFd = null;
    // closing after fdatasync: the data is already durable, the close result does not matter
    if (fd !== null) close(fd, () => {});
    if (idxFd !== null) close(idxFd, () => {});
  }
}

/** Create a writer on `opts.dir` (recovering it first) or, with `dataDir`, lazily at the first record. */
export function openJournalWriter(opts: JournalWriterOptions): JournalWriter {
  return new JournalWriter(opts);
}

function fsOpen(path: string, flags: string): Promise<number> {
  return new Promise((res, rej) => open(path, flags, 0o600, (e, fd) => (e ? rej(e) : res(fd))));
}
function fsClose(fd: number): Promise<void> {
  return new Promise((res, rej) => close(fd, (e) => (e ? rej(e) : res())));
}
function fsFdatasync(fd: number): Promise<void> {
  return new Promise((res, rej) => fdatasync(fd, (e) => (e ? rej(e) : res())));
}
function fsFsync(fd: number): Promise<void> {
  return new Promise((res, rej) => fsync(fd, (e) => (e ? rej(e) : res())));
}
async function fsWriteAll(fd: number, buf: Buffer, len: number, position: number): Promise<void> {
  let off = 0;
  while (off < len) {
    const n = await new Promise<number>((res, rej) =>
      write(fd, buf, off, len - off, position + off, (e, w) => (e ? rej(e) : res(w))),
    );
    off += n;
  }
}
