/**
 * Every stop signal runs the graceful shutdown (issue 20, item 4).
 *
 * Unit: `runtime/signals.ts` with an EventEmitter for the process and a ManualClock — the first signal
 * (even one during startup) runs `stop` exactly once, later ones are logged and ignored, `--duration`
 * stops the same way, and the grace deadline is the only forced exit.
 *
 * End to end: `node bin/runtime.mjs start` on the compiled build is the trading process itself (no
 * loader, no child process); SIGTERM, SIGINT and SIGHUP sent to that PID — while it is busy with the
 * warm-up hour — each print the summary with the journal flushed and exit 0, leaving no process behind.
 */
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStopSignals, runUntilDone, runUntilStopped, STOP_SIGNALS } from '../../runtime/signals.ts';
import { ManualClock } from '../../state/clock.ts';
import { ADDR_A, KEY_A } from '../live/rig.ts';
import {
  childrenOf,
  ensureBuilt,
  lastJson,
  processesMentioning,
  ROOT,
  type RuntimeProcess,
  spawnRuntime,
} from '../setup/runtime-bin.ts';

function harness(graceMs = 60_000) {
  const source = new EventEmitter();
  const clock = new ManualClock(1_000);
  const logs: string[] = [];
  const exits: number[] = [];
  const signals = createStopSignals({
    source,
    clock,
    graceMs,
    log: (l) => logs.push(l),
    exit: (c) => exits.push(c),
  });
  let stops = 0;
  let finishStop: (v: string) => void = () => {};
  const stop = () => {
    stops++;
    return new Promise<string>((resolve) => {
      finishStop = resolve;
    });
  };
  return {
    source,
    clock,
    logs,
    exits,
    signals,
    stop,
    stops: () => stops,
    finish: (v: string) => finishStop(v),
  };
}

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('runtime/signals: one graceful shutdown per process', () => {
  for (const sig of STOP_SIGNALS) {
    it(`${sig}: the first signal runs stop once; later signals are logged and ignored`, async () => {
      const h = harness();
      const run = runUntilStopped(h.stop, null, { signals: h.signals, clock: h.clock });
      await turn();
      expect(h.stops()).toBe(0);
      h.source.emit(sig);
      await turn();
      expect(h.stops()).toBe(1);
      expect(h.logs[0]).toMatch(new RegExp(`${sig} — graceful shutdown`));
      for (const again of ['SIGINT', 'SIGTERM', 'SIGHUP', sig]) {
        h.source.emit(again);
        await turn();
      }
      expect(h.stops()).toBe(1);
      expect(h.logs).toHaveLength(5);
      for (const l of h.logs.slice(1)) expect(l).toMatch(/ignored: the graceful shutdown .* is running/);
      expect(h.signals.count()).toBe(5);
      h.finish('summary');
      expect(await run).toBe('summary');
      expect(h.exits).toEqual([]);
      h.signals.dispose();
      expect(h.source.eventNames()).toEqual([]);
    });
  }

  it('a signal during startup (before anyone waits) stops the system as soon as it is up', async () => {
    const h = harness();
    h.source.emit('SIGTERM');
    expect(h.signals.first()).toBe('SIGTERM');
    const run = runUntilDone({ stop: () => h.stop() as never }, 600, { signals: h.signals, clock: h.clock });
    await turn();
    expect(h.stops()).toBe(1);
    h.finish('done');
    await run;
    expect(h.clock.pending()).toBe(1); // only the grace deadline: the duration timer was cancelled
  });

  it('--duration stops the same way; a signal during that shutdown is ignored', async () => {
    const h = harness();
    const run = runUntilStopped(h.stop, 30, { signals: h.signals, clock: h.clock });
    h.clock.advance(29_999);
    await turn();
    expect(h.stops()).toBe(0);
    h.clock.advance(1);
    await turn();
    expect(h.stops()).toBe(1);
    h.source.emit('SIGINT');
    await turn();
    expect(h.stops()).toBe(1);
    expect(h.logs).toEqual([
      expect.stringMatching(/SIGINT \(signal 1\) ignored: the graceful shutdown \(duration\)/),
    ]);
    h.finish('x');
    await run;
  });

  it('the grace deadline is the only forced exit: code 1 with a message, counted from the first signal', async () => {
    const h = harness(10_000);
    void runUntilStopped(h.stop, null, { signals: h.signals, clock: h.clock }); // stop never finishes
    h.source.emit('SIGHUP');
    await turn();
    h.clock.advance(4_000);
    h.source.emit('SIGTERM');
    expect(h.logs.at(-1)).toMatch(/forced exit in 6 s/);
    h.clock.advance(5_999);
    expect(h.exits).toEqual([]);
    h.clock.advance(1);
    expect(h.exits).toEqual([1]);
    expect(h.logs.at(-1)).toMatch(/did not finish within 10 s; exiting now with code 1/);
  });

  it('a shutdown that finishes disarms nothing it should not: dispose cancels the deadline', async () => {
    const h = harness(10_000);
    const run = runUntilStopped(h.stop, null, { signals: h.signals, clock: h.clock });
    h.source.emit('SIGTERM');
    await turn();
    h.finish('ok');
    await run;
    h.signals.dispose();
    h.clock.advance(60_000);
    expect(h.exits).toEqual([]);
  });

  it('without the process-wide instance, runUntilDone takes the signals only while it runs', async () => {
    const source = new EventEmitter();
    const clock = new ManualClock(0);
    let stops = 0;
    const run = runUntilDone(
      {
        stop: async () => {
          stops++;
          return { frames: 1 } as never;
        },
      },
      null,
      { source, clock, log: () => {}, exit: () => {} },
    );
    expect(source.listenerCount('SIGHUP')).toBe(1);
    source.emit('SIGHUP');
    await run;
    expect(stops).toBe(1);
    expect(source.eventNames()).toEqual([]);
    expect(clock.pending()).toBe(0);
  });
});

