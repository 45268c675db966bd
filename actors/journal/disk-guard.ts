/**
 * The free-space floor of the data dir's filesystem (issue 16, "visibility over continuity"): checked once
 * before a start (`diskFloorProblem`: below the floor the process must not start) and, while running, every
 * `everyMs` of the injected clock through an injected `statfs`. Crossing below the floor — or the journal
 * writer meeting ENOSPC (`writeFailed`), whatever statfs says (quotas, reserved blocks) — emits one
 * `{ type: 'DISK', low: true, … }` command; space coming back (the floor plus a small margin, and no write
 * failure since the last check) emits `{ type: 'DISK', low: false, … }`. The system journals each as an
 * operator record, so the decision side stops new entries at the tick that reads it, and a replay does
 * the same. A statfs that fails is reported (`onError`) and counted, and never changes the state: a guard
 * that cannot see the disk neither raises nor lifts the alarm.
 */
import { existsSync, statfs, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock, TimerId } from '../../state/clock.ts';

/** What the guard journals (as an operator command). */
export interface DiskCommand {
  type: 'DISK';
  low: boolean;
  /** Bytes available to this process on the data dir's filesystem at the check. */
  freeBytes: number;
  floorBytes: number;
  path: string;
  /** Journal writes that failed for lack of space so far (ENOSPC): records kept in memory and retried. */
  noSpaceErrors: number;
  /** Why: the floor crossed, or the writer's last ENOSPC. */
  reason: string;
}

export interface FsSpace {
  /** Free blocks available to unprivileged users. */
  bavail: number | bigint;
  bsize: number | bigint;
}

export type StatFs = (path: string) => Promise<FsSpace>;
export type StatFsSync = (path: string) => FsSpace;

export const defaultStatFs: StatFs = (path) =>
  new Promise((resolve, reject) => statfs(path, (e, s) => (e ? reject(e) : resolve(s))));

export function freeBytesOf(s: FsSpace): number {
  return Number(s.bavail) * Number(s.bsize);
}

/** Null when the filesystem of `path` has at least `floorBytes` free; else the message a start refuses with. */
export function diskFloorProblem(
  path: string,
  floorBytes: number,
  statfs: StatFsSync = statfsSync,
): string | null {
  let free: number;
  try {
    free = freeBytesOf(statfs(path));
  } catch (e) {
    return `cannot read the free space of ${path}: ${(e as Error).message}`;
  }
  if (free >= floorBytes) return null;
  return (
    `${path} has ${formatBytes(free)} free, below the journal's floor of ${formatBytes(floorBytes)} ` +
    '(journal.minFreeBytes): free space (runtime journal compact|prune) or lower the floor, then start again'
  );
}

/** `path`, or its nearest ancestor that exists (a journal folder not created yet is on its parent's disk). */
export function existingPath(path: string): string {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]} (${n} bytes)`;
}

export interface DiskGuardOptions {
  /** A path on the filesystem to watch (the data dir or its journal). */
  path: string;
  floorBytes: number;
  clock: Clock;
  statfs?: StatFs;
  /** Check interval on `clock` (default 2 000 ms). */
  everyMs?: number;
  /** Free space must be back above floor + margin to lift the alarm (default min(1 % of the floor, 16 MiB)). */
  marginBytes?: number;
  /** A change: low, or space back. */
  onChange: (cmd: DiskCommand) => void;
  /** A check that could not read the filesystem (the state is kept). */
  onError?: (err: Error) => void;
}

export interface DiskGuardCounters {
  checks: number;
  statfsErrors: number;
  lows: number;
  noSpaceErrors: number;
}

export class DiskGuard {
  low = false;
  /** Free bytes at the last successful check (NaN before one). */
  freeBytes = Number.NaN;
  readonly counters: DiskGuardCounters = { checks: 0, statfsErrors: 0, lows: 0, noSpaceErrors: 0 };
  private timer: TimerId | null = null;
  private stopped = false;
  private checking: Promise<void> | null = null;
  /** ENOSPC messages since the last check. */
  private noSpaceSince: string | null = null;
  private readonly statfs: StatFs;
  private readonly everyMs: number;
  private readonly margin: number;

  constructor(private readonly o: DiskGuardOptions) {
    if (!(Number.isFinite(o.floorBytes) && o.floorBytes >= 0))
      throw new RangeError(`floorBytes ${o.floorBytes} is not a byte count`);
    this.statfs = o.statfs ?? defaultStatFs;
    this.everyMs = o.everyMs ?? 2_000;
    this.margin = o.marginBytes ?? Math.min(o.floorBytes / 100, 16 * 2 ** 20);
  }

  /** Check now, then every `everyMs`. */
  start(): Promise<void> {
    const first = this.check();
    this.schedule();
    return first;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.o.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * The journal writer met ENOSPC: its records are kept in memory and retried; the alarm goes up at once
   * (a check runs now) and stays up until a check finds space and no further failure.
   */
  writeFailed(message: string): Promise<void> {
    this.counters.noSpaceErrors++;
    this.noSpaceSince = message;
    return this.check();
  }

  /** One check (checks never overlap: a check asked for during one waits for it, then runs). */
  check(): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.stopped) return;
      let free: number;
      try {
        free = freeBytesOf(await this.statfs(this.o.path));
      } catch (e) {
        this.counters.statfsErrors++;
        this.o.onError?.(new Error(`disk guard: statfs ${this.o.path}: ${(e as Error).message}`));
        return;
      }
      if (this.stopped) return;
      this.counters.checks++;
      this.freeBytes = free;
      const noSpace = this.noSpaceSince;
      this.noSpaceSince = null;
      if (!this.low && (free < this.o.floorBytes || noSpace !== null)) {
        this.low = true;
        this.counters.lows++;
        this.emit(
          true,
          free,
          noSpace !== null
            ? `journal write failed: ${noSpace}`
            : `free space ${formatBytes(free)} below the floor ${formatBytes(this.o.floorBytes)}`,
        );
      } else if (this.low && free >= this.o.floorBytes + this.margin && noSpace === null) {
        this.low = false;
        this.emit(false, free, `free space ${formatBytes(free)} back above the floor`);
      }
    };
    const prev = this.checking ?? Promise.resolve();
    const next = prev.then(run);
    this.checking = next;
    return next.finally(() => {
      if (this.checking === next) this.checking = null;
    });
  }

  private emit(low: boolean, freeBytes: number, reason: string): void {
    this.o.onChange({
      type: 'DISK',
      low,
      freeBytes,
      floorBytes: this.o.floorBytes,
      path: this.o.path,
      noSpaceErrors: this.counters.noSpaceErrors,
      reason,
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = null;
      void this.check().finally(() => this.schedule());
    }, this.everyMs);
  }
}

/** Start a guard (first check now, then periodic). */
export function startDiskGuard(o: DiskGuardOptions): DiskGuard {
  const g = new DiskGuard(o);
  void g.start();
  return g;
}
