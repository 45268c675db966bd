/**
 * The disk floor (issue 16): the guard on an injected clock and statfs — low once when free space crosses
 * below the floor or the writer meets ENOSPC, lifted once when space is back (floor + margin); a statfs
 * that fails changes nothing and is counted — and the check a start makes.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type DiskCommand,
  DiskGuard,
  diskFloorProblem,
  existingPath,
  type FsSpace,
} from '../../actors/journal/disk-guard.ts';
import { ManualClock } from '../../state/clock.ts';

const MiB = 2 ** 20;

function rig(opts: { free: number; floor: number; margin?: number }) {
  const clock = new ManualClock(Date.parse('2026-11-20T10:00:00Z'));
  let free: number | Error = opts.free;
  const out: DiskCommand[] = [];
  const errors: string[] = [];
  const g = new DiskGuard({
    path: '/data',
    floorBytes: opts.floor,
    clock,
    everyMs: 2_000,
    ...(opts.margin !== undefined ? { marginBytes: opts.margin } : {}),
    statfs: async () => {
      if (free instanceof Error) throw free;
      return { bavail: BigInt(Math.floor(free / 4096)), bsize: 4096n };
    },
    onChange: (c) => out.push(c),
    onError: (e) => errors.push(e.message),
  });
  /** Let `ms` of the clock pass and the checks it starts finish. */
  const pass = async (ms: number) => {
    for (let t = 0; t < ms; t += 1_000) {
      clock.advance(1_000);
      // one event-loop turn: every promise the checks chain has settled
      await new Promise<void>((res) => setImmediate(res));
    }
  };
  return {
    g,
    clock,
    out,
    errors,
    pass,
    setFree: (v: number | Error) => {
      free = v;
    },
  };
}

describe('disk guard', () => {
  it('journals low once below the floor and low:false once space is back above floor + margin', async () => {
    const r = rig({ free: 100 * MiB, floor: 64 * MiB, margin: 4 * MiB });
    await r.g.start();
    expect(r.out).toEqual([]);
    r.setFree(63 * MiB);
    await r.pass(1_000);
    expect(r.out).toEqual([]); // the next check is 2 s after the first
    await r.pass(1_000);
    expect(r.out).toEqual([
      {
        type: 'DISK',
        low: true,
        freeBytes: 63 * MiB,
        floorBytes: 64 * MiB,
        path: '/data',
        noSpaceErrors: 0,
        reason: expect.stringMatching(/free space 63\.0 MiB .* below the floor 64\.0 MiB/),
      },
    ]);
    await r.pass(10_000);
    expect(r.out).toHaveLength(1); // still low: said once
    r.setFree(66 * MiB); // above the floor, not above the margin: no flapping
    await r.pass(4_000);
    expect(r.out).toHaveLength(1);
    r.setFree(70 * MiB);
    await r.pass(2_000);
    expect(r.out.slice(1)).toEqual([
      expect.objectContaining({ type: 'DISK', low: false, freeBytes: 70 * MiB, floorBytes: 64 * MiB }),
    ]);
    expect(r.g.counters).toMatchObject({ lows: 1, statfsErrors: 0 });
    expect(r.g.counters.checks).toBeGreaterThanOrEqual(10);
    r.g.stop();
    r.setFree(1);
    await r.pass(10_000);
    expect(r.out).toHaveLength(2);
  });

  it('ENOSPC from the writer raises the alarm at once, whatever statfs says; lifted once writes succeed', async () => {
    const r = rig({ free: 500 * MiB, floor: 64 * MiB });
    await r.g.start();
    await r.g.writeFailed('journal write failed: ENOSPC: no space left on device, write');
    expect(r.out).toEqual([
      expect.objectContaining({ low: true, noSpaceErrors: 1, reason: expect.stringMatching(/ENOSPC/) }),
    ]);
    await r.pass(2_000); // no failure since: space is there
    expect(r.out.at(-1)).toMatchObject({ low: false, noSpaceErrors: 1 });
  });

  it('a statfs that fails is reported and counted and changes nothing', async () => {
    const r = rig({ free: 10 * MiB, floor: 64 * MiB });
    await r.g.start();
    expect(r.out.map((c) => c.low)).toEqual([true]);
    r.setFree(new Error('EIO: i/o error'));
    await r.pass(6_000);
    expect(r.out.map((c) => c.low)).toEqual([true]);
    expect(r.g.low).toBe(true);
    expect(r.g.counters.statfsErrors).toBe(3);
    expect(r.errors[0]).toMatch(/disk guard: statfs \/data: EIO/);
  });

  it('refuses a floor that is not a byte count', () => {
    const clock = new ManualClock(0);
    for (const floorBytes of [-1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => new DiskGuard({ path: '/', floorBytes, clock, onChange: () => {} })).toThrow(RangeError);
  });
});

describe('the floor at start', () => {
  const fs = (free: number): FsSpace => ({ bavail: free / 1024, bsize: 1024 });
  it('is fine at or above the floor, and a clear refusal below it or when statfs fails', () => {
    expect(diskFloorProblem('/data', 1024 * MiB, () => fs(1024 * MiB))).toBeNull();
    expect(diskFloorProblem('/data', 1024 * MiB, () => fs(512 * MiB))).toMatch(
      /^\/data has 512\.0 MiB \(536870912 bytes\) free, below the journal's floor of 1\.0 GiB \(1073741824 bytes\) \(journal\.minFreeBytes\)/,
    );
    expect(
      diskFloorProblem('/data', 1, () => {
        throw new Error('ENOENT');
      }),
    ).toMatch(/cannot read the free space of \/data: ENOENT/);
    // the real filesystem: a floor of 0 always passes, one above any disk never does
    expect(diskFloorProblem('/', 0)).toBeNull();
    expect(diskFloorProblem('/', 2 ** 62)).toMatch(/below the journal's floor/);
  });
});

describe('existingPath', () => {
  it('is the path when it exists, else its nearest existing ancestor', () => {
    expect(existingPath(tmpdir())).toBe(tmpdir());
    expect(existingPath(join(tmpdir(), 'no-such-data-dir-x', 'journal', '2026-11-20'))).toBe(tmpdir());
  });
});
