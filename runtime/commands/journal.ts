/**
 * `runtime journal stats|verify|export|tail|compact|prune <dir>`: the journal's tools. `<dir>` is a data dir,
 * its journal root or one day folder; the readers read every day in it (or `--from/--to` days) in order as
 * one journal. Exit codes: 0 fine, 1 corruption or a broken sequence found (verify), 2 usage, no journal or
 * unreadable journal.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  dayFolders,
  dayOf,
  isDayName,
  journalDays,
  journalRootOf,
  NoJournalError,
  readDays,
} from '../../actors/journal/days.ts';
import { type CorruptReport, JournalFormatError } from '../../actors/journal/format.ts';
import {
  followJournal,
  type JournalEntry,
  type ReadRange,
  readJournal,
} from '../../actors/journal/reader.ts';
import { listSegments } from '../../actors/journal/recovery.ts';
import { type CompactResult, compactDay, dayBytes, removeDay } from '../../actors/journal/retention.ts';
import { SegmentScanner } from '../../actors/journal/scan.ts';
import { SystemClock } from '../../actors/journal/system-clock.ts';
import type { Clock } from '../../state/clock.ts';
import {
  type ConnEvent,
  defaultSource,
  type JournalRecord,
  RECORD_KIND_NAMES,
  RecordKind,
} from '../../state/records.ts';
import { DataDirLockedError, describeHolder, lockDataDir, readLock } from '../lock.ts';

export interface CommandIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  /** Clock for `tail` polling and for what "today" is to compact and prune (default: the system clock). */
  clock?: Clock;
  /** Stops `tail`. */
  signal?: AbortSignal;
}

const DIR_HELP = `<dir> is a data dir (what --data names), its journal root (<data>/journal) or one day folder
  (<data>/journal/YYYY-MM-DD); every day in it is read in order, or only the days of
  --from DAY / --to DAY (YYYY-MM-DD, inclusive).`;

const HELP: Record<string, string> = {
  journal: `usage: runtime journal <stats|verify|export|tail|compact|prune> <dir> [options]
  stats <dir> [--json]          counts per kind, channel and source, time range, gaps, corrupt records
  verify <dir>                  CRC-check every record and the sequence (strictly increasing, across
                                days too); exit 1 after reporting every bad one
  export <dir> [range]          JSON lines, one record a line with its stamps and source
  tail <dir> [--from-end]       follow the journal as it is written (JSON lines), into the next day
  compact <dir> --older-than N  compress the days older than N days (brotli; read transparently)
  prune <dir> --keep N          delete the day folders beyond the newest N
${DIR_HELP}
run 'runtime journal <command> --help' for a command's options.
`,
  stats: `usage: runtime journal stats <dir> [--from DAY] [--to DAY] [--json]
  Counts by kind, by channel and by source, first/last seq and time, gaps (seq discontinuities and
  'gap' connection events) and corrupt records, over every day. --json prints one JSON object.
  ${DIR_HELP}
`,
  verify: `usage: runtime journal verify <dir> [--from DAY] [--to DAY]
  Checks the header of every segment, the CRC of every record and the sequence: strictly increasing
  within a day and from one day to the next (where a day starts is reported: contiguous or a gap).
  Reports every bad range (file, offset, length, reason); exits 1 if any, 2 if a file is not a
  journal segment.
  ${DIR_HELP}
`,
  export: `usage: runtime journal export <dir> [--from DAY] [--to DAY] [--from-seq N] [--to-seq N] [--from-time T] [--to-time T]
  One JSON object a line: {seq,time,epoch,kind,channel,source,data} with data as UTF-8 text, or base64
  with "base64":true when the bytes are not valid UTF-8. T is ms since epoch or an ISO date.
  Seq bounds are inclusive; --to-time is exclusive.
  ${DIR_HELP}
`,
  tail: `usage: runtime journal tail <dir> [--from-end] [--poll MS]
  Follows the journal's latest day as it is written and prints each record as export does; at
  midnight it goes on into the next day's folder. --from-end skips what is already there.
  ${DIR_HELP}
`,
  compact: `usage: runtime journal compact <data dir | journal root> --older-than N [--json]
  Compresses each segment of the days older than N days (brotli: seg-N.jrnl becomes seg-N.jrnl.br,
  written, fsynced and read back before the original goes) and prints the ratio. Every reader
  (replay, stats, verify, export) reads a compacted day as before. Never today's day (UTC) and,
  while an instance runs on the data dir (its LOCK), never the day it writes.
`,
  prune: `usage: runtime journal prune <data dir | journal root> --keep N [--json]
  Deletes the day folders beyond the newest N (N >= 1). Never today's day (UTC) and, while an
  instance runs on the data dir (its LOCK), never the day it writes.
`,
};

