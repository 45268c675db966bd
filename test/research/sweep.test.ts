/**
 * Issue 19 done-when: a sweep of 54 configs over a two-day simulated data dir runs on every local core
 * (`runtime sweep`, worker pool), and the same sweep through Redis (a real `redis-server` on a free
 * loopback port) with two `runtime worker` processes gives identical results; a worker killed (SIGKILL)
 * mid-run loses no result — its run goes back to the queue when its lock expires and the other worker
 * runs it. A second sweep over the same range recomputes nothing (every result read from the cache).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../research/sweep.ts';
import { sweepCommand } from '../../runtime/commands/sweep.ts';
import { tempDir } from '../journal/helpers.ts';
import { ROOT } from '../setup/runtime-bin.ts';
import { simDataDir } from './sweep-fixture.ts';

const t = tempDir('sweep');
const GRID = {
  grid: {
    'risk.riskPerTrade': [0.0025, 0.005, 0.01],
    'regime.confirmTicks': [2, 3, 4],
    'strategies.geometry.enabled': [true, false],
    'paper.takerFee': [0.00035, 0.00045, 0.00055],
  },
};
const spec = join(t.dir, 'sweep.json');

interface SweepJson {
  where: string;
  perThread: number[] | null;
  path: string;
  points: number;
  configs: number;
  cached: number;
  ran: number;
  results: RunResult[];
}

async function sweep(args: string[]): Promise<{ code: number; json: SweepJson | null; err: string }> {
  let out = '';
  let err = '';
  const code = await sweepCommand([join(t.dir), '--grid', spec, '--json', ...args], {
    stdout: (s) => {
      out += s;
    },
    stderr: (s) => {
      err += `${s}\n`;
    },
  });
  return { code, json: out ? (JSON.parse(out) as SweepJson) : null, err };
}

// ------------------------------------------------------------------ processes

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

interface Proc {
  child: ChildProcessWithoutNullStreams;
  text: () => string;
  /** Resolves when the output matches `re` (checked on every chunk); rejects after `ms` or on exit. */
  waitFor: (re: RegExp, ms: number) => Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

function watch(child: ChildProcessWithoutNullStreams, name: string): Proc {
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (b: Buffer) => {
    text += b.toString();
    for (const w of [...waiters]) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return {
    child,
    text: () => text,
    exited,
    waitFor: (re, ms) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = text.match(re);
          if (!m) return;
          done();
          resolve(m);
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(`${name}: timed out after ${ms} ms waiting for ${re}; output:\n${text.slice(-2000)}`),
          );
        }, ms);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        void exited.then(() => {
          if (!waiters.has(check)) return;
          done();
          reject(new Error(`${name} exited while waiting for ${re}; output:\n${text.slice(-2000)}`));
        });
        check();
      }),
  };
}

let redis: Proc | null = null;
let redisUrl = '';
const workers: Proc[] = [];

function startWorker(queue: string, extra: string[] = []): Proc {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'runtime', 'cli.ts'),
      'worker',
      '--redis',
      redisUrl,
      '--queue',
      queue,
      '--threads',
      '1',
      ...extra,
    ],
    { cwd: ROOT, stdio: 'pipe' },
  );
  const p = watch(child, `worker ${workers.length}`);
  workers.push(p);
  return p;
}

async function stopWorker(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  await p.exited;
}

const completedBy = (p: Proc) => [...p.text().matchAll(/worker: completed (\S+)/g)].map((m) => m[1]!);

beforeAll(async () => {
  writeFileSync(spec, JSON.stringify(GRID));
  const d = await simDataDir({
    dir: t.dir,
    days: ['2026-11-18', '2026-11-19'],
    minutes: 96,
    scenario: 'exhaustion',
    seed: 7,
    coins: ['BTC'],
    tickMs: 5_000,
  });
  console.log(
    `sweep data: 2 days, ${d.records} records, ${(d.marketMs / 3_600_000).toFixed(2)} market hours`,
  );
  const port = await freePort();
  redisUrl = `redis://127.0.0.1:${port}`;
  redis = watch(
    spawn(
      '/usr/bin/redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'pipe',
      },
    ),
    'redis-server',
  );
  await redis.waitFor(/Ready to accept connections/, 20_000);
}, 120_000);

afterAll(async () => {
  for (const w of workers) {
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await w.exited;
  }
  if (redis) {
    redis.child.kill('SIGTERM');
    await redis.exited;
  }
  t.cleanup();
}, 60_000);

let local: SweepJson | null = null;

