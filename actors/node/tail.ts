/**
 * The node-files source: follows the node's by-block hourly files (`<dir>/<stream>/hourly/<YYYYMMDD>/<H>`,
 * hours not zero-padded, one block a line) and hands each complete line on raw, with its stream and block
 * height, to the journal inlet. Polling runs on the injected clock, so a test drives it tick by tick.
 *  - A file still being written: a partial last line is held until its newline arrives.
 *  - The hour rollover: at the end of a file, once a later file exists, the tail moves on. A partial line
 *    left behind is declared truncated (reported, never emitted) after `truncateAfterMs` without growth.
 *  - A restart: given the last journaled height per stream, the tail starts in the file holding the next
 *    block and skips every line at or below that height, so each block is handed on exactly once.
 * Never throws on file content; file-system errors are reported and retried at the next poll.
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock, TimerId } from '../../state/clock.ts';
import { blockStamp } from '../../state/heights.ts';

export const NODE_STREAMS = [
  'node_fills_by_block',
  'node_order_statuses_by_block',
  'node_raw_book_diffs_by_block',
] as const;
export type NodeStream = (typeof NODE_STREAMS)[number];

export function isNodeStream(s: string): s is NodeStream {
  return (NODE_STREAMS as readonly string[]).includes(s);
}

/** One complete line of a stream: raw bytes (no newline), its block height (NaN: none found). */
export interface NodeLine {
  stream: NodeStream;
  bytes: Uint8Array;
  height: number;
  /** The file it came from (path under `dir`). */
  file: string;
}

/** What the tail reports besides lines (the wiring journals `truncated` and `error` as the source's gaps). */
export type TailEvent =
  | { type: 'file'; stream: NodeStream; file: string; offset: number }
  | { type: 'truncated'; stream: NodeStream; file: string; bytes: number }
  | { type: 'oversize'; stream: NodeStream; file: string; bytes: number }
  | { type: 'error'; stream: NodeStream; message: string };

export interface NodeTailOptions {
  /** The node's data folder (`~/hl/data`). */
  dir: string;
  clock: Clock;
  emit: (line: NodeLine) => void;
  onEvent?: (e: TailEvent) => void;
  streams?: readonly NodeStream[];
  /** Poll interval on the injected clock (default 50 ms). */
  pollMs?: number;
  /** The last journaled height per stream: the tail resumes right after it. */
  resume?: Partial<Record<NodeStream, number>>;
  /** A stream without a resume height starts at the newest file's end (`end`, default) or its beginning. */
  startAt?: 'end' | 'begin';
  /** A partial line at the end of a file that a later file follows is truncated after this long without growth (default 1 000 ms). */
  truncateAfterMs?: number;
  /** A line longer than this is dropped and reported (default 256 MiB). */
  maxLineBytes?: number;
  /** Bytes read per stream per poll at most (default 32 MiB), so one poll cannot hold the thread for long. */
  maxBytesPerPoll?: number;
  /**
   * Backpressure: while it returns true nothing is read (the files keep the lines), e.g. while the inlet's
   * overflow queue is long — a catch-up after a long downtime must not push lines past its bound.
   */
  holdOff?: () => boolean;
}

export interface TailCounters {
  lines: number;
  bytes: number;
  /** Lines at or below the last height handed on (a restart's overlap): skipped. */
  duplicates: number;
  /** Lines without a block height (handed on all the same: the parser counts them). */
  noHeight: number;
  truncated: number;
  oversize: number;
  files: number;
  errors: number;
  polls: number;
  /** Polls that read nothing because of `holdOff`. */
  heldOff: number;
}

/** An hour file: its path relative to `dir`, and its order (YYYYMMDD × 100 + hour). */
interface HourFile {
  rel: string;
  key: number;
}

interface StreamState {
  stream: NodeStream;
  file: HourFile | null;
  fd: number | null;
  offset: number;
  /** Bytes of the line being assembled. */
  partial: Buffer[];
  partialBytes: number;
  /** Drop everything up to the next newline (a line's tail seen without its head, or an oversize line). */
  skipToNewline: boolean;
  /** Clock time at which the current file last grew. */
  grewAt: number;
  /** Last height handed on (or the resume height). */
  last: number;
  /** Whether the start file still has to be chosen. */
  starting: boolean;
}

export interface NodeTail {
  readonly counters: TailCounters;
  /** One poll now (tests; the timer does the same). */
  poll(): void;
  /** Last height handed on per stream. */
  heights(): Partial<Record<NodeStream, number>>;
  /** The file each stream reads, and its offset. */
  position(stream: NodeStream): { file: string; offset: number } | null;
  stop(): void;
}