export async function journalCommand(argv: string[], io: CommandIO): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    io.stdout.write(HELP.journal!);
    return cmd === undefined ? 2 : 0;
  }
  if (!(cmd in HELP) || cmd === 'journal') {
    io.stderr.write(`journal: unknown command '${cmd}'\n${HELP.journal}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(HELP[cmd]!);
    return 0;
  }
  let args: ParsedArgs;
  try {
    args = parseArgs(rest);
  } catch (e) {
    io.stderr.write(`journal ${cmd}: ${(e as Error).message}\n${HELP[cmd]}`);
    return 2;
  }
  const dir = args.positional[0];
  if (dir === undefined || args.positional.length > 1) {
    io.stderr.write(`journal ${cmd}: expected exactly one <dir>\n${HELP[cmd]}`);
    return 2;
  }
  try {
    if (cmd === 'compact' || cmd === 'prune') return retention(cmd, dir, args, io);
    // a day folder, a data dir or a journal root: every day in it, oldest first (tail may wait for a
    // folder that has no segment yet)
    const range: { from?: string; to?: string } = {};
    if (args.fromDay !== undefined) range.from = args.fromDay;
    if (args.toDay !== undefined) range.to = args.toDay;
    let days: string[];
    try {
      days = journalDays(dir, range);
    } catch (e) {
      if (!(cmd === 'tail' && e instanceof NoJournalError && existsSync(dir) && statSync(dir).isDirectory()))
        throw e;
      days = [dir];
    }
    switch (cmd) {
      case 'stats':
        return stats(dir, days, args, io);
      case 'verify':
        return verifyDays(days, io);
      case 'export':
        exportLines(days, args, io);
        return 0;
      default:
        // follow the latest day, and the days after it as they come
        return await tail(days.at(-1)!, args, io);
    }
  } catch (e) {
    const msg =
      e instanceof JournalFormatError || e instanceof NoJournalError ? e.message : `${(e as Error).message}`;
    io.stderr.write(`journal ${cmd}: ${msg}\n`);
    return 2;
  }
}

interface ParsedArgs {
  positional: string[];
  flags: Set<string>;
  range: ReadRange;
  pollMs?: number;
  fromDay?: string;
  toDay?: string;
  olderThan?: number;
  keep?: number;
}

function day(flag: string, v: string): string {
  if (!isDayName(v)) throw new Error(`${flag}: '${v}' is not a day (YYYY-MM-DD)`);
  return v;
}

function count(flag: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${flag}: '${v}' is not a whole number >= ${min}`);
  return n;
}

function parseArgs(args: string[]): ParsedArgs {
  const out: ParsedArgs = { positional: [], flags: new Set(), range: {} };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json' || a === '--from-end') {
      out.flags.add(a);
      continue;
    }
    if (a.startsWith('--')) {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      switch (a) {
        case '--from-seq':
          out.range.fromSeq = num(a, v);
          break;
        case '--to-seq':
          out.range.toSeq = num(a, v);
          break;
        case '--from-time':
          out.range.fromTime = time(a, v);
          break;
        case '--to-time':
          out.range.toTime = time(a, v);
          break;
        case '--poll':
          out.pollMs = num(a, v);
          break;
        case '--from':
          out.fromDay = day(a, v);
          break;
        case '--to':
          out.toDay = day(a, v);
          break;
        case '--older-than':
          out.olderThan = count(a, v, 0);
          break;
        case '--keep':
          out.keep = count(a, v, 1);
          break;
        default:
          throw new Error(`unknown option ${a}`);
      }
      continue;
    }
    out.positional.push(a);
  }
  return out;
}

