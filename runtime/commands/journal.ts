/**
 * `runtime journal stats|verify|export|tail <dir>`: the journal's reader tools.
 * Exit codes: 0 fine, 1 corruption found (verify), 2 usage or unreadable journal.
 */
import { journalDays, NoJournalError } from '../../actors/journal/days.ts';
import { statSync } from 'node:fs';
import { type CorruptReport, JournalFormatError } from '../../actors/journal/format.ts';
import {
  followJournal,
  type JournalEntry,
  type ReadRange,
  readJournal,
} from '../../actors/journal/reader.ts';
import { listSegments } from '../../actors/journal/recovery.ts';
import { SegmentScanner } from '../../actors/journal/scan.ts';
import { SystemClock } from '../../actors/journal/system-clock.ts';
import type { Clock } from '../../state/clock.ts';
import { type ConnEvent, type JournalRecord, RECORD_KIND_NAMES, RecordKind } from '../../state/records.ts';

export interface CommandIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  /** Clock for `tail` polling (default: the system clock). */
  clock?: Clock;
  /** Stops `tail`. */
  signal?: AbortSignal;
}

const HELP: Record<string, string> = {
  journal: `usage: runtime journal <stats|verify|export|tail> <dir> [options]
  stats <dir> [--json]          counts per kind and channel, time range, gaps, corrupt records
  verify <dir>                  CRC-check every record and the sequence (strictly increasing); exit 1
                                after reporting every bad one
  export <dir> [range]          JSON lines, one record a line with its stamps
  tail <dir> [--from-end]       follow the journal as it is written (JSON lines)
run 'runtime journal <command> --help' for a command's options.
`,
  stats: `usage: runtime journal stats <dir> [--json]
  Counts by kind and by channel, first/last seq and time, gaps (seq discontinuities and 'gap'
  connection events) and corrupt records. --json prints one JSON object.
`,
  verify: `usage: runtime journal verify <dir>
  Checks the header of every segment and the CRC of every record. Reports every bad range
  (file, offset, length, reason); exits 1 if any, 2 if a file is not a journal segment.
`,
  export: `usage: runtime journal export <dir> [--from-seq N] [--to-seq N] [--from-time T] [--to-time T]
  One JSON object a line: {seq,time,epoch,kind,channel,data} with data as UTF-8 text, or base64
  with "base64":true when the bytes are not valid UTF-8. T is ms since epoch or an ISO date.
  Seq bounds are inclusive; --to-time is exclusive.
`,
  tail: `usage: runtime journal tail <dir> [--from-end] [--poll MS]
  Follows the journal as it is written and prints each record as export does.
  --from-end skips what is already there.
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
    // a day folder, a data dir or a journal root: every day in it, oldest first (tail may wait for a
    // folder that has no segment yet)
    let days: string[];
    try {
      days = journalDays(dir);
    } catch (e) {
      if (!(cmd === 'tail' && e instanceof NoJournalError && statSync(dir).isDirectory())) throw e;
      days = [dir];
    }
    switch (cmd) {
      case 'stats':
        if (days.length > 1) {
          io.stderr.write(
            `journal stats: ${dir} holds ${days.length} days; name one:\n${days.map((d) => `  ${d}`).join('\n')}\n`,
          );
          return 2;
        }
        return stats(days[0]!, args, io);
      case 'verify': {
        let worst = 0;
        for (const d of days) {
          if (days.length > 1) io.stdout.write(`== ${d}\n`);
          worst = Math.max(worst, verify(d, io));
        }
        return worst;
      }
      case 'export':
        for (const d of days) exportLines(d, args, io);
        return 0;
      default:
        // follow the latest day
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
  seqGaps: SeqGap[];
  connGaps: ConnGap[];
  /** Conn records whose payload is not a ConnEvent JSON. */
  badConnRecords: number;
  corrupt: CorruptReport[];
}

/** Stats of a journal directory; corrupt ranges are included, a foreign file throws. */
export function journalStats(dir: string): JournalStats {
  const s: JournalStats = {
    dir,
    segments: listSegments(dir).length,
    records: 0,
    bytes: 0,
    firstSeq: null,
    lastSeq: null,
    firstTime: null,
    lastTime: null,
    byKind: {},
    byChannel: {},
    seqGaps: [],
    connGaps: [],
    badConnRecords: 0,
    corrupt: [],
  };
  for (const e of readJournal(dir, { onCorrupt: (c) => s.corrupt.push(c) })) {
    const r = e.record;
    const kind = RECORD_KIND_NAMES[r.kind];
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

function stats(dir: string, args: ParsedArgs, io: CommandIO): number {
  const s = journalStats(dir);
  if (args.flags.has('--json')) {
    io.stdout.write(`${JSON.stringify(s)}\n`);
    return 0;
  }
  const lines: string[] = [];
  lines.push(`journal ${dir}`);
  lines.push(`segments ${s.segments}, records ${s.records}, bytes ${s.bytes}`);
  lines.push(`seq   ${s.firstSeq ?? '-'} .. ${s.lastSeq ?? '-'}`);
  lines.push(`time  ${iso(s.firstTime)} .. ${iso(s.lastTime)}`);
  lines.push('by kind:');
  for (const [k, n] of Object.entries(s.byKind)) lines.push(`  ${k.padEnd(10)} ${n}`);
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

function verify(dir: string, io: CommandIO): number {
  const segs = listSegments(dir);
  let records = 0;
  let bad = 0;
  let foreign = 0;
  // one process writes one strictly increasing sequence: a repeat or a step back means two writers (or a
  // bad copy) — the journal cannot be replayed as one clock
  let lastSeq = Number.NEGATIVE_INFINITY;
  let lastWhere = '';
  let seqFaults = 0;
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
              if (seqFaults <= 20)
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
  if (seqFaults > 20) io.stdout.write(`SEQUENCE … ${seqFaults - 20} more\n`);
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

function exportLines(dir: string, args: ParsedArgs, io: CommandIO): number {
  let corrupt = 0;
  const onCorrupt = (c: CorruptReport): void => {
    corrupt++;
    io.stderr.write(`corrupt: ${corruptLine(c)}\n`);
  };
  let out = '';
  for (const e of readJournal(dir, { ...args.range, onCorrupt })) {
    out += `${exportLine(e.record)}\n`;
    if (out.length > 1 << 16) {
      io.stdout.write(out);
      out = '';
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
  const h = followJournal(dir, {
    ...args.range,
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
