/**
 * The replay driver: reads a journal (all of it or a seq/time range) and feeds every record to a sink —
 * the same ingest path as live — after advancing a `ManualClock` to the record's time, so timers due
 * between two records fire at their own due times first. Runs as fast as possible, or at ×N speed paced
 * against an injected real clock. Emits progress and done/error. Given the same journal and sink it
 * produces the same sequence of (clock time, record) deliveries every time.
 */
import { fromCallback } from 'xstate';
import type { CorruptReport } from '../actors/journal/format.ts';
import { type ReadRange, readJournal } from '../actors/journal/reader.ts';
import type { Clock, ManualClock } from '../state/clock.ts';
import type { JournalRecord } from '../state/records.ts';

export interface ReplayInput {
  dir: string;
  range?: ReadRange;
  sink: (record: JournalRecord) => void;
  /** The simulated clock handed to everything downstream; advanced to each record's time. */
  clock: ManualClock;
  /** Replay speed factor; undefined or Infinity = as fast as possible. */
  speed?: number;
  /** Real clock for ×N pacing (required when `speed` is finite). */
  realClock?: Clock;
  /** Records delivered per turn before yielding to the event loop (default 4096). */
  batch?: number;
  /** Progress every N records (default 10 000), and once at the end. */
  progressEvery?: number;
}

export interface ReplayProgress {
  type: 'replay.progress';
  records: number;
  bytes: number;
  /** Record time of the last delivered record. */
  time: number;
  seq: number;
}

export interface ReplayDone {
  type: 'replay.done';
  records: number;
  bytes: number;
  firstTime: number;
  lastTime: number;
  corrupt: CorruptReport[];
  /** Records whose time was before the clock's time (delivered at the clock's time). */
  timeRegressions: number;
  stopped: boolean;
}

export interface ReplayError {
  type: 'replay.error';
  error: string;
}

export type ReplayEmitted = ReplayProgress | ReplayDone | ReplayError;
export type ReplayCommand = { type: 'replay.stop' };

export interface ReplayHooks {
  onProgress?: (p: ReplayProgress) => void;
  /** Polled between records; true stops the replay. */
  shouldStop?: () => boolean;
}

/** Run a replay to the end (or until stopped). Rejects on an unreadable journal; corruption is reported. */
export async function runReplay(input: ReplayInput, hooks: ReplayHooks = {}): Promise<ReplayDone> {
  const speed = input.speed ?? Number.POSITIVE_INFINITY;
  if (!(speed > 0)) throw new Error(`replay speed must be > 0, got ${speed}`);
  const paced = Number.isFinite(speed);
  const real = input.realClock;
  if (paced && !real) throw new Error('replay at ×N speed needs a realClock to pace against');
  const batch = input.batch ?? 4096;
  const progressEvery = input.progressEvery ?? 10_000;
  const clock = input.clock;
  const corrupt: CorruptReport[] = [];
  let records = 0;
  let bytes = 0;
  let firstTime = Number.NaN;
  let lastTime = Number.NaN;
  let lastSeq = -1;
  let timeRegressions = 0;
  let stopped = false;
  let realStart = 0;
  let inTurn = 0;

  for (const e of readJournal(input.dir, { ...input.range, onCorrupt: (c) => corrupt.push(c) })) {
    if (hooks.shouldStop?.()) {
      stopped = true;
      break;
    }
    const r = e.record;
    if (records === 0) {
      firstTime = r.time;
      if (real) realStart = real.now();
    }
    if (paced) {
      const due = realStart + (r.time - firstTime) / speed;
      const wait = due - real!.now();
      if (wait > 0.5) {
        await new Promise<void>((res) => real!.setTimeout(res, wait));
        inTurn = 0;
        if (hooks.shouldStop?.()) {
          stopped = true;
          break;
        }
      }
    }
    if (r.time >= clock.now()) clock.advanceTo(r.time);
    else timeRegressions++;
    input.sink(r);
    records++;
    bytes += e.size;
    lastTime = r.time;
    lastSeq = r.seq;
    if (records % progressEvery === 0) {
      hooks.onProgress?.({ type: 'replay.progress', records, bytes, time: lastTime, seq: lastSeq });
    }
    if (++inTurn >= batch) {
      inTurn = 0;
      // yield so messages (stop, I/O) are handled between batches; not a timer: nothing waits on time
      await new Promise<void>((res) => setImmediate(res));
    }
  }
  hooks.onProgress?.({ type: 'replay.progress', records, bytes, time: lastTime, seq: lastSeq });
  return { type: 'replay.done', records, bytes, firstTime, lastTime, corrupt, timeRegressions, stopped };
}

/**
 * The replay driver as an XState v5 actor. Progress, done and error are both sent to the parent
 * (`sendBack`) and emitted (`actor.on('replay.done', …)`). Send `{ type: 'replay.stop' }` to stop early.
 */
export const replayDriver = fromCallback<ReplayCommand, ReplayInput, ReplayEmitted>(
  ({ input, sendBack, receive, emit }) => {
    let stop = false;
    let disposed = false;
    receive((ev) => {
      if (ev.type === 'replay.stop') stop = true;
    });
    const out = (ev: ReplayEmitted): void => {
      if (disposed) return;
      sendBack(ev);
      emit(ev);
    };
    // start on the next turn so the parent has the actor before the first event
    const started = Promise.resolve().then(() =>
      runReplay(input, { onProgress: out, shouldStop: () => stop }),
    );
    started.then(
      (done) => out(done),
      (e: unknown) => out({ type: 'replay.error', error: e instanceof Error ? e.message : String(e) }),
    );
    return () => {
      stop = true;
      disposed = true;
    };
  },
);
