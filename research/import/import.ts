/**
 * Import historical files into a data dir's journal (`<data>/journal/<YYYY-MM-DD>/`), so replay, backtests and
 * every journal tool work on real history unchanged. Files of any of the formats (`formats.ts`) are read as
 * streams and merged in time order (a k-way merge; a file is opened when the merge reaches the time its name
 * says it starts, so a month of hourly files is never open at once), and journaled through the journal writer
 * as a recorder would have journaled them: each frame stamped with the time it carries, a connection opened
 * before the first frame, a control tick every `tickMs` while data flows, and — where the data stops for more
 * than `holeMs` (a hole in the archive) — the connection closed and reopened in a new epoch, so the decision
 * side sees the feed down instead of a market that stood still. The frames are the public feed's (the venue's
 * WebSocket format, replayed through the public parser): they and the connection records keep the feed's source
 * — the ingest pipeline reads a frame with any other source as a further source's (node files, book server:
 * health only, not the book) — and the import is named in the connection's `url` (`import:<formats>`) and in
 * the source tag of the control ticks it journals (`import:<formats>`), so `journal stats` shows what it wrote.
 * Unreadable lines are counted and skipped; the coverage report says what was written and what is missing.
 */
import { join } from 'node:path';
import { dayFolders, dayOf } from '../../actors/journal/days.ts';
import { listSegments } from '../../actors/journal/recovery.ts';
import { SystemClock } from '../../actors/journal/system-clock.ts';
import { type JournalWriteError, JournalWriter } from '../../actors/journal/writer.ts';
import type { Clock } from '../../state/clock.ts';
import { type ConnEvent, type JournalRecord, jsonBytes, RecordKind } from '../../state/records.ts';
import {
  CoverageAccumulator,
  type CoverageReport,
  type FileCoverage,
  limitations,
  MAX_REASONS,
} from './coverage.ts';
import { type ImportFormat, type ImportItem, type LineParser, lineParser, nominalStart } from './formats.ts';
import { fileLines } from './lines.ts';

export interface ImportInput {
  format: ImportFormat;
  path: string;
}

export interface ImportOptions {
  inputs: readonly ImportInput[];
  /** The data dir (the journal goes to `<dataDir>/journal/<day>/`). */
  dataDir: string;
  /** Control tick period while data flows (ms, default 1000: the live default). */
  tickMs?: number;
  /** Longer than this without a frame is a hole: the connection is journaled closed (default by format). */
  holeMs?: number;
  /** Source tag of the journaled control ticks, and the connection's url (default `import:<format>[+<format>…]`). */
  source?: string;
  /** The journal writer's clock (its group-commit timers); default the system clock. */
  clock?: Clock;
  onProgress?: (frames: number, time: number) => void;
}

export class ImportError extends Error {}

/**
 * Files are opened this long before the merge reaches the time their name gives, so lines a little before it
 * (a node's block times trail its processing-time file names) stay in order. Memory is about one decoded block
 * (the LZ4 tool's default is 4 MiB) and its lines per open file: the files of one hour of every coin named are
 * open together, those of later hours not yet.
 */
const OPEN_AHEAD_MS = 300_000;
/** Wait for the writer once this many records are not yet durable (bounded memory). */
const MAX_UNPERSISTED = 16_384;

/** A file being merged: its parsed frames a batch at a time. */
class FileCursor {
  items: ImportItem[] = [];
  i = 0;
  private readonly lines: AsyncGenerator<string[]>;
  readonly parser: LineParser;
  readonly cov: FileCoverage;
  constructor(
    readonly input: ImportInput,
    readonly index: number,
    private readonly corrupt: (file: FileCoverage, line: number, reason: string) => void,
    private readonly unreadable: (file: FileCoverage, line: number, reason: string) => void,
  ) {
    this.lines = fileLines(input.path);
    this.parser = lineParser(input.format);
    this.cov = { path: input.path, format: input.format, lines: 0, frames: 0, corrupt: 0 };
  }

  get head(): ImportItem {
    return this.items[this.i]!;
  }

  /** Load the next batch that has frames; false at the end of the file (or when it cannot be read further). */
  async fill(): Promise<boolean> {
    this.items = [];
    this.i = 0;
    while (this.items.length === 0) {
      let r: IteratorResult<string[]>;
      try {
        r = await this.lines.next();
      } catch (e) {
        this.cov.error = `${(e as Error).message} (after line ${this.cov.lines})`;
        this.unreadable(this.cov, this.cov.lines + 1, `unreadable from here: ${(e as Error).message}`);
        return false;
      }
      if (r.done) return false;
      for (const text of r.value) {
        this.cov.lines++;
        if (text === '') {
          this.parser.skipped['empty line'] = (this.parser.skipped['empty line'] ?? 0) + 1;
          continue;
        }
        const out = this.parser.line(text);
        if (typeof out === 'string') {
          this.cov.corrupt++;
          this.corrupt(this.cov, this.cov.lines, out);
        } else for (const it of out) this.items.push(it);
      }
    }
    this.cov.frames += this.items.length;
    return true;
  }
}

