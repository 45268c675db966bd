/**
 * A progress bar for long replays: on a TTY one line redrawn in place (at most every `redrawMs`), else
 * a plain line every `intervalMs`; both with rate and ETA. Time comes from `clock` (ms); without one
 * the host's monotonic clock is used (the runtime is the composition root).
 */
import { performance } from 'node:perf_hooks';

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** Units of work in total (0 or non-finite: unknown; no percentage or ETA). */
  total: number;
  label?: string;
  /** Default process.stderr. */
  stream?: ProgressStream;
  clock?: { now(): number };
  /** Force TTY (true) or plain (false) output; default `stream.isTTY`. */
  tty?: boolean;
  /** Plain mode: one line at most this often (default 5000 ms). */
  intervalMs?: number;
  /** TTY mode: redraw at most this often (default 100 ms). */
  redrawMs?: number;
  /** Unit name shown after the rate (default none: "/s"). */
  unit?: string;
}

export type ProgressExtra = string | Record<string, string | number | boolean | null | undefined>;

export interface Progress {
  update(done: number, extra?: ProgressExtra): void;
  /** Final line (TTY: completes the bar and ends the line). Idempotent. */
  finish(extra?: ProgressExtra): void;
  /** Updates ignored for a bad `done` (non-finite or negative). */
  readonly rejected: number;
}

/** 950 → "950", 12 345 → "12.3k", 4.2e6 → "4.20M". */
export function humanCount(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e9) return (x / 1e9).toFixed(2) + 'G';
  if (a >= 1e6) return (x / 1e6).toFixed(2) + 'M';
  if (a >= 1e4) return (x / 1e3).toFixed(1) + 'k';
  if (a >= 100 || Number.isInteger(x)) return Math.round(x).toString();
  return x.toFixed(1);
}

/** Seconds → "42s", "3:07", "1:02:03". */
export function humanDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

function extraText(extra: ProgressExtra | undefined): string {
  if (extra === undefined) return '';
  if (typeof extra === 'string') return extra;
  return Object.entries(extra)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? humanCount(v) : String(v)}`)
    .join(' ');
}

export function createProgress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  const clock = opts.clock ?? { now: () => performance.now() };
  const tty = opts.tty ?? stream.isTTY === true;
  const total = Number.isFinite(opts.total) && opts.total > 0 ? opts.total : 0;
  const label = opts.label ?? 'progress';
  const intervalMs = opts.intervalMs ?? 5_000;
  const redrawMs = opts.redrawMs ?? 100;
  const unit = opts.unit ? ` ${opts.unit}/s` : '/s';
  const start = clock.now();
  let lastOut = Number.NEGATIVE_INFINITY;
  let lastPlain = start;
  let done = 0;
  let extra: ProgressExtra | undefined;
  let finished = false;
  let rejected = 0;
  let drawnWidth = 0;

  const figures = (now: number) => {
    const elapsed = Math.max(0, (now - start) / 1000);
    const rate = elapsed > 0 ? done / elapsed : 0;
    const frac = total > 0 ? Math.min(1, done / total) : null;
    const eta = total > 0 && rate > 0 ? Math.max(0, total - done) / rate : null;
    return { elapsed, rate, frac, eta };
  };

  const text = (now: number, final: boolean): { head: string; tail: string; frac: number | null } => {
    const f = figures(now);
    const count = total > 0 ? `${humanCount(done)}/${humanCount(total)}` : humanCount(done);
    const pct = f.frac !== null ? `${(f.frac * 100).toFixed(1)}%` : '';
    const timing = final
      ? `in ${humanDuration(f.elapsed)}`
      : f.eta !== null
        ? `ETA ${humanDuration(f.eta)}`
        : `elapsed ${humanDuration(f.elapsed)}`;
    const ex = extraText(extra);
    const tail = [pct, count, `${humanCount(f.rate)}${unit}`, timing, ex]
      .filter((s) => s.length > 0)
      .join(' ');
    return { head: label, tail, frac: f.frac };
  };

  const drawTty = (now: number, final: boolean): void => {
    const t = text(now, final);
    const cols = stream.columns && stream.columns > 20 ? stream.columns : 80;
    let line: string;
    if (t.frac !== null) {
      const room = cols - t.head.length - t.tail.length - 5;
      const width = Math.max(10, Math.min(40, room));
      const filled = Math.round(t.frac * width);
      line = `${t.head} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${t.tail}`;
    } else line = `${t.head} ${t.tail}`;
    if (line.length > cols - 1) line = line.slice(0, cols - 1);
    // \r + erase line: the bar is redrawn in place
    const pad = drawnWidth > line.length ? ' '.repeat(drawnWidth - line.length) : '';
    stream.write(`\r\x1b[2K${line}${pad}${final ? '\n' : ''}`);
    drawnWidth = line.length;
    lastOut = now;
  };

  const drawPlain = (now: number, final: boolean): void => {
    const t = text(now, final);
    stream.write(`${t.head}: ${final ? 'done ' : ''}${t.tail}\n`);
    lastPlain = now;
  };

  return {
    get rejected() {
      return rejected;
    },
    update(n, ex) {
      if (finished) return;
      if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
        rejected++;
        return;
      }
      done = n;
      if (ex !== undefined) extra = ex;
      const now = clock.now();
      if (tty) {
        if (now - lastOut >= redrawMs) drawTty(now, false);
      } else if (now - lastPlain >= intervalMs) drawPlain(now, false);
    },
    finish(ex) {
      if (finished) return;
      finished = true;
      if (ex !== undefined) extra = ex;
      const now = clock.now();
      if (tty) drawTty(now, true);
      else drawPlain(now, true);
    },
  };
}
