/**
 * The `runtime` bin as an operator runs it: `node bin/runtime.mjs …` on the compiled build (dist/), in
 * one process, no loader. `ensureBuilt()` builds on demand (once at a time across vitest's worker
 * processes: a lock directory under .tmp/) until the bin itself agrees the build is fresh.
 * `spawnRuntime` starts the bin and waits on its output and files through events, each wait bounded.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'runtime.mjs');
const LOCK = join(ROOT, '.tmp', 'build.lock');

/** Resolve when `check()` is true, re-checked on each `subscribe` callback; reject after `ms`. */
export function waitUntil(
  check: () => boolean,
  what: string,
  ms: number,
  subscribe: (recheck: () => void) => () => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {};
    const finish = (err: Error | null) => {
      clearTimeout(timer);
      unsubscribe();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => finish(new Error(`timed out after ${ms} ms waiting for: ${what}`)), ms);
    const recheck = () => {
      try {
        if (check()) finish(null);
      } catch (e) {
        finish(e as Error);
      }
    };
    unsubscribe = subscribe(recheck);
    recheck();
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tryLock(): boolean {
  try {
    mkdirSync(LOCK, { recursive: false });
    writeFileSync(join(LOCK, 'pid'), String(process.pid));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    let holder = Number.NaN;
    try {
      holder = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
    } catch {
      // being created right now, or its creator died before writing its pid
      const st = statSync(LOCK, { throwIfNoEntry: false });
      if (st && Date.now() - st.mtimeMs > 30_000) rmSync(LOCK, { recursive: true, force: true });
      return false;
    }
    if (Number.isInteger(holder) && !alive(holder)) rmSync(LOCK, { recursive: true, force: true });
    return false;
  }
}

/** Exit code of `node bin/runtime.mjs --help`: 0 when the build is fresh, 2 (with a reason) when not. */
export function binFreshness(): { fresh: boolean; why: string } {
  const r = spawnSync(process.execPath, [BIN, '--help'], { cwd: ROOT, encoding: 'utf8' });
  return { fresh: r.status === 0, why: r.stderr.trim() };
}

/** Build dist/ unless the bin already finds it fresh; throws with the bin's reason after 3 attempts. */
export async function ensureBuilt(): Promise<void> {
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  await waitUntil(tryLock, 'the build lock (.tmp/build.lock)', 240_000, (recheck) => {
    const w = watch(join(ROOT, '.tmp'), recheck);
    const holderGone = setInterval(recheck, 1_000); // a holder that died leaves no fs event
    return () => {
      w.close();
      clearInterval(holderGone);
    };
  });
  try {
    let last = binFreshness();
    for (let attempt = 0; attempt < 3 && !last.fresh; attempt++) {
      const b = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const c = spawn('npm', ['run', 'build', '--silent'], { cwd: ROOT });
        let out = '';
        c.stdout.on('data', (d) => (out += String(d)));
        c.stderr.on('data', (d) => (out += String(d)));
        c.on('close', (code) => resolve({ code, out }));
      });
      if (b.code !== 0) throw new Error(`npm run build failed (${b.code}):\n${b.out}`);
      last = binFreshness(); // sources edited during the build make it stale again: build once more
    }
    if (!last.fresh) throw new Error(`the build stays stale: ${last.why}`);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

export interface RuntimeProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Wait (bounded) until the output satisfies `check` (re-checked on every chunk of stdout/stderr). */
  waitForOutput(check: (stdout: string, stderr: string) => boolean, what: string, ms?: number): Promise<void>;
  /** Wait (bounded) until the journal directory printed at start holds at least `bytes`. */
  waitForJournalBytes(bytes: number, ms?: number): Promise<string>;
}

/**
 * `node bin/runtime.mjs …args` with JSON logs; `via: 'npm start'` runs `npm start -- …` instead (args[0]
 * must be 'start'; `--ignore-scripts` skips the prestart build, done by `ensureBuilt`).
 */
export function spawnRuntime(
  args: string[],
  env: Record<string, string> = {},
  via: 'node' | 'npm start' = 'node',
): RuntimeProcess {
  const [cmd, argv] =
    via === 'node'
      ? [process.execPath, [BIN, ...args]]
      : ['npm', ['start', '--ignore-scripts', '--silent', '--', ...args.slice(1)]];
  if (via !== 'node' && args[0] !== 'start') throw new Error(`npm start runs 'start', not '${args[0]}'`);
  const child = spawn(cmd, argv, {
    cwd: ROOT,
    env: { ...process.env, LOG_FORMAT: 'json', ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b) => (out += String(b)));
  child.stderr.on('data', (b) => (err += String(b)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const onOutput = (recheck: () => void) => {
    const stop = () => recheck();
    child.stdout.on('data', recheck);
    child.stderr.on('data', recheck);
    child.on('close', stop);
    return () => {
      child.stdout.off('data', recheck);
      child.stderr.off('data', recheck);
      child.off('close', stop);
    };
  };
  const p: RuntimeProcess = {
    child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput: (check, what, ms = 120_000) =>
      waitUntil(
        () => {
          if (check(out, err)) return true;
          if (child.exitCode !== null || child.signalCode !== null)
            throw new Error(`exited (${child.exitCode ?? child.signalCode}) before: ${what}\n${err}`);
          return false;
        },
        what,
        ms,
        onOutput,
      ),
    waitForJournalBytes: async (bytes, ms = 120_000) => {
      await p.waitForOutput((o) => /^journal: .+$/m.test(o), 'the journal line');
      const dir = /^journal: (.+)$/m.exec(out)![1]!.trim();
      const size = () =>
        existsSync(dir) ? readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0) : 0;
      await waitUntil(
        () => size() >= bytes,
        `${bytes} bytes journaled in ${dir}`,
        ms,
        (recheck) => {
          mkdirSync(dir, { recursive: true });
          const w = watch(dir, recheck);
          const unsub = onOutput(recheck);
          return () => {
            w.close();
            unsub();
          };
        },
      );
      return dir;
    },
  };
  return p;
}

/** The processes (other than `except`) whose command line mentions `needle`, from /proc. */
export function processesMentioning(
  needle: string,
  except: number[] = [],
): Array<{ pid: number; cmd: string }> {
  const found: Array<{ pid: number; cmd: string }> = [];
  for (const e of readdirSync('/proc')) {
    const pid = Number(e);
    if (!Number.isInteger(pid) || except.includes(pid) || pid === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (cmd.includes(needle)) found.push({ pid, cmd });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Child processes of `pid` (every thread's children), from /proc. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    const f = `/proc/${pid}/task/${t}/children`;
    if (existsSync(f)) out.push(...readFileSync(f, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  }
  return out;
}

/** The last line of stdout as JSON (the `--json` summary). */
export function lastJson(stdout: string): Record<string, any> {
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}
