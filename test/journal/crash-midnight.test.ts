/**
 * Crash safety across the midnight rollover (issue 16): a child writes through a day-rolling writer whose
 * record times cross 00:00 UTC; the test SIGKILLs it at seeded random points (before, at and after the
 * roll) and restarts it on the same root, then recovers both day folders and checks that every acknowledged
 * record is there, once, byte for byte, in the folder of its own day, with one contiguous sequence.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { journalDays, readDays } from '../../actors/journal/days.ts';
import { readAll } from '../../actors/journal/reader.ts';
import { recoverJournal } from '../../actors/journal/recovery.ts';
import { MIDNIGHT, MIDNIGHT_SEQ, midnightRecordFor } from './crash-records.ts';
import { prng, sameRecord, tempDir } from './helpers.ts';

const CHILD = fileURLToPath(new URL('./crash-midnight-writer.ts', import.meta.url));
const RUNS = 12;

function runChild(
  root: string,
  pace: number,
  killAfterAcks: number,
): Promise<{ acked: number; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, root, String(pace)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let acked = -1;
    let acks = 0;
    let buf = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      stderr += s;
    });
    child.stdout.on('data', (s: string) => {
      buf += s;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (killed) continue;
        if (line.startsWith('ack ')) {
          acked = Number(line.slice(4));
          acks++;
        }
        if (acks >= killAfterAcks && line !== '') {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (_c, signal) => resolve({ acked, signal, stderr }));
  });
}

describe('crash safety across midnight', () => {
  it(`keeps every acknowledged record across ${RUNS} kills around the day roll`, {
    timeout: 120_000,
  }, async () => {
    const rnd = prng(0x51d);
    const t = tempDir('crash-midnight');
    const root = join(t.dir, 'journal');
    let acked = -1;
    let lastSeq = -1;
    let killsAcross = 0;
    let crossedIn = -1;
    try {
      for (let i = 0; i < RUNS; i++) {
        const pace = 1 + Math.floor(rnd() * 4);
        const k = 1 + Math.floor(rnd() * 6);
        const res = await runChild(root, pace, k);
        const where = `run ${i} (pace ${pace}, kill after ${k} acks)`;
        expect(res.signal, `${where}: ${res.stderr}`).toBe('SIGKILL');
        acked = Math.max(acked, res.acked);
        const days = journalDays(t.dir);
        for (const d of days) expect(recoverJournal(d).corrupt, where).toEqual([]);
        const records = [...readDays(days)].map((e) => e.record);
        // one contiguous sequence from 0, every acknowledged record included, each byte for byte
        expect(records.length, where).toBeGreaterThan(acked);
        records.forEach((r, s) => {
          if (r.seq !== s || !sameRecord(r, midnightRecordFor(s)))
            throw new Error(`${where}: position ${s} holds seq ${r.seq}`);
        });
        // every record in the folder of its own day
        for (const d of days) {
          const before = d.endsWith('2026-03-14');
          for (const r of readAll(d).records)
            expect(r.time < MIDNIGHT, `${where}: seq ${r.seq} in ${d}`).toBe(before);
        }
        if (lastSeq < MIDNIGHT_SEQ && records.length - 1 >= MIDNIGHT_SEQ) {
          killsAcross++;
          crossedIn = i;
        }
        lastSeq = records.length - 1;
      }
      console.log(
        `crash-midnight: ${RUNS} kills, ${lastSeq + 1} records, midnight crossed in run ${crossedIn}`,
      );
      expect(lastSeq).toBeGreaterThan(MIDNIGHT_SEQ + 100);
      expect(killsAcross).toBe(1);
      expect(existsSync(join(root, '2026-03-15'))).toBe(true);
    } finally {
      t.cleanup();
    }
  });
});