function num(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${flag}: '${v}' is not a number`);
  return n;
}

function time(flag: string, v: string): number {
  const n = Number(v);
  if (Number.isFinite(n)) return n;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new Error(`${flag}: '${v}' is neither ms since epoch nor an ISO date`);
  return t;
}

// ---- stats ----

export interface SeqGap {
  afterSeq: number;
  nextSeq: number;
  missing: number;
  time: number;
  file: string;
}

export interface ConnGap {
  seq: number;
  time: number;
  key?: string;
  lost?: number;
  reason?: string;
}

export interface JournalStats {
  dir: string;
  /** The day folders read, oldest first. */
  days: string[];
  segments: number;
  records: number;
  bytes: number;
  firstSeq: number | null;
  lastSeq: number | null;
  firstTime: number | null;
  lastTime: number | null;
  byKind: Record<string, number>;
  /** Per kind, counts by channel ('' = unknown channel). */
  byChannel: Record<string, Record<string, number>>;
  /** Counts by source (a record without one counts for its kind's default: feed / venue / local). */
  bySource: Record<string, number>;
  seqGaps: SeqGap[];
  connGaps: ConnGap[];
  /** Conn records whose payload is not a ConnEvent JSON. */
  badConnRecords: number;
  corrupt: CorruptReport[];
}

/** Stats of journal day folders read as one journal; corrupt ranges are included, a foreign file throws. */
export function journalStats(dir: string, days: readonly string[] = [dir]): JournalStats {
  const s: JournalStats = {
    dir,
    days: [...days],
    segments: days.reduce((n, d) => n + listSegments(d).length, 0),
    records: 0,
    bytes: 0,
    firstSeq: null,
    lastSeq: null,
    firstTime: null,
    lastTime: null,
    byKind: {},
    byChannel: {},
    bySource: {},
    seqGaps: [],
    connGaps: [],
    badConnRecords: 0,
    corrupt: [],
  };
  for (const e of readDays(days, { onCorrupt: (c) => s.corrupt.push(c) })) {
    const r = e.record;
    const kind = RECORD_KIND_NAMES[r.kind];
    const source = r.source ?? defaultSource(r.kind);
    s.bySource[source] = (s.bySource[source] ?? 0) + 1;
    s.records++;
    s.bytes += e.size;
    s.byKind[kind] = (s.byKind[kind] ?? 0) + 1;
    const ch = (s.byChannel[kind] ??= {});
    ch[r.channel] = (ch[r.channel] ?? 0) + 1;
    if (s.lastSeq !== null && r.seq !== s.lastSeq + 1) {
      s.seqGaps.push({
        afterSeq: s.lastSeq,
        nextSeq: r.seq,
        missing: r.seq - s.lastSeq - 1,
        time: r.time,
        file: e.file,
      });
    }
    if (s.firstSeq === null) {
      s.firstSeq = r.seq;
      s.firstTime = r.time;
    }
    s.lastSeq = r.seq;
    s.lastTime = r.time;
    if (r.kind === RecordKind.Conn) {
      const ev = parseConn(r);
      if (ev === null) s.badConnRecords++;
      else if (ev.type === 'gap') {
        const g: ConnGap = { seq: r.seq, time: r.time };
        if (ev.key !== undefined) g.key = ev.key;
        if (ev.lost !== undefined) g.lost = ev.lost;
        if (ev.reason !== undefined) g.reason = ev.reason;
        s.connGaps.push(g);
      }
    }
  }
  return s;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseConn(r: JournalRecord): ConnEvent | null {
  try {
    const v = JSON.parse(utf8.decode(r.data)) as unknown;
    if (v && typeof v === 'object' && typeof (v as ConnEvent).type === 'string') return v as ConnEvent;
    return null;
  } catch {
    return null;
  }
}

function iso(t: number | null): string {
  if (t === null) return '-';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : `${d.toISOString()} (${t})`;
}

function stats(dir: string, days: readonly string[], args: ParsedArgs, io: CommandIO): number {
  const s = journalStats(dir, days);
  if (args.flags.has('--json')) {
    io.stdout.write(`${JSON.stringify(s)}\n`);
    return 0;
  }
  const lines: string[] = [];
  lines.push(`journal ${dir}`);
  if (days.length > 1 || days[0] !== dir)
    lines.push(
      `days  ${basename(days[0]!)}${days.length > 1 ? ` .. ${basename(days.at(-1)!)}` : ''} (${days.length})`,
    );
  lines.push(`segments ${s.segments}, records ${s.records}, bytes ${s.bytes}`);
  lines.push(`seq   ${s.firstSeq ?? '-'} .. ${s.lastSeq ?? '-'}`);
  lines.push(`time  ${iso(s.firstTime)} .. ${iso(s.lastTime)}`);
  lines.push('by kind:');
  for (const [k, n] of Object.entries(s.byKind)) lines.push(`  ${k.padEnd(10)} ${n}`);
  lines.push('by source:');
  for (const [k, n] of Object.entries(s.bySource)) lines.push(`  ${k.padEnd(10)} ${n}`);
  lines.push('by channel:');
  for (const [k, chans] of Object.entries(s.byChannel)) {
    for (const [c, n] of Object.entries(chans)) lines.push(`  ${`${k}/${c || '(none)'}`.padEnd(28)} ${n}`);
  }
  lines.push(`seq gaps: ${s.seqGaps.length}`);
  for (const g of s.seqGaps)
    lines.push(`  after ${g.afterSeq} next ${g.nextSeq} (${g.missing} missing) at ${iso(g.time)}`);
  lines.push(`conn gap events: ${s.connGaps.length}`);
  for (const g of s.connGaps) {
    lines.push(
      `  seq ${g.seq} at ${iso(g.time)} key ${g.key ?? '-'} lost ${g.lost ?? '?'} ${g.reason ?? ''}`.trimEnd(),
    );
  }
  if (s.badConnRecords > 0) lines.push(`conn records with an unreadable payload: ${s.badConnRecords}`);
  lines.push(`corrupt: ${s.corrupt.length}`);
  for (const c of s.corrupt) lines.push(`  ${corruptLine(c)}`);
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function corruptLine(c: CorruptReport): string {
  return `${c.file} offset ${c.offset} length ${c.length}${c.tail ? ' (tail)' : ''}: ${c.reason}`;
}

// ---- verify ----

/** Where the sequence stands between the days of one verify. */
interface SeqState {
  lastSeq: number;
  lastWhere: string;
  seqFaults: number;
}

/**
 * Verify days in order as one journal: each day's records and segments, and the sequence across the days
 * (a data dir holds one increasing sequence: a day rolls over at midnight and a restart continues it).
 */
function verifyDays(days: readonly string[], io: CommandIO): number {
  const st: SeqState = { lastSeq: Number.NEGATIVE_INFINITY, lastWhere: '', seqFaults: 0 };
  let worst = 0;
  let dayGaps = 0;
  for (const d of days) {
    if (days.length > 1) {
      io.stdout.write(`== ${d}\n`);
      const first = firstSeqOf(d);
      if (first !== null && Number.isFinite(st.lastSeq)) {
        const was = st.lastSeq;
        if (first === was + 1) io.stdout.write(`DAY STARTS seq ${first}: contiguous with the day before\n`);
        else if (first > was + 1) {
          dayGaps++;
          io.stdout.write(
            `DAY STARTS seq ${first}: ${first - was - 1} sequence numbers after the day before's last (${was}) are not in the journal\n`,
          );
        }
        // a step back is reported (and counted) by verify() as the sequence fault it is
      }
    }
    worst = Math.max(worst, verify(d, io, st));
  }
  if (days.length > 1) {
    const summary = `${days.length} days: ${st.seqFaults} duplicate or non-monotonic sequence numbers in all, ${dayGaps} days that do not start where the day before ended`;
    if (worst > 0) io.stderr.write(`${summary}\n`);
    else io.stdout.write(`${summary}\nOK\n`);
  }
  return worst;
}

