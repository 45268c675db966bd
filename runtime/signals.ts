/**
 * How a long-running command (start, record, sim) ends: on `--duration`, or on the first SIGINT, SIGTERM
 * or SIGHUP, it runs its graceful shutdown exactly once (stop entries, flatten if configured, stop the
 * feed, drain and fsync the journal) and then exits 0.
 *
 * - The first signal starts the graceful shutdown. A signal that arrives while the system is still
 *   starting is kept: the shutdown starts as soon as the system is up.
 * - Every further signal is logged and ignored: an impatient Ctrl-C never cuts the journal flush short.
 * - A grace deadline (default 60 s from the first signal, or from the start of a `--duration`
 *   shutdown) bounds the whole thing: a shutdown still running then is abandoned with a message and
 *   exit code 1. What was fsynced stays in the journal and a restart recovers from it, as after a crash.
 *   SIGKILL remains the way to stop at once.
 *
 * `installStopSignals()` takes the process's signals for good (the `runtime` bin calls it first thing
 * for start, record and sim, so a signal during startup is not lost and a signal during the last
 * clean-ups — dashboard, simulator — is still ignored rather than fatal). `runUntilDone` uses that
 * process-wide instance when there is one, and otherwise takes the signals only while it runs (tests,
 * in-process callers).
 */
import type { Clock } from '../state/clock.ts';
import type { RunningSystem, SystemSummary } from './system.ts';

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];
export type StopReason = StopSignal | 'duration';

/** How long a graceful shutdown may take before the process gives up on it (ms). */
export const DEFAULT_SHUTDOWN_GRACE_MS = 60_000;

/** Where signals come from: `process` in production, an EventEmitter in tests. */
export interface SignalSource {
  on(signal: StopSignal, listener: () => void): unknown;
  off(signal: StopSignal, listener: () => void): unknown;
}

export interface StopSignalOptions {
  /** Default `process`. */
  source?: SignalSource;
  /** Timers for the duration and the grace deadline; default real timers (the deadline's unref'd). */
  clock?: Clock;
  /** Default `DEFAULT_SHUTDOWN_GRACE_MS`. */
  graceMs?: number;
  /** One line per event (default: stderr). */
  log?: (line: string) => void;
  /** Called when the grace deadline passes (default `process.exit`). */
  exit?: (code: number) => void;
}

export interface StopSignals {
  /** Resolves with the first signal received (never rejects). */
  readonly signalled: Promise<StopSignal>;
  /** The first signal, or null. */
  first(): StopSignal | null;
  /** Signals received so far. */
  count(): number;
  /** The graceful shutdown has begun (for `reason`): arm the grace deadline if no signal did. */
  shuttingDown(reason: StopReason): void;
  /** Release the signals (back to Node's default handling) and disarm the deadline. */
  dispose(): void;
}

interface Timers {
  set(fn: () => void, ms: number, keepAlive: boolean): () => void;
}

function timersFrom(clock: Clock | undefined): Timers {
  if (clock)
    return {
      set: (fn, ms) => {
        const id = clock.setTimeout(fn, ms);
        return () => clock.clearTimeout(id);
      },
    };
  return {
    set: (fn, ms, keepAlive) => {
      const h = setTimeout(fn, ms);
      if (!keepAlive) h.unref();
      return () => clearTimeout(h);
    },
  };
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** Take SIGINT, SIGTERM and SIGHUP from `source` (see the module comment for what each one does). */
export function createStopSignals(opts: StopSignalOptions = {}): StopSignals {
  const source: SignalSource = opts.source ?? process;
  const timers = timersFrom(opts.clock);
  const now = () => (opts.clock ? opts.clock.now() : performance.now());
  const graceMs = opts.graceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
  const log = opts.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let first: StopSignal | null = null;
  let count = 0;
  let reason: StopReason | null = null;
  let deadline: { at: number; cancel: () => void } | null = null;
  let resolveSignalled: (s: StopSignal) => void = () => {};
  const signalled = new Promise<StopSignal>((resolve) => {
    resolveSignalled = resolve;
  });

  const arm = (why: StopReason) => {
    if (deadline) return;
    const cancel = timers.set(
      () => {
        log(
          `runtime: the graceful shutdown (${why}) did not finish within ${seconds(graceMs)}; exiting now with code 1 — ` +
            'the journal keeps what was fsynced and a restart recovers from it',
        );
        exit(1);
      },
      graceMs,
      false,
    );
    deadline = { at: now() + graceMs, cancel };
  };

  const listeners = STOP_SIGNALS.map((signal) => {
    const listener = () => {
      count++;
      if (first === null && reason === null) {
        first = signal;
        log(
          `runtime: ${signal} — graceful shutdown, then exit ` +
            `(further signals are ignored; forced exit after ${seconds(graceMs)})`,
        );
        arm(signal);
        resolveSignalled(signal);
        return;
      }
      first ??= signal;
      const left = deadline ? Math.max(0, deadline.at - now()) : graceMs;
      log(
        `runtime: ${signal} (signal ${count}) ignored: the graceful shutdown (${reason ?? first}) is running; ` +
          `forced exit in ${seconds(left)} if it has not finished (SIGKILL stops at once)`,
      );
    };
    source.on(signal, listener);
    return { signal, listener };
  });

  return {
    signalled,
    first: () => first,
    count: () => count,
    shuttingDown: (why) => {
      reason ??= why;
      arm(why);
    },
    dispose: () => {
      for (const { signal, listener } of listeners) source.off(signal, listener);
      deadline?.cancel();
    },
  };
}

let processWide: StopSignals | null = null;

/** Take the process's signals for the rest of its life (idempotent: later calls get the same instance). */
export function installStopSignals(opts: Omit<StopSignalOptions, 'source'> = {}): StopSignals {
  processWide ??= createStopSignals(opts);
  return processWide;
}

/** The process-wide instance, if `installStopSignals` was called. */
export function processStopSignals(): StopSignals | null {
  return processWide;
}

export interface RunOptions extends StopSignalOptions {
  /** Use these signals instead of the process-wide ones (or fresh ones taken for the run). */
  signals?: StopSignals;
}

/**
 * Wait for `durationS` (wall seconds; null = until a signal) or the first stop signal, then run `stop`
 * exactly once and return its result. For the long-running commands that are not a trading system
 * (`runtime sim`: `runUntilStopped(() => sim.close(), duration)`).
 */
export async function runUntilStopped<T>(
  stop: () => Promise<T>,
  durationS: number | null,
  opts: RunOptions = {},
): Promise<T> {
  const shared = opts.signals ?? processWide;
  const signals = shared ?? createStopSignals(opts);
  const timers = timersFrom(opts.clock);
  let cancelDuration = () => {};
  try {
    const reason = await new Promise<StopReason>((resolve) => {
      if (durationS !== null) cancelDuration = timers.set(() => resolve('duration'), durationS * 1000, true);
      void signals.signalled.then(resolve);
    });
    cancelDuration();
    signals.shuttingDown(reason);
    return await stop();
  } finally {
    cancelDuration();
    if (!shared) signals.dispose();
  }
}

/** Run until --duration elapses or SIGINT/SIGTERM/SIGHUP, then stop gracefully (once). */
export function runUntilDone(
  system: Pick<RunningSystem, 'stop'>,
  durationS: number | null,
  opts: RunOptions = {},
): Promise<SystemSummary> {
  return runUntilStopped(() => system.stop(), durationS, opts);
}