describe('node bin/runtime.mjs start: a signal to the trading process runs its graceful shutdown', () => {
  const dir = mkdtempSync(join(tmpdir(), 'signals-e2e-'));
  beforeAll(ensureBuilt, 240_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function stopWith(
    name: string,
    signals: NodeJS.Signals[],
    when: 'busy' | 'starting' = 'busy',
    via: 'node' | 'npm start' = 'node',
  ): Promise<{ p: RuntimeProcess; summary: Record<string, any> }> {
    const data = join(dir, name);
    const p = spawnRuntime(
      ['start', '--duration', '600', '--no-dashboard', '--data', data, '--log-level', 'warn', '--json'],
      {},
      via,
    );
    try {
      if (when === 'busy') {
        // frames are flowing: the warm-up hour plays at ×N, the process is busy
        await p.waitForJournalBytes(200_000);
        // the trading process is plain node on the compiled bin, no loader, no child process: the PID
        // itself, or npm's only child (npm forwards SIGINT and SIGTERM to it; no shell in between)
        const trading = via === 'node' ? p.pid : childrenOf(p.pid)[0]!;
        if (via !== 'node') expect(childrenOf(p.pid)).toEqual([trading]);
        const byPid = (a: number, b: number) => a - b;
        expect(
          processesMentioning(data)
            .map((x) => x.pid)
            .sort(byPid),
        ).toEqual([...new Set([p.pid, trading])].sort(byPid));
        expect(processesMentioning(data).find((x) => x.pid === trading)!.cmd).toMatch(
          /^\S*node \S*bin\/runtime\.mjs start /,
        );
        expect(childrenOf(trading)).toEqual([]);
      } else {
        // the simulator is up, the system is still starting
        await p.waitForOutput((out) => /^sim: ws:/m.test(out), 'the sim line');
      }
      const [first, ...more] = signals;
      p.child.kill(first);
      for (const s of more) {
        await p.waitForOutput((_, err) => err.includes('graceful shutdown'), 'the shutdown line');
        p.child.kill(s);
      }
      const { code, signal } = await p.exited;
      expect({ code, signal }, p.stderr()).toEqual({ code: 0, signal: null });
      const summary = lastJson(p.stdout());
      expect(summary.lost).toBe(0);
      expect(summary.journal.persistedSeq).toBe(summary.journal.lastSeq);
      expect(p.stderr()).toMatch(new RegExp(`runtime: ${first} — graceful shutdown`));
      expect(processesMentioning(data)).toEqual([]);
      return { p, summary };
    } finally {
      for (const left of processesMentioning(data)) process.kill(left.pid, 'SIGKILL');
    }
  }

  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    it(`${sig}: summary, journal flushed, exit 0, nothing left running`, async () => {
      const { summary } = await stopWith(sig.toLowerCase(), [sig]);
      expect(summary.frames).toBeGreaterThan(0);
    }, 180_000);
  }

  it('SIGINT, then SIGINT and SIGTERM again while shutting down: ignored, still one clean shutdown', async () => {
    const { p } = await stopWith('repeat', ['SIGINT', 'SIGINT', 'SIGTERM']);
    expect(p.stderr().match(/ignored: the graceful shutdown/g)).toHaveLength(2);
  }, 180_000);

  it('npm start: SIGTERM to npm reaches the trading process (no shell between), exit 0', async () => {
    await stopWith('npm', ['SIGTERM'], 'busy', 'npm start');
  }, 180_000);

  it('SIGTERM while the system is still starting: it stops as soon as it is up, exit 0', async () => {
    await stopWith('starting', ['SIGTERM'], 'starting');
  }, 180_000);
});