const NL = 0x0a;

export function startNodeTail(opts: NodeTailOptions): NodeTail {
  const { clock, dir } = opts;
  const pollMs = opts.pollMs ?? 50;
  const truncateAfterMs = opts.truncateAfterMs ?? 1_000;
  const maxLine = opts.maxLineBytes ?? 256 * 2 ** 20;
  const maxPerPoll = opts.maxBytesPerPoll ?? 32 * 2 ** 20;
  const startAt = opts.startAt ?? 'end';
  const counters: TailCounters = {
    lines: 0,
    bytes: 0,
    duplicates: 0,
    noHeight: 0,
    truncated: 0,
    oversize: 0,
    files: 0,
    errors: 0,
    polls: 0,
    heldOff: 0,
  };
  const buf = Buffer.allocUnsafe(1 << 20);
  const states: StreamState[] = (opts.streams ?? NODE_STREAMS).map((stream) => {
    const r = opts.resume?.[stream];
    return {
      stream,
      file: null,
      fd: null,
      offset: 0,
      partial: [],
      partialBytes: 0,
      skipToNewline: false,
      grewAt: clock.now(),
      last: r ?? Number.NEGATIVE_INFINITY,
      starting: true,
    };
  });
  const resumed = new Set(states.filter((s) => opts.resume?.[s.stream] !== undefined).map((s) => s.stream));

  const report = (e: TailEvent) => {
    if (e.type === 'error') counters.errors++;
    opts.onEvent?.(e);
  };

  /** The stream's hour files in order; with `after`, only the days from that file's on (a month of days is not listed every poll). */
  const listFiles = (stream: NodeStream, after?: HourFile): HourFile[] => {
    const root = join(dir, stream, 'hourly');
    const fromDay = after === undefined ? 0 : Math.floor(after.key / 100);
    let days: string[];
    try {
      days = readdirSync(root).filter((d) => /^\d{8}$/.test(d) && Number(d) >= fromDay);
    } catch {
      return [];
    }
    const out: HourFile[] = [];
    for (const d of days) {
      let hours: string[];
      try {
        hours = readdirSync(join(root, d)).filter((h) => /^\d{1,2}$/.test(h) && Number(h) < 24);
      } catch {
        continue;
      }
      for (const h of hours)
        out.push({ rel: join(stream, 'hourly', d, h), key: Number(d) * 100 + Number(h) });
    }
    return out.sort((a, b) => a.key - b.key);
  };

  const firstHeight = (rel: string): number => {
    let fd: number | null = null;
    try {
      fd = openSync(join(dir, rel), 'r');
      const n = readSync(fd, buf, 0, 4096, 0);
      const text = buf.toString('utf8', 0, n);
      const nl = text.indexOf('\n');
      return blockStamp(nl >= 0 ? text.slice(0, nl) : text).height;
    } catch {
      return Number.NaN;
    } finally {
      if (fd !== null) closeSync(fd);
    }
  };

  const open = (st: StreamState, f: HourFile, offset: number, skipHead: boolean) => {
    if (st.fd !== null) closeSync(st.fd);
    st.fd = openSync(join(dir, f.rel), 'r');
    st.file = f;
    st.offset = offset;
    st.partial = [];
    st.partialBytes = 0;
    st.skipToNewline = skipHead;
    st.grewAt = clock.now();
    counters.files++;
    report({ type: 'file', stream: st.stream, file: f.rel, offset });
  };

  /** Choose where a stream starts: after its resume height, or at the newest file's end (or beginning). */
  const start = (st: StreamState): boolean => {
    const files = listFiles(st.stream);
    if (files.length === 0) return false;
    st.starting = false;
    if (resumed.has(st.stream)) {
      // the newest file whose first block is at or before the next one wanted
      let pick = files[0]!;
      for (let i = files.length - 1; i >= 0; i--) {
        const h = firstHeight(files[i]!.rel);
        if (!Number.isNaN(h) && h <= st.last + 1) {
          pick = files[i]!;
          break;
        }
      }
      open(st, pick, 0, false);
      return true;
    }
    const newest = files[files.length - 1]!;
    if (startAt === 'begin') {
      open(st, files[0]!, 0, false);
      return true;
    }
    const size = statSync(join(dir, newest.rel)).size;
    let endsWithNewline = true;
    if (size > 0) {
      const fd = openSync(join(dir, newest.rel), 'r');
      try {
        readSync(fd, buf, 0, 1, size - 1);
        endsWithNewline = buf[0] === NL;
      } finally {
        closeSync(fd);
      }
    }
    // a line being written when we arrive has no head here: skip it
    open(st, newest, size, !endsWithNewline);
    return true;
  };

  const handOn = (st: StreamState, bytes: Buffer) => {
    if (bytes.length === 0) return;
    const text = bytes.toString('utf8', 0, Math.min(bytes.length, 512));
    let { height } = blockStamp(text);
    if (Number.isNaN(height) && bytes.length > 512) height = blockStamp(bytes.toString('utf8')).height;
    if (!Number.isNaN(height)) {
      if (height <= st.last) {
        counters.duplicates++;
        return;
      }
      st.last = height;
    } else counters.noHeight++;
    counters.lines++;
    counters.bytes += bytes.length;
    opts.emit({ stream: st.stream, bytes: new Uint8Array(bytes), height, file: st.file?.rel ?? '' });
  };

  /** Split a chunk into lines; the last piece (no newline yet) is held. */
  const take = (st: StreamState, chunk: Buffer) => {
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf(NL, from);
      if (nl < 0) {
        if (!st.skipToNewline) {
          st.partial.push(Buffer.from(chunk.subarray(from)));
          st.partialBytes += chunk.length - from;
          if (st.partialBytes > maxLine) {
            counters.oversize++;
            report({ type: 'oversize', stream: st.stream, file: st.file?.rel ?? '', bytes: st.partialBytes });
            st.partial = [];
            st.partialBytes = 0;
            st.skipToNewline = true;
          }
        }
        return;
      }
      if (st.skipToNewline) st.skipToNewline = false;
      else if (st.partialBytes > 0) {
        st.partial.push(chunk.subarray(from, nl));
        const line = Buffer.concat(st.partial);
        st.partial = [];
        st.partialBytes = 0;
        handOn(st, line);
      } else handOn(st, chunk.subarray(from, nl));
      from = nl + 1;
    }
  };

  /** Read what the current file has beyond the offset; true when at its end. */
  const readAvailable = (st: StreamState): boolean => {
    let budget = maxPerPoll;
    while (budget > 0) {
      const n = readSync(st.fd!, buf, 0, Math.min(buf.length, budget), st.offset);
      if (n === 0) return true;
      st.offset += n;
      st.grewAt = clock.now();
      budget -= n;
      take(st, buf.subarray(0, n));
    }
    return false;
  };

  const pollStream = (st: StreamState) => {
    if (st.starting && !start(st)) return;
    // a file boundary passed in this poll: keep going in the next file up to the budget
    for (let hops = 0; hops < 4; hops++) {
      if (!readAvailable(st)) return;
      const next = listFiles(st.stream, st.file!).find((f) => f.key > st.file!.key);
      if (!next) return;
      if (st.partialBytes > 0 || st.skipToNewline) {
        // the writer moved on: a line it left unfinished is never completed (after a grace for a late write)
        if (clock.now() - st.grewAt < truncateAfterMs) return;
        if (st.partialBytes > 0) {
          counters.truncated++;
          report({ type: 'truncated', stream: st.stream, file: st.file!.rel, bytes: st.partialBytes });
        }
      }
      open(st, next, 0, false);
    }
  };

  let timer: TimerId | null = null;
  let stopped = false;
  const poll = () => {
    counters.polls++;
    if (opts.holdOff?.()) {
      counters.heldOff++;
      return;
    }
    for (const st of states) {
      try {
        pollStream(st);
      } catch (e) {
        report({ type: 'error', stream: st.stream, message: (e as Error).message });
      }
    }
  };
  const loop = () => {
    timer = null;
    if (stopped) return;
    poll();
    if (!stopped) timer = clock.setTimeout(loop, pollMs);
  };
  timer = clock.setTimeout(loop, 0);

  return {
    counters,
    poll,
    heights() {
      const out: Partial<Record<NodeStream, number>> = {};
      for (const st of states) if (Number.isFinite(st.last)) out[st.stream] = st.last;
      return out;
    },
    position(stream) {
      const st = states.find((s) => s.stream === stream);
      return st?.file ? { file: st.file.rel, offset: st.offset } : null;
    },
    stop() {
      stopped = true;
      if (timer !== null) clock.clearTimeout(timer);
      for (const st of states) {
        if (st.fd !== null) closeSync(st.fd);
        st.fd = null;
      }
    },
  };
}
