import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSim } from '../../sim/server.ts';
import { main } from '../../runtime/cli.ts';

// the commands log their effective config at start; keep the test output quiet
process.env.LOG_LEVEL = 'silent';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s) },
  };
}

describe('runtime CLI', () => {
  it('lists the commands; unknown commands are a usage error', async () => {
    const a = io();
    expect(await main(['--help'], a.io)).toBe(0);
    for (const c of [
      'start',
      'start live',
      'sim',
      'record',
      'replay',
      'journal',
      'validate-regime',
      'diagrams',
    ]) {
      expect(a.out.join('')).toContain(c);
    }
    const b = io();
    expect(await main(['frobnicate'], b.io)).toBe(2);
    expect(b.err.join('')).toMatch(/unknown command 'frobnicate'/);
  });

  it('every command has --help', async () => {
    for (const c of ['start', 'sim', 'record', 'replay', 'validate-regime', 'diagrams', 'journal']) {
      const a = io();
      expect(await main([c, '--help'], a.io), c).toBe(0);
      expect(a.out.join(''), c).toMatch(/usage/i);
    }
  });

  it('bad flags and bad config values get a clear error and exit 2', async () => {
    const a = io();
    expect(await main(['start', '--duration', 'soon'], a.io)).toBe(2);
    expect(a.err.join('')).toMatch(/--duration must be a number/);
    const b = io();
    expect(await main(['start', '--bogus'], b.io)).toBe(2);
    expect(b.err.join('')).toMatch(/bogus/);
    const c = io();
    expect(await main(['replay'], c.io)).toBe(2);
    expect(c.err.join('')).toMatch(/missing <journal dir>/);
  });

  it('live order placement needs `start live` and the explicit flag, and a key from the environment or a file', async () => {
    const a = io();
    expect(await main(['start', '--live-trading'], a.io)).toBe(2);
    expect(a.err.join('')).toMatch(/--live-trading needs `runtime start live`/);
    const prev = process.env.HL_PRIVATE_KEY;
    delete process.env.HL_PRIVATE_KEY;
    const sim = await startSim({ speed: 'manual', coins: ['BTC'] });
    const dir = mkdtempSync(join(tmpdir(), 'cli-live-'));
    try {
      const b = io();
      expect(
        await main(
          ['start', 'live', '--live-trading', '--url', sim.wsUrl, '--no-dashboard', '--data', dir],
          b.io,
        ),
      ).toBe(2);
      expect(b.err.join('')).toMatch(/HL_PRIVATE_KEY/);
    } finally {
      if (prev !== undefined) process.env.HL_PRIVATE_KEY = prev;
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('signs only for a network every source agrees on (issue 20, defect 12)', async () => {
    // the simulator plays testnet (its default) and says so
    const sim = await startSim({ speed: 'manual', coins: ['BTC'] });
    const dir = mkdtempSync(join(tmpdir(), 'cli-net-'));
    try {
      const a = io();
      expect(
        await main(
          [
            'start',
            'live',
            '--live-trading',
            '--network',
            'mainnet',
            '--url',
            sim.wsUrl,
            '--no-dashboard',
            '--data',
            dir,
          ],
          a.io,
        ),
      ).toBe(2);
      expect(a.err.join('')).toMatch(/network mismatch: --network mainnet, but .* announces testnet/);
      // an unknown host that announces nothing: signing needs the operator's word
      const b = io();
      expect(
        await main(
          [
            'start',
            'live',
            '--live-trading',
            '--url',
            'ws://127.0.0.1:9/ws',
            '--no-dashboard',
            '--data',
            dir,
          ],
          b.io,
        ),
      ).toBe(2);
      expect(b.err.join('')).toMatch(/could not ask .* which network it plays/);
      // a --network the embedded default cannot have
      const c = io();
      expect(await main(['start', '--network', 'mainnet'], c.io)).toBe(2);
      expect(c.err.join('')).toMatch(/--network goes with `runtime start live`/);
    } finally {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
