/**
 * Crash safety: a child process appends records and reports every acknowledged seq; the test SIGKILLs it
 * at seeded random points (after k acks, k random; mid-write, mid-roll), then recovers the journal and
 * checks that every acknowledged record is there, readable, in order and byte for byte. Runs continue in
 * the same directory (recovery, then more appends) so restarts after crashes are exercised too. The records
 * include the live venue's answers (`RecordKind.Venue`, one under a named source): see crash-records.ts.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readAll } from '../../actors/journal/reader.ts';
import { RecordKind } from '../../state/records.ts';
import { recoverJournal } from '../../actors/journal/recovery.ts';
import { crashRecordFor, venueRecordsBelow } from './crash-records.ts';
import { prng, sameRecord, tempDir } from './helpers.ts';

const CHILD = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
const RUNS = 50;
const LANES = 2;
const RUNS_PER_DIR = 5;

interface RunResult {
  acked: number;
  exitSignal: NodeJS.Signals | null;
  stderr: string;
}

/** Start a writer child; kill it with SIGKILL once it has acknowledged `killAfterAcks` flushes. */
function runChild(
  dir: string,
  segmentBytes: number,
  mode: string,
  pace: number,
  killAfterAcks: number,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CHILD, dir, String(segmentBytes), mode, '1000000', String(pace)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let acked = -1;
    let acks = 0;
    let ready = false;
    let buf = '';
    let stderr = '';
    let killed = false;
    const kill = () => {
      if (!killed) {
        killed = true;
        child.kill('SIGKILL');
      }
    };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      stderr += s;
    });
    child.stdout.on('data', (s: string) => {
      buf += s;
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
        if (killed) continue; // anything after the kill was not seen in time: not counted
        if (line.startsWith('ready')) ready = true;
        else if (line.startsWith('ack ')) {
          const seq = Number(line.slice(4));
          if (!(seq > acked)) reject(new Error(`acks out of order: ${seq} after ${acked}`));
          acked = seq;
          acks++;
        }
        if (ready && acks >= killAfterAcks) kill();
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ acked, exitSignal: signal, stderr }));
  });
}

async function lane(
  lane: number,
  runs: number,
  seed: number,
): Promise<{ runs: number; maxRecords: number; venueRecords: number }> {
  const rnd = prng(seed);
  let venueRecords = 0;
  let dirT = tempDir(`crash${lane}`);
  let ackedInDir = -1;
  let maxRecords = 0;
  for (let i = 0; i < runs; i++) {
    if (i > 0 && i % RUNS_PER_DIR === 0) {
      dirT.cleanup();
      dirT = tempDir(`crash${lane}`);
      ackedInDir = -1;
    }
    const mode = rnd() < 0.2 ? 'every-record' : 'group';
    const segmentBytes = rnd() < 0.5 ? 16 * 1024 : 1 << 20;
    const pace = rnd() < 0.25 ? 0 : 1 + Math.floor(rnd() * 8);
    const k = Math.floor(rnd() * 12);
    const res = await runChild(dirT.dir, segmentBytes, mode, pace, k);
    const where = `lane ${lane} run ${i} (mode ${mode}, segment ${segmentBytes}, pace ${pace}, kill after ${k} acks)`;
    expect(res.exitSignal, `${where}: child must die by SIGKILL; stderr: ${res.stderr}`).toBe('SIGKILL');
    ackedInDir = Math.max(ackedInDir, res.acked);

    // before recovery: a reader may meet only a torn tail, never a corrupt record in the middle
    const pre = readAll(dirT.dir);
    expect(
      pre.corrupt.filter((c) => !c.tail),
      where,
    ).toEqual([]);

    const rep = recoverJournal(dirT.dir);
    expect(rep.corrupt, where).toEqual([]);
    expect(rep.lastSeq, where).toBeGreaterThanOrEqual(ackedInDir);
    const { records, corrupt } = readAll(dirT.dir);
    expect(corrupt, where).toEqual([]);
    // every record present from seq 0, contiguous, in order, byte for byte; all acknowledged ones included
    expect(records.length, where).toBe(rep.lastSeq + 1);
    for (let s = 0; s < records.length; s++) {
      const r = records[s]!;
      if (r.seq !== s || !sameRecord(r, crashRecordFor(s))) {
        throw new Error(
          `${where}: record at position ${s} is seq ${r.seq} and ${sameRecord(r, crashRecordFor(r.seq)) ? 'intact' : 'differs'}`,
        );
      }
    }
    venueRecords += records.filter((r) => r.kind === RecordKind.Venue).length;
    expect(records.filter((r) => r.kind === RecordKind.Venue).length, where).toBe(
      venueRecordsBelow(records.length),
    );
    maxRecords = Math.max(maxRecords, records.length);
  }
  dirT.cleanup();
  return { runs, maxRecords, venueRecords };
}

describe('crash safety under SIGKILL', () => {
  it(`keeps every acknowledged record across ${RUNS} kills`, { timeout: 120_000 }, async () => {
    const per = Math.ceil(RUNS / LANES);
    const out = await Promise.all(
      Array.from({ length: LANES }, (_, l) => lane(l, Math.min(per, RUNS - l * per), 0xc0ffee + l)),
    );
    expect(out.reduce((a, r) => a + r.runs, 0)).toBe(RUNS);
    // the runs must have written something worth checking
    expect(out.every((r) => r.maxRecords > 100)).toBe(true);
    // and venue answers among them, recovered byte for byte with the rest
    const venue = out.reduce((a, r) => a + r.venueRecords, 0);
    console.log(`crash test: ${RUNS} kills, venue records recovered (summed over runs): ${venue}`);
    expect(venue).toBeGreaterThan(RUNS * 10);
  });
});