/** The first verified seq of a day folder (null: none). */
function firstSeqOf(dir: string): number | null {
  for (const e of readJournal(dir, { onCorrupt: () => {} })) return e.record.seq;
  return null;
}

function verify(
  dir: string,
  io: CommandIO,
  st: SeqState = { lastSeq: Number.NEGATIVE_INFINITY, lastWhere: '', seqFaults: 0 },
): number {
  const segs = listSegments(dir);
  let records = 0;
  let bad = 0;
  let foreign = 0;
  // one process writes one strictly increasing sequence: a repeat or a step back means two writers (or a
  // bad copy) — the journal cannot be replayed as one clock
  let lastSeq = st.lastSeq;
  let lastWhere = st.lastWhere;
  let seqFaults = 0;
  const faultsBefore = st.seqFaults;
  let torn = 0;
  for (const seg of segs) {
    let scanner: SegmentScanner;
    try {
      scanner = new SegmentScanner(seg.path);
      try {
        for (let it = scanner.next(); it !== null; it = scanner.next()) {
          if (it.type === 'record') {
            records++;
            const where = `${seg.path} offset ${it.offset}`;
            if (it.record.seq <= lastSeq) {
              seqFaults++;
              if (faultsBefore + seqFaults <= 20)
                io.stdout.write(
                  `SEQUENCE ${where}: seq ${it.record.seq} ${it.record.seq === lastSeq ? 'repeats' : 'goes back from'} seq ${lastSeq} (${lastWhere})\n`,
                );
            }
            lastSeq = it.record.seq;
            lastWhere = where;
          } else if (it.report.tail && seg === segs.at(-1)) {
            // what a crash leaves at the end of the last write: repaired (truncated) on the next start
            torn++;
            io.stdout.write(`TORN TAIL ${corruptLine(it.report)} — crash residue, cut on the next start\n`);
          } else {
            bad++;
            io.stdout.write(`CORRUPT ${corruptLine(it.report)}\n`);
          }
        }
      } finally {
        scanner.close();
      }
    } catch (e) {
      if (!(e instanceof JournalFormatError)) throw e;
      foreign++;
      io.stdout.write(`BAD FILE ${e.message}\n`);
    }
  }
  if (faultsBefore + seqFaults > 20)
    io.stdout.write(`SEQUENCE … ${faultsBefore + seqFaults - Math.max(20, faultsBefore)} more\n`);
  st.lastSeq = lastSeq;
  st.lastWhere = lastWhere;
  st.seqFaults += seqFaults;
  const summary = `verified ${records} records in ${segs.length} segments: ${bad} corrupt ranges, ${foreign} unreadable files, ${seqFaults} duplicate or non-monotonic sequence numbers${torn > 0 ? `, ${torn} torn tail (a crash's, cut on the next start)` : ''}`;
  if (bad > 0 || foreign > 0 || seqFaults > 0) {
    io.stderr.write(`${summary}\n`);
    return foreign > 0 ? 2 : 1;
  }
  io.stdout.write(`${summary}\nOK\n`);
  return 0;
}

// ---- export / tail ----

/** One export line for a record: stamps plus data as UTF-8 text, or base64 with `"base64":true`. */
export function exportLine(r: JournalRecord): string {
  const base = {
    seq: r.seq,
    time: r.time,
    epoch: r.epoch,
    kind: RECORD_KIND_NAMES[r.kind],
    channel: r.channel,
    source: r.source ?? defaultSource(r.kind),
  };
  let text: string | null = null;
  try {
    text = utf8.decode(r.data);
  } catch {
    text = null;
  }
  if (text !== null) return JSON.stringify({ ...base, data: text });
  return JSON.stringify({ ...base, data: Buffer.from(r.data).toString('base64'), base64: true });
}

function exportLines(days: readonly string[], args: ParsedArgs, io: CommandIO): number {
  let corrupt = 0;
  const onCorrupt = (c: CorruptReport): void => {
    corrupt++;
    io.stderr.write(`corrupt: ${corruptLine(c)}\n`);
  };
  let out = '';
  for (const dir of days) {
    for (const e of readJournal(dir, { ...args.range, onCorrupt })) {
      out += `${exportLine(e.record)}\n`;
      if (out.length > 1 << 16) {
        io.stdout.write(out);
        out = '';
      }
    }
  }
  if (out) io.stdout.write(out);
  // corruption is reported on stderr; `verify` is the command whose exit status reflects it
  if (corrupt > 0) io.stderr.write(`export: ${corrupt} corrupt ranges skipped\n`);
  return 0;
}

async function tail(dir: string, args: ParsedArgs, io: CommandIO): Promise<number> {
  const clock = io.clock ?? new SystemClock();
  let failed = false;
  // a day folder of a journal root: the days after it are followed too, as the writer rolls into them
  const root = dirname(dir);
  const day = basename(dir);
  const followsDays = isDayName(day);
  const h = followJournal(dir, {
    ...args.range,
    ...(followsDays
      ? {
          segments: () =>
            dayFolders(root)
              .filter((d) => d >= day)
              .flatMap((d) => listSegments(join(root, d))),
        }
      : {}),
    clock,
    pollMs: args.pollMs ?? 200,
    fromEnd: args.flags.has('--from-end'),
    onRecord: (e: JournalEntry) => io.stdout.write(`${exportLine(e.record)}\n`),
    onCorrupt: (c) => io.stderr.write(`corrupt: ${corruptLine(c)}\n`),
    onError: (e) => {
      failed = true;
      io.stderr.write(`journal tail: ${e.message}\n`);
    },
  });
  if (io.signal) {
    if (io.signal.aborted) h.stop();
    else io.signal.addEventListener('abort', () => h.stop(), { once: true });
  }
  await h.done;
  return failed ? 2 : 0;
}

// ---- compact / prune ----

/**
 * The days of a journal root that compact and prune may not touch: today's (UTC, by `clock`) and, while an
 * instance holds the data dir's lock, the newest day (the one it writes). Returns the lock taken for the
 * operation (null when an instance runs, or when `root` is not in a data dir) and a reason per protected day.
 */
function guardDays(
  dataDir: string | null,
  root: string,
  today: string,
  command: string,
): { protect: Map<string, string>; release: () => void } {
  const protect = new Map<string, string>([[today, 'today']]);
  let release = () => {};
  if (dataDir !== null) {
    const newest = dayFolders(root).at(-1);
    const running = readLock(dataDir);
    if (running?.alive) {
      if (newest !== undefined)
        protect.set(newest, `being written by the running instance, ${describeHolder(running.holder)}`);
    } else {
      try {
        const lock = lockDataDir(dataDir, `journal ${command}`);
        release = () => lock.release();
      } catch (e) {
        if (!(e instanceof DataDirLockedError)) throw e;
        if (newest !== undefined) protect.set(newest, `being written by the running instance (${e.message})`);
      }
    }
  }
  return { protect, release };
}

function retention(cmd: 'compact' | 'prune', dir: string, args: ParsedArgs, io: CommandIO): number {
  if (cmd === 'compact' && args.olderThan === undefined)
    throw new UsageError(`--older-than N (days) is required\n${HELP.compact}`);
  if (cmd === 'prune' && args.keep === undefined)
    throw new UsageError(`--keep N (days) is required\n${HELP.prune}`);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new NoJournalError(`${dir} is not a directory`);
  if (listSegments(dir).length > 0)
    throw new UsageError(
      `${dir} is one day's journal; name the data dir or the journal root that holds the days`,
    );
  const root = journalRootOf(dir);
  const all = dayFolders(root);
  if (all.length === 0) journalDays(dir); // throws NoJournalError saying what it found
  const dataDir = root !== dir ? dir : basename(root) === 'journal' ? dirname(root) : null;
  const now = (io.clock ?? new SystemClock()).now();
  const today = dayOf(now);
  const { protect, release } = guardDays(dataDir, root, today, cmd);
  try {
    return cmd === 'compact'
      ? compact(root, all, dayOf(now - args.olderThan! * 86_400_000), protect, args, io)
      : prune(root, all, args.keep!, protect, args, io);
  } finally {
    release();
  }
}

function ratioOf(bytesIn: number, bytesOut: number): number {
  return bytesOut > 0 ? bytesIn / bytesOut : 1;
}

function compact(
  root: string,
  all: readonly string[],
  before: string,
  protect: ReadonlyMap<string, string>,
  args: ParsedArgs,
  io: CommandIO,
): number {
  const results: Array<CompactResult & { day: string; ratio: number }> = [];
  const skipped: Array<{ day: string; reason: string }> = [];
  for (const d of all) {
    if (d >= before) continue;
    const why = protect.get(d);
    if (why !== undefined) {
      skipped.push({ day: d, reason: why });
      continue;
    }
    const r = compactDay(join(root, d));
    results.push({ ...r, day: d, ratio: ratioOf(r.bytesIn, r.bytesOut) });
  }
  const bytesIn = results.reduce((n, r) => n + r.bytesIn, 0);
  const bytesOut = results.reduce((n, r) => n + r.bytesOut, 0);
  const total = { days: results.length, bytesIn, bytesOut, ratio: ratioOf(bytesIn, bytesOut) };
  if (args.flags.has('--json')) {
    io.stdout.write(`${JSON.stringify({ root, olderThan: before, compacted: results, skipped, total })}\n`);
    return 0;
  }
  const lines = [`journal compact ${root}: days before ${before}`];
  for (const r of results)
    lines.push(
      r.segments === 0
        ? `  ${r.day}: already compacted (${r.alreadyCompressed} segments)`
        : `  ${r.day}: ${r.segments} segments, ${r.bytesIn} → ${r.bytesOut} bytes, ratio ${r.ratio.toFixed(2)}`,
    );
  for (const s of skipped) lines.push(`  ${s.day}: left as it is (${s.reason})`);
  lines.push(
    results.length === 0
      ? 'nothing to compact'
      : `compacted ${total.days} days: ${bytesIn} → ${bytesOut} bytes, ratio ${total.ratio.toFixed(2)}`,
  );
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function prune(
  root: string,
  all: readonly string[],
  keep: number,
  protect: ReadonlyMap<string, string>,
  args: ParsedArgs,
  io: CommandIO,
): number {
  const beyond = all.slice(0, Math.max(0, all.length - keep));
  const deleted: Array<{ day: string; bytes: number }> = [];
  const skipped: Array<{ day: string; reason: string }> = [];
  for (const d of beyond) {
    const why = protect.get(d);
    if (why !== undefined) {
      skipped.push({ day: d, reason: why });
      continue;
    }
    const bytes = dayBytes(join(root, d));
    removeDay(root, d);
    deleted.push({ day: d, bytes });
  }
  const kept = all.filter((d) => !deleted.some((x) => x.day === d));
  if (args.flags.has('--json')) {
    io.stdout.write(`${JSON.stringify({ root, keep, deleted, skipped, kept })}\n`);
    return 0;
  }
  const lines = [`journal prune ${root}: keep the newest ${keep} of ${all.length} days`];
  for (const x of deleted) lines.push(`  deleted ${x.day} (${x.bytes} bytes)`);
  for (const s of skipped) lines.push(`  kept ${s.day} (${s.reason})`);
  lines.push(
    `${deleted.length === 0 ? 'nothing to prune' : `deleted ${deleted.length} days`}; kept ${kept.length}: ${kept.join(', ') || '-'}`,
  );
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

class UsageError extends Error {}
