/**
 * The disk floor through the running system (issue 16 "Disk"): the data dir on a small tmpfs (a temp dir
 * where this process may not mount one), the floor a little below its free space; the system runs on the
 * simulator, filler files take the free space below the floor → the guard journals `DISK low` as an
 * operator record that the decision side reads at its next tick (`operator.applied` DISK in the decision
 * log); the filler deleted → `DISK low:false`. The journal stays intact (verify), the system stops cleanly.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { type DiskCommand, defaultStatFs, freeBytesOf } from '../../actors/journal/disk-guard.ts';
import { journalDays, readDays } from '../../actors/journal/days.ts';
import type { DecisionLine } from '../../decision/engine.ts';
import { SystemClock } from '../../runtime/clocks.ts';
import { journalCommand } from '../../runtime/commands/journal.ts';
import { parseConfig } from '../../runtime/config.ts';
import { type RunningSystem, startSystem } from '../../runtime/system.ts';
import { bytesJson, RecordKind } from '../../state/records.ts';
import { type SimServer, startSim } from '../../sim/server.ts';

const MiB = 2 ** 20;
const base = mkdtempSync(join(tmpdir(), 'disk-system-'));
const mounted =
  process.platform === 'linux' &&
  spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=48m,mode=0700', 'tmpfs', base], { stdio: 'ignore' })
    .status === 0;

let sim: SimServer | undefined;
let system: RunningSystem | undefined;
afterAll(async () => {
  await system?.stop();
  await sim?.close();
  if (mounted) spawnSync('umount', [base], { stdio: 'ignore' });
  rmSync(base, { recursive: true, force: true });
});

async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const clock = new SystemClock();
  const t0 = clock.now();
  while (!cond()) {
    if (clock.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('disk floor through the system', () => {
  it('below the floor the decision side reads DISK low at a tick; space back, DISK low:false', async () => {
    const clock = new SystemClock();
    const dataDir = join(base, 'data');
    sim = await startSim({ seed: 3, scenario: 'sideways', speed: 1, clock, coins: ['BTC'] });
    const free0 = freeBytesOf(await defaultStatFs(base));
    const gap = mounted ? 8 * MiB : 64 * MiB;
    const config = parseConfig({ dataDir, coins: ['BTC'], journal: { minFreeBytes: free0 - gap } });
    const lines: DecisionLine[] = [];
    system = await startSystem({
      config,
      url: sim.wsUrl,
      clock,
      journalDir: join(dataDir, 'journal', new Date(clock.now()).toISOString().slice(0, 10)),
      logger: pino({ level: 'silent' }),
      onLine: (l) => lines.push(l),
    });
    const disk = () => lines.filter((l) => l.kind === 'operator.applied' && l.command === 'DISK');
    await until(() => lines.length > 0, 'the first decision lines');
    expect(disk()).toEqual([]);
    const filler: string[] = [];
    const block = Buffer.alloc(MiB, 1);
    while (freeBytesOf(await defaultStatFs(base)) >= free0 - gap && filler.length < 2 * (gap / MiB)) {
      const f = join(base, `fill-${filler.length}`);
      writeFileSync(f, block);
      filler.push(f);
    }
    await until(() => disk().length === 1, 'DISK low read by the decision side');
    expect(disk()[0]).toMatchObject({ low: true, floorBytes: free0 - gap });
    for (const f of filler) rmSync(f);
    await until(() => disk().length === 2, 'DISK low:false read by the decision side');
    expect(disk()[1]).toMatchObject({ low: false });
    const summary = await system.stop();
    system = undefined;
    expect(summary.journal.persistedSeq).toBe(summary.journal.lastSeq);
    const ops = [...readDays(journalDays(dataDir))]
      .map((e) => e.record)
      .filter((r) => r.kind === RecordKind.Decision && r.channel === 'operator')
      .map((r) => bytesJson<DiskCommand | { type: string }>(r.data))
      .filter((c): c is DiskCommand => c.type === 'DISK');
    expect(ops.map((c) => c.low)).toEqual([true, false]);
    let out = '';
    const code = await journalCommand(['verify', dataDir], {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (out += s) },
    });
    expect(code, out).toBe(0);
    console.log(
      `disk-system: on ${mounted ? 'a 48 MiB tmpfs' : 'the shared disk'}; DISK low, then low:false, journal verified`,
    );
  }, 90_000);
});
