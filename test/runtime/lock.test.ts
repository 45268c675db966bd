/**
 * One instance per data dir (issue 20, defect 3): the lock refuses a second holder and names the first;
 * a stale lock (dead pid, reused pid, torn file) is taken over; release removes only our own lock.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE, lockDataDir, procStartOf } from '../../runtime/lock.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'lock-'));
  dirs.push(d);
  return d;
};

/** The pid of a process that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('data dir lock', () => {
  it('refuses a second instance with a message naming the holder', () => {
    const dir = tmp();
    const a = lockDataDir(dir, 'runtime start');
    expect(statSync(a.path).mode & 0o777).toBe(0o600);
    let err: unknown;
    try {
      lockDataDir(dir, 'runtime record');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect((err as Error).message).toContain(`pid ${process.pid}`);
    expect((err as Error).message).toContain('runtime start');
    a.release();
    expect(existsSync(a.path)).toBe(false);
    const b = lockDataDir(dir, 'runtime record');
    b.release();
  });

  it('takes over a stale lock whose process is gone', () => {
    const dir = tmp();
    const pid = deadPid();
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid, host: hostname(), procStart: null, command: 'runtime start', since: 'x' }),
    );
    const l = lockDataDir(dir, 'runtime start');
    expect(l.tookOver.map((h) => h.pid)).toEqual([pid]);
    expect(JSON.parse(readFileSync(l.path, 'utf8')).pid).toBe(process.pid);
    l.release();
  });

  it('takes over a lock whose pid now runs another process (pid reused: other start time)', () => {
    const dir = tmp();
    const start = procStartOf(process.pid);
    if (start === null) return expect(start).toBeNull(); // no /proc here: the pid check alone applies
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({
        pid: process.pid,
        host: hostname(),
        procStart: `${start}9`,
        command: 'old',
        since: 'x',
      }),
    );
    const l = lockDataDir(dir, 'runtime start');
    expect(l.tookOver).toHaveLength(1);
    l.release();
  });

  it('takes over a torn lock file (a crash while writing it)', () => {
    const dir = tmp();
    writeFileSync(join(dir, LOCK_FILE), '{"pid":');
    const l = lockDataDir(dir, 'runtime start');
    expect(l.tookOver).toEqual([]);
    l.release();
  });

  it('release leaves a lock that is not ours alone', () => {
    const dir = tmp();
    const l = lockDataDir(dir, 'runtime start');
    const other = { pid: 1, host: hostname(), procStart: null, command: 'other', since: 'y' };
    writeFileSync(l.path, JSON.stringify(other));
    l.release();
    expect(JSON.parse(readFileSync(l.path, 'utf8')).command).toBe('other');
  });
});
