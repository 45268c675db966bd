/**
 * The disk floor on a real filesystem (issue 16 "Disk"): the guard with the real statfs, a floor a little
 * below the free space of a small tmpfs (mounted when this process may; else a temp dir on the shared
 * disk), filler files written until free space crosses the floor → a `DISK low` operator record in the
 * journal; on the tmpfs, filled to the last byte, the journal writer meets ENOSPC: it keeps its records,
 * counts and reports it, and the guard's record says so; the filler deleted → `low:false`, the writer's
 * retry lands every record, and the journal verifies intact.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DiskCommand, DiskGuard, defaultStatFs, freeBytesOf } from '../../actors/journal/disk-guard.ts';
import { readAll } from '../../actors/journal/reader.ts';
import { JournalWriter } from '../../actors/journal/writer.ts';
import { journalCommand } from '../../runtime/commands/journal.ts';
import { ManualClock } from '../../state/clock.ts';
import { bytesJson, jsonBytes, RecordKind } from '../../state/records.ts';

const MiB = 2 ** 20;
const base = mkdtempSync(join(tmpdir(), 'disk-real-'));
const mounted =
  process.platform === 'linux' &&
  spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', base], { stdio: 'ignore' })
    .status === 0;
afterAll(() => {
  // lazily: a failed test may leave the writer's files open
  if (mounted) spawnSync('umount', ['-l', base], { stdio: 'ignore' });
  rmSync(base, { recursive: true, force: true });
});

const turn = () => new Promise<void>((r) => setImmediate(r));
/** Turn the event loop until `cond` (statfs and fsync answer from the libuv pool), at most 20 000 turns. */
async function turnsUntil(cond: () => boolean): Promise<void> {
  for (let k = 0; k < 20_000 && !cond(); k++) await turn();
}

describe('disk floor on a real filesystem', () => {
  it('entries stop with an alarm below the floor, the journal stays intact, and the alarm lifts', async () => {
    console.log(
      `disk-real: on ${mounted ? 'a 16 MiB tmpfs (ENOSPC reached)' : 'a temp dir of the shared disk'}`,
    );
    const clock = new ManualClock(Date.parse('2026-11-20T10:00:00Z'));
    const dir = join(base, 'journal');
    const errors: string[] = [];
    const w = new JournalWriter({
      dir,
      clock,
      retryMs: 100,
      fsyncIntervalMs: 1,
      onError: (e) => errors.push(e.message),
    });
    let seq = 0;
    const record = (channel: string, data: Uint8Array) =>
      w.append({ seq: seq++, time: clock.now(), epoch: 0, kind: RecordKind.Decision, channel, data });
    const cmds: DiskCommand[] = [];
    const free0 = freeBytesOf(await defaultStatFs(base));
    const gap = mounted ? 4 * MiB : 48 * MiB;
    const floorBytes = free0 - gap;
    const g = new DiskGuard({
      path: base,
      floorBytes,
      marginBytes: MiB,
      clock,
      everyMs: 2_000,
      onChange: (c) => {
        cmds.push(c);
        // as runtime/system.ts journals it: an operator record
        record('operator', jsonBytes(c));
      },
    });
    await g.start();
    expect(cmds).toEqual([]);
    for (let i = 0; i < 20; i++) record('regime', jsonBytes({ i }));
    await w.flush();

    // fill the filesystem past the floor, one MiB a file
    const filler: string[] = [];
    const block = Buffer.alloc(MiB, 7);
    while (freeBytesOf(await defaultStatFs(base)) >= floorBytes && filler.length < 4 * (gap / MiB)) {
      const f = join(base, `fill-${filler.length}`);
      writeFileSync(f, block);
      filler.push(f);
    }
    clock.advance(2_000);
    await turnsUntil(() => cmds.length >= 1);
    expect(cmds.map((c) => c.low)).toEqual([true]);
    expect(cmds[0]!.freeBytes).toBeLessThan(cmds[0]!.floorBytes);

    let reach = 'floor';
    if (mounted) {
      // to the last byte: the journal's next flush meets ENOSPC
      for (const [tag, bytes] of [
        ['x', block],
        ['s', Buffer.alloc(4096, 1)],
      ] as const) {
        try {
          for (let i = 0; ; i++) {
            const f = join(base, `fill-${tag}${i}`);
            filler.push(f);
            writeFileSync(f, bytes);
          }
        } catch (e) {
          expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
        }
      }
      for (let i = 0; i < 200; i++) record('regime', jsonBytes({ after: i, pad: 'x'.repeat(200) }));
      const durable = w.flush();
      let done = false;
      void durable.then(() => {
        done = true;
      });
      // the flush runs on the libuv pool: turn the event loop until it has failed (bounded)
      for (let k = 0; k < 20_000 && w.stats.noSpace === 0; k++) {
        if (k % 20 === 0) clock.advance(100);
        await turn();
      }
      expect(w.stats.noSpace).toBeGreaterThan(0);
      expect(errors.some((m) => /ENOSPC/.test(m))).toBe(true);
      expect(w.lagging).toBe(true);
      expect(w.lastSeq).toBeGreaterThan(w.persistedSeq); // kept in memory, not lost
      await g.writeFailed(errors.find((m) => /ENOSPC/.test(m))!);
      expect(cmds).toHaveLength(1); // already low: said once
      expect(done).toBe(false);
      reach = 'ENOSPC';
      // space back: the retry lands everything
      for (const f of filler.splice(0)) rmSync(f, { force: true });
      for (let k = 0; k < 20_000 && !done; k++) {
        if (k % 20 === 0) clock.advance(100);
        await turn();
      }
      expect(done).toBe(true);
      expect(w.lagging).toBe(false);
    } else {
      for (const f of filler.splice(0)) rmSync(f);
    }
    clock.advance(2_000);
    await turnsUntil(() => cmds.length >= 2);
    expect(cmds.map((c) => c.low)).toEqual([true, false]);
    expect(cmds[1]!.freeBytes).toBeGreaterThanOrEqual(cmds[1]!.floorBytes);
    g.stop();
    await w.close();

    const { records, corrupt } = readAll(dir);
    expect(corrupt).toEqual([]);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: seq }, (_, i) => i));
    const disk = records.filter((r) => r.channel === 'operator').map((r) => bytesJson<DiskCommand>(r.data));
    expect(disk.map((c) => [c.type, c.low])).toEqual([
      ['DISK', true],
      ['DISK', false],
    ]);
    if (mounted) expect(disk[1]!.noSpaceErrors).toBe(1);
    const v = { out: '', err: '' };
    expect(
      await journalCommand(['verify', dir], {
        stdout: { write: (s: string) => (v.out += s) },
        stderr: { write: (s: string) => (v.err += s) },
      }),
    ).toBe(0);
    console.log(`disk-real: reached ${reach}; ${records.length} records intact`);
  });
});