describe('runtime sweep', () => {
  it('54 configs on every local core; the same range again is read from the cache', async () => {
    const r = await sweep(['--out', join(t.dir, 'local')]);
    expect(r.code, r.err).toBe(0);
    local = r.json!;
    console.log(
      `local sweep: ${local.configs} configs, ${local.where}, runs per thread ${JSON.stringify(local.perThread)}, ` +
        `net PnL ${Math.min(...local.results.map((x) => x.pnl)).toFixed(2)} … ${Math.max(...local.results.map((x) => x.pnl)).toFixed(2)}, ` +
        `${new Set(local.results.map((x) => x.digest)).size} distinct decision logs`,
    );
    expect(local.points).toBe(54);
    expect(local.configs).toBe(54);
    expect(local.ran).toBe(54);
    expect(local.path).toBe('fast');
    // every core took runs
    expect(local.perThread!.length).toBe(availableParallelism());
    for (const n of local.perThread!) expect(n).toBeGreaterThan(0);
    expect(local.perThread!.reduce((a, b) => a + b, 0)).toBe(54);
    // the configs decide differently (the sweep measures something), and traded
    expect(new Set(local.results.map((x) => x.digest)).size).toBeGreaterThan(10);
    expect(local.results.some((x) => x.trades > 0)).toBe(true);
    for (const x of local.results) expect(x.versionMismatches).toBe(0);

    const again = await sweep(['--out', join(t.dir, 'local')]);
    expect(again.code, again.err).toBe(0);
    expect(again.json!.cached).toBe(54);
    expect(again.json!.ran).toBe(0);
    expect(again.json!.results).toEqual(local.results);
    expect(again.err).toMatch(/tick tape read back/);
  }, 240_000);

  it('the same sweep through Redis with two `runtime worker` processes gives identical results', async () => {
    expect(local).not.toBeNull();
    const a = startWorker('q-same');
    const b = startWorker('q-same');
    await Promise.all([a.waitFor(/worker: ready/, 60_000), b.waitFor(/worker: ready/, 60_000)]);
    const r = await sweep(['--out', join(t.dir, 'redis'), '--redis', redisUrl, '--queue', 'q-same']);
    expect(r.code, r.err).toBe(0);
    expect(r.json!.ran).toBe(54);
    expect(r.json!.results).toEqual(local!.results);
    // stopped (SIGTERM: graceful), so each worker's log is complete: who ran what
    await Promise.all([stopWorker(a), stopWorker(b)]);
    expect(a.text()).toMatch(/worker: stopped/);
    const ca = completedBy(a);
    const cb = completedBy(b);
    console.log(`redis sweep: worker A ran ${ca.length}, worker B ran ${cb.length}`);
    expect(ca.length).toBeGreaterThan(0);
    expect(cb.length).toBeGreaterThan(0);
    expect(new Set([...ca, ...cb]).size).toBe(54);
  }, 240_000);

  it('a worker killed mid-run loses no result: its run is retried by the other worker', async () => {
    expect(local).not.toBeNull();
    // short locks so a dead worker's run is found stalled within seconds (the event loop stays free: the runs
    // are on the worker's pool thread, so a live worker renews its locks)
    const lock = ['--lock-ms', '3000', '--stalled-ms', '1000'];
    const victim = startWorker('q-kill', lock);
    await victim.waitFor(/worker: ready/, 60_000);
    const pending = sweep([
      '--out',
      join(t.dir, 'killed'),
      '--redis',
      redisUrl,
      '--queue',
      'q-kill',
      '--random',
      '12',
      '--seed',
      '3',
    ]);
    // killed as soon as it starts its first run (a run takes far longer than the signal)
    const [, inFlight] = (await victim.waitFor(/worker: active (\S+)/, 120_000)) as [string, string];
    victim.child.kill('SIGKILL');
    await victim.exited;
    const rescuer = startWorker('q-kill', lock);
    const r = await pending;
    expect(r.code, r.err).toBe(0);
    await stopWorker(rescuer);
    const byVictim = completedBy(victim);
    const byRescuer = completedBy(rescuer);
    console.log(
      `killed worker: ran ${byVictim.length}, SIGKILL in the middle of ${inFlight}; the other worker ran ${byRescuer.length}, that one included`,
    );
    expect(byVictim).not.toContain(inFlight);
    expect(byRescuer).toContain(inFlight);
    const results = r.json!.results;
    expect(results.length).toBe(r.json!.configs);
    expect(results.length).toBeGreaterThanOrEqual(8);
    // each result is the one the local sweep computed for the same key
    const localByKey = new Map(local!.results.map((x) => [x.key, x]));
    for (const x of results) expect(x).toEqual(localByKey.get(x.key));
  }, 240_000);
});