describe('node bin/runtime.mjs record and sim: the same one graceful shutdown', () => {
  const dir = mkdtempSync(join(tmpdir(), 'signals-rec-'));
  beforeAll(ensureBuilt, 240_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('record: SIGHUP, then SIGTERM (ignored): summary with the journal flushed, exit 0', async () => {
    const data = join(dir, 'record');
    const p = spawnRuntime(['record', '--source', 'sim', '--data', data, '--log-level', 'warn']);
    try {
      await p.waitForOutput((out) => /^recording .+$/m.test(out), 'the recording line');
      p.child.kill('SIGHUP');
      await p.waitForOutput((_, err) => err.includes('SIGHUP — graceful shutdown'), 'the shutdown line');
      p.child.kill('SIGTERM');
      const { code, signal } = await p.exited;
      expect({ code, signal }, p.stderr()).toEqual({ code: 0, signal: null });
      expect(p.stdout()).toMatch(/persisted through seq \d+/);
      expect(processesMentioning(data)).toEqual([]);
    } finally {
      p.child.kill('SIGKILL');
    }
  }, 120_000);

  for (const sig of STOP_SIGNALS) {
    it(`sim: ${sig} closes the simulator and exits 0`, async () => {
      const p = spawnRuntime(['sim', '--port', '0', '--seed', String(STOP_SIGNALS.indexOf(sig) + 11)]);
      try {
        await p.waitForOutput((out) => /^sim: serving ws:/m.test(out), 'the serving line');
        expect(childrenOf(p.pid)).toEqual([]);
        p.child.kill(sig);
        const { code, signal } = await p.exited;
        expect({ code, signal }, p.stderr()).toEqual({ code: 0, signal: null });
        expect(p.stderr()).toMatch(new RegExp(`runtime: ${sig} — graceful shutdown`));
      } finally {
        p.child.kill('SIGKILL');
      }
    }, 60_000);
  }
});

describe('the compiled build runs without a loader', () => {
  beforeAll(ensureBuilt, 240_000);

  it('dist/ holds plain JavaScript: no .ts import, no tsx import', () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true }))
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.endsWith('.js')) files.push(join(d, e.name));
    };
    walk(join(ROOT, 'dist'));
    expect(files.length).toBeGreaterThan(50);
    for (const f of files) {
      const js = readFileSync(f, 'utf8');
      expect(js, f).not.toMatch(/(from |import\()['"]([^'"]+\.ts|tsx(\/[^'"]*)?)['"]/);
    }
  });

  it('the live signer worker starts from dist/ in plain node and signs with the lent key', () => {
    const signer = pathToFileURL(join(ROOT, 'dist', 'actors', 'venue', 'live', 'signer.js')).href;
    const script = `
      const { startWorkerSigner } = await import(${JSON.stringify(signer)});
      const s = await startWorkerSigner({ withKey: (fn) => fn(process.env.TEST_KEY) });
      process.stdout.write(s.address);
      await s.close();`;
    const file = join(mkdtempSync(join(tmpdir(), 'signer-dist-')), 'sign.mjs');
    writeFileSync(file, script);
    const r = spawnSync(process.execPath, [file], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', TEST_KEY: KEY_A },
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(ADDR_A.toLowerCase());
    rmSync(dirname(file), { recursive: true, force: true });
  });
});