/** A binary min-heap of cursors by their head's time (ties: the earlier file first). */
class CursorHeap {
  private a: FileCursor[] = [];
  get size(): number {
    return this.a.length;
  }
  peek(): FileCursor | undefined {
    return this.a[0];
  }
  private less(x: FileCursor, y: FileCursor): boolean {
    const tx = x.head.time;
    const ty = y.head.time;
    return tx < ty || (tx === ty && x.index < y.index);
  }
  push(c: FileCursor): void {
    const a = this.a;
    a.push(c);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): FileCursor | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** The default hole threshold: a minute without data, or 3 min when only once-a-minute contexts come in. */
export function defaultHoleMs(formats: readonly ImportFormat[]): number {
  return formats.every((f) => f === 'asset-ctxs') ? 180_000 : 60_000;
}

const enc = new TextEncoder();

export async function importFiles(opts: ImportOptions): Promise<CoverageReport> {
  if (opts.inputs.length === 0) throw new ImportError('nothing to import: no files given');
  const formats = [...new Set(opts.inputs.map((i) => i.format))];
  const source = opts.source ?? `import:${formats.join('+')}`;
  const tickMs = opts.tickMs ?? 1000;
  if (!(tickMs > 0)) throw new ImportError(`tickMs must be > 0, got ${tickMs}`);
  const holeMs = opts.holeMs ?? defaultHoleMs(formats);
  if (!(holeMs > tickMs)) throw new ImportError(`holeMs (${holeMs}) must exceed tickMs (${tickMs})`);
  const root = join(opts.dataDir, 'journal');
  const clock = opts.clock ?? new SystemClock();

  const acc = new CoverageAccumulator();
  const reasons: string[] = [];
  let corruptLines = 0;
  const onCorrupt = (f: FileCoverage, line: number, reason: string) => {
    corruptLines++;
    if (reasons.length < MAX_REASONS) reasons.push(`${f.path}:${line}: ${reason}`);
  };
  let unreadableFiles = 0;
  const onUnreadable = (f: FileCoverage, line: number, reason: string) => {
    unreadableFiles++;
    if (reasons.length < MAX_REASONS) reasons.push(`${f.path}:${line}: ${reason}`);
  };
  const cursors = opts.inputs.map((inp, i) => new FileCursor(inp, i, onCorrupt, onUnreadable));
  const pending = cursors
    .map((c) => ({ c, start: nominalStart(c.input.format, c.input.path) }))
    .sort((x, y) => x.start - y.start || x.c.index - y.c.index);

  // ---- the journal side
  let writer: JournalWriter | null = null;
  let writeError: JournalWriteError | null = null;
  let seq = 0;
  let firstSeq: number | null = null;
  let records = 0;
  let ticks = 0;
  let conn = 0;
  let epoch = 0;
  let connected = false;
  let last = Number.NEGATIVE_INFINITY;
  let nextTick = Number.NaN;
  let outOfOrder = 0;
  let journalGaps = 0;
  const days = new Set<string>();
  let dayStart = Number.POSITIVE_INFINITY;
  let dayEnd = Number.NEGATIVE_INFINITY;

  const openWriter = (t: number): JournalWriter => {
    const day = dayOf(t);
    const later = dayFolders(root).filter((d) => d >= day && listSegments(join(root, d)).length > 0);
    if (later.length > 0)
      throw new ImportError(
        `${root} already holds journal days from ${later[0]} on, not before this import's first day ${day}: ` +
          'a journal is one stream in time order — import into a fresh data dir, or import all files in one command',
      );
    const w = new JournalWriter({
      dir: join(root, day),
      rollDaily: true,
      clock,
      onError: (e) => {
        writeError ??= e;
      },
    });
    seq = w.nextSeq;
    firstSeq = seq;
    return w;
  };

  const append = (kind: JournalRecord['kind'], channel: string, data: Uint8Array, time: number) => {
    writer ??= openWriter(time);
    const rec: JournalRecord = { seq: seq++, time, epoch, kind, channel, data };
    if (kind === RecordKind.Tick) rec.source = source;
    if (!writer.append(rec)) throw new ImportError(`journal: ${writeError?.message ?? 'append rejected'}`);
    records++;
    if (time >= dayEnd || time < dayStart) {
      // a new day folder (Date formatting per record would cost more than the rest of the append)
      const day = dayOf(time);
      days.add(day);
      dayStart = Date.parse(`${day}T00:00:00Z`);
      dayEnd = dayStart + 86_400_000;
    }
  };
  const connEvent = (ev: ConnEvent, time: number) => {
    conn++;
    append(RecordKind.Conn, ev.type, jsonBytes(ev), time);
  };
  const url = `${source} (${opts.inputs.length === 1 ? opts.inputs[0]!.path : `${opts.inputs.length} files`})`;
  const open = (t: number) => {
    epoch++;
    connEvent({ type: 'connecting', url }, t);
    connEvent({ type: 'open', url }, t);
    connEvent({ type: 'subscribed', key: '*' }, t);
    connected = true;
    nextTick = Math.ceil(t / tickMs) * tickMs;
  };
  const ticksUpTo = (t: number) => {
    while (nextTick <= t) {
      ticks++;
      append(RecordKind.Tick, 'tick', jsonBytes({ cause: 'timer' }), nextTick);
      nextTick += tickMs;
    }
  };
  const emit = async (it: ImportItem) => {
    let t = it.time;
    if (t < last) {
      outOfOrder++;
      t = last;
    }
    if (!connected) open(t);
    else if (t - last > holeMs) {
      ticksUpTo(last);
      journalGaps++;
      connEvent(
        {
          type: 'closed',
          reason: `import: no data for ${((t - last) / 1000).toFixed(1)} s (a hole in the source data)`,
        },
        last,
      );
      open(t);
    }
    ticksUpTo(t);
    append(RecordKind.Frame, it.channel, enc.encode(it.text), t);
    last = t;
    acc.frame(t, it.channel, it.coin);
    if (writeError !== null) throw new ImportError(`journal: ${writeError.message}`);
    if (writer !== null && writer.lastSeq - writer.persistedSeq > MAX_UNPERSISTED) await writer.flush();
    if (opts.onProgress && acc.frames % 100_000 === 0) opts.onProgress(acc.frames, t);
  };

  // ---- the merge
  const heap = new CursorHeap();
  let p = 0;
  try {
    for (;;) {
      // open every file whose name says it may start before the earliest head (within the window ahead)
      while (p < pending.length) {
        const top = heap.peek();
        if (top !== undefined && pending[p]!.start > top.head.time + OPEN_AHEAD_MS) break;
        const c = pending[p++]!.c;
        if (await c.fill()) heap.push(c);
      }
      const c = heap.pop();
      if (c === undefined) break;
      await emit(c.items[c.i++]!);
      if (c.i < c.items.length || (await c.fill())) heap.push(c);
    }
    if (connected) {
      ticksUpTo(last);
      connEvent({ type: 'closed', reason: 'import: end of data' }, last);
    }
  } finally {
    if (writer !== null) await (writer as JournalWriter).close();
  }
  if (writeError !== null) throw new ImportError(`journal: ${(writeError as JournalWriteError).message}`);

  const skipped: Record<string, number> = {};
  const stats: Record<string, number> = {};
  const notes: string[] = [];
  for (const c of cursors) {
    for (const [k, v] of Object.entries(c.parser.skipped)) skipped[k] = (skipped[k] ?? 0) + v;
    for (const [k, v] of Object.entries(c.parser.stats)) stats[k] = (stats[k] ?? 0) + v;
    for (const n of c.parser.notes) if (notes.length < MAX_REASONS) notes.push(`${c.input.path}: ${n}`);
  }
  const iso = (t: number) => (Number.isNaN(t) ? null : new Date(t).toISOString());
  return {
    formats,
    source,
    dataDir: opts.dataDir,
    from: iso(acc.first),
    to: iso(acc.last),
    hours: acc.hours(),
    lines: cursors.reduce((s, c) => s + c.cov.lines, 0),
    frames: acc.frames,
    channels: acc.channels,
    coins: acc.coins,
    corrupt: { lines: corruptLines, files: unreadableFiles, reasons },
    skipped,
    stats,
    notes,
    outOfOrder,
    holes: acc.holes(),
    journalGaps,
    holeMs,
    cannotProvide: limitations(acc.channels, formats, stats),
    files: cursors.map((c) => c.cov),
    journal: {
      records,
      ticks,
      conn,
      firstSeq,
      lastSeq: firstSeq === null ? null : seq - 1,
      days: [...days].sort(),
    },
  };
}
