/**
 * One instance per data dir: an exclusive lock file (`<dataDir>/LOCK`, created with O_EXCL, mode 0600)
 * naming its holder (pid, host, the process's start time, command, since). A second instance is refused
 * with a message naming the holder. A lock left by a process that is gone — its pid no longer runs, or runs
 * a different process (another start time: the pid was reused) — is stale and taken over atomically (the
 * stale file is renamed away first, so two contenders cannot both take it).
 */
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface LockHolder {
  pid: number;
  host: string;
  /** The process's start time in clock ticks since boot (Linux /proc), null where unknown. */
  procStart: string | null;
  command: string;
  since: string;
  /** Where the holder's dashboard listens (origin, without the token), once it does. */
  dashboard?: string;
  /** Where its stand-alone metrics server listens (origin), which also answers `runtime status`. */
  status?: string;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder | null,
    detail: string,
  ) {
    super(detail);
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Stale locks of dead processes this one took over (their holders), for the log. */
  readonly tookOver: LockHolder[];
  /** Record where this instance can be reached (for `runtime status`), atomically (write, then rename). */
  annotate(extra: { dashboard?: string; status?: string }): void;
  release(): void;
}

export const LOCK_FILE = 'LOCK';

/** Field 22 of /proc/<pid>/stat (start time since boot), or null where there is no /proc. */
export function procStartOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: count from the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // runs, as another user
  }
}

function parseHolder(text: string): LockHolder | null {
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.pid !== 'number' || typeof h.host !== 'string') return null;
    return {
      pid: h.pid,
      host: h.host,
      procStart: typeof h.procStart === 'string' ? h.procStart : null,
      command: typeof h.command === 'string' ? h.command : '?',
      since: typeof h.since === 'string' ? h.since : '?',
      ...(typeof h.dashboard === 'string' ? { dashboard: h.dashboard } : {}),
      ...(typeof h.status === 'string' ? { status: h.status } : {}),
    };
  } catch {
    return null;
  }
}

/** Is the holder's process still the one that took the lock? */
export function holderAlive(h: LockHolder): boolean {
  if (h.host !== hostname()) return true; // cannot tell from here: assume it runs
  if (!pidRuns(h.pid)) return false;
  if (h.procStart === null) return true;
  const now = procStartOf(h.pid);
  return now === null || now === h.procStart;
}

/** The data dir's lock holder as the file says (null: no lock, or unreadable), and whether it still runs. */
export function readLock(dir: string): { holder: LockHolder; alive: boolean } | null {
  let text: string;
  try {
    text = readFileSync(join(dir, LOCK_FILE), 'utf8');
  } catch {
    return null;
  }
  const holder = parseHolder(text);
  return holder ? { holder, alive: holderAlive(holder) } : null;
}

export function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} on ${h.host} (${h.command}, since ${h.since})`;
}

/**
 * Take the data dir's lock or throw `DataDirLockedError` naming the holder. The directory is created
 * (mode 0700) when missing. The lock is released by `release()` and, as a last resort, at process exit.
 */
export function lockDataDir(dir: string, command: string, now: () => Date = () => new Date()): DataDirLock {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, LOCK_FILE);
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    procStart: procStartOf(process.pid),
    command,
    since: now().toISOString(),
  };
  const tookOver: LockHolder[] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let text = '';
      try {
        text = readFileSync(path, 'utf8');
      } catch (re) {
        if ((re as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile: try again
        throw re;
      }
      const holder = parseHolder(text);
      if (holder && holderAlive(holder)) {
        throw new DataDirLockedError(
          dir,
          holder,
          `data dir ${dir} is in use by ${describeHolder(holder)}: stop that instance first` +
            (holder.host !== me.host ? ` (another host: remove ${path} by hand if it is gone)` : ''),
        );
      }
      // stale (its process is gone) or unreadable (a crash while writing it): move it aside atomically
      try {
        renameSync(path, `${path}.stale-${process.pid}-${attempt}`);
        unlinkSync(`${path}.stale-${process.pid}-${attempt}`);
      } catch (re) {
        if ((re as NodeJS.ErrnoException).code !== 'ENOENT') throw re; // another contender moved it first
      }
      if (holder) tookOver.push(holder);
      continue;
    }
    try {
      writeSync(fd, `${JSON.stringify(me)}\n`);
    } finally {
      closeSync(fd);
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      process.off('exit', release);
      try {
        const h = parseHolder(readFileSync(path, 'utf8'));
        if (h && h.pid === me.pid && h.host === me.host && h.since === me.since) unlinkSync(path);
      } catch {
        /* already gone */
      }
    };
    process.on('exit', release);
    const annotate = (extra: { dashboard?: string; status?: string }) => {
      if (released) return;
      Object.assign(me, extra);
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(me)}\n`, { mode: 0o600 });
      renameSync(tmp, path);
    };
    return { path, holder: me, tookOver, annotate, release };
  }
  throw new DataDirLockedError(dir, null, `data dir ${dir}: could not take its lock (contended)`);
}
